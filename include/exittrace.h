/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * libexittrace: a waitid() for processes that are not your children.
 *
 * Watch any process by PID (or pidfd) and learn how it ended, exactly as its
 * real parent's waitpid()/waitid() sees it, the moment it ends, from an eBPF
 * program on the sched_process_exit tracepoint. Needs root (CAP_BPF and
 * CAP_PERFMON) and a kernel with BTF (5.8+).
 *
 *	struct et *h = et_open(NULL);
 *	et_watch(h, pid);
 *	siginfo_t si;
 *	et_wait(h, pid, &si, NULL, -1);	// si.si_code: CLD_EXITED, CLD_KILLED, CLD_DUMPED
 *	et_close(h);
 *
 * Or put et_fd() in your own poll/epoll/event loop and call et_next()
 * whenever it is readable, until it returns 0.
 *
 * Conventions: functions returning int return 0 (or a count) on success and
 * a negative errno value on failure; et_open() returns NULL and sets errno.
 * A handle is not thread-safe: use one handle per thread (handles are
 * independent). Strings in struct et_exit are raw bytes from the kernel:
 * escape them before printing.
 *
 * Needs POSIX's siginfo_t: build with _GNU_SOURCE, or _POSIX_C_SOURCE
 * 200809L under a strict -std=c11 (gcc's default gnu11 has it).
 * Targets are host PIDs: use the library in the initial PID namespace.
 * Reading the status of a target that had already ended when it was
 * watched (a zombie) needs ptrace access to it (CAP_SYS_PTRACE as root).
 *
 * ABI: exported symbols are et_* only; the soname is libexittrace.so.0.
 * struct et_opts grows at its end and carries its size (sz); struct et_exit
 * keeps its size, new fields take from __reserved.
 */
#ifndef LIBEXITTRACE_EXITTRACE_H
#define LIBEXITTRACE_EXITTRACE_H

#include <signal.h>
#include <stddef.h>
#include <sys/wait.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ET_VERSION_MAJOR 0
#define ET_VERSION_MINOR 4

#ifndef ET_API
#define ET_API __attribute__((visibility("default")))
#endif

/* et_opts.flags */
#define ET_OPEN_HOST	(1U << 0) /* report every process on the host, not only watched ones */
#define ET_OPEN_THREADS	(1U << 1) /* report thread exits too (ET_EXIT_THREAD) */
#define ET_OPEN_FAILED	(1U << 2) /* a filter: only non-zero exits and deaths by signal
				   * (see "Filters" below) */
#define ET_OPEN_WHY	(1U << 4) /* deaths by signal: who sent it (killer_*, origin),
				   * OOM kills (ET_EXIT_OOM); since 0.2 */
#define ET_OPEN_RUSAGE	(1U << 5) /* resource use at exit, as wait4() (ET_EXIT_RUSAGE) */
#define ET_OPEN_CGROUPS	(1U << 6) /* keep cgroup paths and container ids for
				   * et_cgroup_path() / et_container_id(): reads the
				   * cgroup tree at open and follows cgroups made and
				   * removed, in the kernel, so that a short-lived
				   * cgroup's path is known after it is gone; since 0.3 */
#define ET_OPEN_STORM_BATCH (1U << 7) /* in an exit storm (see wake_us), the thread
				   * that reads runs as SCHED_BATCH: its wakeups wait
				   * for the CPU instead of preempting the workload;
				   * its own scheduling again (policy, nice, priority,
				   * slice) when a later et_next() or et_wait() finds
				   * the storm over, et_next() returns -ECHILD, or
				   * et_close() (a caller who stops reading mid-storm
				   * stays SCHED_BATCH until then, across exec() too).
				   * Switched: SCHED_OTHER, and SCHED_FIFO / SCHED_RR
				   * if the thread may set that again (CAP_SYS_NICE
				   * or RLIMIT_RTPRIO). A process it forks in a storm
				   * starts as SCHED_OTHER (SCHED_RESET_ON_FORK, which
				   * a thread without CAP_SYS_NICE keeps); since 0.4 */
#define ET_OPEN_SHORT_SLICE (1U << 8) /* the thread that calls et_open(), if it runs
				   * as SCHED_OTHER, waits with the shortest
				   * scheduler slice (0.1 ms; Linux 6.12+, older
				   * kernels ignore it; no privilege needed): the
				   * wakeup for an exit then may preempt the task
				   * running on that CPU, a process tearing down its
				   * memory say, rather than wait for its slice to
				   * end. Processes the thread forks meanwhile
				   * inherit it. Its slice before (its length) comes
				   * back at et_close(), if it still has the short
				   * one; since 0.5 */
#define ET_OPEN_FOLLOW	(1U << 3) /* watch the descendants of watched processes too: each
				   * child they fork from now on joins, in the kernel,
				   * before it runs (ET_EXIT_FOLLOWED); not with
				   * ET_OPEN_HOST */

/*
 * Filters (ET_OPEN_FAILED, comms, uids, cgroups, pidns, containers; all
 * that are given must pass, any one value of each): checked in the kernel,
 * but for containers, which the library matches on the cgroup path (a
 * container restarted gets a new cgroup, its id stays). The end of an unwatched process (ET_OPEN_HOST) or
 * of a followed descendant that does not pass is not reported at all. A
 * process watched with et_watch() is always reported, since its end is
 * awaited; ET_EXIT_MATCH says whether it passed.
 */

struct et_opts {
	size_t sz;			/* sizeof(struct et_opts): use ET_OPTS() */
	unsigned int flags;		/* ET_OPEN_* */
	unsigned int ringbuf_kib;	/* BPF ring buffer, a power of 2; 0: 512 */
	unsigned int max_targets;	/* watched at once; 0: 65536 */
	int verbose;			/* libbpf diagnostics on stderr */
	/* Under an exit storm, wake the reader about once per wake_us (the
	 * first exit after a quiet spell still wakes it at once; the others
	 * come at most wake_us later, plus, with ET_OPEN_STORM_BATCH, until
	 * the CPU's running task blocks or ends its slice); 0: every time the
	 * reader caught up. */
	unsigned int wake_us;
	unsigned int attach;		/* ET_ATTACH_* */
	/* Filters: only processes whose comm (the first 15 bytes) is one of
	 * comms / whose real uid is one of uids; NULL or 0: any. */
	const char *const *comms;
	unsigned int ncomms;
	unsigned int nuids;
	const uid_t *uids;
	/* Since 0.3. Only processes in one of these cgroup v2 subtrees (the
	 * cgroup or below): directories of the v2 mount, or paths in its
	 * hierarchy ("/docker"); at most ET_MAX_CGROUPS (E2BIG); resolved at
	 * et_open(), ENOENT if one is not there, ENODEV without cgroup v2. */
	const char *const *cgroups;
	unsigned int ncgroups;
	/* Only processes with a PID in one of these PID namespaces (their own
	 * or one theirs nests in), by inode number (stat /proc/PID/ns/pid). */
	unsigned int npidns;
	const unsigned int *pidns;
	/* Only processes of these containers: container ids (64 hex digits)
	 * or prefixes of them, as found in cgroup paths (et_container_id());
	 * implies ET_OPEN_CGROUPS. */
	const char *const *containers;
	unsigned int ncontainers;
};

/* et_opts.cgroups: at most this many */
#define ET_MAX_CGROUPS 64

/* et_opts.attach: how the probes attach */
enum et_attach {
	ET_ATTACH_AUTO = 0,	/* raw_tp with a minimal BTF (fast), else tp_btf,
				 * else the classic tracepoint */
	ET_ATTACH_RAW_TP,	/* raw tracepoints, CO-RE against a minimal BTF copy */
	ET_ATTACH_TP_BTF,	/* BTF-typed tracepoints; libbpf parses all kernel BTF */
	ET_ATTACH_TRACEPOINT,	/* the classic tracepoint (tracefs, mounted for the
				 * attach if need be): exits only, no senders of
				 * signals, no cgroup records; not with
				 * ET_OPEN_FOLLOW (EOPNOTSUPP); since 0.3 */
};

/* Declare and initialise options: ET_OPTS(o, .flags = ET_OPEN_HOST); */
#define ET_OPTS(name, ...) struct et_opts name = { .sz = sizeof(struct et_opts), __VA_ARGS__ }

/* et_exit.source: where the status came from */
enum et_source {
	ET_SRC_BPF = 0,		/* the exit tracepoint, at the moment of exit */
	ET_SRC_PIDFD,		/* ended before it was traced: the pidfd's exit info */
	ET_SRC_PROC,		/* ended before it was traced: the zombie's /proc stat */
	ET_SRC_NONE,		/* ended before it was traced, reaped: status unknown */
};

/* et_exit.flags */
#define ET_EXIT_THREAD	(1U << 0) /* a thread ended, not (yet) the process */
#define ET_EXIT_TARGET	(1U << 1) /* a watched process */
#define ET_EXIT_FOLLOWED (1U << 2) /* a descendant of one, followed (ET_OPEN_FOLLOW) */
#define ET_EXIT_MATCH	(1U << 3) /* passed the filters (always, without filters) */
#define ET_EXIT_OOM	(1U << 4) /* killed by the OOM killer (ET_OPEN_WHY) */
#define ET_EXIT_RUSAGE	(1U << 5) /* ru is filled (ET_OPEN_RUSAGE) */

/* et_exit.origin: where the signal that ended it came from (ET_OPEN_WHY) */
enum et_origin {
	ET_ORIGIN_NONE = 0,	/* not a death by signal, or not asked */
	ET_ORIGIN_UNKNOWN,	/* sent before tracing began, or not seen */
	ET_ORIGIN_USER,		/* another process: killer_* say which */
	ET_ORIGIN_KERNEL,	/* a fault, SIGPIPE, a timer, an rlimit, the tty */
	ET_ORIGIN_OOM,		/* the OOM killer */
	ET_ORIGIN_SELF,		/* itself: raise(), abort(), kill(getpid()) */
};

/*
 * Resource use of the whole process and its reaped children, as wait4()
 * gives it at reaping: CPU times scaled as the kernel does (their sum is
 * exact, the user/system split is sampled); maxrss exact; the fault and
 * context switch counts as of the exit tracepoint (the exit path that
 * follows may add a switch or two).
 */
struct et_rusage {
	uint64_t utime_ns, stime_ns;
	uint64_t maxrss_kb;
	uint64_t minflt, majflt;
	uint64_t nvcsw, nivcsw;
};

#define ET_COMM_SIZE 16
#define ET_CHAIN_SIZE 4

/* An ancestor: pid and comm (NUL-terminated raw bytes). */
struct et_ancestor {
	pid_t pid;
	char comm[ET_COMM_SIZE];
};

struct et_exit {
	pid_t pid;		/* process id (thread group id) */
	pid_t tid;		/* the thread that ended */
	pid_t ppid;		/* real parent's pid at exit; 0 when unknown */
	uid_t uid;		/* real uid (waitid's si_uid); (uid_t)-1 when unknown */
	int status;		/* raw wait status as waitpid() gives it; -1 unknown */
	unsigned int flags;	/* ET_EXIT_* */
	int source;		/* enum et_source */
	int __pad;
	uint64_t start_ns;	/* process start, CLOCK_BOOTTIME ns; 0 unknown */
	uint64_t exit_ns;	/* exit (or when it was noticed), CLOCK_BOOTTIME ns */
	uint64_t cgroup_id;	/* cgroup v2 id; 0 unknown */
	char comm[ET_COMM_SIZE]; /* name, NUL-terminated raw bytes */
	/* ET_EXIT_FOLLOWED: the process that forked it (ppid is its parent
	 * at exit, which differs once it was reparented); else 0 */
	pid_t fork_ppid;
	/* A failure in a followed tree (non-zero status, ET_OPEN_FOLLOW):
	 * its ancestors still in the tree when it ended, parent first */
	unsigned int nchain;
	struct et_ancestor chain[ET_CHAIN_SIZE];
	/* ET_OPEN_WHY, a death by signal: enum et_origin, and for USER and
	 * SELF the sender (thread id, process, real uid, process name) */
	int origin;
	pid_t killer_tid;
	pid_t killer_pid;
	uid_t killer_uid;
	char killer_comm[ET_COMM_SIZE];
	struct et_rusage ru;	/* ET_EXIT_RUSAGE */
	/* Since 0.3: the PID in the process's own (innermost) PID namespace,
	 * pid itself outside containers; and that namespace's inode number
	 * (stat /proc/PID/ns/pid). 0: unknown (it ended before tracing). */
	pid_t nspid;
	unsigned int pidns;
	uint8_t __reserved[8];
};

struct et;

/* Load and attach the BPF program. opts may be NULL. NULL and errno on
 * failure (EPERM: privileges; ENOENT or ESRCH: no BTF or tracepoint;
 * ENOSYS: no BPF ring buffer, before 5.8). */
ET_API struct et *et_open(const struct et_opts *opts);

/* Detach and free everything. NULL is fine. */
ET_API void et_close(struct et *h);

/*
 * Watch a process. It is pinned with a pidfd at once, so a reused PID is
 * never mistaken for it. A process that already ended (a zombie, or one
 * that ends before tracing catches it) is still reported.
 * -ESRCH: no such process; -EINVAL: pid is a thread, not a process;
 * -EEXIST: already watched, or followed (ET_OPEN_FOLLOW) as a descendant;
 * -ENOSPC: max_targets reached.
 */
ET_API int et_watch(struct et *h, pid_t pid);

/*
 * Watch the process a pidfd (from pidfd_open() or clone3()) refers to; the
 * caller keeps its fd (the library dups it). pid is the PID the pidfd was
 * opened for, or 0 to read it from the pidfd. With pid given, a process
 * reaped since the pidfd was opened is still reported (its status from the
 * pidfd's exit info, 6.15+); with 0, that gives -ESRCH. -EINVAL: fd is not
 * a pidfd, or refers to another process than pid; -EBADF: not an fd.
 */
ET_API int et_watch_pidfd(struct et *h, int pidfd, pid_t pid);

/* Stop watching; its results not yet taken are dropped. -ENOENT if it was
 * neither watched nor had a result waiting. Descendants it already has
 * (ET_OPEN_FOLLOW) stay followed: et_next() reports them as they end. */
ET_API int et_unwatch(struct et *h, pid_t pid);

/* A file descriptor that is readable whenever et_next() has a result. */
ET_API int et_fd(const struct et *h);

/* et_next() flags */
#define ET_NEXT_BLOCK	(1 << 0)	/* wait until a result is ready */

/*
 * The next result, like waitid(P_ALL, 0, info, WEXITED | WNOHANG):
 * returns 1 with info (si_signo SIGCHLD, si_code CLD_EXITED / CLD_KILLED /
 * CLD_DUMPED, or 0 when the status is unknown; si_pid, si_uid, si_status)
 * and ex (either may be NULL) filled; 0 when none is ready; -ECHILD when
 * nothing is watched any more, followed descendants included (never with
 * ET_OPEN_HOST); -EINTR when a blocking wait was interrupted by a signal.
 */
ET_API int et_next(struct et *h, siginfo_t *info, struct et_exit *ex, int flags);

/*
 * Wait for one process watched with et_watch*() (not a followed
 * descendant: use et_next() for those): 1 with its result, 0 after timeout_ms
 * (-1: no timeout), -ECHILD if pid is not watched, -EINTR. Results of other
 * processes that arrive meanwhile stay queued for et_next().
 */
ET_API int et_wait(struct et *h, pid_t pid, siginfo_t *info, struct et_exit *ex,
		   int timeout_ms);

/* Watched processes not yet reported, followed descendants included. */
ET_API unsigned int et_pending(const struct et *h);

/* Records the kernel could not deliver (ring buffer full), so far. */
ET_API uint64_t et_lost(const struct et *h);

/* Children of followed processes that could not be followed (the target
 * set was full: raise max_targets), so far. Since 0.2. */
ET_API uint64_t et_lost_follow(const struct et *h);

/*
 * The path of a cgroup v2 (et_exit.cgroup_id) as the cgroup v2 mount shows
 * it, "/docker/3f2a..." (from the hierarchy's root; in a cgroup namespace
 * with its own mount, from the namespace's), and the container id in it (64 hex digits; see
 * et_opts.containers for the patterns), cached. Raw bytes: escape them
 * before printing. Valid until the next et_next(), et_wait() or et_close().
 * NULL with errno ENOENT: unknown (gone before anything saw it: open with
 * ET_OPEN_CGROUPS), or no container; ENODEV: no cgroup v2 mounted. Since 0.3.
 */
ET_API const char *et_cgroup_path(struct et *h, uint64_t cgroup_id);
ET_API const char *et_container_id(struct et *h, uint64_t cgroup_id);

/* The way in that attached (enum et_attach, never ET_ATTACH_AUTO): with
 * ET_ATTACH_TRACEPOINT, exits only (no origin of signals, no cgroup
 * records). Since 0.3. */
ET_API int et_attached(const struct et *h);

/* cgroup_mkdir records the kernel could not deliver (ET_OPEN_CGROUPS; ring
 * buffer full), so far: the paths of those cgroups are looked up when
 * needed instead, which fails once they are gone. Since 0.3. */
ET_API uint64_t et_lost_cgroups(const struct et *h);

/* "0.5.0" */
ET_API const char *et_version(void);

#ifdef __cplusplus
}
#endif

#endif /* LIBEXITTRACE_EXITTRACE_H */
