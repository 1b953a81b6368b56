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
const volatile bool failed_only = false;	/* -x: filter exit 0 */
const volatile bool filter_comm = false;	/* only comms in the comms map */
const volatile bool filter_uid = false;		/* only uids in the uids map */
const volatile bool no_group_dead_arg = false;	/* tests: use the pre-6.16 path */
const volatile __u64 ns_per_tick = 10000000;	/* 1e9 / USER_HZ */
const volatile __u64 wake_ns = 0;		/* coalesce wakeups; 0: adaptive */
const volatile bool use_pidbits = false;	/* targets' PIDs also in pidbits */
const volatile bool want_why = false;		/* who sent a fatal signal, OOM */
const volatile bool want_rusage = false;	/* rusage on process ends */
const volatile bool filter_pidns = false;	/* only processes in a pidnss namespace */
const volatile __u32 ncgroups = 0;		/* only processes in a cgroup_filter subtree */

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
 * Which PIDs may be targets, in front of the target map: bit PID of a
 * bitmap over the PID space (pid_max when opened: 4 KiB for 32 768 PIDs,
 * 512 KiB for 4 194 304). Most exits on a busy host are not targets; for
 * them a clear bit says so at the cost of one array read, whether 1 or
 * 100 000 PIDs are watched (a hash lookup in a large target map misses
 * the cache). Userspace sets a bit, through its mmap, before it adds the
 * map entry, and clears it when the target leaves the set. A PID beyond
 * the bitmap (pid_max raised since) may be a target.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);			/* resized by userspace */
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} pidbits SEC(".maps");

/* False only for a PID that is surely no target: its bit is clear. */
static __always_inline bool may_be_target(__u32 tgid)
{
	__u32 word = tgid / 64;
	__u64 *bits;

	if (!use_pidbits)
		return true;
	bits = bpf_map_lookup_elem(&pidbits, &word);
	return !bits || (*bits >> (tgid % 64)) & 1;
}

/* Filters: a process's comm / real uid must be a key (value unused). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);			/* resized by userspace */
	__type(key, struct et_comm_key);
	__type(value, __u8);
} comms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);			/* resized by userspace */
	__type(key, __u32);
	__type(value, __u8);
} uids SEC(".maps");

/* Filters: the inode of a PID namespace the process must be in (at any
 * level); a cgroup v2 the process's cgroup must be or descend from. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);			/* resized by userspace */
	__type(key, __u32);
	__type(value, __u8);
} pidnss SEC(".maps");

#define CGROUP_FILTER_MAX 64

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);			/* resized by userspace */
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/*
 * The last sender of each signal that terminates by default, per process
 * (key: tgid and signal), so that a death by signal can name its sender.
 * Removed at exit; LRU (sized by userspace for its per-CPU caches), so that
 * the signals processes survive cannot fill it; each value carries its
 * target's start time, so an entry never outlives its process's identity.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);		/* resized by userspace */
	__type(key, struct et_killer_key);
	__type(value, struct et_killer);
} killers SEC(".maps");

/* Followed processes (added at fork) still alive: userspace knows the tree
 * has ended when this is 0 and its own targets have ended. */
__u64 follow_live = 0;

/* Records that found the ring buffer full, and fork-time inserts that found
 * the target map full; both read by userspace and reported. */
__u64 dropped_events = 0;
__u64 dropped_targets = 0;
/* cgroup records the ring had no room for: userspace then resolves those
 * cgroups' paths itself, as long as they exist */
__u64 dropped_cgroups = 0;

/*
 * Wakeup coalescing. Waking the reader costs the exiting task an irq_work
 * and, when the reader sleeps on another CPU, an IPI: per exit, on a VM,
 * more than the exit itself. So the reader says when a wakeup is wanted:
 * it sets reader_idle once it has caught up and is about to sleep with no
 * timer, and a record then wakes it (the first exit after a quiet spell:
 * no latency lost). Otherwise the reader is awake, or, in an exit storm,
 * reads on a timer of its own every wake_ns, and the record waits for that
 * (at most wake_ns). The reader's half is in user/et.c: it sets the flag,
 * then, past a full barrier, reads the ring. A record committed before
 * then, it reads; one committed after sees the flag, for the commit is a
 * full barrier (xchg) and commit() looks at the flag again after it. The
 * first look only spares the extra wakeup. wake_ns 0: the kernel's own
 * policy (wake when the reader has caught up), no flag, no timer.
 */
__u32 reader_idle = 0;

static __always_inline bool take_idle(void)
{
	if (!*(volatile __u32 *)&reader_idle)
		return false;
	/* one wakeup is enough (racing CPUs may both send one: harmless) */
	*(volatile __u32 *)&reader_idle = 0;
	return true;
}

/* Commit a reserved record, or with discard only its wakeup (if wanted). */
static __always_inline void commit(void *rec, bool discard)
{
	__u64 flags;
	void *w;

	if (!wake_ns)
		flags = discard ? BPF_RB_FORCE_WAKEUP : 0;
	else
		flags = take_idle() ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
	if (discard)
		bpf_ringbuf_discard(rec, flags);
	else
		bpf_ringbuf_submit(rec, flags);
	if (flags != BPF_RB_NO_WAKEUP || !take_idle())
		return;
	/* the reader went idle between the two looks: wake it */
	w = bpf_ringbuf_reserve(&events, 8, 0);
	if (w)
		bpf_ringbuf_discard(w, BPF_RB_FORCE_WAKEUP);
	else
		*(volatile __u32 *)&reader_idle = 1;	/* full: the next record tries */
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
static __always_inline int group_dead_arg(unsigned long long *ctx)
{
	if (bpf_core_field_exists(struct trace_event_raw_sched_process_exit, group_dead) &&
	    !no_group_dead_arg)
		return ctx[1] ? 1 : 0;
	return -1;
}

/* gd: the tracepoint's group_dead, or -1 where it has none */
static __always_inline bool is_group_dead(int gd, struct task_struct *task)
{
	if (gd >= 0)
		return gd;
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

/* PID namespaces nest at most this deep (the kernel's MAX_PID_NS_LEVEL:
 * levels 0 to 32). */
#define PID_NS_MAX_LEVEL 32

/* upid i of a struct pid: numbers[] is a flexible array, indexed with the
 * running kernel's offset and element size. */
static __always_inline void upid_at(struct pid *p, __u32 i, int *nr, __u32 *inum)
{
	struct upid u = {};

	bpf_probe_read_kernel(&u, sizeof(u),
			      (void *)p + bpf_core_field_offset(struct pid, numbers) +
				      (i > PID_NS_MAX_LEVEL ? PID_NS_MAX_LEVEL : i) *
					      bpf_core_type_size(struct upid));
	*nr = u.nr;
	*inum = BPF_CORE_READ(u.ns, ns.inum);
}

/* The initial PID namespace's inode number (PROC_PID_INIT_INO, fixed). */
#define PID_NS_INIT_INO 0xEFFFFFFCU

/* The process's PID as its own (innermost) PID namespace sees it, and that
 * namespace's inode: the numbers of the leader's struct pid at its level.
 * Most processes of a host are at level 0: the tgid, in the initial
 * namespace, without the two reads that follow. */
static __always_inline void ns_pid(struct task_struct *leader, __u32 tgid, __u32 *nspid,
				   __u32 *pidns)
{
	struct pid *p = BPF_CORE_READ(leader, thread_pid);
	__u32 level = BPF_CORE_READ(p, level);
	int nr;

	if (!level) {
		*nspid = tgid;
		*pidns = PID_NS_INIT_INO;
		return;
	}
	upid_at(p, level, &nr, pidns);
	*nspid = (__u32)nr;
}

/* Whether the process has a PID in one of the pidnss namespaces: its own
 * or one its own nests in. */
static __always_inline bool in_pidns(struct task_struct *leader)
{
	struct pid *p = BPF_CORE_READ(leader, thread_pid);
	__u32 level = BPF_CORE_READ(p, level), i, inum;
	int nr;

	for (i = 0; i <= PID_NS_MAX_LEVEL; i++) {
		if (i > level)
			break;
		upid_at(p, i, &nr, &inum);
		if (bpf_map_lookup_elem(&pidnss, &inum))
			return true;
	}
	return false;
}

/* Whether the current task's cgroup v2 is one of cgroup_filter or below
 * one: the kernel's own ancestry check, one call per filter cgroup (no
 * levels or paths, which a cgroup namespace would shift). */
static __always_inline bool in_cgroups(void)
{
	__u32 i;

	for (i = 0; i < CGROUP_FILTER_MAX; i++) {
		if (i >= ncgroups)
			break;
		if (bpf_current_task_under_cgroup(&cgroup_filter, i) == 1)
			return true;
	}
	return false;
}

/* Whether the process passes the filters (failure is checked apart):
 * cheapest first. The cgroup check is the current task's: on_exit() runs
 * in the exiting thread. */
static __always_inline bool passes(struct et_comm_key *comm, __u32 uid,
				   struct task_struct *leader)
{
	if (filter_comm && !bpf_map_lookup_elem(&comms, comm))
		return false;
	if (filter_uid && !bpf_map_lookup_elem(&uids, &uid))
		return false;
	if (ncgroups && !in_cgroups())
		return false;
	if (filter_pidns && !in_pidns(leader))
		return false;
	return true;
}

/*
 * The ancestors of a failing followed process that are still in the tree,
 * nearest first, so that "which child of which step failed" needs no
 * bookkeeping in userspace. Walks real_parent: a process reparented to a
 * subreaper or init has left its tree's chain (fparent still names the
 * process that forked it).
 */
static __always_inline __u32 fill_chain(struct task_struct *leader, struct et_link *chain)
{
	struct task_struct *p = leader;
	__u32 n = 0, tgid;
	int i;

	for (i = 0; i < ET_CHAIN_MAX; i++) {
		p = BPF_CORE_READ(p, real_parent, group_leader);
		if (!p)
			break;
		tgid = BPF_CORE_READ(p, tgid);
		if (!bpf_map_lookup_elem(&targets, &tgid))
			break;
		chain[i].pid = tgid;
		BPF_CORE_READ_STR_INTO(&chain[i].comm, p, comm);
		n++;
	}
	return n;
}

/* The last followed process ended: wake userspace if it sleeps (its
 * record, if any, may not have), so that it sees the tree is gone. Only a
 * wakeup: a discarded reservation. The ring cannot be full of records an
 * idle reader has not been woken for; a full one means it is awake, or is
 * about to be, and reads follow_live after the records. */
static __always_inline void send_idle(void)
{
	void *w = bpf_ringbuf_reserve(&events, 8, 0);

	if (w)
		commit(w, true);
}

/* Threads summed for rusage; past this, the rest is left out. */
#define RUSAGE_MAX_THREADS 256

/*
 * wait4()'s rusage counters of a process whose last thread is task, as
 * getrusage(RUSAGE_BOTH) sums them when the parent reaps it: signal_struct
 * holds the threads already released and the reaped children; every thread
 * still on the thread list (this one, a zombie leader, threads still in
 * their own do_exit()) adds its own.
 */
static __always_inline void fill_rusage(struct task_struct *task, struct et_rusage_raw *ru)
{
	struct signal_struct *sig = BPF_CORE_READ(task, signal);
	__u64 maxrss = BPF_CORE_READ(sig, maxrss), cmaxrss = BPF_CORE_READ(sig, cmaxrss);
	struct list_head *head = &sig->thread_head, *pos;
	struct task_struct *t;
	int i;

	ru->utime = BPF_CORE_READ(sig, utime);
	ru->stime = BPF_CORE_READ(sig, stime);
	ru->sum_exec = BPF_CORE_READ(sig, sum_sched_runtime);
	ru->cutime = BPF_CORE_READ(sig, cutime);
	ru->cstime = BPF_CORE_READ(sig, cstime);
	ru->maxrss = maxrss > cmaxrss ? maxrss : cmaxrss;
	ru->minflt = BPF_CORE_READ(sig, min_flt) + BPF_CORE_READ(sig, cmin_flt);
	ru->majflt = BPF_CORE_READ(sig, maj_flt) + BPF_CORE_READ(sig, cmaj_flt);
	ru->nvcsw = BPF_CORE_READ(sig, nvcsw) + BPF_CORE_READ(sig, cnvcsw);
	ru->nivcsw = BPF_CORE_READ(sig, nivcsw) + BPF_CORE_READ(sig, cnivcsw);
	pos = BPF_CORE_READ(sig, thread_head.next);
	for (i = 0; i < RUSAGE_MAX_THREADS; i++) {
		if (!pos || pos == head)
			break;
		t = container_of(pos, struct task_struct, thread_node);
		ru->utime += BPF_CORE_READ(t, utime);
		ru->stime += BPF_CORE_READ(t, stime);
		ru->sum_exec += BPF_CORE_READ(t, se.sum_exec_runtime);
		ru->minflt += BPF_CORE_READ(t, min_flt);
		ru->majflt += BPF_CORE_READ(t, maj_flt);
		ru->nvcsw += BPF_CORE_READ(t, nvcsw);
		ru->nivcsw += BPF_CORE_READ(t, nivcsw);
		pos = BPF_CORE_READ(pos, next);
	}
}

/* One record; with chain, the ancestors of a failure in a followed tree;
 * the killer of a death by signal; rusage. Those make it an et_event_ext. */
static __always_inline void report(struct task_struct *task, struct task_struct *leader,
				   __u32 tgid, __u32 flags, __u32 status, __u32 code, __u32 uid,
				   __u32 fparent, __u64 start, struct et_comm_key *comm, bool chain)
{
	bool dead = flags & ET_F_GROUP_DEAD, ru, killer = false;
	struct et_killer_key kk = { .tgid = tgid, .sig = status & 0x7f };
	struct et_killer k = {}, *kp;
	struct et_event_ext *x;
	struct et_event *e;

	if (want_why && dead && kk.sig && kk.sig != 0x7f) {
		/* LRU values are recycled at once: copy, then check whose */
		kp = bpf_map_lookup_elem(&killers, &kk);
		if (kp) {
			__builtin_memcpy(&k, kp, sizeof(k));
			killer = k.target_start == start;	/* not a reused PID's */
			bpf_map_delete_elem(&killers, &kk);
		}
		if (killer)
			flags |= ET_F_KILLER;
		/* the OOM killer's mark; a victim already on its way out of
		 * another signal gets the mark but no SIGKILL */
		if (kk.sig == 9 && BPF_CORE_READ(task, signal, oom_mm))
			flags |= ET_F_OOM;
	}
	ru = want_rusage && dead;
	if (chain || killer || (flags & ET_F_OOM) || ru) {
		x = bpf_ringbuf_reserve(&events, sizeof(*x), 0);
		e = x ? &x->e : NULL;
		flags |= ET_F_EXT;
	} else {
		x = NULL;
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	}
	if (!e) {
		__sync_fetch_and_add(&dropped_events, 1);
		return;
	}
	e->start_ns = start;
	e->exit_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->kind = ET_KIND_EXIT;
	e->flags = flags;
	e->pid = tgid;
	e->tid = BPF_CORE_READ(task, pid);
	e->ppid = BPF_CORE_READ(leader, real_parent, tgid);
	e->uid = uid;
	e->status = status;
	e->thread_code = code;
	e->fparent = fparent;
	e->nchain = 0;
	ns_pid(leader, tgid, &e->nspid, &e->pidns);
	__builtin_memcpy(e->comm, comm->comm, sizeof(e->comm));
	if (x) {
		__builtin_memset(x->chain, 0, sizeof(x->chain));
		__builtin_memset(&x->killer, 0, sizeof(x->killer));
		__builtin_memset(&x->ru, 0, sizeof(x->ru));
		if (chain)
			e->nchain = fill_chain(leader, x->chain);
		if (killer)
			__builtin_memcpy(&x->killer, &k, sizeof(x->killer));
		if (ru) {
			fill_rusage(task, &x->ru);
			e->flags |= ET_F_RUSAGE;
		}
	}
	commit(e, false);
}

/*
 * A followed process ended: after its record is committed, so that a
 * reader who sees the count reach 0 and then reads the ring finds it. No
 * fetching atomics before 5.12: decrement, then look; the last decrement
 * reads 0 (racing ones may too: a spare wakeup).
 */
static __always_inline void leave_tree(void)
{
	__sync_fetch_and_add(&follow_live, -1);
	if (!*(volatile __u64 *)&follow_live)
		send_idle();
}

/*
 * Two ways in: raw_tp needs no kernel BTF to attach, so with a minimal BTF
 * for CO-RE (see user/btfmin.c) libbpf loads it without parsing the whole
 * vmlinux BTF; tp_btf is the BTF-typed way, kept for --attach=tp_btf.
 * Userspace loads one pair. Both run on_exit() in the exiting task.
 *
 * Filters (-x, comm, uid) decide in the kernel: an unwatched process (host
 * mode, or followed) that does not pass makes no record at all; a process
 * userspace watches by PID always does, flagged, since its end is awaited.
 */
static __always_inline int on_exit(int gd, struct task_struct *task)
{
	struct et_comm_key comm = {};
	struct task_struct *leader;
	struct et_target *t = NULL;
	__u32 tgid, flags = 0, status = 0, code, uid, fparent = 0;
	bool dead, followed = false, base, pmatch = false, tmatch, keep;
	__u64 start;

	tgid = BPF_CORE_READ(task, tgid);
	if (targets_only) {
		/* the hot path on a busy host: most exits leave here */
		if (!may_be_target(tgid))
			return 0;
		t = bpf_map_lookup_elem(&targets, &tgid);
		if (!t)
			return 0;
		flags |= ET_F_TARGET;
	}

	dead = is_group_dead(gd, task);
	if (!dead && !threads)
		return 0;

	leader = BPF_CORE_READ(task, group_leader);
	start = start_boottime(leader);
	if (t) {
		/* A target whose pid was reused: not the process userspace pinned. */
		if (t->start_ticks && start / ns_per_tick != t->start_ticks)
			return 0;
		followed = t->followed;
		fparent = t->fparent;
	}

	if (dead) {
		flags |= ET_F_GROUP_DEAD;
		status = wait_status(task, leader, &flags);
		/* only the thread whose delete succeeds reports: on pre-6.16
		 * kernels two racing last threads may both think so */
		if (t && bpf_map_delete_elem(&targets, &tgid))
			return 0;
	}
	if (followed)
		flags |= ET_F_FOLLOWED;

	uid = BPF_CORE_READ(leader, real_cred, uid.val);
	code = BPF_CORE_READ(task, exit_code);
	BPF_CORE_READ_STR_INTO(&comm.comm, leader, comm);
	base = passes(&comm, uid, leader);
	if (dead && base && (!failed_only || status))
		pmatch = true;
	tmatch = threads && base && (!failed_only || code);
	if (pmatch)
		flags |= ET_F_MATCH;
	if (tmatch)
		flags |= ET_F_MATCH_THREAD;
	keep = pmatch || tmatch || (t && !followed);
	if (keep)
		report(task, leader, tgid, flags, status, code, uid, fparent, start, &comm,
		       follow && dead && status && t);

	if (followed && dead)
		leave_tree();
	return 0;
}

/*
 * With follow, a target's new child process joins the target set here, in
 * the kernel, before it can run, so even a child that lives a microsecond is
 * caught. Loaded only when following.
 */
static __always_inline int on_fork(struct task_struct *parent, struct task_struct *child)
{
	struct et_target t = {}, *pt;
	__u32 ptgid, ctgid;
	long err;

	if (!follow)
		return 0;
	ptgid = BPF_CORE_READ(parent, tgid);
	ctgid = BPF_CORE_READ(child, tgid);
	if (ptgid == ctgid)		/* a new thread, already covered */
		return 0;
	pt = bpf_map_lookup_elem(&targets, &ptgid);
	if (!pt)
		return 0;
	/* an entry left by a process whose PID the parent reuses: not ours */
	if (pt->start_ticks &&
	    start_boottime(BPF_CORE_READ(parent, group_leader)) / ns_per_tick != pt->start_ticks)
		return 0;
	t.start_ticks = start_boottime(child) / ns_per_tick;
	t.fparent = ptgid;
	t.followed = 1;
	/* counted before it is in the map, so never seen below zero; the
	 * child cannot run, let alone exit, before this returns */
	__sync_fetch_and_add(&follow_live, 1);
	err = bpf_map_update_elem(&targets, &ctgid, &t, BPF_NOEXIST);
	if (err) {
		__sync_fetch_and_add(&follow_live, -1);
		/* -EEXIST: a stale entry of a reaped target, going soon */
		if (err != -17)
			__sync_fetch_and_add(&dropped_targets, 1);
	}
	return 0;
}

/* Signals whose default action does not end the process. */
static __always_inline bool ends_by_default(int sig)
{
	switch (sig) {
	case 17: case 18: case 19: case 20: case 21: case 22: case 23: case 28:
		return false;	/* CHLD CONT STOP TSTP TTIN TTOU URG WINCH */
	default:
		return sig > 0 && sig <= 64;
	}
}

#define ET_SI_USER	0
#define ET_SI_TIMER	(-2)
#define ET_SI_SIGIO	(-5)
#define ET_SI_KERNEL	0x80
#define ET_PF_KTHREAD	0x00200000

/* How long a handler may take to re-raise the signal it caught and still
 * have the signal blamed on its first sender. */
#define RERAISE_NS (10ULL * 1000000000ULL)

/*
 * signal_generate runs as the signal is queued, mostly in the sender: who
 * sent a signal that would end the target if not handled. As the kernel
 * has it (SI_FROMUSER), an si_code <= 0 was sent by a process: kill(),
 * sigqueue(), tgkill(), a pidfd, glibc's SI_ASYNCIO; except SI_TIMER and
 * SI_SIGIO, which fire from a timer or I/O completion in whatever context.
 * si_code > 0 is the kernel's: a fault, SI_KERNEL. SEND_SIG_PRIV (1) is the
 * kernel's too (the tty, the OOM killer, rlimits); SEND_SIG_NOINFO (0) means
 * "SI_USER from current": a process (cgroup.kill, a parent-death signal),
 * unless current is a kernel thread or the target itself (SIGPIPE, SIGXFSZ).
 * A sender that is the target is "self", but a handler that re-raises the
 * signal it caught keeps its first sender, for RERAISE_NS. Group kills land
 * on the thread group: keyed by tgid.
 */
static __always_inline int on_signal(int sig, struct kernel_siginfo *info,
				     struct task_struct *task, int result)
{
	struct et_killer_key kk = {};
	struct et_killer k = {}, *old;
	struct task_struct *cur, *cl;
	unsigned long ip = (unsigned long)info;
	bool process;
	__u32 ctgid;

	/* TRACE_SIGNAL_DELIVERED, TRACE_SIGNAL_LOSE_INFO: it was queued */
	if ((result != 0 && result != 4) || !ends_by_default(sig))
		return 0;
	kk.tgid = BPF_CORE_READ(task, tgid);
	kk.sig = sig;
	if (targets_only && (!may_be_target(kk.tgid) ||
			     !bpf_map_lookup_elem(&targets, &kk.tgid)))
		return 0;
	cur = (struct task_struct *)bpf_get_current_task();
	ctgid = BPF_CORE_READ(cur, tgid);
	k.time_ns = bpf_ktime_get_boot_ns();
	k.target_start = start_boottime(BPF_CORE_READ(task, group_leader));
	k.sig = sig;
	if (ip == 1) {
		k.code = ET_SI_KERNEL;
		process = false;
	} else if (ip == 0) {
		k.code = ET_SI_USER;
		process = ctgid != kk.tgid && !(BPF_CORE_READ(cur, flags) & ET_PF_KTHREAD);
	} else {
		k.code = BPF_CORE_READ(info, si_code);
		process = k.code <= 0 && k.code != ET_SI_TIMER && k.code != ET_SI_SIGIO;
	}
	if (!process)
		k.origin = ET_KORIGIN_KERNEL;
	else
		k.origin = ctgid == kk.tgid ? ET_KORIGIN_SELF : ET_KORIGIN_USER;
	old = bpf_map_lookup_elem(&killers, &kk);
	if (old && k.origin == ET_KORIGIN_SELF && old->origin != ET_KORIGIN_SELF &&
	    old->target_start == k.target_start && k.time_ns - old->time_ns < RERAISE_NS)
		return 0;
	if (process) {
		cl = BPF_CORE_READ(cur, group_leader);
		k.pid = BPF_CORE_READ(cur, pid);
		k.tgid = ctgid;
		k.uid = BPF_CORE_READ(cur, real_cred, uid.val);
		BPF_CORE_READ_STR_INTO(&k.comm, cl, comm);
	}
	bpf_map_update_elem(&killers, &kk, &k, BPF_ANY);
	return 0;
}

/* Where a cgroup record is built: it is too big for the stack, and is
 * sent with its path's length, not ET_CGROUP_PATH_LEN. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct et_cgroup_event);
} cgroup_scratch SEC(".maps");

/*
 * cgroup v2 directories made and removed: their id and path (the
 * tracepoint's own path buffer, filled since the tracepoint is enabled), so
 * that userspace knows the path of a cgroup that is gone by the time the
 * records of its processes are read (a container's, removed by its runtime
 * as soon as it reaped the container's init). v1 hierarchies are skipped:
 * the default hierarchy's id is 0. A path that fills the kernel's buffer
 * may have been cut there: sent without, userspace looks it up.
 */
static __always_inline int on_cgroup(struct cgroup *cgrp, const char *path, bool mkdir)
{
	struct et_cgroup_event *c;
	__u32 zero = 0;
	long len = 0;
	int err;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != 0)
		return 0;
	c = bpf_map_lookup_elem(&cgroup_scratch, &zero);
	if (!c)
		return 0;
	c->kind = mkdir ? ET_KIND_CGROUP_MKDIR : ET_KIND_CGROUP_RMDIR;
	c->id = BPF_CORE_READ(cgrp, kn, id);
	c->parent_id = BPF_CORE_READ(cgrp, self.parent, cgroup, kn, id);
	if (mkdir) {
		len = bpf_probe_read_kernel_str(c->path, sizeof(c->path), path);
		if (len <= 1 || len >= (long)sizeof(c->path))
			len = 0;
	}
	c->len = (__u32)len;
	/* rare and not urgent: the kernel's own wakeup policy (a reader that
	 * has caught up is woken), not commit()'s */
	err = bpf_ringbuf_output(&events, c,
				 offsetof(struct et_cgroup_event, path) + (len & (ET_CGROUP_PATH_LEN - 1)),
				 0);
	/* a lost rmdir only keeps a dead path cached a while: not counted */
	if (err && mkdir)
		__sync_fetch_and_add(&dropped_cgroups, 1);
	return 0;
}

SEC("raw_tp/cgroup_mkdir")
int BPF_PROG(mkdir_raw, struct cgroup *cgrp, const char *path)
{
	return on_cgroup(cgrp, path, true);
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(mkdir_btf, struct cgroup *cgrp, const char *path)
{
	return on_cgroup(cgrp, path, true);
}

SEC("raw_tp/cgroup_rmdir")
int BPF_PROG(rmdir_raw, struct cgroup *cgrp, const char *path)
{
	return on_cgroup(cgrp, path, false);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(rmdir_btf, struct cgroup *cgrp, const char *path)
{
	return on_cgroup(cgrp, path, false);
}

SEC("raw_tp/signal_generate")
int BPF_PROG(signal_raw, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	return on_signal(sig, info, task, result);
}

SEC("tp_btf/signal_generate")
int BPF_PROG(signal_btf, int sig, struct kernel_siginfo *info, struct task_struct *task,
	     int group, int result)
{
	return on_signal(sig, info, task, result);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(exit_raw, struct task_struct *task)
{
	return on_exit(group_dead_arg(ctx), task);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(exit_btf, struct task_struct *task)
{
	return on_exit(group_dead_arg(ctx), task);
}

/*
 * The classic tracepoint, the last way in (--attach=tracepoint): it needs
 * tracefs to attach and hands over the event's fields, not the task; the
 * task is current, since the event fires in the exiting thread. Exits
 * only: following and signal senders need the task pointers the classic
 * fork and signal events do not give.
 */
SEC("tracepoint/sched/sched_process_exit")
int exit_tp(struct trace_event_raw_sched_process_exit *ctx)
{
	int gd = -1;

	if (bpf_core_field_exists(ctx->group_dead) && !no_group_dead_arg)
		gd = BPF_CORE_READ(ctx, group_dead) ? 1 : 0;
	return on_exit(gd, (struct task_struct *)bpf_get_current_task());
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
