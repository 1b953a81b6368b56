/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * sched_getattr() / sched_setattr() for a thread's whole scheduling state:
 * policy, nice, real-time priority, and (6.12+) the slice of a fair task,
 * which sched_setscheduler() would reset. glibc before 2.41 has neither
 * call nor struct: ours is struct sched_attr's first version (48 bytes).
 */
#ifndef ET_SCHEDATTR_H
#define ET_SCHEDATTR_H

#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/* The shortest slice a fair task may ask for (6.12+): its wakeups may then
 * preempt a running task with a longer one (EEVDF's PREEMPT_SHORT), if it
 * is eligible; older kernels ignore it. Inherited across fork(). */
#define ET_SHORT_SLICE_NS 100000ULL

#define ET_SCHED_FLAG_RESET_ON_FORK 0x01

struct et_sched_attr {
	uint32_t size;
	uint32_t policy;	/* without SCHED_RESET_ON_FORK: that is a flag */
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime;	/* a fair task's slice (6.12+), in ns */
	uint64_t deadline;
	uint64_t period;
};
_Static_assert(sizeof(struct et_sched_attr) == 48, "SCHED_ATTR_SIZE_VER0");

static inline int sched_attr_get(pid_t tid, struct et_sched_attr *a)
{
	memset(a, 0, sizeof(*a));
	return (int)syscall(SYS_sched_getattr, tid, a, sizeof(*a), 0);
}

static inline int sched_attr_set(pid_t tid, struct et_sched_attr *a)
{
	a->size = sizeof(*a);
	return (int)syscall(SYS_sched_setattr, tid, a, 0);
}

#endif
