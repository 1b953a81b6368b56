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

/* et_event.kind */
enum et_kind {
	ET_KIND_EXIT = 1,	/* a thread exited (see ET_F_GROUP_DEAD) */
};

/* et_event.flags */
#define ET_F_GROUP_DEAD		(1U << 0) /* last thread: the process ended */
#define ET_F_GROUP_EXIT		(1U << 1) /* SIGNAL_GROUP_EXIT was set */
#define ET_F_TARGET		(1U << 2) /* matched the target map */

struct et_event {
	__u64 start_ns;		/* process start, CLOCK_BOOTTIME ns */
	__u64 exit_ns;		/* exit, CLOCK_BOOTTIME ns */
	__u64 cgroup_id;	/* cgroup v2 id of the exiting thread */
	__u32 kind;		/* enum et_kind */
	__u32 flags;		/* ET_F_* */
	__u32 pid;		/* tgid, as the rest of the system says "pid" */
	__u32 tid;		/* the thread that exited */
	__u32 ppid;		/* tgid of the real parent */
	__u32 uid;		/* real uid of the leader (waitid's si_uid) */
	__u32 status;		/* wait status the real parent's waitpid() sees */
	__u32 thread_code;	/* this thread's own exit_code */
	char comm[ET_COMM_LEN];	/* thread group leader's comm */
};

/* Value of the target map (key: tgid). */
struct et_target {
	__u64 start_ticks;	/* /proc/PID/stat starttime; 0: match any */
};

#endif /* EXITTRACE_H */
