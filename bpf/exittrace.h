/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one header shared by the BPF program and userspace: the record the
 * kernel side writes into the ring buffer and the values of the target map.
 * Fixed-width fields, largest first, explicit padding; userspace checks the
 * size with _Static_assert.
 */
#ifndef EXITTRACE_H
#define EXITTRACE_H

#define ET_COMM_LEN 16

/* Every record starts with its kind. */
enum et_kind {
	ET_KIND_EXIT = 1,	/* et_event: a thread exited (see ET_F_GROUP_DEAD) */
	ET_KIND_CGROUP_MKDIR,	/* et_cgroup_event: a cgroup v2 was made */
	ET_KIND_CGROUP_RMDIR,	/* et_cgroup_event without path: ...removed */
};

/* et_event.flags */
#define ET_F_GROUP_DEAD		(1U << 0) /* last thread: the process ended */
#define ET_F_GROUP_EXIT		(1U << 1) /* SIGNAL_GROUP_EXIT was set */
#define ET_F_TARGET		(1U << 2) /* matched the target map */
#define ET_F_FOLLOWED		(1U << 3) /* a target added at fork (follow) */
#define ET_F_MATCH		(1U << 4) /* the process end passes the filters */
#define ET_F_MATCH_THREAD	(1U << 5) /* the thread end passes the filters */
#define ET_F_EXT		(1U << 6) /* an et_event_ext: chain, killer, rusage */
#define ET_F_KILLER		(1U << 7) /* ext.killer: who sent the fatal signal */
#define ET_F_OOM		(1U << 8) /* the OOM killer chose it (signal->oom_mm) */
#define ET_F_RUSAGE		(1U << 9) /* ext.ru is filled */

/* Ancestors still in the followed tree, carried after a failure's record. */
#define ET_CHAIN_MAX 4

struct et_link {
	__u32 pid;
	char comm[ET_COMM_LEN];
};

struct et_event {
	__u32 kind;		/* enum et_kind */
	__u32 flags;		/* ET_F_* */
	__u64 start_ns;		/* process start, CLOCK_BOOTTIME ns */
	__u64 exit_ns;		/* exit, CLOCK_BOOTTIME ns */
	__u64 cgroup_id;	/* cgroup v2 id of the exiting thread */
	__u32 pid;		/* tgid, as the rest of the system says "pid" */
	__u32 tid;		/* the thread that exited */
	__u32 ppid;		/* tgid of the real parent */
	__u32 uid;		/* real uid of the leader (waitid's si_uid) */
	__u32 status;		/* wait status the real parent's waitpid() sees */
	__u32 thread_code;	/* this thread's own exit_code */
	__u32 fparent;		/* followed: the tgid that forked it; else 0 */
	__u32 nchain;		/* links in chain[] of et_event_chain */
	__u32 nspid;		/* pid in its own (innermost) PID namespace */
	__u32 pidns;		/* that namespace's inode number */
	char comm[ET_COMM_LEN];	/* thread group leader's comm */
};

/* The kernel's TRACE_CGROUP_PATH_LEN: the cgroup tracepoints' path buffer. */
#define ET_CGROUP_PATH_LEN 1024

/* A cgroup v2 directory made or removed (the cgroup_mkdir / cgroup_rmdir
 * tracepoints): userspace keeps id -> path from these, so that the path of
 * a short-lived cgroup is known even when the cgroup is gone by the time
 * its processes' records are read. Ring order puts a cgroup's mkdir before
 * any record of a process in it, and its rmdir after. A record ends with
 * its path's NUL (rmdir records, and a path that may have been cut, have
 * none: len 0). */
struct et_cgroup_event {
	__u32 kind;		/* ET_KIND_CGROUP_MKDIR / _RMDIR */
	__u32 len;		/* bytes of path[], its NUL included; 0: none */
	__u64 id;		/* the cgroup id (kernfs node id) */
	__u64 parent_id;	/* its parent's */
	char path[ET_CGROUP_PATH_LEN];	/* from the hierarchy's root */
};

/* et_killer.origin: where a signal came from */
enum et_sig_origin {
	ET_KORIGIN_USER = 1,	/* kill(), tgkill(), sigqueue(), a pidfd: another process */
	ET_KORIGIN_KERNEL,	/* a fault, SIGPIPE, a timer, an rlimit, the tty */
	ET_KORIGIN_SELF,	/* the process signalled itself (raise, abort) */
};

/* Key of the killers map: a process and a signal. */
struct et_killer_key {
	__u32 tgid;
	__u32 sig;
};

/* The last time a signal that terminates by default was generated for a
 * process (value of the killers map), from signal_generate. */
struct et_killer {
	__u64 time_ns;		/* CLOCK_BOOTTIME */
	__u64 target_start;	/* the target's start_boottime: its identity */
	__u32 sig;
	__s32 code;		/* si_code */
	__u32 origin;		/* enum et_sig_origin */
	__u32 pid;		/* sender's thread id (0: none) */
	__u32 tgid;		/* sender's process */
	__u32 uid;		/* sender's real uid */
	char comm[ET_COMM_LEN];	/* sender's process name */
};

/* Counters for wait4()'s rusage, raw: the whole process (signal_struct's
 * sums of threads gone, plus the last thread's own) and its reaped
 * children (the c* sums); userspace scales the CPU times as the kernel's
 * cputime_adjust() does. */
struct et_rusage_raw {
	__u64 utime, stime, sum_exec;	/* ns: tick-sampled split, exact total */
	__u64 cutime, cstime;		/* ns: reaped children, already scaled */
	__u64 maxrss;			/* pages: max of own and children's */
	__u64 minflt, majflt, nvcsw, nivcsw;	/* own + children's */
};

/* A record with extensions (ET_F_EXT): the ancestors of a failure in a
 * followed tree, nearest first (e.nchain of them); the killer; rusage. */
struct et_event_ext {
	struct et_event e;
	struct et_link chain[ET_CHAIN_MAX];
	struct et_killer killer;
	struct et_rusage_raw ru;
};

/* Value of the target map (key: tgid). */
struct et_target {
	__u64 start_ticks;	/* /proc/PID/stat starttime; 0: match any */
	__u32 fparent;		/* followed: the tgid that forked it */
	__u32 followed;		/* added at fork, counted in follow_live */
};

/* Key of the comm filter map: a comm, NUL-padded to ET_COMM_LEN. */
struct et_comm_key {
	char comm[ET_COMM_LEN];
};

#endif /* EXITTRACE_H */
