// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libexittrace's API against real processes and the real BPF program: each
 * result must equal what waitid() gives the real parent, field by field.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sys/resource.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "exittrace.h"
#include "harness.h"
#include "schedattr.h"

static char core_dir[] = "/tmp/exittrace-libcore.XXXXXX";

static int do_exit(void *arg)
{
	return (int)(long)arg;
}

static int do_signal(void *arg)
{
	int sig = (int)(long)arg;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };

	if (sig == SIGSEGV || sig == SIGABRT) {
		if (chdir(core_dir))
			return 97;
		setrlimit(RLIMIT_CORE, &rl);
	}
	signal(sig, SIG_DFL);
	kill(getpid(), sig);
	return 96;
}

static int readable(struct et *h)
{
	struct pollfd pfd = { .fd = et_fd(h), .events = POLLIN };

	return poll(&pfd, 1, 0);
}

static struct et *open_or_fail(const struct et_opts *o)
{
	struct et *h = et_open(o);

	if (!h)
		fail_msg("et_open: %s", strerror(errno));
	/* the way in, as asked, or the first that works: raw_tp here */
	assert_int_equal(et_attached(h), o && o->attach ? (int)o->attach : ET_ATTACH_RAW_TP);
	return h;
}

/* The real parent's view: waitid() siginfo (not reaping), then the raw
 * status from waitpid() (reaping). */
static void real_parent(struct child *ch, siginfo_t *si, int *ws)
{
	struct pollfd pfd = { .fd = ch->pidfd, .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, T_TIMEOUT_MS), 1);
	memset(si, 0, sizeof(*si));
	assert_int_equal(waitid(P_PID, (id_t)ch->pid, si, WEXITED | WNOWAIT), 0);
	*ws = child_wait(ch, true);
}

static void assert_same(const siginfo_t *got, const struct et_exit *ex, const siginfo_t *want,
			int ws)
{
	assert_int_equal(got->si_signo, want->si_signo);
	assert_int_equal(got->si_code, want->si_code);
	assert_int_equal(got->si_pid, want->si_pid);
	assert_int_equal(got->si_uid, want->si_uid);
	assert_int_equal(got->si_status, want->si_status);
	assert_int_equal(ex->status, ws);
	assert_int_equal(ex->pid, want->si_pid);
	assert_true(ex->flags & ET_EXIT_TARGET);
}

static void test_matches_waitid(void **state)
{
	static const struct {
		int (*fn)(void *);
		long arg;
	} cases[] = {
		{ do_exit, 0 },	     { do_exit, 3 },	     { do_exit, 255 },
		{ do_signal, SIGKILL }, { do_signal, SIGTERM }, { do_signal, SIGSEGV },
		{ do_signal, SIGABRT },
	};
	siginfo_t got, want;
	struct et_exit ex;
	struct child ch;
	struct et *h;
	size_t i;
	int ws;

	require_bpf();
	h = open_or_fail(NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		child_spawn(&ch, cases[i].fn, (void *)cases[i].arg);
		assert_int_equal(et_watch(h, ch.pid), 0);
		child_go(&ch);
		assert_int_equal(et_wait(h, ch.pid, &got, &ex, T_TIMEOUT_MS), 1);
		real_parent(&ch, &want, &ws);
		assert_same(&got, &ex, &want, ws);
		assert_int_equal(ex.source, ET_SRC_BPF);
	}
	et_close(h);
}

static void test_fd_ready_exactly_when_pending(void **state)
{
	struct child a, b;
	siginfo_t si;
	struct et *h;

	require_bpf();
	h = open_or_fail(NULL);
	child_spawn(&a, do_exit, (void *)1L);
	child_spawn(&b, do_exit, (void *)2L);
	assert_int_equal(et_watch(h, a.pid), 0);
	assert_int_equal(et_watch(h, b.pid), 0);
	assert_int_equal(readable(h), 0);
	assert_int_equal(et_next(h, &si, NULL, 0), 0);
	assert_int_equal(et_pending(h), 2);
	child_go(&a);
	child_go(&b);
	child_wait(&a, false);
	child_wait(&b, false);
	assert_int_equal(readable(h), 1);
	assert_int_equal(et_next(h, &si, NULL, 0), 1);
	assert_int_equal(readable(h), 1);	/* one more waiting */
	assert_int_equal(et_next(h, &si, NULL, 0), 1);
	assert_int_equal(readable(h), 0);
	assert_int_equal(et_pending(h), 0);
	assert_int_equal(et_next(h, &si, NULL, 0), -ECHILD);
	child_wait(&a, true);
	child_wait(&b, true);
	et_close(h);
}

static void test_many_watched(void **state)
{
	enum { N = 300 };
	static struct child ch[N];
	static int ws[N];
	struct et_exit ex;
	siginfo_t si;
	struct et *h;
	int i, n, got = 0;

	require_bpf();
	h = open_or_fail(NULL);
	for (i = 0; i < N; i++) {
		child_spawn(&ch[i], i % 3 ? do_exit : do_signal,
			    (void *)(long)(i % 3 ? i % 256 : SIGKILL));
		assert_int_equal(et_watch(h, ch[i].pid), 0);
	}
	assert_int_equal(et_pending(h), N);
	for (i = 0; i < N; i++)
		child_go(&ch[i]);
	for (i = 0; i < N; i++)
		ws[i] = child_wait(&ch[i], true);
	while ((n = et_next(h, &si, &ex, ET_NEXT_BLOCK)) == 1) {
		for (i = 0; i < N && ch[i].pid != ex.pid; i++)
			;
		assert_true(i < N);
		assert_int_equal(ex.status, ws[i]);
		got++;
	}
	assert_int_equal(n, -ECHILD);
	assert_int_equal(got, N);
	et_close(h);
}

static void test_unwatch(void **state)
{
	struct child ch;
	siginfo_t si;
	struct et *h;

	require_bpf();
	h = open_or_fail(NULL);
	child_spawn(&ch, do_exit, (void *)5L);
	assert_int_equal(et_watch(h, ch.pid), 0);
	assert_int_equal(et_unwatch(h, ch.pid), 0);
	assert_int_equal(et_unwatch(h, ch.pid), -ENOENT);
	child_go(&ch);
	child_wait(&ch, false);
	assert_int_equal(et_next(h, &si, NULL, 0), -ECHILD);
	assert_int_equal(readable(h), 0);
	child_wait(&ch, true);
	et_close(h);
}

static void *block_forever(void *arg)
{
	pid_t *tid = arg;

	__atomic_store_n(tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	pause();
	return NULL;
}

/* Review findings: the caller's own pidfd copy must not keep a reported
 * target in the library's epoll; unwatch drops queued results; pidfd checks. */
static void test_caller_keeps_pidfd(void **state)
{
	struct child ch, other;
	struct et_exit ex;
	siginfo_t si;
	struct et *h;
	int p[2];

	require_bpf();
	h = open_or_fail(NULL);
	child_spawn(&ch, do_exit, (void *)6L);
	child_spawn(&other, do_exit, (void *)0L);
	assert_int_equal(et_watch_pidfd(h, ch.pidfd, other.pid), -EINVAL);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(et_watch_pidfd(h, p[0], 0), -EINVAL);
	close(p[0]);
	close(p[1]);
	assert_int_equal(et_watch_pidfd(h, ch.pidfd, ch.pid), 0);	/* we keep ours */
	assert_int_equal(et_watch(h, other.pid), 0);
	child_go(&ch);
	child_wait(&ch, false);
	assert_int_equal(et_wait(h, ch.pid, &si, &ex, T_TIMEOUT_MS), 1);
	assert_int_equal(si.si_status, 6);
	/* reported: no longer readable, though our pidfd still is */
	assert_int_equal(readable(h), 0);
	assert_int_equal(et_next(h, &si, &ex, 0), 0);
	child_wait(&ch, true);

	/* a result queued, then unwatched: dropped */
	child_go(&other);
	child_wait(&other, false);
	assert_int_equal(readable(h), 1);
	assert_int_equal(et_unwatch(h, other.pid), 0);
	assert_int_equal(readable(h), 0);
	assert_int_equal(et_next(h, &si, &ex, 0), -ECHILD);
	assert_int_equal(et_unwatch(h, other.pid), -ENOENT);
	child_wait(&other, true);
	et_close(h);
}

/* A process with exactly this PID (clone3 set_tid, root only) that exits 77. */
static void impostor(pid_t pid)
{
	struct clone_args args = { .exit_signal = SIGCHLD };
	pid_t tid = pid, got;

	args.set_tid = (uint64_t)(uintptr_t)&tid;
	args.set_tid_size = 1;
	got = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (got == 0)
		_exit(77);
	if (got != pid)
		fail_msg("clone3 with set_tid %d: %s", (int)pid, strerror(errno));
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/*
 * A target watched after it ended, then reaped, and its PID reused before
 * the library looked: the new process's exit is not the target's (the BPF
 * side compares start times), the pidfd tells the target's own status.
 */
static void test_reused_pid_is_not_the_target(void **state)
{
	struct timespec tick = { 0, 25000000 };
	struct et_exit ex;
	struct child ch;
	siginfo_t si;
	struct et *h;

	require_bpf();
	h = open_or_fail(NULL);
	child_spawn_now(&ch, do_exit, (void *)13L);
	child_wait(&ch, false);
	assert_int_equal(et_watch(h, ch.pid), 0);	/* in the BPF map, with its start time */
	child_wait(&ch, true);
	/* identity is the start time in clock ticks (/proc's resolution): let
	 * one pass, as any real reuse (after pid_max more forks) does */
	nanosleep(&tick, NULL);
	impostor(ch.pid);
	assert_int_equal(et_wait(h, ch.pid, &si, &ex, T_TIMEOUT_MS), 1);
	assert_int_equal(ex.status, 13 << 8);
	assert_int_equal(ex.source, ET_SRC_PIDFD);
	assert_int_equal(et_next(h, &si, &ex, 0), -ECHILD);
	et_close(h);
}

/* This process's BPF map of that name (one handle open: one such map),
 * its size in *entries; -1 if none. */
static int own_map(const char *name, unsigned int *entries)
{
	struct bpf_map_info info;
	struct dirent *d;
	__u32 len;
	DIR *dir;
	int fd, found = -1;

	dir = opendir("/proc/self/fd");
	assert_non_null(dir);
	while ((d = readdir(dir)) && found < 0) {
		fd = atoi(d->d_name);
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (fd > 2 && fd != dirfd(dir) && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    !strcmp(info.name, name)) {
			found = fd;
			*entries = info.max_entries;
		}
	}
	closedir(dir);
	return found;
}

static bool pid_bit(int map, pid_t pid)
{
	__u32 word = (__u32)pid / 64;
	__u64 bits;

	assert_int_equal(bpf_map_lookup_elem(map, &word, &bits), 0);
	return (bits >> ((__u32)pid % 64)) & 1;
}

/*
 * The kernel's bitmap of PIDs that may be targets: a bit per PID below
 * pid_max, set while the PID is watched, cleared once its end is taken
 * or it is unwatched (else a new process given the PID would cost a map
 * lookup at its exit for nothing).
 */
static void test_pidbits(void **state)
{
	unsigned long pid_max;
	struct child a, b;
	unsigned int words;
	siginfo_t si;
	FILE *f;
	struct et *h;
	int map;

	require_bpf();
	h = open_or_fail(NULL);
	map = own_map("pidbits", &words);
	assert_true(map >= 0);
	f = fopen("/proc/sys/kernel/pid_max", "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu", &pid_max), 1);
	fclose(f);
	assert_int_equal(words, (pid_max + 63) / 64);
	child_spawn(&a, do_exit, (void *)5L);
	child_spawn(&b, do_exit, (void *)6L);
	assert_false(pid_bit(map, a.pid));
	assert_int_equal(et_watch(h, a.pid), 0);
	assert_int_equal(et_watch(h, b.pid), 0);
	assert_true(pid_bit(map, a.pid));
	assert_true(pid_bit(map, b.pid));
	assert_int_equal(et_unwatch(h, b.pid), 0);
	assert_false(pid_bit(map, b.pid));
	assert_true(pid_bit(map, a.pid));
	child_go(&a);
	assert_int_equal(et_wait(h, a.pid, &si, NULL, T_TIMEOUT_MS), 1);
	assert_false(pid_bit(map, a.pid));
	child_wait(&a, true);
	child_go(&b);
	child_wait(&b, true);
	et_close(h);
	/* following, the kernel adds targets: no bitmap */
	h = open_or_fail(&(struct et_opts){ .sz = sizeof(struct et_opts),
					    .flags = ET_OPEN_FOLLOW });
	assert_int_equal(own_map("pidbits", &words), -1);
	et_close(h);
}

/*
 * The bitmap covers pid_max as it was at open (EXITTRACE_TEST_PID_MAX
 * stands in for it): a target in its last word, and one beyond it
 * (pid_max raised since), must both be reported by the kernel, not found
 * later through their pidfds.
 */
static void test_pid_beyond_bitmap(void **state)
{
	unsigned int words, want;
	struct et_exit ex;
	struct child ch;
	char pid_max[16];
	siginfo_t si;
	struct et *h;
	int beyond, ws;

	require_bpf();
	for (beyond = 0; beyond < 2; beyond++) {
		child_spawn(&ch, do_exit, (void *)(long)(40 + beyond));
		if (ch.pid < 64) {	/* no word before its own */
			child_go(&ch);
			child_wait(&ch, true);
			skip();
		}
		/* bits 0 .. the child's word's end, or up to the word before */
		want = (unsigned int)(beyond ? ch.pid / 64 : ch.pid / 64 + 1);
		snprintf(pid_max, sizeof(pid_max), "%d",
			 beyond ? ch.pid - ch.pid % 64 : ch.pid + 1);
		setenv("EXITTRACE_TEST_PID_MAX", pid_max, 1);
		h = open_or_fail(NULL);
		unsetenv("EXITTRACE_TEST_PID_MAX");
		assert_true(own_map("pidbits", &words) >= 0);
		assert_int_equal(words, want);
		assert_int_equal(et_watch(h, ch.pid), 0);
		child_go(&ch);
		assert_int_equal(et_wait(h, ch.pid, &si, &ex, T_TIMEOUT_MS), 1);
		ws = child_wait(&ch, true);
		assert_int_equal(ex.status, ws);
		assert_int_equal(ex.status, (40 + beyond) << 8);
		assert_int_equal(ex.source, ET_SRC_BPF);
		et_close(h);
	}
}

static void test_host_failed_with_threads(void **state)
{
	ET_OPTS(o, .flags = ET_OPEN_HOST | ET_OPEN_FAILED | ET_OPEN_THREADS);
	struct child ok, bad;
	struct pollfd pfd;
	struct et_exit ex;
	siginfo_t si;
	struct et *h;
	int found = 0, rounds;

	require_bpf();
	h = open_or_fail(&o);
	child_spawn_now(&ok, do_exit, (void *)0L);
	child_wait(&ok, true);
	child_spawn_now(&bad, do_exit, (void *)9L);
	child_wait(&bad, true);
	for (rounds = 0; rounds < 1000 && !found; rounds++) {
		while (et_next(h, &si, &ex, 0) == 1) {
			if (ex.flags & ET_EXIT_THREAD)
				continue;
			assert_int_not_equal(ex.pid, ok.pid);
			assert_int_not_equal(ex.status, 0);
			found |= ex.pid == bad.pid;
		}
		pfd.fd = et_fd(h);
		pfd.events = POLLIN;
		if (!found)
			assert_int_equal(poll(&pfd, 1, T_TIMEOUT_MS), 1);
	}
	assert_true(found);
	et_close(h);
}

static void test_watch_errors(void **state)
{
	volatile pid_t tid = 0;
	struct child ch;
	pthread_t t;
	struct et *h;
	int i;

	require_bpf();
	h = open_or_fail(NULL);
	assert_int_equal(et_watch(h, unused_pid()), -ESRCH);
	assert_int_equal(et_watch(h, 0), -EINVAL);
	assert_int_equal(et_watch(h, -3), -EINVAL);
	child_spawn(&ch, do_exit, NULL);
	assert_int_equal(et_watch(h, ch.pid), 0);
	assert_int_equal(et_watch(h, ch.pid), -EEXIST);
	/* a thread is not a process */
	pthread_create(&t, NULL, block_forever, (void *)&tid);
	for (i = 0; i < 10000 && !__atomic_load_n(&tid, __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	assert_int_equal(et_watch(h, tid), -EINVAL);
	pthread_cancel(t);
	pthread_join(t, NULL);
	child_go(&ch);
	child_wait(&ch, true);
	et_close(h);
}

static void test_already_ended(void **state)
{
	struct et_exit ex;
	siginfo_t si, want;
	struct child ch;
	struct et *h;
	int ws, fd;

	require_bpf();
	h = open_or_fail(NULL);
	/* a zombie: from /proc */
	child_spawn_now(&ch, do_exit, (void *)11L);
	ws = child_wait(&ch, false);
	memset(&want, 0, sizeof(want));
	waitid(P_PID, (id_t)ch.pid, &want, WEXITED | WNOWAIT);
	assert_int_equal(et_watch(h, ch.pid), 0);
	assert_int_equal(et_wait(h, ch.pid, &si, &ex, T_TIMEOUT_MS), 1);
	assert_same(&si, &ex, &want, ws);
	assert_int_equal(ex.source, ET_SRC_PROC);
	child_wait(&ch, true);

	/* pinned, then reaped: from the pidfd's exit info */
	child_spawn_now(&ch, do_signal, (void *)(long)SIGTERM);
	fd = dup(ch.pidfd);
	real_parent(&ch, &want, &ws);
	assert_int_equal(et_watch_pidfd(h, fd, 0), -ESRCH);
	assert_int_equal(et_watch_pidfd(h, fd, ch.pid), 0);
	assert_int_equal(et_wait(h, ch.pid, &si, &ex, T_TIMEOUT_MS), 1);
	assert_int_equal(si.si_code, CLD_KILLED);
	assert_int_equal(si.si_status, SIGTERM);
	assert_int_equal(ex.status, ws);
	assert_int_equal(ex.source, ET_SRC_PIDFD);
	close(fd);
	et_close(h);
}

static void test_wait_keeps_others(void **state)
{
	struct child a, b, c;
	struct et_exit ex;
	siginfo_t si;
	struct et *h;

	require_bpf();
	h = open_or_fail(NULL);
	child_spawn(&a, do_exit, (void *)21L);
	child_spawn(&b, do_exit, (void *)22L);
	child_spawn(&c, do_exit, (void *)23L);
	assert_int_equal(et_watch(h, a.pid), 0);
	assert_int_equal(et_watch(h, b.pid), 0);
	assert_int_equal(et_watch(h, c.pid), 0);
	child_go(&a);
	child_wait(&a, true);
	child_go(&b);
	child_wait(&b, true);
	/* b is asked for first; a stays queued */
	assert_int_equal(et_wait(h, b.pid, &si, &ex, T_TIMEOUT_MS), 1);
	assert_int_equal(si.si_pid, b.pid);
	assert_int_equal(si.si_status, 22);
	assert_int_equal(readable(h), 1);
	/* c has not ended: a bounded wait times out */
	assert_int_equal(et_wait(h, c.pid, &si, &ex, 50), 0);
	assert_int_equal(et_wait(h, b.pid, &si, &ex, 50), -ECHILD);
	assert_int_equal(et_next(h, &si, &ex, 0), 1);
	assert_int_equal(si.si_pid, a.pid);
	assert_int_equal(si.si_status, 21);
	assert_int_equal(et_next(h, &si, &ex, 0), 0);
	child_go(&c);
	child_wait(&c, true);
	assert_int_equal(et_next(h, &si, &ex, ET_NEXT_BLOCK), 1);
	assert_int_equal(si.si_status, 23);
	et_close(h);
}

struct worker {
	int failures;
	int seen;
};

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	struct child ch[20];
	int ws[20], i, j;
	struct et_exit ex;
	siginfo_t si;
	struct et *h = et_open(NULL);

	if (!h) {
		w->failures++;
		return NULL;
	}
	for (i = 0; i < 20; i++) {
		child_spawn(&ch[i], do_exit, (void *)(long)(100 + i));
		if (et_watch(h, ch[i].pid))
			w->failures++;
	}
	for (i = 0; i < 20; i++)
		child_go(&ch[i]);
	for (i = 0; i < 20; i++)
		ws[i] = child_wait(&ch[i], true);
	while (et_next(h, &si, &ex, ET_NEXT_BLOCK) == 1) {
		for (j = 0; j < 20 && ch[j].pid != si.si_pid; j++)
			;
		if (j == 20 || ex.status != ws[j] || si.si_status != 100 + j)
			w->failures++;
		w->seen++;
	}
	et_close(h);
	return NULL;
}

static void test_two_threads_two_handles(void **state)
{
	struct worker w[2] = { 0 };
	pthread_t t[2];
	int i;

	require_bpf();
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, worker_thread, &w[i]);
	for (i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
		assert_int_equal(w[i].seen, 20);
	}
}

static void test_host_mode(void **state)
{
	ET_OPTS(o, .flags = ET_OPEN_HOST);
	struct pollfd pfd;
	struct et_exit ex;
	struct child ch;
	siginfo_t si;
	struct et *h;
	int ws, n, found = 0, rounds;

	require_bpf();
	h = open_or_fail(&o);
	child_spawn_now(&ch, do_exit, (void *)42L);
	ws = child_wait(&ch, true);
	for (rounds = 0; rounds < 1000 && !found; rounds++) {
		while ((n = et_next(h, &si, &ex, 0)) == 1)
			if (ex.pid == ch.pid) {
				assert_int_equal(ex.status, ws);
				assert_int_equal(si.si_status, 42);
				assert_false(ex.flags & ET_EXIT_TARGET);
				found = 1;
			}
		assert_int_equal(n, 0);	/* nothing more ready, and no error */
		pfd.fd = et_fd(h);
		pfd.events = POLLIN;
		if (!found)
			assert_int_equal(poll(&pfd, 1, T_TIMEOUT_MS), 1);
	}
	assert_true(found);
	et_close(h);
}

static int do_named_exit(void *arg)
{
	prctl(PR_SET_NAME, "etpollfirst");
	return (int)(long)arg;
}

/*
 * With wakeup coalescing (wake_us), et_fd() becomes readable for the first
 * record even before any et_next(), and again once et_next() has caught up
 * and returned 0: the caller who polls first is woken (a comm filter keeps
 * other processes' records out).
 */
static void test_poll_first_with_coalescing(void **state)
{
	static const char *const comms[] = { "etpollfirst" };
	ET_OPTS(o, .flags = ET_OPEN_HOST, .wake_us = 1000, .comms = comms, .ncomms = 1);
	struct pollfd pfd;
	struct et_exit ex;
	struct child ch;
	siginfo_t si;
	struct et *h;
	int i;

	require_bpf();
	h = open_or_fail(&o);
	for (i = 0; i < 2; i++) {
		child_spawn_now(&ch, do_named_exit, (void *)(long)(5 + i));
		child_wait(&ch, true);
		pfd.fd = et_fd(h);
		pfd.events = POLLIN;
		assert_int_equal(poll(&pfd, 1, T_TIMEOUT_MS), 1);
		assert_int_equal(et_next(h, &si, &ex, 0), 1);
		assert_int_equal(ex.pid, ch.pid);
		assert_int_equal(si.si_status, 5 + i);
		assert_int_equal(et_next(h, &si, &ex, 0), 0);
	}
	et_close(h);
}

/* The calling thread's policy, reset-on-fork aside. */
static int policy(void)
{
	return sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
}

static void set_policy(int pol)
{
	struct sched_param sp = { .sched_priority = pol == SCHED_FIFO || pol == SCHED_RR };

	assert_int_equal(sched_setscheduler(0, pol, &sp), 0);
}

/* After a storm test, whatever failed: the runner back to SCHED_OTHER,
 * nice 0, the default slice. */
static int reset_policy(void **state)
{
	struct et_sched_attr a = { .policy = SCHED_OTHER };

	return sched_attr_set(0, &a) ? -1 : 0;
}

/* One exit of a comm-filtered child, read by et_next() under pol, which
 * then returns 0 (a drain: pace() decides about the storm). */
static void one_exit_read(struct et *h, int pol, int status)
{
	struct pollfd pfd = { .fd = et_fd(h), .events = POLLIN };
	struct et_exit ex;
	struct child ch;
	siginfo_t si;
	int keep = policy();

	/* forked under the runner's policy: a SCHED_IDLE child could starve */
	child_spawn_now(&ch, do_named_exit, (void *)(long)status);
	child_wait(&ch, true);
	if (pol != keep)
		set_policy(pol);
	assert_int_equal(poll(&pfd, 1, T_TIMEOUT_MS), 1);
	assert_int_equal(et_next(h, &si, &ex, 0), 1);
	assert_int_equal(ex.pid, ch.pid);
	assert_int_equal(si.si_status, status);
	assert_int_equal(et_next(h, &si, &ex, 0), 0);
}

/*
 * ET_OPEN_STORM_BATCH: the reading thread is SCHED_BATCH, reset on fork,
 * from the record that makes a storm (one within wake_us of the last)
 * until a read finds nothing, and its own policy otherwise (root clears
 * the flag again; a real-time thread gets its priority back); without
 * the flag, or for a thread under SCHED_IDLE, nothing changes. A comm filter keeps other processes' records out;
 * wake_us is long enough for a slow fork.
 */
static void test_storm_batch(void **state)
{
	static const char *const comms[] = { "etpollfirst" };
	static const struct {
		unsigned int flags;
		int before, storm;
	} cases[] = {
		{ ET_OPEN_STORM_BATCH, SCHED_OTHER, SCHED_BATCH | SCHED_RESET_ON_FORK },
		{ 0, SCHED_OTHER, SCHED_OTHER },
		{ ET_OPEN_STORM_BATCH, SCHED_IDLE, SCHED_IDLE },
		/* real time, which root may set again: switched, and back */
		{ ET_OPEN_STORM_BATCH, SCHED_FIFO, SCHED_BATCH | SCHED_RESET_ON_FORK },
	};
	struct sched_param param;
	struct pollfd pfd;
	struct et_exit ex;
	siginfo_t si;
	struct et *h;
	size_t c;

	require_bpf();
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		ET_OPTS(o, .flags = ET_OPEN_HOST | cases[c].flags, .wake_us = 500000,
			.comms = comms, .ncomms = 1);

		if (cases[c].before == SCHED_FIFO && !fifo_allowed()) {
			print_message("no SCHED_FIFO here: its case left out\n");
			continue;
		}
		h = open_or_fail(&o);
		/* the first exit is isolated, the second a storm */
		one_exit_read(h, cases[c].before, 5);
		assert_int_equal(sched_getscheduler(0), cases[c].before);
		set_policy(SCHED_OTHER);
		one_exit_read(h, cases[c].before, 6);
		assert_int_equal(sched_getscheduler(0), cases[c].storm);
		/* the timer: a read that finds nothing ends the storm */
		pfd.fd = et_fd(h);
		pfd.events = POLLIN;
		assert_int_equal(poll(&pfd, 1, T_TIMEOUT_MS), 1);
		assert_int_equal(et_next(h, &si, &ex, 0), 0);
		assert_int_equal(sched_getscheduler(0), cases[c].before);
		assert_int_equal(sched_getparam(0, &param), 0);
		assert_int_equal(param.sched_priority, cases[c].before == SCHED_FIFO);
		et_close(h);
		set_policy(SCHED_OTHER);
	}
}

/*
 * A storm's SCHED_BATCH keeps the thread's nice, and the thread gets back
 * all it had: its nice, and its own slice where the kernel has them
 * (sched_setscheduler() would reset that to the default).
 */
static void test_storm_batch_keeps_nice_and_slice(void **state)
{
	static const char *const comms[] = { "etpollfirst" };
	ET_OPTS(o, .flags = ET_OPEN_HOST | ET_OPEN_STORM_BATCH, .wake_us = 500000,
		.comms = comms, .ncomms = 1);
	bool slices = custom_slices();
	struct et_sched_attr a = { .policy = SCHED_OTHER, .nice = 5 };
	struct pollfd pfd;
	struct et_exit ex;
	siginfo_t si;
	struct et *h;

	require_bpf();
	if (slices)
		a.runtime = 300000;
	assert_int_equal(sched_attr_set(0, &a), 0);
	h = open_or_fail(&o);
	one_exit_read(h, SCHED_OTHER, 5);
	one_exit_read(h, SCHED_OTHER, 6);
	assert_int_equal(sched_attr_get(0, &a), 0);
	assert_int_equal(a.policy, SCHED_BATCH);
	assert_int_equal(a.nice, 5);
	if (slices)	/* the storm's is the default */
		assert_int_not_equal(a.runtime, 300000);
	pfd.fd = et_fd(h);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, T_TIMEOUT_MS), 1);
	assert_int_equal(et_next(h, &si, &ex, 0), 0);
	assert_int_equal(sched_attr_get(0, &a), 0);
	assert_int_equal(a.policy, SCHED_OTHER);
	assert_int_equal(a.flags, 0);
	assert_int_equal(a.nice, 5);
	if (slices)
		assert_int_equal(a.runtime, 300000);
	et_close(h);

	/* real time: its nice is not among its attributes, and is kept */
	if (!fifo_allowed())
		return;
	assert_int_equal(getpriority(PRIO_PROCESS, 0), 5);
	h = open_or_fail(&o);
	one_exit_read(h, SCHED_FIFO, 5);
	set_policy(SCHED_OTHER);
	one_exit_read(h, SCHED_FIFO, 6);
	assert_int_equal(policy(), SCHED_BATCH);
	assert_int_equal(getpriority(PRIO_PROCESS, 0), 5);
	assert_int_equal(poll(&pfd, 1, T_TIMEOUT_MS), 1);
	assert_int_equal(et_next(h, &si, &ex, 0), 0);
	assert_int_equal(policy(), SCHED_FIFO);
	assert_int_equal(getpriority(PRIO_PROCESS, 0), 5);
	et_close(h);
}

/* The calling thread's slice (6.12+; 0 before). */
static uint64_t my_slice(void)
{
	struct et_sched_attr a;

	assert_int_equal(sched_attr_get(0, &a), 0);
	return a.runtime;
}

/* et_close() from a thread of its own, under SCHED_IDLE: the policy it
 * has after (-1: could not set it). */
static void *close_handle(void *h)
{
	struct sched_param sp = { 0 };

	if (sched_setscheduler(0, SCHED_IDLE, &sp))
		return (void *)-1L;
	et_close(h);
	return (void *)(long)policy();
}

/*
 * ET_OPEN_SHORT_SLICE: the opening thread waits with the shortest slice,
 * through storms too, and gets its own back at et_close(), from whichever
 * thread; without the flag, or under another policy, nothing changes.
 * Where the kernel has no slices of a task's own, nothing changes either.
 */
static void test_short_slice(void **state)
{
	static const char *const comms[] = { "etpollfirst" };
	ET_OPTS(o, .flags = ET_OPEN_HOST | ET_OPEN_STORM_BATCH | ET_OPEN_SHORT_SLICE,
		.wake_us = 500000, .comms = comms, .ncomms = 1);
	ET_OPTS(plain, .flags = ET_OPEN_STORM_BATCH);
	struct et_sched_attr a = { .policy = SCHED_OTHER, .runtime = 300000 };
	bool slices = custom_slices();
	uint64_t mine, want;
	struct pollfd pfd;
	struct et_exit ex;
	void *closer;
	pthread_t th;
	siginfo_t si;
	struct et *h;

	require_bpf();
	assert_int_equal(sched_attr_set(0, &a), 0);
	mine = my_slice();
	want = slices ? ET_SHORT_SLICE_NS : mine;

	h = open_or_fail(&plain);
	assert_int_equal(my_slice(), mine);
	et_close(h);

	h = open_or_fail(&o);
	assert_int_equal(my_slice(), want);
	one_exit_read(h, SCHED_OTHER, 5);
	one_exit_read(h, SCHED_OTHER, 6);
	assert_int_equal(policy(), SCHED_BATCH);
	pfd.fd = et_fd(h);
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, T_TIMEOUT_MS), 1);
	assert_int_equal(et_next(h, &si, &ex, 0), 0);
	assert_int_equal(policy(), SCHED_OTHER);
	assert_int_equal(my_slice(), want);
	assert_int_equal(pthread_create(&th, NULL, close_handle, h), 0);
	assert_int_equal(pthread_join(th, &closer), 0);
	assert_int_equal((long)closer, SCHED_IDLE);
	assert_int_equal(my_slice(), mine);

	set_policy(SCHED_BATCH);
	mine = my_slice();
	h = open_or_fail(&o);
	assert_int_equal(policy(), SCHED_BATCH);
	assert_int_equal(my_slice(), mine);
	et_close(h);
}

/* et_close() mid-storm, from another thread: the thread that was switched
 * gets SCHED_OTHER back, the closing one keeps its own policy. */
static void test_storm_batch_close_elsewhere(void **state)
{
	static const char *const comms[] = { "etpollfirst" };
	ET_OPTS(o, .flags = ET_OPEN_HOST | ET_OPEN_STORM_BATCH, .wake_us = 500000,
		.comms = comms, .ncomms = 1);
	pthread_t th;
	struct et *h;
	void *closer;

	require_bpf();
	h = open_or_fail(&o);
	one_exit_read(h, SCHED_OTHER, 5);
	one_exit_read(h, SCHED_OTHER, 6);
	assert_int_equal(policy(), SCHED_BATCH);
	assert_int_equal(pthread_create(&th, NULL, close_handle, h), 0);
	assert_int_equal(pthread_join(th, &closer), 0);
	assert_int_equal((long)closer, SCHED_IDLE);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
}

static void test_opts_abi(void **state)
{
	struct {
		struct et_opts o;
		long future;
	} big = { .o = { .sz = sizeof(big) }, .future = 1 };
	ET_OPTS(bad_rb, .ringbuf_kib = 3);
	struct et *h;

	errno = 0;
	assert_null(et_open(&big.o));
	assert_int_equal(errno, EINVAL);
	assert_null(et_open(&bad_rb));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(et_version(), EXITTRACE_VERSION);
	require_bpf();
	big.future = 0;	/* unknown but zero: fine */
	h = open_or_fail(&big.o);
	et_close(h);
	et_close(NULL);
}

static int setup(void **state)
{
	return mkdtemp(core_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", core_dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct fork_arg {
	int pid_w;		/* the grandchild's pid goes here */
	int release_r;		/* the grandchild exits once a byte comes */
	int release_w;
};

/* Fork a grandchild that exits 9 when released; reap it; exit 3. */
static int do_fork_one(void *p)
{
	struct fork_arg *a = p;
	pid_t g = fork();
	int st;
	char c;

	if (g == 0) {
		close(a->release_w);
		alarm(20);
		g = getpid();
		if (write(a->pid_w, &g, sizeof(g)) != sizeof(g) || read(a->release_r, &c, 1) != 1)
			_exit(98);
		_exit(9);
	}
	if (g < 0 || waitpid(g, &st, 0) != g)
		return 97;
	return 3;
}

/* et_next(), blocking at most T_TIMEOUT_MS: a leak would fail, not hang. */
static int next_bounded(struct et *h, siginfo_t *si, struct et_exit *ex)
{
	struct pollfd pfd = { .fd = et_fd(h), .events = POLLIN };
	int ret;

	while ((ret = et_next(h, si, ex, 0)) == 0)
		if (poll(&pfd, 1, T_TIMEOUT_MS) != 1)
			fail_msg("no result within %d ms", T_TIMEOUT_MS);
	return ret;
}

/* ET_OPEN_FOLLOW: a watched process's child is watched from its fork,
 * counted by et_pending(), reported with its forker; -ECHILD only once the
 * whole tree is gone. The comm filter leaves a non-matching child out but
 * still counts it. */
static void follow_case(bool filtered)
{
	const char *const comms[] = { "no-such-comm" };
	ET_OPTS(o, .flags = ET_OPEN_FOLLOW, .comms = filtered ? comms : NULL,
		.ncomms = filtered ? 1 : 0);
	struct fork_arg a;
	int pp[2], rp[2], ws;
	struct et_exit ex;
	struct child ch;
	siginfo_t si;
	struct et *h;
	pid_t g;

	require_bpf();
	assert_int_equal(pipe2(pp, O_CLOEXEC), 0);
	assert_int_equal(pipe2(rp, O_CLOEXEC), 0);
	a.pid_w = pp[1];
	a.release_r = rp[0];
	a.release_w = rp[1];
	h = open_or_fail(&o);
	child_spawn(&ch, do_fork_one, &a);
	assert_int_equal(et_watch(h, ch.pid), 0);
	assert_int_equal(et_pending(h), 1);
	child_go(&ch);
	assert_int_equal(read(pp[0], &g, sizeof(g)), sizeof(g));
	assert_int_equal(et_pending(h), 2);	/* the child is in, from its fork */
	assert_int_equal(write(rp[1], "x", 1), 1);
	ws = child_wait(&ch, true);
	assert_int_equal(ws, 3 << 8);
	if (!filtered) {
		/* the grandchild first: its parent reaped it before exiting */
		assert_int_equal(next_bounded(h, &si, &ex), 1);
		assert_int_equal(ex.pid, g);
		assert_int_equal(ex.status, 9 << 8);
		assert_int_equal(ex.fork_ppid, ch.pid);
		assert_true(ex.flags & ET_EXIT_FOLLOWED);
		assert_true(ex.flags & ET_EXIT_MATCH);
		assert_int_equal(ex.nchain, 1);		/* a failure: its parent */
		assert_int_equal(ex.chain[0].pid, ch.pid);
	}
	assert_int_equal(next_bounded(h, &si, &ex), 1);
	assert_int_equal(ex.pid, ch.pid);
	assert_int_equal(ex.status, ws);
	assert_true(ex.flags & ET_EXIT_TARGET);
	/* watched by PID: reported, but flagged as not passing */
	assert_int_equal(!!(ex.flags & ET_EXIT_MATCH), !filtered);
	assert_int_equal(next_bounded(h, &si, &ex), -ECHILD);
	assert_int_equal(et_pending(h), 0);
	et_close(h);
	close(pp[0]);
	close(pp[1]);
	close(rp[0]);
	close(rp[1]);
}

static void test_follow(void **state)
{
	follow_case(false);
}

static void test_follow_filtered(void **state)
{
	follow_case(true);
}

static void test_follow_not_with_host(void **state)
{
	ET_OPTS(o, .flags = ET_OPEN_FOLLOW | ET_OPEN_HOST);
	ET_OPTS(tp, .flags = ET_OPEN_FOLLOW, .attach = ET_ATTACH_TRACEPOINT);

	require_bpf();
	assert_null(et_open(&o));
	assert_int_equal(errno, EINVAL);
	/* the classic tracepoint cannot follow: said, not half done */
	assert_null(et_open(&tp));
	assert_int_equal(errno, EOPNOTSUPP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opts_abi),
		cmocka_unit_test(test_matches_waitid),
		cmocka_unit_test(test_fd_ready_exactly_when_pending),
		cmocka_unit_test(test_many_watched),
		cmocka_unit_test(test_unwatch),
		cmocka_unit_test(test_watch_errors),
		cmocka_unit_test(test_caller_keeps_pidfd),
		cmocka_unit_test(test_reused_pid_is_not_the_target),
		cmocka_unit_test(test_pidbits),
		cmocka_unit_test(test_pid_beyond_bitmap),
		cmocka_unit_test(test_host_failed_with_threads),
		cmocka_unit_test(test_already_ended),
		cmocka_unit_test(test_wait_keeps_others),
		cmocka_unit_test(test_two_threads_two_handles),
		cmocka_unit_test(test_host_mode),
		cmocka_unit_test(test_poll_first_with_coalescing),
		cmocka_unit_test_teardown(test_storm_batch, reset_policy),
		cmocka_unit_test_teardown(test_storm_batch_close_elsewhere, reset_policy),
		cmocka_unit_test_teardown(test_storm_batch_keeps_nice_and_slice, reset_policy),
		cmocka_unit_test_teardown(test_short_slice, reset_policy),
		cmocka_unit_test(test_follow),
		cmocka_unit_test(test_follow_filtered),
		cmocka_unit_test(test_follow_not_with_host),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
