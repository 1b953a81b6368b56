/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The tracer core: a waitid() for processes that are not your children.
 * It owns the BPF program, the target set and the pidfds that pin targets;
 * the CLI is one user of it, and it is the base of libexittrace.
 *
 * Usage: et_open(), et_watch() each PID, then whenever et_fd() is readable,
 * call et_next() until it returns 0. All functions return 0 (or a count)
 * on success and a negative errno on failure; et_open() returns NULL and
 * sets errno.
 */
#ifndef ET_ET_H
#define ET_ET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define ET_COMM_SIZE 16

/* et_opts.flags */
#define ET_OPEN_TARGETS	(1U << 0) /* report only watched PIDs (else every process) */
#define ET_OPEN_THREADS	(1U << 1) /* report thread exits too (ET_EXIT_THREAD) */
#define ET_OPEN_FAILED	(1U << 2) /* whole-host: drop exit-0 records in the kernel */

struct et_opts {
	unsigned int flags;
	unsigned int ringbuf_kib;	/* 0: 512 */
	unsigned int max_targets;	/* 0: 65536 */
	bool verbose;			/* libbpf debug output on stderr */
};

/* et_exit.source: where the status came from */
enum et_source {
	ET_SRC_BPF = 0,		/* the exit tracepoint: exact, at the moment of exit */
	ET_SRC_PIDFD,		/* ended before tracing began; pidfd exit info */
	ET_SRC_PROC,		/* ended before tracing began; zombie's /proc stat */
	ET_SRC_NONE,		/* ended before tracing began; status unknown */
};

/* et_exit.flags */
#define ET_EXIT_THREAD	(1U << 0) /* a thread ended, not (yet) the process */
#define ET_EXIT_TARGET	(1U << 1) /* a watched PID */

struct et_exit {
	pid_t pid;		/* process (thread group) id */
	pid_t tid;		/* the thread that ended; pid when unknown */
	pid_t ppid;		/* real parent's pid; 0 when unknown */
	uid_t uid;		/* real uid, as waitid()'s si_uid */
	int status;		/* wait status; -1 when unknown (ET_SRC_NONE) */
	unsigned int flags;	/* ET_EXIT_* */
	enum et_source source;
	uint64_t start_ns;	/* process start, CLOCK_BOOTTIME; 0 when unknown */
	uint64_t exit_ns;	/* exit (or when it was noticed), CLOCK_BOOTTIME */
	uint64_t cgroup_id;	/* cgroup v2 id; 0 when unknown */
	char comm[ET_COMM_SIZE]; /* raw bytes from the kernel: escape before printing */
};

struct et;

struct et *et_open(const struct et_opts *opts);
void et_close(struct et *h);

/*
 * Watch a process by PID: pinned by a pidfd at once so that a reused PID is
 * never mistaken for it. A target that has already ended (a zombie, or one
 * that ends before tracing catches it) is still reported, by et_next().
 * -ESRCH: no such process; -EINVAL: pid names a thread, not a process.
 */
int et_watch(struct et *h, pid_t pid);

/* The same for a PID the caller pinned earlier with pidfd_open(); the
 * pidfd is the library's from now on, even on error. */
int et_watch_pidfd(struct et *h, pid_t pid, int pidfd);

/* Readable whenever et_next() may have a result. */
int et_fd(const struct et *h);

/* Next result: 1 and *ex filled, 0 when none is ready, or -errno. */
int et_next(struct et *h, struct et_exit *ex);

/* Watched PIDs not yet reported. */
unsigned int et_pending(const struct et *h);

/* Records the kernel could not deliver (ring buffer full). */
uint64_t et_lost(const struct et *h);

#endif /* ET_ET_H */
