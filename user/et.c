// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The tracer core: BPF lifecycle (open, configure rodata, load, attach),
 * the target set (BPF map + pidfds), and turning records into results.
 *
 * How no target is missed: et_watch() pins the PID with a pidfd before the
 * target enters the BPF map. The exit tracepoint fires in do_exit() before
 * exit_notify() makes the pidfd readable, so by the time a pidfd is
 * readable the target's record, if one was made, is in the ring buffer.
 * A readable pidfd with no record means the target ended before it was in
 * the map (or its record was lost): the status then comes from the pidfd's
 * exit info (6.15+, once reaped) or the zombie's /proc/PID/stat.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "exittrace.h"
#include "exittrace.skel.h"
#include "et.h"
#include "procstat.h"

_Static_assert(sizeof(struct et_event) == 72, "et_event layout is shared with BPF");
_Static_assert(sizeof(struct et_target) == 8, "et_target layout is shared with BPF");
_Static_assert(ET_COMM_SIZE == ET_COMM_LEN, "comm sizes differ");

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* include/uapi/linux/pidfd.h, 6.13+ (exit_code 6.15+); not in Debian 12's
 * headers yet. The ioctl takes the struct's size, so older kernels that
 * know fewer fields still answer. */
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

struct target {
	pid_t pid;
	int pidfd;		/* -1 once reported */
	struct proc_stat snap;	/* at et_watch() time; start_ticks 0 if unknown */
	uid_t uid;
};

struct et {
	struct exittrace_bpf *skel;
	struct ring_buffer *rb;
	int epfd;		/* et_fd(): the ring buffer and pidep */
	int pidep;		/* pidfds of unreported targets */
	unsigned int flags;
	uint64_t ns_per_tick;

	struct target *targets;	/* in et_watch() order */
	size_t ntargets, cap;
	int *slots;		/* open addressing pid -> index + 1 */
	size_t nslots;
	unsigned int pending;

	struct et_exit *q;	/* results not yet handed out, a ring */
	size_t qhead, qlen, qcap;
	int err;		/* first error inside a callback */
};

static uint64_t now_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
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

static bool q_pop(struct et *h, struct et_exit *ex)
{
	if (!h->qlen)
		return false;
	*ex = h->q[h->qhead];
	h->qhead = (h->qhead + 1) % h->qcap;
	h->qlen--;
	return true;
}

/* ---- target table ---- */

static size_t slot_of(const struct et *h, pid_t pid)
{
	return ((uint32_t)pid * 2654435761U) & (h->nslots - 1);
}

static struct target *target_find(const struct et *h, pid_t pid)
{
	size_t i;

	if (!h->nslots)
		return NULL;
	for (i = slot_of(h, pid); h->slots[i]; i = (i + 1) & (h->nslots - 1))
		if (h->targets[h->slots[i] - 1].pid == pid)
			return &h->targets[h->slots[i] - 1];
	return NULL;
}

static int slots_grow(struct et *h)
{
	size_t n = h->nslots ? h->nslots * 2 : 64, i, j;
	int *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	free(h->slots);
	h->slots = s;
	h->nslots = n;
	for (i = 0; i < h->ntargets; i++) {
		for (j = slot_of(h, h->targets[i].pid); s[j]; j = (j + 1) & (n - 1))
			;
		s[j] = (int)i + 1;
	}
	return 0;
}

/* Room for one more target, so that target_add() cannot fail. */
static int target_reserve(struct et *h)
{
	if ((h->ntargets + 1) * 2 > h->nslots && slots_grow(h))
		return -ENOMEM;
	if (h->ntargets == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 16;
		struct target *n = realloc(h->targets, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		h->targets = n;
		h->cap = ncap;
	}
	return 0;
}

static struct target *target_add(struct et *h, pid_t pid)
{
	struct target *t = &h->targets[h->ntargets];
	size_t j;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->pidfd = -1;
	for (j = slot_of(h, pid); h->slots[j]; j = (j + 1) & (h->nslots - 1))
		;
	h->slots[j] = (int)++h->ntargets;
	return t;
}

static void target_done(struct et *h, struct target *t)
{
	if (t->pidfd < 0)
		return;
	close(t->pidfd);	/* also leaves pidep */
	t->pidfd = -1;
	h->pending--;
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
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct et_event *e = data;
	struct et *h = ctx;
	struct target *t = NULL;
	struct et_exit ex;
	bool dead;
	int ret;

	if (len < sizeof(*e) || e->kind != ET_KIND_EXIT)
		return 0;
	dead = e->flags & ET_F_GROUP_DEAD;
	event_to_exit(e, &ex);

	if (h->flags & ET_OPEN_TARGETS) {
		t = target_find(h, ex.pid);
		/* reported already (from its pidfd) or not ours: skip */
		if (!t || t->pidfd < 0)
			return 0;
		ex.flags |= ET_EXIT_TARGET;
	}
	if (h->flags & ET_OPEN_THREADS) {
		struct et_exit th = ex;

		th.flags |= ET_EXIT_THREAD;
		th.status = (int)e->thread_code;
		ret = q_push(h, &th);
		if (ret)
			goto fail;
	}
	if (dead) {
		ret = q_push(h, &ex);
		if (ret)
			goto fail;
		if (t)
			target_done(h, t);
	}
	return 0;
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
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
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
	ex.exit_ns = now_boot_ns();
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
		if (proc_snapshot(t->pid, &ps, &uid) == 0 && ps.exit_code >= 0 &&
		    (ps.state == 'Z' || ps.state == 'X') &&
		    (!t->snap.start_ticks || ps.start_ticks == t->snap.start_ticks)) {
			ex.status = ps.exit_code;
			ex.source = ET_SRC_PROC;
			ex.ppid = ps.ppid;
		}
	}
	if (q_push(h, &ex))
		h->err = -ENOMEM;
	/* it ended before it was in the map: take it out again */
	bpf_map_delete_elem(bpf_map__fd(h->skel->maps.targets), &t->pid);
	target_done(h, t);
}

static int check_pidfds(struct et *h)
{
	struct epoll_event evs[64];
	int n, i;

	if (!h->pending)
		return 0;
	n = epoll_wait(h->pidep, evs, 64, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (n == 0)
		return 0;
	/* records committed just before the pidfd woke us come first */
	ring_buffer__consume(h->rb);
	for (i = 0; i < n; i++) {
		struct target *t = &h->targets[evs[i].data.u32];

		if (t->pidfd >= 0)
			late_result(h, t);
	}
	return 0;
}

/* ---- public ---- */

int et_next(struct et *h, struct et_exit *ex)
{
	int ret;

	if (q_pop(h, ex))
		return 1;
	ret = ring_buffer__consume(h->rb);
	if (ret < 0 && !h->err)
		return ret;
	if (!h->qlen) {
		ret = check_pidfds(h);
		if (ret)
			return ret;
	}
	if (h->err) {
		ret = h->err;
		h->err = 0;
		return ret;
	}
	return q_pop(h, ex) ? 1 : 0;
}

int et_watch(struct et *h, pid_t pid)
{
	int pidfd;

	if (!(h->flags & ET_OPEN_TARGETS))
		return -EINVAL;
	if (target_find(h, pid))
		return 0;
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	return et_watch_pidfd(h, pid, pidfd);
}

int et_watch_pidfd(struct et *h, pid_t pid, int pidfd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct et_target val = {};
	struct proc_stat ps;
	struct target *t;
	uid_t uid = (uid_t)-1;
	int ret;

	if (!(h->flags & ET_OPEN_TARGETS)) {
		ret = -EINVAL;
		goto cleanup;
	}
	if (target_find(h, pid)) {
		ret = 0;
		goto cleanup;
	}
	/* The snapshot is this process's only if the pidfd's process still
	 * exists afterwards (signal 0 reaches zombies too): then the PID
	 * cannot have been reused in between. */
	ret = proc_snapshot(pid, &ps, &uid);
	if (ret || syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0) {
		memset(&ps, 0, sizeof(ps));
		uid = (uid_t)-1;
	}

	ret = target_reserve(h);
	if (ret)
		goto cleanup;
	/* Without a snapshot the process is already reaped: its pidfd tells
	 * the rest, and the map must not match a process that reuses the PID. */
	val.start_ticks = ps.start_ticks;
	if (ps.start_ticks &&
	    bpf_map_update_elem(bpf_map__fd(h->skel->maps.targets), &pid, &val, BPF_ANY)) {
		ret = -errno;
		goto cleanup;
	}
	ev.data.u32 = (uint32_t)h->ntargets;
	if (epoll_ctl(h->pidep, EPOLL_CTL_ADD, pidfd, &ev)) {
		ret = -errno;
		bpf_map_delete_elem(bpf_map__fd(h->skel->maps.targets), &pid);
		goto cleanup;
	}
	t = target_add(h, pid);
	t->snap = ps;
	t->uid = uid;
	t->pidfd = pidfd;
	h->pending++;
	return 0;
cleanup:
	close(pidfd);
	return ret;
}

int et_fd(const struct et *h)
{
	return h->epfd;
}

unsigned int et_pending(const struct et *h)
{
	return h->pending;
}

uint64_t et_lost(const struct et *h)
{
	return __atomic_load_n(&h->skel->bss->dropped_events, __ATOMIC_RELAXED);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

static int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return vfprintf(stderr, fmt, args);
}

struct et *et_open(const struct et_opts *opts)
{
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned int kib = opts->ringbuf_kib ? opts->ringbuf_kib : DEFAULT_RINGBUF_KIB;
	unsigned int max = opts->max_targets ? opts->max_targets : DEFAULT_MAX_TARGETS;
	long tck = sysconf(_SC_CLK_TCK);
	struct et *h;
	int ret;

	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->epfd = h->pidep = -1;
	h->flags = opts->flags;
	h->ns_per_tick = 1000000000ULL / (uint64_t)(tck > 0 ? tck : 100);

	libbpf_set_print(opts->verbose ? libbpf_verbose : libbpf_quiet);
	h->skel = exittrace_bpf__open();
	if (!h->skel) {
		ret = -errno;
		goto cleanup;
	}
	h->skel->rodata->targets_only = opts->flags & ET_OPEN_TARGETS;
	h->skel->rodata->threads = opts->flags & ET_OPEN_THREADS;
	h->skel->rodata->failed_only = opts->flags & ET_OPEN_FAILED;
	h->skel->rodata->ns_per_tick = h->ns_per_tick;
	h->skel->rodata->no_group_dead_arg = getenv("EXITTRACE_TEST_NO_GROUP_DEAD") != NULL;
	bpf_map__set_max_entries(h->skel->maps.events, kib * 1024);
	bpf_map__set_max_entries(h->skel->maps.targets,
				 (opts->flags & ET_OPEN_TARGETS) ? max : 1);
	/* fork is only needed to follow descendants */
	bpf_program__set_autoload(h->skel->progs.handle_fork, false);

	ret = exittrace_bpf__load(h->skel);
	if (ret)
		goto cleanup;
	ret = exittrace_bpf__attach(h->skel);
	if (ret)
		goto cleanup;

	h->rb = ring_buffer__new(bpf_map__fd(h->skel->maps.events), on_event, h, NULL);
	if (!h->rb) {
		ret = -errno;
		goto cleanup;
	}
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	h->pidep = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0 || h->pidep < 0) {
		ret = -errno;
		goto cleanup;
	}
	ev.data.u32 = 0;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, ring_buffer__epoll_fd(h->rb), &ev) ||
	    epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->pidep, &ev)) {
		ret = -errno;
		goto cleanup;
	}
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
	for (i = 0; i < h->ntargets; i++)
		if (h->targets[i].pidfd >= 0)
			close(h->targets[i].pidfd);
	ring_buffer__free(h->rb);
	exittrace_bpf__destroy(h->skel);
	if (h->epfd >= 0)
		close(h->epfd);
	if (h->pidep >= 0)
		close(h->pidep);
	free(h->targets);
	free(h->slots);
	free(h->q);
	free(h);
}
