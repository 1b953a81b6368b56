// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libexittrace: the tracer core. BPF lifecycle (open, configure rodata,
 * load, attach), the target set (BPF map + pidfds), and turning records
 * into waitid()-style results. The CLI is one user of it.
 *
 * How no target is missed: a target is pinned by a pidfd before it enters
 * the BPF map. The exit tracepoint fires in do_exit() before exit_notify()
 * makes the pidfd readable, so by the time a pidfd is readable the target's
 * record, if one was made, is in the ring buffer. A readable pidfd with no
 * record means the target ended before it was in the map (or its record was
 * lost): the status then comes from the pidfd's exit info (6.15+, once
 * reaped) or the zombie's /proc/PID/stat.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "../bpf/exittrace.h"	/* the record shared with BPF */
#include "exittrace.skel.h"
#include "exittrace.h"		/* the public API */
#include "btfmin.h"
#include "cgcache.h"
#include "procstat.h"
#include "schedattr.h"
#include "status.h"

_Static_assert(sizeof(struct et_event) == 88, "et_event layout is shared with BPF");
_Static_assert(sizeof(struct et_event_ext) == 88 + 20 * ET_CHAIN_MAX + 56 + 80, "et_event_ext layout");
_Static_assert(offsetof(struct et_exit, ru) % 8 == 0, "struct et_exit is ABI: ru aligned");
_Static_assert(offsetof(struct et_cgroup_event, path) == 24, "et_cgroup_event layout");
_Static_assert(sizeof(struct et_target) == 16, "et_target layout is shared with BPF");
_Static_assert(ET_COMM_SIZE == ET_COMM_LEN, "comm sizes differ");
_Static_assert(ET_CHAIN_SIZE == ET_CHAIN_MAX, "chain sizes differ");
_Static_assert(sizeof(struct et_exit) == 264, "struct et_exit is ABI: take from __reserved");

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* include/uapi/linux/pidfd.h, 6.13+ (exit_code 6.15+), not in Debian 12's
 * headers. The ioctl number carries the struct size, so kernels that know
 * fewer fields still answer. For a zombie it gives no exit info; once the
 * process is reaped, only the exit info and cgroup id. */
struct et_pidfd_info {
	__u64 mask;
	__u64 cgroupid;
	__u32 pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	__s32 exit_code;
};
#define ET_PIDFD_INFO_PID	(1ULL << 0)
#define ET_PIDFD_INFO_CREDS	(1ULL << 1)
#define ET_PIDFD_INFO_CGROUPID	(1ULL << 2)
#define ET_PIDFD_INFO_EXIT	(1ULL << 3)
#define ET_PIDFD_GET_INFO	_IOWR(0xFF, 11, struct et_pidfd_info)

#define DEFAULT_RINGBUF_KIB 512
#define DEFAULT_MAX_TARGETS 65536
#define PID_MAX_LIMIT (4UL << 20)	/* the kernel's, on 64-bit */

/* A thread whose scheduling a handle changed, as it was then. */
struct thread_ref {
	pid_t pid, tid;
};

struct target {
	pid_t pid;		/* 0: free slot */
	int pidfd;
	struct proc_stat snap;	/* at watch time; start_ticks 0 if unknown */
	uid_t uid;
	bool in_map;		/* we put it in the kernel's target map */
};

struct et {
	struct exittrace_bpf *skel;
	struct ring_buffer *rb;
	int map_fd;		/* targets */
	uint64_t *pidbits;	/* the kernel's bitmap of maybe-target PIDs, mapped */
	uint32_t pidbits_words;	/* its size in u64s; 0: no bitmap */
	int epfd;		/* et_fd(): the ring buffer and pidep */
	int pidep;		/* pidfds of unreported targets, data = pid */
	int qfd;		/* eventfd, readable while results are queued */
	bool qready;		/* qfd is readable */
	unsigned int flags;
	unsigned int max_targets;
	uint64_t ns_per_tick;

	struct target *tab;	/* open addressing by pid, linear probing */
	size_t nslots;		/* a power of 2, or 0 */
	unsigned int pending;	/* targets in tab */

	struct et_exit *q;	/* results not yet taken, a ring */
	size_t qhead, qlen, qcap;
	int err;		/* first error inside the ring buffer callback */
	bool one;		/* consume only until one result is queued */
	unsigned int unpaced;	/* records consumed since the last drain (pace()) */

	int tfd;		/* timerfd: read again after coalesced wakeups */
	uint64_t wake_ns;	/* coalescing interval, 0: off */
	uint64_t deadline;	/* CLOCK_MONOTONIC ns the timer fires at, 0: disarmed */
	uint64_t last_got;	/* CLOCK_MONOTONIC ns a drain last found records */
	bool storm;		/* reading on the timer */
	bool idle;		/* reader_idle set: the kernel wakes us */
	bool pidfds_out;	/* a storm: targets' pidfds out of et_fd() */
	bool batched;		/* a storm: the reading thread is SCHED_BATCH */
	struct et_sched_attr batch_attr;	/* ... and its scheduling before */
	struct thread_ref batch_thread;	/* ... that thread */
	bool batch_tried;	/* this storm: asked already */
	bool sliced;		/* ET_OPEN_SHORT_SLICE: given to slice_thread */
	uint64_t slice_before;	/* ... whose slice it was */
	struct thread_ref slice_thread;
	const uint64_t *cons_pos, *prod_pos;	/* the ring's positions, mapped read-only */
	long page;
	long page_size;		/* for maxrss in pages */

	struct et_comm_key *comms;	/* filters, as the kernel has them */
	size_t ncomms;
	uid_t *uids;
	size_t nuids;
	char (*containers)[CGPATH_ID_LEN + 1];	/* ids or prefixes */
	size_t ncontainers;
	char **cgpaths;		/* the cgroups filter, as paths (late results) */
	int *cgfds;		/* ... as directories, for the kernel */
	size_t ncgroups;
	unsigned int *pidns;
	size_t npidns;

	struct cgcache cg;	/* cg.m.fd -1: no cgroup v2 */
	enum et_attach attached;	/* the way in that worked */
};

/* How soon to look again at a record reserved but not committed. */
#define COMMIT_RETRY_NS 100000ULL

/* on_event()'s way to stop ring_buffer__consume() after the record it was
 * given (libbpf advances past it first): never an error of libbpf's own. */
#define STOP_CONSUMING (-ECANCELED)

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- results queue ---- */

static int q_push(struct et *h, const struct et_exit *ex)
{
	if (h->qlen == h->qcap) {
		size_t ncap = h->qcap ? h->qcap * 2 : 64, i;
		struct et_exit *n = malloc(ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		for (i = 0; i < h->qlen; i++)
			n[i] = h->q[(h->qhead + i) % h->qcap];
		free(h->q);
		h->q = n;
		h->qcap = ncap;
		h->qhead = 0;
	}
	h->q[(h->qhead + h->qlen) % h->qcap] = *ex;
	h->qlen++;
	return 0;
}

static struct et_exit *q_at(struct et *h, size_t i)
{
	return &h->q[(h->qhead + i) % h->qcap];
}

/* Take out entry i, keeping the order of the others: O(1) at the head,
 * where et_next() takes from. */
static void q_take(struct et *h, size_t i, struct et_exit *ex)
{
	if (ex)
		*ex = *q_at(h, i);
	if (i == 0) {
		h->qhead = (h->qhead + 1) % h->qcap;
	} else {
		for (; i + 1 < h->qlen; i++)
			*q_at(h, i) = *q_at(h, i + 1);
	}
	h->qlen--;
	if (!h->qlen)
		h->qhead = 0;
}

/* Index of the first queued process result for pid, or -1. */
static long q_find(struct et *h, pid_t pid)
{
	size_t i;

	for (i = 0; i < h->qlen; i++)
		if (q_at(h, i)->pid == pid && !(q_at(h, i)->flags & ET_EXIT_THREAD))
			return (long)i;
	return -1;
}

/* ---- target table ---- */

static size_t slot_of(pid_t pid, size_t nslots)
{
	return ((uint32_t)pid * 2654435761U) & (nslots - 1);
}

static struct target *target_find(const struct et *h, pid_t pid)
{
	size_t i;

	if (!h->nslots)
		return NULL;
	for (i = slot_of(pid, h->nslots); h->tab[i].pid; i = (i + 1) & (h->nslots - 1))
		if (h->tab[i].pid == pid)
			return &h->tab[i];
	return NULL;
}

static struct target *slot_for(struct target *tab, size_t nslots, pid_t pid)
{
	size_t i;

	for (i = slot_of(pid, nslots); tab[i].pid; i = (i + 1) & (nslots - 1))
		;
	return &tab[i];
}

/* Room for one more target, so that the insert cannot fail. */
static int target_reserve(struct et *h)
{
	struct target *n;
	size_t ns, i;

	if ((h->pending + 1) * 2 <= h->nslots)
		return 0;
	ns = h->nslots ? h->nslots * 2 : 64;
	n = calloc(ns, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (i = 0; i < h->nslots; i++)
		if (h->tab[i].pid)
			*slot_for(n, ns, h->tab[i].pid) = h->tab[i];
	free(h->tab);
	h->tab = n;
	h->nslots = ns;
	return 0;
}

/*
 * A target's bit in the kernel's bitmap of PIDs that may be targets, set
 * before its map entry is added (by a seq_cst read-modify-write: no CPU
 * sees the entry without the bit; an exit that read the bit before is one
 * its pidfd reports) and cleared when it leaves the set. The bitmap is
 * this handle's alone, and the handle holds a PID once at most. A PID
 * beyond the bitmap has no bit: the kernel looks it up in the map.
 */
static void pidbits_set(struct et *h, pid_t pid, bool on)
{
	uint32_t p = (uint32_t)pid;

	if (!h->pidbits || p / 64 >= h->pidbits_words)
		return;
	if (on)
		__atomic_fetch_or(&h->pidbits[p / 64], 1ULL << (p % 64), __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&h->pidbits[p / 64], ~(1ULL << (p % 64)), __ATOMIC_SEQ_CST);
}

/* Delete our map entry for t, if it is still there and still ours: by now
 * the kernel may have removed it (at exit, or with its lost record) and a
 * followed process may have the PID; deleting that would lose its end. */
static void map_forget(struct et *h, const struct target *t)
{
	struct et_target val;

	if (!t->in_map || bpf_map_lookup_elem(h->map_fd, &t->pid, &val))
		return;
	if (!val.followed && val.start_ticks == t->snap.start_ticks)
		bpf_map_delete_elem(h->map_fd, &t->pid);
}

/* Forget a target: its pidfd (which leaves pidep), its map entry unless
 * the kernel removed it at exit, its slot. Linear probing deletion: shift
 * later members of the run back. */
static void target_remove(struct et *h, struct target *t, bool in_map)
{
	size_t mask = h->nslots - 1, i = (size_t)(t - h->tab), j, home;

	/* the caller may hold another fd of the same open file: only the
	 * last close would take it out of pidep */
	epoll_ctl(h->pidep, EPOLL_CTL_DEL, t->pidfd, NULL);
	close(t->pidfd);
	if (in_map)
		map_forget(h, t);
	if (t->in_map)
		pidbits_set(h, t->pid, false);
	h->pending--;
	for (j = (i + 1) & mask; h->tab[j].pid; j = (j + 1) & mask) {
		home = slot_of(h->tab[j].pid, h->nslots);
		/* move j back into the hole at i unless its home lies in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			h->tab[i] = h->tab[j];
			i = j;
		}
	}
	memset(&h->tab[i], 0, sizeof(h->tab[i]));
}

/* ---- records ---- */

static void event_to_exit(const struct et_event *e, struct et_exit *ex)
{
	memset(ex, 0, sizeof(*ex));
	ex->pid = (pid_t)e->pid;
	ex->tid = (pid_t)e->tid;
	ex->ppid = (pid_t)e->ppid;
	ex->uid = e->uid;
	ex->status = (int)e->status;
	ex->source = ET_SRC_BPF;
	ex->start_ns = e->start_ns;
	ex->exit_ns = e->exit_ns;
	ex->cgroup_id = e->cgroup_id;
	memcpy(ex->comm, e->comm, sizeof(ex->comm));
	ex->comm[sizeof(ex->comm) - 1] = '\0';
	ex->fork_ppid = (pid_t)e->fparent;
	ex->nspid = (pid_t)e->nspid;
	ex->pidns = e->pidns;
}

/* The container filter, which the kernel cannot check: the container id
 * in the path of the cgroup, matched by prefix. */
static bool cgentry_passes(const struct et *h, const struct cgentry *c)
{
	size_t i;

	if (!h->ncontainers)
		return true;
	if (!c || !c->has_cid)
		return false;
	for (i = 0; i < h->ncontainers; i++)
		if (!strncmp(c->cid, h->containers[i], strlen(h->containers[i])))
			return true;
	return false;
}

static bool container_passes(struct et *h, uint64_t cgroup_id)
{
	return !h->ncontainers || cgentry_passes(h, cgcache_get(&h->cg, cgroup_id));
}

/* A cgroup made or removed (records before those of its processes). A
 * mkdir record without a path (one that may have been cut) leaves the
 * cgroup to be looked up. */
static void on_cgroup_event(struct et *h, const struct et_cgroup_event *c, size_t len)
{
	size_t off = offsetof(struct et_cgroup_event, path);

	if (c->kind == ET_KIND_CGROUP_RMDIR) {
		cgcache_removed(&h->cg, c->id);
	} else if (c->len > 1 && c->len <= sizeof(c->path) && len >= off + c->len &&
		   c->path[c->len - 1] == '\0' && strlen(c->path) == c->len - 1) {
		if (cgcache_add(&h->cg, c->id, c->parent_id, c->path))
			h->err = -ENOMEM;
	}
}

/* A wait status that says "killed by a signal" (not exited, not stopped). */
static bool died_of_signal(int status)
{
	return (status & 0x7f) && (status & 0x7f) != 0x7f;
}

/* The kernel side's enum et_sig_origin as the public enum et_origin. */
static int killer_origin(__u32 k)
{
	switch (k) {
	case ET_KORIGIN_USER:
		return ET_ORIGIN_USER;
	case ET_KORIGIN_KERNEL:
		return ET_ORIGIN_KERNEL;
	case ET_KORIGIN_SELF:
		return ET_ORIGIN_SELF;
	default:
		return ET_ORIGIN_UNKNOWN;
	}
}

/* The extensions: a failure's chain, a killer, rusage. */
static void ext_to_exit(const struct et_event_ext *x, struct et_exit *ex, long page_size)
{
	unsigned int i, n = x->e.nchain < ET_CHAIN_MAX ? x->e.nchain : ET_CHAIN_MAX;
	const struct et_rusage_raw *r = &x->ru;

	for (i = 0; i < n; i++) {
		ex->chain[i].pid = (pid_t)x->chain[i].pid;
		memcpy(ex->chain[i].comm, x->chain[i].comm, ET_COMM_SIZE);
		ex->chain[i].comm[ET_COMM_SIZE - 1] = '\0';
	}
	ex->nchain = n;
	if (x->e.flags & ET_F_KILLER) {
		ex->origin = killer_origin(x->killer.origin);
		if (ex->origin == ET_ORIGIN_USER || ex->origin == ET_ORIGIN_SELF) {
			ex->killer_tid = (pid_t)x->killer.pid;
			ex->killer_pid = (pid_t)x->killer.tgid;
			ex->killer_uid = x->killer.uid;
			memcpy(ex->killer_comm, x->killer.comm, ET_COMM_SIZE);
			ex->killer_comm[ET_COMM_SIZE - 1] = '\0';
		}
	}
	if (x->e.flags & ET_F_RUSAGE) {
		status_cputime_adjust(r->utime, r->stime, r->sum_exec, &ex->ru.utime_ns,
				      &ex->ru.stime_ns);
		ex->ru.utime_ns += r->cutime;
		ex->ru.stime_ns += r->cstime;
		ex->ru.maxrss_kb = r->maxrss * (uint64_t)(page_size / 1024);
		ex->ru.minflt = r->minflt;
		ex->ru.majflt = r->majflt;
		ex->ru.nvcsw = r->nvcsw;
		ex->ru.nivcsw = r->nivcsw;
		ex->flags |= ET_EXIT_RUSAGE;
	}
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct et_event *e = data;
	struct et *h = ctx;
	struct target *t;
	struct et_exit ex;
	bool dead, match, tmatch;
	int ret;

	if (len < offsetof(struct et_cgroup_event, path))
		return 0;
	h->unpaced++;
	if (e->kind == ET_KIND_CGROUP_MKDIR || e->kind == ET_KIND_CGROUP_RMDIR) {
		on_cgroup_event(h, data, len);
		return 0;
	}
	if (e->kind != ET_KIND_EXIT || len < sizeof(*e))
		return 0;
	event_to_exit(e, &ex);
	dead = e->flags & ET_F_GROUP_DEAD;
	t = target_find(h, ex.pid);
	if (t)
		ex.flags |= ET_EXIT_TARGET;
	else if (e->flags & ET_F_FOLLOWED)
		ex.flags |= ET_EXIT_FOLLOWED;
	else if (!(h->flags & ET_OPEN_HOST))
		return 0;	/* reported already (from its pidfd), or unwatched */

	/* the kernel sends the unwatched only when they pass its filters;
	 * a watched process comes either way, flagged. A thread's result is
	 * the base record: the extensions are the process's. */
	match = e->flags & ET_F_MATCH;
	tmatch = e->flags & ET_F_MATCH_THREAD;
	if ((match || tmatch) && !container_passes(h, e->cgroup_id))
		match = tmatch = false;
	if ((h->flags & ET_OPEN_THREADS) && (t || tmatch)) {
		struct et_exit th = ex;

		th.flags |= ET_EXIT_THREAD;
		if (tmatch)
			th.flags |= ET_EXIT_MATCH;
		th.status = (int)e->thread_code;
		ret = q_push(h, &th);
		if (ret)
			goto fail;
	}
	if (dead && (t || match)) {
		if (match)
			ex.flags |= ET_EXIT_MATCH;
		if ((e->flags & ET_F_EXT) && len >= sizeof(struct et_event_ext))
			ext_to_exit(data, &ex, h->page_size);
		/* a death by signal: whence, when asked (OOM above all) */
		if ((h->flags & ET_OPEN_WHY) && died_of_signal(ex.status)) {
			if (e->flags & ET_F_OOM) {
				ex.origin = ET_ORIGIN_OOM;
				ex.flags |= ET_EXIT_OOM;
			} else if (!ex.origin) {
				ex.origin = ET_ORIGIN_UNKNOWN;
			}
		}
		ret = q_push(h, &ex);
		if (ret)
			goto fail;
	}
	if (dead && t)
		target_remove(h, t, false);
	return h->one && h->qlen ? STOP_CONSUMING : 0;
fail:
	h->err = ret;
	return ret;
}

/* ---- targets that ended outside the tracer's view ---- */

static int read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	return 0;
}

static int proc_snapshot(pid_t pid, struct proc_stat *ps, uid_t *uid)
{
	char path[64], buf[2048];
	int ret;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	ret = read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	ret = procstat_parse(buf, ps);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_file(path, buf, sizeof(buf)) == 0)
		procstatus_uid(buf, uid);
	return 0;
}

static int pidfd_exit_info(int pidfd, struct et_pidfd_info *info)
{
	memset(info, 0, sizeof(*info));
	info->mask = ET_PIDFD_INFO_PID | ET_PIDFD_INFO_CREDS | ET_PIDFD_INFO_CGROUPID |
		     ET_PIDFD_INFO_EXIT;
	if (ioctl(pidfd, ET_PIDFD_GET_INFO, info) < 0)
		return -errno;
	return (info->mask & ET_PIDFD_INFO_EXIT) ? 0 : -ENODATA;
}

/* Whether a cgroup path is one of the cgroups filter's or below one. */
static bool cgpath_under(const struct et *h, const char *path)
{
	size_t i, n;

	for (i = 0; i < h->ncgroups; i++) {
		n = strlen(h->cgpaths[i]);
		if (!strcmp(h->cgpaths[i], "/") ||
		    (!strncmp(path, h->cgpaths[i], n) && (!path[n] || path[n] == '/')))
			return true;
	}
	return false;
}

/* The kernel's filters, for a status learned outside it; what is not
 * known (the PID namespace, a cgroup gone) passes. */
static bool late_match(struct et *h, const struct et_exit *ex)
{
	const struct cgentry *c = NULL;
	size_t i;

	if ((h->ncgroups || h->ncontainers) && ex->cgroup_id)
		c = cgcache_get(&h->cg, ex->cgroup_id);
	if (c && c->path && h->ncgroups && !cgpath_under(h, c->path))
		return false;
	if (c && c->path && !cgentry_passes(h, c))
		return false;

	if ((h->flags & ET_OPEN_FAILED) && ex->source != ET_SRC_NONE && ex->status == 0)
		return false;
	for (i = 0; i < h->ncomms; i++)
		if (!strncmp(h->comms[i].comm, ex->comm, ET_COMM_LEN - 1))
			break;
	if (h->ncomms && i == h->ncomms)
		return false;
	for (i = 0; i < h->nuids; i++)
		if (h->uids[i] == ex->uid)
			break;
	return !h->nuids || i < h->nuids || ex->uid == (uid_t)-1;
}

static void late_result(struct et *h, struct target *t)
{
	struct et_pidfd_info info;
	struct proc_stat ps;
	struct et_exit ex;
	uid_t uid;
	int tries;

	memset(&ex, 0, sizeof(ex));
	ex.pid = ex.tid = t->pid;
	ex.ppid = t->snap.ppid;
	ex.uid = t->uid;
	ex.flags = ET_EXIT_TARGET;
	ex.start_ns = t->snap.start_ticks * h->ns_per_tick;
	ex.exit_ns = now_ns(CLOCK_BOOTTIME);
	ex.status = -1;
	ex.source = ET_SRC_NONE;
	memcpy(ex.comm, t->snap.comm, sizeof(ex.comm));

	/* A zombie is reaped at any moment: try both sources twice. */
	for (tries = 0; tries < 2 && ex.source == ET_SRC_NONE; tries++) {
		if (pidfd_exit_info(t->pidfd, &info) == 0) {
			ex.status = info.exit_code;
			ex.source = ET_SRC_PIDFD;
			if (info.mask & ET_PIDFD_INFO_CGROUPID)
				ex.cgroup_id = info.cgroupid;
			break;
		}
		/* only the zombie we pinned: same start time as at watch time
		 * (field 52 needs ptrace access, which root has) */
		if (t->snap.start_ticks && proc_snapshot(t->pid, &ps, &uid) == 0 &&
		    ps.exit_code >= 0 && (ps.state == 'Z' || ps.state == 'X') &&
		    ps.start_ticks == t->snap.start_ticks) {
			ex.status = ps.exit_code;
			ex.source = ET_SRC_PROC;
			ex.ppid = ps.ppid;
		}
	}
	if (late_match(h, &ex))
		ex.flags |= ET_EXIT_MATCH;
	/* who sent a signal before tracing began cannot be known */
	if ((h->flags & ET_OPEN_WHY) && ex.source != ET_SRC_NONE && died_of_signal(ex.status))
		ex.origin = ET_ORIGIN_UNKNOWN;
	if (q_push(h, &ex))
		h->err = -ENOMEM;
	target_remove(h, t, true);
}

static void arm_timer(struct et *h, uint64_t at)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)(at / 1000000000ULL);
	its.it_value.tv_nsec = (long)(at % 1000000000ULL);
	h->deadline = timerfd_settime(h->tfd, TFD_TIMER_ABSTIME, &its, NULL) ? 0 : at;
}

/* A record reserved but not yet committed (libbpf stops at it). */
static bool ring_busy(const struct et *h)
{
	return h->cons_pos && h->prod_pos &&
	       __atomic_load_n(h->prod_pos, __ATOMIC_ACQUIRE) !=
		       __atomic_load_n(h->cons_pos, __ATOMIC_ACQUIRE);
}

/* In a storm, the targets' pidfds would wake the reader at every target's
 * end: they leave et_fd() (pump() still looks at them, on the timer) and
 * come back when it goes idle. false: they could not come back. */
static bool pidfds_in_fd(struct et *h, bool in)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (h->pidfds_out != in)
		return true;
	if (epoll_ctl(h->epfd, in ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, h->pidep, &ev))
		return !in;	/* still out: the storm goes on */
	h->pidfds_out = !in;
	return true;
}

/* Whether this thread may set a real-time priority prio again: a guess
 * (cgroups and LSMs may still refuse), so the restore has a fallback.
 * CAP_SYS_NICE counts in the initial user namespace only, as the kernel
 * has it (0xEFFFFFFD: PROC_USER_INIT_INO). */
static bool may_set_rt(int prio)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	struct rlimit rl;
	struct stat st;

	if (!stat("/proc/self/ns/user", &st) && st.st_ino == 0xEFFFFFFDU &&
	    !syscall(SYS_capget, &hdr, data) &&
	    (data[CAP_SYS_NICE / 32].effective & (1U << (CAP_SYS_NICE % 32))))
		return true;
	return !getrlimit(RLIMIT_RTPRIO, &rl) && rl.rlim_cur >= (rlim_t)prio;
}

static void this_thread(struct thread_ref *r)
{
	r->pid = getpid();
	r->tid = (pid_t)syscall(SYS_gettid);
}

/* A thread this process changed: still there, and still in this process
 * (not a child that forked with a copy of the handle)? */
static bool own_thread(const struct thread_ref *r)
{
	return getpid() == r->pid && !syscall(SYS_tgkill, r->pid, r->tid, 0);
}

/*
 * ET_OPEN_SHORT_SLICE: the opening thread waits with the shortest slice,
 * if SCHED_OTHER (see the header); its own back at et_close() from
 * whichever thread, if it is still there, in this process, with the
 * short slice (a storm's switch restores that too). A default slice
 * comes back as a slice of its length.
 */
static void short_slice(struct et *h, bool on)
{
	struct et_sched_attr a;

	if (on) {
		if (!(h->flags & ET_OPEN_SHORT_SLICE) || sched_attr_get(0, &a) ||
		    a.policy != SCHED_OTHER || a.runtime == ET_SHORT_SLICE_NS)
			return;
		h->slice_before = a.runtime;
		a.runtime = ET_SHORT_SLICE_NS;
		if (sched_attr_set(0, &a))
			return;
		this_thread(&h->slice_thread);
		h->sliced = true;
		return;
	}
	if (!h->sliced)
		return;
	h->sliced = false;
	if (!own_thread(&h->slice_thread) || sched_attr_get(h->slice_thread.tid, &a) ||
	    a.policy != SCHED_OTHER || a.runtime != ET_SHORT_SLICE_NS)
		return;
	a.runtime = h->slice_before;
	sched_attr_set(h->slice_thread.tid, &a);
}

/*
 * ET_OPEN_STORM_BATCH: in a storm the reading thread runs as SCHED_BATCH,
 * so that its wakeups on the timer wait for the running task to block (or
 * for its slice) instead of preempting it; back to its own scheduling
 * (policy, nice, priority, slice) when it has caught up, before it
 * sleeps, so that an exit after a quiet spell is read at once. Switched:
 * SCHED_OTHER (no privilege needed either way), and SCHED_FIFO or
 * SCHED_RR if the thread may come back (CAP_SYS_NICE, or RLIMIT_RTPRIO);
 * left as it is: SCHED_IDLE, already SCHED_BATCH, SCHED_DEADLINE. In the
 * storm it has the default slice, and SCHED_RESET_ON_FORK: a process the
 * thread forks then starts as SCHED_OTHER; only a privileged thread
 * (CAP_SYS_NICE) may clear that flag again, so others keep it.
 */
static void storm_policy(struct et *h, bool storm)
{
	struct et_sched_attr a, cur;
	pid_t tid;
	int nice;

	if (!(h->flags & ET_OPEN_STORM_BATCH))
		return;
	if (!storm) {
		h->batch_tried = false;
		if (!h->batched)
			return;
		h->batched = false;
		/* the thread that was switched (et_close() may come from
		 * another), still SCHED_BATCH */
		tid = h->batch_thread.tid;
		if (!own_thread(&h->batch_thread) || sched_attr_get(tid, &cur) ||
		    cur.policy != SCHED_BATCH)
			return;
		/* its own, with its nice as it is now (a renice may have come
		 * meanwhile); a slice of the default's length (the storm's
		 * is the default) as the default, not pinned to that length;
		 * or with reset-on-fork, which it may not clear; or, a
		 * real-time priority refused after all, SCHED_OTHER rather
		 * than SCHED_BATCH for good */
		a = h->batch_attr;
		a.nice = cur.nice;
		if (a.policy == SCHED_OTHER && a.runtime == cur.runtime)
			a.runtime = 0;
		if (!sched_attr_set(tid, &a))
			return;
		a.flags |= ET_SCHED_FLAG_RESET_ON_FORK;
		if (!sched_attr_set(tid, &a))
			return;
		a.policy = SCHED_OTHER;
		a.priority = 0;
		sched_attr_set(tid, &a);
		return;
	}
	/* once per storm: a thread left alone is not asked again */
	if (h->batched || h->batch_tried)
		return;
	h->batch_tried = true;
	if (sched_attr_get(0, &h->batch_attr))
		return;
	/* the only flag it reports for these policies, the only one to
	 * give back */
	h->batch_attr.flags &= ET_SCHED_FLAG_RESET_ON_FORK;
	if (h->batch_attr.policy != SCHED_OTHER &&
	    !((h->batch_attr.policy == SCHED_FIFO || h->batch_attr.policy == SCHED_RR) &&
	      may_set_rt((int)h->batch_attr.priority)))
		return;
	a = h->batch_attr;
	/* a real-time thread's nice is not in its attributes, but is kept */
	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);	/* this thread's */
	if (h->batch_attr.policy != SCHED_OTHER && !errno)
		a.nice = nice;
	a.policy = SCHED_BATCH;
	a.flags = ET_SCHED_FLAG_RESET_ON_FORK;
	a.priority = 0;
	a.runtime = 0;		/* the default slice */
	if (sched_attr_set(0, &a))
		return;
	this_thread(&h->batch_thread);
	h->batched = true;
}

/*
 * The reader's half of wakeup coalescing (see the BPF side), once the ring
 * is drained. Records found again within wake_ns of the last ones make a
 * storm: read on a timer, every wake_ns, while the kernel sends no wakeups;
 * the storm ends at a timer that finds nothing. Otherwise (an isolated
 * exit, a quiet ring) go idle: ask the kernel for a wakeup at the next
 * record, no timer, and no syscall. true: gone idle, read the ring once
 * more.
 */
static bool pace(struct et *h)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC), v;
	unsigned int got = h->unpaced;
	bool storm;

	h->unpaced = 0;
	/* The hrtimer fires a little after its deadline: until it has, the
	 * read fails and the storm goes on (the expiry is ours to drain, or it
	 * would keep et_fd() readable for ever). */
	if (h->deadline && now >= h->deadline && read(h->tfd, &v, sizeof(v)) == sizeof(v))
		h->deadline = 0;
	storm = h->deadline || (got && (h->storm || now - h->last_got < h->wake_ns));
	if (got)
		h->last_got = now;
	if (storm && !h->deadline)
		arm_timer(h, now + h->wake_ns);
	h->storm = storm && h->deadline;	/* no timer (it failed): idle */
	storm_policy(h, h->storm);	/* a storm, not the stand-in below */
	/* idle, the pidfds go back first: an end after this wakes us; if
	 * they cannot, the timer stands in for them */
	if (!h->storm && !pidfds_in_fd(h, true)) {
		if (!h->deadline)
			arm_timer(h, now + h->wake_ns);
		h->storm = h->deadline;
	}
	if (h->storm) {
		pidfds_in_fd(h, false);
		return false;
	}
	/* Dekker with commit(): flag, full barrier, then look at the ring */
	__atomic_store_n(&h->skel->bss->reader_idle, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	h->idle = true;
	return true;
}

static int consume(struct et *h, bool one)
{
	int ret;

	h->one = one;
	if (h->idle) {
		/* awake: records need not wake us (the kernel may have
		 * cleared the flag already) */
		__atomic_store_n(&h->skel->bss->reader_idle, 0, __ATOMIC_RELAXED);
		h->idle = false;
	}
	ret = ring_buffer__consume(h->rb);
	if (h->wake_ns && ret >= 0 && ret != STOP_CONSUMING && pace(h)) {
		ret = ring_buffer__consume(h->rb);
		/* Stopped at a record reserved before the flag was seen, still
		 * being written: its commit looks at the flag again and wakes
		 * us, unless the ring is too full for that wakeup. Look again
		 * soon, in case. */
		if (ret >= 0 && ret != STOP_CONSUMING && !h->deadline && ring_busy(h))
			arm_timer(h, now_ns(CLOCK_MONOTONIC) + COMMIT_RETRY_NS);
	}
	if (h->err) {
		ret = h->err;
		h->err = 0;
		return ret;
	}
	return ret == STOP_CONSUMING ? 0 : ret < 0 ? ret : 0;
}

/*
 * Move what is ready into the queue: ring buffer records first, then
 * targets whose pidfd says they ended without a record. With one, stop at
 * the first result: records left in the ring keep et_fd() readable by
 * themselves, so a caller draining et_next() costs no syscall per record.
 */
static int pump(struct et *h, bool one)
{
	struct epoll_event evs[64];
	struct target *t;
	int n, i, ret;

	ret = consume(h, one);
	if (ret || (one && h->qlen))
		return ret;
	if (!h->pending)
		return 0;
	n = epoll_wait(h->pidep, evs, 64, 0);
	if (n <= 0)
		return n < 0 && errno != EINTR ? -errno : 0;
	/* records committed just before the pidfd woke us come first */
	ret = consume(h, false);
	if (ret)
		return ret;
	for (i = 0; i < n; i++) {
		t = target_find(h, (pid_t)evs[i].data.u32);
		if (t)
			late_result(h, t);
	}
	ret = h->err;
	h->err = 0;
	return ret;
}

static void fill_siginfo(const struct et_exit *ex, siginfo_t *info)
{
	struct et_status st;

	memset(info, 0, sizeof(*info));
	status_decode(ex->source == ET_SRC_NONE ? -1 : ex->status, &st);
	info->si_signo = SIGCHLD;
	info->si_code = status_si_code(&st);
	info->si_pid = ex->pid;
	info->si_uid = ex->uid;
	info->si_status = st.code == ET_CODE_UNKNOWN ? 0 : status_si_status(&st);
}

static int hand_out(struct et *h, size_t i, siginfo_t *info, struct et_exit *ex)
{
	struct et_exit tmp;

	q_take(h, i, &tmp);
	if (info)
		fill_siginfo(&tmp, info);
	if (ex)
		*ex = tmp;
	return 1;
}

/* et_fd() is readable exactly while a result is waiting: the ring buffer
 * and pidfds say so for results not yet pumped, qfd for queued ones. */
static int sync_ready(struct et *h, int ret)
{
	uint64_t v;

	if (!!h->qlen == h->qready)
		return ret;
	if (h->qlen ? eventfd_write(h->qfd, 1) == 0 : eventfd_read(h->qfd, &v) == 0)
		h->qready = !!h->qlen;
	return ret;
}

static int wait_readable(struct et *h, int timeout_ms)
{
	struct pollfd pfd = { .fd = h->epfd, .events = POLLIN };
	int n = poll(&pfd, 1, timeout_ms);

	return n < 0 ? -errno : n;
}

/* Wait for new records, ended targets or the coalescing timer only. */
static int wait_sources(struct et *h, int timeout_ms)
{
	struct pollfd pfd[3] = {
		{ .fd = ring_buffer__epoll_fd(h->rb), .events = POLLIN },
		{ .fd = h->pidep, .events = POLLIN },
		{ .fd = h->tfd, .events = POLLIN },
	};
	int n = poll(pfd, 3, timeout_ms);

	return n < 0 ? -errno : n;
}

/* ---- public ---- */

/* Followed descendants alive, as the kernel counts them. */
static unsigned int follow_live(const struct et *h)
{
	if (!(h->flags & ET_OPEN_FOLLOW))
		return 0;
	return (unsigned int)__atomic_load_n(&h->skel->bss->follow_live, __ATOMIC_ACQUIRE);
}

int et_next(struct et *h, siginfo_t *info, struct et_exit *ex, int flags)
{
	int ret;

	/* queued results may name a removed cgroup: keep it till they are out */
	if (!h->qlen)
		cgcache_purge(&h->cg);
	for (;;) {
		if (h->qlen)
			return sync_ready(h, hand_out(h, 0, info, ex));
		ret = pump(h, true);
		if (ret)
			return sync_ready(h, ret);
		if (h->qlen)
			continue;
		if (!et_pending(h) && !(h->flags & ET_OPEN_HOST)) {
			/* the kernel drops the followed count after committing
			 * the record: read the ring once more after the count */
			ret = consume(h, true);
			if (ret)
				return sync_ready(h, ret);
			if (h->qlen)
				continue;
			/* nothing left to read: no storm to wait for */
			storm_policy(h, false);
			return sync_ready(h, -ECHILD);
		}
		if (!(flags & ET_NEXT_BLOCK))
			return sync_ready(h, 0);
		ret = wait_readable(h, -1);
		if (ret < 0)
			return sync_ready(h, ret);
	}
}

int et_wait(struct et *h, pid_t pid, siginfo_t *info, struct et_exit *ex, int timeout_ms)
{
	struct timespec end, now;
	long left = timeout_ms, i;
	int ret;

	if (!h->qlen)
		cgcache_purge(&h->cg);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	for (;;) {
		ret = pump(h, false);
		if (ret)
			return sync_ready(h, ret);
		i = q_find(h, pid);
		if (i >= 0)
			return sync_ready(h, hand_out(h, (size_t)i, info, ex));
		if (!target_find(h, pid))
			return sync_ready(h, -ECHILD);
		if (timeout_ms >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			left = (end.tv_sec - now.tv_sec) * 1000 +
			       (end.tv_nsec - now.tv_nsec) / 1000000;
			if (left <= 0)
				return sync_ready(h, 0);
		}
		/* queued results of others keep qfd readable: wait on the
		 * sources, not on et_fd() */
		sync_ready(h, 0);
		ret = wait_sources(h, timeout_ms >= 0 ? (int)left : -1);
		if (ret < 0)
			return sync_ready(h, ret);
	}
}

int et_watch(struct et *h, pid_t pid)
{
	int pidfd, ret;

	if (pid <= 0)
		return -EINVAL;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	/* a thread id: EINVAL before 6.9, ENOENT since (PIDFD_THREAD) */
	if (pidfd < 0)
		return errno == ENOENT ? -EINVAL : -errno;
	ret = et_watch_pidfd(h, pidfd, pid);
	close(pidfd);
	return ret;
}

/* The pid a pidfd refers to from its fdinfo: > 0, -1 once reaped, or
 * -EBADF / -EINVAL when fd is not a pidfd. */
static long pidfd_pid(int pidfd)
{
	char path[64], buf[1024], *p;
	int ret;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	ret = read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	p = strstr(buf, "\nPid:");
	if (!p)
		return -EINVAL;
	return strtol(p + 5, NULL, 10);
}

int et_watch_pidfd(struct et *h, int pidfd, pid_t pid)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct et_target val = {};
	struct proc_stat ps;
	struct target *t;
	uid_t uid = (uid_t)-1;
	int fd, ret;

	long fdpid = pidfd_pid(pidfd);

	if (pid < 0 || fdpid < -1)
		return fdpid < -1 ? (int)fdpid : -EINVAL;
	if (!pid) {
		if (fdpid <= 0)
			return -ESRCH;
		pid = (pid_t)fdpid;
	} else if (fdpid > 0 && fdpid != pid) {
		return -EINVAL;		/* not the process pid names */
	}
	if (target_find(h, pid))
		return -EEXIST;
	if (h->pending >= h->max_targets)
		return -ENOSPC;
	fd = fcntl(pidfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;

	/* The snapshot is this process's only if the pidfd's process still
	 * exists afterwards (signal 0 reaches zombies too): then the PID
	 * cannot have been reused in between. */
	if (proc_snapshot(pid, &ps, &uid) ||
	    (syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) < 0 && errno == ESRCH)) {
		memset(&ps, 0, sizeof(ps));
		uid = (uid_t)-1;
	}
	ret = target_reserve(h);
	if (ret)
		goto cleanup;
	/* Without a snapshot the process is already reaped: its pidfd tells
	 * the rest, and the map must not match a process that reuses the PID.
	 * In host mode every exit comes anyway: no map. */
	val.start_ticks = ps.start_ticks;
	if (!(h->flags & ET_OPEN_HOST) && ps.start_ticks) {
		pidbits_set(h, pid, true);	/* the bit first */
		/* following, the PID may be a followed descendant already:
		 * never overwrite the kernel's own entry */
		if (bpf_map_update_elem(h->map_fd, &pid, &val,
					(h->flags & ET_OPEN_FOLLOW) ? BPF_NOEXIST : BPF_ANY)) {
			ret = errno == E2BIG ? -ENOSPC : -errno;
			pidbits_set(h, pid, false);
			goto cleanup;
		}
	}
	ev.data.u32 = (uint32_t)pid;
	if (epoll_ctl(h->pidep, EPOLL_CTL_ADD, fd, &ev)) {
		ret = -errno;
		if (!(h->flags & ET_OPEN_HOST)) {
			bpf_map_delete_elem(h->map_fd, &pid);
			pidbits_set(h, pid, false);
		}
		goto cleanup;
	}
	t = slot_for(h->tab, h->nslots, pid);
	t->pid = pid;
	t->pidfd = fd;
	t->snap = ps;
	t->uid = uid;
	t->in_map = !(h->flags & ET_OPEN_HOST) && ps.start_ticks;
	h->pending++;
	return 0;
cleanup:
	close(fd);
	return ret;
}

int et_unwatch(struct et *h, pid_t pid)
{
	bool dropped = false;
	struct target *t;
	size_t i;
	int ret;

	/* what is in flight for it becomes a queued result first */
	ret = pump(h, false);
	if (ret)
		return sync_ready(h, ret);
	t = target_find(h, pid);
	if (t)
		target_remove(h, t, true);
	/* results already queued for it (its end, its threads') go too */
	for (i = 0; i < h->qlen;) {
		if (q_at(h, i)->pid == pid && (q_at(h, i)->flags & ET_EXIT_TARGET)) {
			q_take(h, i, NULL);
			dropped = true;
		} else {
			i++;
		}
	}
	return sync_ready(h, t || dropped ? 0 : -ENOENT);
}

int et_fd(const struct et *h)
{
	return h->epfd;
}

unsigned int et_pending(const struct et *h)
{
	return h->pending + follow_live(h);
}

uint64_t et_lost(const struct et *h)
{
	return __atomic_load_n(&h->skel->bss->dropped_events, __ATOMIC_RELAXED);
}

uint64_t et_lost_cgroups(const struct et *h)
{
	return __atomic_load_n(&h->skel->bss->dropped_cgroups, __ATOMIC_RELAXED);
}

uint64_t et_lost_follow(const struct et *h)
{
	return __atomic_load_n(&h->skel->bss->dropped_targets, __ATOMIC_RELAXED);
}

int et_attached(const struct et *h)
{
	return h->attached;
}

const char *et_cgroup_path(struct et *h, uint64_t cgroup_id)
{
	const struct cgentry *c = cgcache_get(&h->cg, cgroup_id);

	if (c && c->path)
		return c->path;
	errno = h->cg.m.fd < 0 ? ENODEV : ENOENT;
	return NULL;
}

const char *et_container_id(struct et *h, uint64_t cgroup_id)
{
	const struct cgentry *c = cgcache_get(&h->cg, cgroup_id);

	if (c && c->has_cid)
		return c->cid;
	errno = h->cg.m.fd < 0 ? ENODEV : ENOENT;
	return NULL;
}

const char *et_version(void)
{
	return EXITTRACE_VERSION;
}

/*
 * The kernel's BTF cut down to what the program's CO-RE relocations touch,
 * in a memfd whose /proc path libbpf can open (btf_custom_path). Returns
 * the memfd, or -errno: the caller then attaches with tp_btf instead.
 */
static int minimal_btf(char *path, size_t len)
{
	static const char *const roots[] = {
		"task_struct", "signal_struct", "cred", "trace_event_raw_sched_process_exit",
		"kernel_siginfo", "pid", "pid_namespace", "cgroup", "cgroup_root", "kernfs_node",
		NULL,
	};
	const char *src = "/sys/kernel/btf/vmlinux";
	void *data = MAP_FAILED, *out = NULL;
	size_t out_len = 0, off = 0;
	struct stat st;
	int fd, mfd = -1, ret;
	ssize_t n;

	fd = open(src, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size <= 0) {
		ret = -EINVAL;
		goto cleanup;
	}
	/* sysfs BTF maps since 6.16(ish); before, read it (slower) */
	data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (data == MAP_FAILED) {
		data = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (data == MAP_FAILED) {
			ret = -errno;
			goto cleanup;
		}
		while (off < (size_t)st.st_size &&
		       (n = read(fd, (char *)data + off, (size_t)st.st_size - off)) > 0)
			off += (size_t)n;
		if (off != (size_t)st.st_size) {
			ret = -EIO;
			goto cleanup;
		}
	}
	ret = btfmin_build(data, (size_t)st.st_size, roots, &out, &out_len);
	if (ret <= 0) {
		ret = ret ? ret : -ENOENT;	/* no task_struct: not a kernel's BTF */
		goto cleanup;
	}
	mfd = memfd_create("exittrace-btf", MFD_CLOEXEC);
	if (mfd < 0 || write(mfd, out, out_len) != (ssize_t)out_len) {
		ret = mfd < 0 ? -errno : -EIO;
		goto cleanup;
	}
	snprintf(path, len, "/proc/self/fd/%d", mfd);
	ret = mfd;
	mfd = -1;
cleanup:
	if (mfd >= 0)
		close(mfd);
	if (data != MAP_FAILED)
		munmap(data, (size_t)st.st_size);
	free(out);
	close(fd);
	return ret;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

static int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return vfprintf(stderr, fmt, args);
}

/* libbpf's OPTS rule: a caller built against a newer header may pass a
 * larger struct, as long as what we do not know is zero. */
static int opts_valid(const struct et_opts *o)
{
	const char *p;
	size_t i;

	if (o->sz < offsetof(struct et_opts, flags) + sizeof(o->flags))
		return 0;
	for (p = (const char *)o, i = sizeof(*o); i < o->sz; i++)
		if (p[i])
			return 0;
	return 1;
}

/* The filter maps' keys, before the programs are attached. */
static int fill_filters(struct et *h)
{
	int cfd = bpf_map__fd(h->skel->maps.comms), ufd = bpf_map__fd(h->skel->maps.uids);
	uint8_t one = 1;
	size_t i;

	for (i = 0; i < h->ncomms; i++)
		if (bpf_map_update_elem(cfd, &h->comms[i], &one, BPF_ANY))
			return -errno;
	for (i = 0; i < h->nuids; i++) {
		uint32_t uid = h->uids[i];

		if (bpf_map_update_elem(ufd, &uid, &one, BPF_ANY))
			return -errno;
	}
	for (i = 0; i < h->ncgroups; i++) {
		uint32_t idx = (uint32_t)i;

		if (bpf_map_update_elem(bpf_map__fd(h->skel->maps.cgroup_filter), &idx,
					&h->cgfds[i], BPF_ANY))
			return -errno;
	}
	for (i = 0; i < h->npidns; i++)
		if (bpf_map_update_elem(bpf_map__fd(h->skel->maps.pidnss), &h->pidns[i], &one,
					BPF_ANY))
			return -errno;
	return 0;
}

/* The cgroups filter: each one's directory and path, now (a cgroup made
 * later under the same name is another cgroup). */
static int resolve_cgroups(struct et *h, const struct et_opts *o)
{
	char path[PATH_MAX];
	uint64_t id;
	size_t i;
	int ret;

	if (!o->ncgroups)
		return 0;
	if (!o->cgroups)
		return -EINVAL;
	if (o->ncgroups > ET_MAX_CGROUPS)
		return -E2BIG;
	if (h->cg.m.fd < 0)
		return -ENODEV;
	h->cgfds = calloc(o->ncgroups, sizeof(*h->cgfds));
	h->cgpaths = calloc(o->ncgroups, sizeof(*h->cgpaths));
	if (!h->cgfds || !h->cgpaths)
		return -ENOMEM;
	for (i = 0; i < o->ncgroups; i++) {
		if (!o->cgroups[i])
			return -EINVAL;
		ret = cgv2_lookup(&h->cg.m, o->cgroups[i], &id, path, sizeof(path),
				  &h->cgfds[i]);
		if (ret)
			return ret == -EXDEV || ret == -ENOTDIR ? -ENOENT : ret;
		h->cgpaths[i] = strdup(path);
		h->ncgroups++;
		if (!h->cgpaths[i])
			return -ENOMEM;
	}
	return 0;
}

/* The PID namespace and container filters, kept as given. */
static int copy_ns_filters(struct et *h, const struct et_opts *o)
{
	size_t i;

	if ((o->npidns && !o->pidns) || (o->ncontainers && !o->containers))
		return -EINVAL;
	if (o->npidns) {
		h->pidns = calloc(o->npidns, sizeof(*h->pidns));
		if (!h->pidns)
			return -ENOMEM;
		memcpy(h->pidns, o->pidns, o->npidns * sizeof(*h->pidns));
		h->npidns = o->npidns;
	}
	if (o->ncontainers) {
		if (h->cg.m.fd < 0)
			return -ENODEV;
		h->containers = calloc(o->ncontainers, sizeof(*h->containers));
		if (!h->containers)
			return -ENOMEM;
	}
	for (i = 0; i < o->ncontainers; i++) {
		if (!o->containers[i] || cgpath_id_arg(o->containers[i], h->containers[i]))
			return -EINVAL;
		h->ncontainers++;
	}
	return 0;
}

/* Keep the filters (the kernel's comm is at most 15 bytes: longer names
 * are cut, as in the kernel), without repeats. */
static int copy_filters(struct et *h, const struct et_opts *o)
{
	size_t i, j;

	if ((o->ncomms && !o->comms) || (o->nuids && !o->uids))
		return -EINVAL;
	if (o->ncomms) {
		h->comms = calloc(o->ncomms, sizeof(*h->comms));
		if (!h->comms)
			return -ENOMEM;
	}
	for (i = 0; i < o->ncomms; i++) {
		struct et_comm_key k = {};

		if (!o->comms[i] || !o->comms[i][0])
			return -EINVAL;
		strncpy(k.comm, o->comms[i], ET_COMM_LEN - 1);
		for (j = 0; j < h->ncomms && memcmp(&h->comms[j], &k, sizeof(k)); j++)
			;
		if (j == h->ncomms)
			h->comms[h->ncomms++] = k;
	}
	if (o->nuids) {
		h->uids = calloc(o->nuids, sizeof(*h->uids));
		if (!h->uids)
			return -ENOMEM;
	}
	for (i = 0; i < o->nuids; i++) {
		for (j = 0; j < h->nuids && h->uids[j] != o->uids[i]; j++)
			;
		if (j == h->nuids)
			h->uids[h->nuids++] = o->uids[i];
	}
	return 0;
}

#define TRACEFS "/sys/kernel/tracing"
#define EXIT_EVENT "/events/sched/sched_process_exit/id"

static long read_event_id(const char *path)
{
	char buf[32];
	int ret = read_file(path, buf, sizeof(buf));

	return ret < 0 ? ret : strtol(buf, NULL, 10);
}

/*
 * The classic exit event's id, which only tracefs tells: read where tracefs
 * (or debugfs's tracing) is mounted already; else by a child in a mount
 * namespace of its own, which mounts tracefs for the read: nothing is
 * mounted on the host, nothing is left behind, nothing races another
 * instance's mount. The id or -errno.
 */
static long exit_event_id(void)
{
	long id = read_event_id(TRACEFS EXIT_EVENT);
	int p[2], st;
	pid_t pid;

	if (id > 0)
		return id;
	id = read_event_id("/sys/kernel/debug/tracing" EXIT_EVENT);
	if (id > 0)
		return id;
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid == 0) {
		const char *dir = access(TRACEFS, F_OK) ? "/tmp" : TRACEFS;
		char path[64];

		close(p[0]);
		snprintf(path, sizeof(path), "%s%s", dir, EXIT_EVENT);
		id = -EPERM;
		if (!unshare(CLONE_NEWNS) && !mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) &&
		    !mount("tracefs", dir, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
			id = read_event_id(path);
		else
			id = -errno;
		_exit(write(p[1], &id, sizeof(id)) == sizeof(id) ? 0 : 1);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &id, sizeof(id)) != sizeof(id))
		id = pid < 0 ? -errno : -EIO;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	return id ? id : -ENOENT;
}

/* The classic tracepoint, attached by hand: a perf event for the exit
 * event (global: one, on CPU 0, runs the program on every CPU). */
static int attach_classic(struct et *h)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr),
					.sample_period = 1, .wakeup_events = 1 };
	long id = exit_event_id();
	struct bpf_link *link;
	int pfd;

	if (id < 0)
		return (int)id;
	attr.config = (uint64_t)id;
	pfd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0)
		return -errno;
	link = bpf_program__attach_perf_event(h->skel->progs.exit_tp, pfd);
	if (!link) {
		close(pfd);
		return -errno;
	}
	h->skel->links.exit_tp = link;	/* the skeleton destroys it */
	return 0;
}

/*
 * The bitmap of PIDs that may be targets (see the BPF side): one bit per
 * PID below pid_max as it is now (since 6.14, the caller's PID namespace's:
 * host PIDs above it are looked up in the map), PID_MAX_LIMIT if
 * unreadable; none where the kernel cannot map an array into memory
 * (before 5.5): the map alone.
 */
static uint32_t pidbits_words(long page)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);
	const char *test = getenv("EXITTRACE_TEST_PID_MAX");
	unsigned long pid_max = PID_MAX_LIMIT;
	char buf[32];
	void *m;
	int fd;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, sizeof(uint32_t), sizeof(uint64_t), 1, &mo);
	if (fd < 0)
		return 0;
	m = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return 0;
	munmap(m, (size_t)page);
	if (test)
		pid_max = strtoul(test, NULL, 10);
	else if (!read_file("/proc/sys/kernel/pid_max", buf, sizeof(buf)))
		pid_max = strtoul(buf, NULL, 10);
	if (!pid_max || pid_max > PID_MAX_LIMIT)
		pid_max = PID_MAX_LIMIT;
	return (uint32_t)((pid_max + 63) / 64);
}

static size_t pidbits_len(const struct et *h)
{
	size_t len = (size_t)h->pidbits_words * sizeof(uint64_t);

	return (len + (size_t)h->page_size - 1) / (size_t)h->page_size * (size_t)h->page_size;
}

static void unmap_pidbits(struct et *h)
{
	if (h->pidbits)
		munmap(h->pidbits, pidbits_len(h));
	h->pidbits = NULL;
}

/* Open, configure and load the BPF object, raw_tp or a classic tracepoint
 * against a minimal BTF, or tp_btf; attach it. On failure everything is
 * undone. */
static int load(struct et *h, const struct et_opts *o, enum et_attach way)
{
	bool raw = way != ET_ATTACH_TP_BTF, tp = way == ET_ATTACH_TRACEPOINT;
	int btf_fd = -1, ret, ncpus;
	char btf_path[64];
	bool cg;

	/* a classic tracepoint brings no task pointers: exits only */
	if (tp && (o->flags & ET_OPEN_FOLLOW))
		return -EOPNOTSUPP;
	if (raw) {
		btf_fd = minimal_btf(btf_path, sizeof(btf_path));
		if (btf_fd < 0)
			return btf_fd;
	}
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = raw ? btf_path : NULL);
	h->skel = exittrace_bpf__open_opts(&oo);
	if (!h->skel) {
		ret = -errno;
		goto cleanup;
	}
	h->skel->rodata->targets_only = !(o->flags & ET_OPEN_HOST);
	h->skel->rodata->threads = o->flags & ET_OPEN_THREADS;
	h->skel->rodata->failed_only = o->flags & ET_OPEN_FAILED;
	h->skel->rodata->follow = o->flags & ET_OPEN_FOLLOW;
	h->skel->rodata->want_why = o->flags & ET_OPEN_WHY;
	h->skel->rodata->want_rusage = o->flags & ET_OPEN_RUSAGE;
	h->skel->rodata->filter_comm = h->ncomms > 0;
	h->skel->rodata->filter_uid = h->nuids > 0;
	h->skel->rodata->filter_pidns = h->npidns > 0;
	h->skel->rodata->ncgroups = (uint32_t)h->ncgroups;
	bpf_map__set_max_entries(h->skel->maps.comms, h->ncomms ? (uint32_t)h->ncomms : 1);
	bpf_map__set_max_entries(h->skel->maps.uids, h->nuids ? (uint32_t)h->nuids : 1);
	bpf_map__set_max_entries(h->skel->maps.cgroup_filter,
				 h->ncgroups ? (uint32_t)h->ncgroups : 1);
	bpf_map__set_max_entries(h->skel->maps.pidnss, h->npidns ? (uint32_t)h->npidns : 1);
	h->skel->rodata->ns_per_tick = h->ns_per_tick;
	h->skel->rodata->wake_ns = h->wake_ns;
	h->skel->rodata->no_group_dead_arg = getenv("EXITTRACE_TEST_NO_GROUP_DEAD") != NULL;
	h->skel->rodata->use_pidbits = h->pidbits_words > 0;
	bpf_map__set_max_entries(h->skel->maps.events,
				 (o->ringbuf_kib ? o->ringbuf_kib : DEFAULT_RINGBUF_KIB) * 1024);
	bpf_map__set_max_entries(h->skel->maps.targets,
				 (o->flags & ET_OPEN_HOST) ? 1 : h->max_targets);
	bpf_map__set_max_entries(h->skel->maps.pidbits,
				 h->pidbits_words ? h->pidbits_words : 1);
	/* an LRU map keeps up to 128 free entries cached per CPU: room for
	 * 16384 processes' signals on top of those (2.3 MB, preallocated:
	 * only when asked why, and with a signal probe to fill it) */
	ncpus = libbpf_num_possible_cpus();
	bpf_map__set_max_entries(h->skel->maps.killers,
				 !(o->flags & ET_OPEN_WHY) || tp ? 1 :
				 16384 + 256 * (uint32_t)(ncpus > 0 ? ncpus : 1));
	bpf_map__set_autocreate(h->skel->maps.pidbits, h->pidbits_words > 0);
	/* one way in; fork is only needed to follow descendants */
	bpf_program__set_autoload(h->skel->progs.exit_raw, raw && !tp);
	bpf_program__set_autoload(h->skel->progs.exit_btf, !raw);
	bpf_program__set_autoload(h->skel->progs.exit_tp, tp);
	bpf_program__set_autoattach(h->skel->progs.exit_tp, false);	/* attach_classic() */
	bpf_program__set_autoload(h->skel->progs.fork_raw, raw && (o->flags & ET_OPEN_FOLLOW));
	bpf_program__set_autoload(h->skel->progs.fork_btf, !raw && (o->flags & ET_OPEN_FOLLOW));
	bpf_program__set_autoload(h->skel->progs.signal_raw,
				  raw && !tp && (o->flags & ET_OPEN_WHY));
	bpf_program__set_autoload(h->skel->progs.signal_btf, !raw && (o->flags & ET_OPEN_WHY));
	cg = (o->flags & ET_OPEN_CGROUPS) && h->cg.m.fd >= 0 && !tp;
	bpf_program__set_autoload(h->skel->progs.mkdir_raw, raw && cg);
	bpf_program__set_autoload(h->skel->progs.rmdir_raw, raw && cg);
	bpf_program__set_autoload(h->skel->progs.mkdir_btf, !raw && cg);
	bpf_program__set_autoload(h->skel->progs.rmdir_btf, !raw && cg);

	ret = exittrace_bpf__load(h->skel);	/* libbpf reads the BTF path here */
	if (!ret)
		ret = fill_filters(h);
	if (!ret && h->pidbits_words) {
		h->pidbits = mmap(NULL, pidbits_len(h), PROT_READ | PROT_WRITE, MAP_SHARED,
				  bpf_map__fd(h->skel->maps.pidbits), 0);
		if (h->pidbits == MAP_FAILED) {
			ret = -errno;
			h->pidbits = NULL;
		}
	}
	if (!ret && h->wake_ns) {
		/* not read yet: the first record wakes whoever polls et_fd() */
		h->skel->bss->reader_idle = 1;
		h->idle = true;
	}
	if (!ret)
		ret = exittrace_bpf__attach(h->skel);
	if (!ret && tp)
		ret = attach_classic(h);
cleanup:
	if (btf_fd >= 0)
		close(btf_fd);
	if (ret) {
		unmap_pidbits(h);
		exittrace_bpf__destroy(h->skel);
		h->skel = NULL;
	}
	return ret;
}

struct et *et_open(const struct et_opts *opts)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct et_opts o = { .sz = sizeof(o) };
	long tck = sysconf(_SC_CLK_TCK);
	libbpf_print_fn_t old_print;
	struct et *h;
	int ret, first;

	if (opts) {
		if (!opts_valid(opts)) {
			errno = EINVAL;
			return NULL;
		}
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	}
	/* a power-of-2 multiple of the page size, at most 1 GiB */
	if ((o.ringbuf_kib & (o.ringbuf_kib - 1)) ||
	    (o.ringbuf_kib && (o.ringbuf_kib < 4 || o.ringbuf_kib > (1U << 20)))) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->epfd = h->pidep = h->qfd = h->tfd = h->cg.m.fd = -1;
	h->flags = o.flags;
	h->max_targets = o.max_targets ? o.max_targets : DEFAULT_MAX_TARGETS;
	h->ns_per_tick = 1000000000ULL / (uint64_t)(tck > 0 ? tck : 100);
	h->page_size = sysconf(_SC_PAGESIZE);

	/* libbpf talks during open, load and attach: quiet it then, and give
	 * the process its own callback back afterwards */
	old_print = libbpf_set_print(o.verbose ? libbpf_verbose : libbpf_quiet);
	if (o.attach > ET_ATTACH_TRACEPOINT) {
		ret = -EINVAL;
		libbpf_set_print(old_print);
		goto cleanup;
	}
	if ((o.flags & ET_OPEN_HOST) && (o.flags & ET_OPEN_FOLLOW)) {
		ret = -EINVAL;
		libbpf_set_print(old_print);
		goto cleanup;
	}
	if (o.ncontainers)
		o.flags |= ET_OPEN_CGROUPS;
	h->flags = o.flags;
	/* no cgroup v2 (a v1-only host): paths and containers unknown */
	ret = cgcache_init(&h->cg);
	if (ret && ret != -ENOENT) {
		libbpf_set_print(old_print);
		goto cleanup;
	}
	ret = copy_filters(h, &o);
	if (!ret)
		ret = resolve_cgroups(h, &o);
	if (!ret)
		ret = copy_ns_filters(h, &o);
	if (ret) {
		libbpf_set_print(old_print);
		goto cleanup;
	}
	/* ring buffers came in 5.8: without, say so (EXITTRACE_TEST_NO_RINGBUF:
	 * tests take this path) */
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 0 ||
	    getenv("EXITTRACE_TEST_NO_RINGBUF")) {
		ret = -ENOSYS;
		libbpf_set_print(old_print);
		goto cleanup;
	}
	h->wake_ns = (uint64_t)o.wake_us * 1000;
	/* Following, the kernel adds targets, and would need atomics (5.12)
	 * to set their bits: the map alone then. */
	if (!(o.flags & (ET_OPEN_HOST | ET_OPEN_FOLLOW)))
		h->pidbits_words = pidbits_words(h->page_size);
	/* auto: the fast way; whatever kept it from working, the BTF-typed
	 * way; then the classic tracepoint (exits only) */
	h->attached = o.attach == ET_ATTACH_AUTO ? ET_ATTACH_RAW_TP : (enum et_attach)o.attach;
	ret = first = load(h, &o, h->attached);
	if (ret && o.attach == ET_ATTACH_AUTO)
		ret = load(h, &o, h->attached = ET_ATTACH_TP_BTF);
	if (ret && o.attach == ET_ATTACH_AUTO && !(o.flags & ET_OPEN_FOLLOW))
		ret = load(h, &o, h->attached = ET_ATTACH_TRACEPOINT);
	if (ret)
		ret = first;	/* why the way that should have worked did not */
	libbpf_set_print(old_print);
	if (ret)
		goto cleanup;
	h->map_fd = bpf_map__fd(h->skel->maps.targets);
	/* attached: cgroups made from now on come as records; those made
	 * before, from the tree (~4.5 us a cgroup), before et_open() returns:
	 * one removed before the first read is known all the same. What
	 * neither saw is looked up when needed. */
	if ((o.flags & ET_OPEN_CGROUPS) && h->cg.m.fd >= 0)
		cgcache_walk(&h->cg);

	h->rb = ring_buffer__new(bpf_map__fd(h->skel->maps.events), on_event, h, NULL);
	if (!h->rb) {
		ret = -errno;
		goto cleanup;
	}
	if (h->wake_ns) {
		int rfd = bpf_map__fd(h->skel->maps.events);
		void *c, *p;

		h->page = sysconf(_SC_PAGESIZE);
		c = mmap(NULL, (size_t)h->page, PROT_READ, MAP_SHARED, rfd, 0);
		p = mmap(NULL, (size_t)h->page, PROT_READ, MAP_SHARED, rfd, h->page);
		if (c != MAP_FAILED)
			h->cons_pos = c;
		if (p != MAP_FAILED)
			h->prod_pos = p;
	}
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	h->pidep = epoll_create1(EPOLL_CLOEXEC);
	h->qfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	h->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (h->epfd < 0 || h->pidep < 0 || h->qfd < 0 || h->tfd < 0) {
		ret = -errno;
		goto cleanup;
	}
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(h->rb), &ev) ||
	    epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->pidep, &ev) ||
	    epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->qfd, &ev) ||
	    epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->tfd, &ev)) {
		ret = -errno;
		goto cleanup;
	}
	short_slice(h, true);
	return h;
cleanup:
	et_close(h);
	errno = ret < 0 ? -ret : EINVAL;
	return NULL;
}

void et_close(struct et *h)
{
	size_t i;

	if (!h)
		return;
	storm_policy(h, false);
	short_slice(h, false);
	for (i = 0; i < h->nslots; i++)
		if (h->tab[i].pid)
			close(h->tab[i].pidfd);
	if (h->cons_pos)
		munmap((void *)h->cons_pos, (size_t)h->page);
	if (h->prod_pos)
		munmap((void *)h->prod_pos, (size_t)h->page);
	unmap_pidbits(h);
	ring_buffer__free(h->rb);
	exittrace_bpf__destroy(h->skel);
	if (h->epfd >= 0)
		close(h->epfd);
	if (h->pidep >= 0)
		close(h->pidep);
	if (h->qfd >= 0)
		close(h->qfd);
	if (h->tfd >= 0)
		close(h->tfd);
	free(h->tab);
	free(h->q);
	free(h->comms);
	free(h->uids);
	for (i = 0; i < h->ncgroups; i++) {
		free(h->cgpaths[i]);
		close(h->cgfds[i]);
	}
	free(h->cgpaths);
	free(h->cgfds);
	free(h->pidns);
	free(h->containers);
	cgcache_free(&h->cg);
	free(h);
}
