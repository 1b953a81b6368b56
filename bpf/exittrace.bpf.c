// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * exittrace's kernel side: one record per process end (or per thread end
 * with -T) carrying the wait status the real parent's waitpid() will see.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "exittrace.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* include/linux/sched/signal.h; unchanged since 2.6.x */
#define SIGNAL_GROUP_EXIT 0x00000004

/* Set by userspace between open and load. */
const volatile bool targets_only = false;	/* -p: only tgids in targets */
const volatile bool follow = false;		/* add targets' children at fork */
const volatile bool threads = false;		/* -T: every thread exit */
const volatile bool failed_only = false;	/* -x, host mode only */
const volatile bool no_group_dead_arg = false;	/* tests: use the pre-6.16 path */
const volatile __u64 ns_per_tick = 10000000;	/* 1e9 / USER_HZ */
const volatile __u64 wake_ns = 0;		/* coalesce wakeups; 0: adaptive */
const volatile bool use_bloom = false;		/* targets also in the bloom filter */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 * 1024);	/* resized by userspace */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);			/* resized by userspace */
	__type(key, __u32);
	__type(value, struct et_target);
} targets SEC(".maps");

/*
 * A bloom filter in front of the target map: most exits on a busy host are
 * not targets, and with a large target set the hash lookup misses the
 * cache; a few bit probes in a small bitmap say "surely not" cheaply.
 * Sized by userspace like the map; entries are never removed (a bloom
 * filter cannot), so a departed target costs at most a hash lookup.
 */
struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 1);			/* resized by userspace */
	__type(value, __u32);
	__uint(map_extra, 3);			/* hash functions */
} bloom SEC(".maps");

/* Records that found the ring buffer full, and fork-time inserts that found
 * the target map full; both read by userspace and reported. */
__u64 dropped_events = 0;
__u64 dropped_targets = 0;

/*
 * Wakeup coalescing. Waking the reader costs the exiting task an irq_work
 * and, when the reader sleeps on another CPU, an IPI: per exit, on a VM,
 * more than the exit itself. So only the first record after a quiet spell
 * (wake_ns since the last wakeup) wakes the reader; the records that follow
 * within wake_ns do not, and the reader, once woken, reads again wake_ns
 * after it last found records (a timerfd): a storm costs about one wakeup
 * per wake_ns, an isolated exit none of its latency, and no record waits
 * for a later exit. Racing CPUs may both wake: harmless.
 */
__u64 last_wake = 0;

static __always_inline __u64 wake_flags(void)
{
	__u64 now;

	if (!wake_ns)
		return 0;	/* adaptive: wake when the reader has caught up */
	now = bpf_ktime_get_ns();
	if (now - last_wake < wake_ns)
		return BPF_RB_NO_WAKEUP;
	last_wake = now;
	return BPF_RB_FORCE_WAKEUP;
}

/* task_struct::start_boottime was real_start_time before 5.5 */
struct task_struct___pre55 {
	u64 real_start_time;
};

static __always_inline __u64 start_boottime(struct task_struct *t)
{
	if (bpf_core_field_exists(t->start_boottime))
		return BPF_CORE_READ(t, start_boottime);
	return BPF_CORE_READ((struct task_struct___pre55 *)t, real_start_time);
}

/*
 * Whether this exit ends the thread group. 6.16 passes do_exit()'s
 * group_dead to the tracepoint, in the same change that gave the event its
 * own trace_event_raw_sched_process_exit with a group_dead field: that
 * field's existence says whether ctx[1] is there (on older kernels the
 * branch is dead code and the verifier never sees the ctx[1] access).
 * Before that, the tracepoint also runs after do_exit()'s
 * atomic_dec_and_test(&signal->live), so live == 0 means the same thing,
 * except that two threads whose decrements race may both see 0 (a target's
 * map entry is deleted on the first, so a target is still reported once).
 */
static __always_inline bool is_group_dead(unsigned long long *ctx, struct task_struct *task)
{
	if (bpf_core_field_exists(struct trace_event_raw_sched_process_exit, group_dead) &&
	    !no_group_dead_arg)
		return (bool)ctx[1];
	return BPF_CORE_READ(task, signal, live.counter) == 0;
}

/*
 * The status wait_task_zombie() hands to the real parent:
 *   (signal->flags & SIGNAL_GROUP_EXIT) ? signal->group_exit_code
 *                                       : leader->exit_code
 * Since 6.0 (quick_threads) the last thread to leave sets SIGNAL_GROUP_EXIT
 * with its own code even after a plain exit(2), so the status is that of the
 * last thread, not the leader's: the rule above covers both eras.
 * group_exit_code also carries the core dump bit (0x80) set by the dumper.
 */
static __always_inline __u32 wait_status(struct task_struct *task, struct task_struct *leader,
					 __u32 *flags)
{
	struct signal_struct *sig = BPF_CORE_READ(task, signal);

	if (BPF_CORE_READ(sig, flags) & SIGNAL_GROUP_EXIT) {
		*flags |= ET_F_GROUP_EXIT;
		return BPF_CORE_READ(sig, group_exit_code);
	}
	return BPF_CORE_READ(leader, exit_code);
}

/*
 * Two ways in: raw_tp needs no kernel BTF to attach, so with a minimal BTF
 * for CO-RE (see user/btfmin.c) libbpf loads it without parsing the whole
 * vmlinux BTF; tp_btf is the BTF-typed way, kept for --attach=tp_btf.
 * Userspace loads one pair. Both run on_exit() in the exiting task.
 */
static __always_inline int on_exit(unsigned long long *ctx, struct task_struct *task)
{
	struct task_struct *leader;
	struct et_target *t = NULL;
	struct et_event *e;
	__u32 tgid, flags = 0, status = 0;
	__u64 start;
	bool dead;

	tgid = BPF_CORE_READ(task, tgid);
	if (targets_only) {
		/* the hot path on a busy host: most exits leave here */
		if (use_bloom && bpf_map_peek_elem(&bloom, &tgid))
			return 0;
		t = bpf_map_lookup_elem(&targets, &tgid);
		if (!t)
			return 0;
		flags |= ET_F_TARGET;
	}

	dead = is_group_dead(ctx, task);
	if (!dead && !threads)
		return 0;

	leader = BPF_CORE_READ(task, group_leader);
	start = start_boottime(leader);
	/* A target whose pid was reused: not the process userspace pinned. */
	if (t && t->start_ticks && start / ns_per_tick != t->start_ticks)
		return 0;

	if (dead) {
		flags |= ET_F_GROUP_DEAD;
		status = wait_status(task, leader, &flags);
		if (t)
			bpf_map_delete_elem(&targets, &tgid);
		if (failed_only && !targets_only && !threads && status == 0)
			return 0;
	}

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&dropped_events, 1);
		return 0;
	}
	e->start_ns = start;
	e->exit_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->kind = ET_KIND_EXIT;
	e->flags = flags;
	e->pid = tgid;
	e->tid = BPF_CORE_READ(task, pid);
	e->ppid = BPF_CORE_READ(leader, real_parent, tgid);
	e->uid = BPF_CORE_READ(leader, real_cred, uid.val);
	e->status = status;
	e->thread_code = BPF_CORE_READ(task, exit_code);
	BPF_CORE_READ_STR_INTO(&e->comm, leader, comm);
	bpf_ringbuf_submit(e, wake_flags());
	return 0;
}

/*
 * With follow, a target's new child process joins the target set here, in
 * the kernel, before it can run, so even a child that lives a microsecond is
 * caught. Loaded only when following.
 */
static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
	struct et_target t = {};
	__u32 ptgid, ctgid;

	if (!follow)
		return 0;
	ptgid = BPF_CORE_READ(parent, tgid);
	ctgid = BPF_CORE_READ(child, tgid);
	if (ptgid == ctgid)		/* a new thread, already covered */
		return 0;
	if (!bpf_map_lookup_elem(&targets, &ptgid))
		return 0;
	t.start_ticks = start_boottime(child) / ns_per_tick;
	if (bpf_map_update_elem(&targets, &ctgid, &t, BPF_NOEXIST))
		__sync_fetch_and_add(&dropped_targets, 1);
	else if (use_bloom)
		bpf_map_push_elem(&bloom, &ctgid, BPF_ANY);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(exit_raw, struct task_struct *task)
{
	return on_exit(ctx, task);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf, struct task_struct *task)
{
	return on_exit(ctx, task);
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(fork_raw, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(fork_btf, struct task_struct *parent, struct task_struct *child)
{
	return on_fork(parent, child);
}
