// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Why it died, with the real BPF program: who sent the fatal signal (kill,
 * tgkill on a non-leader thread, sigqueue, a pidfd), self-inflicted and
 * kernel signals, an OOM kill in a memory cgroup, and rusage against
 * wait4(). Every status is also compared with the real parent's waitpid().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

/* ---- targets ---- */

static int tid_fd = -1;		/* a target's non-leader thread id goes here */

static void *sleeper(void *arg)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);

	if (write(tid_fd, &tid, sizeof(tid)) != sizeof(tid))
		_exit(90);
	for (;;)
		pause();
	return NULL;
}

static void reraise(int sig)
{
	signal(sig, SIG_DFL);
	raise(sig);
}

static bool reraise_term;	/* do_wait_killed: a SIGTERM handler that re-raises */

/* Wait to be killed (bounded), with a second thread whose tid is sent. */
static int do_wait_killed(void *arg)
{
	pthread_t th;

	tid_fd = (int)(long)arg;
	signal(SIGTERM, reraise_term ? reraise : SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	if (pthread_create(&th, NULL, sleeper, NULL))
		return 91;
	alarm(20);
	for (;;)
		pause();
	return 92;
}

static int do_abort(void *arg)
{
	abort();
	return 93;
}

static int do_segv(void *arg)
{
	signal(SIGSEGV, SIG_DFL);
	*(volatile int *)(long)arg = 1;
	return 94;
}

/* A crash reporter's way: catch the fault, then die of it. */
static int do_segv_reraise(void *arg)
{
	signal(SIGSEGV, reraise);
	*(volatile int *)(long)arg = 1;
	return 98;
}

static int do_sigpipe(void *arg)
{
	int p[2];

	signal(SIGPIPE, SIG_DFL);
	if (pipe(p))
		return 95;
	close(p[0]);
	if (write(p[1], "x", 1) < 0)
		return 96;
	return 97;
}

/* ---- plumbing ---- */

static json_object *exit_of(struct tracer *tr, pid_t pid)
{
	json_object *ev = tracer_event(tr, "exit", pid, T_TIMEOUT_MS);

	if (!ev) {
		tracer_wait(tr, T_TIMEOUT_MS);
		fail_msg("no exit record for %d; stderr: %s", (int)pid, tracer_stderr(tr));
	}
	return ev;
}

static void start_watching(struct tracer *tr, pid_t pid, bool text)
{
	static char p[16];
	const char *argv[] = { "-j", "-p", p, NULL };
	const char *targv[] = { "-p", p, NULL };

	snprintf(p, sizeof(p), "%d", (int)pid);
	tracer_spawn(tr, text ? targv : argv);
	if (!text)
		tracer_start_wait(tr);
	else if (!tracer_line(tr, T_TIMEOUT_MS))	/* the header */
		fail_msg("no header; stderr: %s", tracer_stderr(tr));
}

static const char *origin(json_object *ev)
{
	return j_is_null(ev, "signal_origin") ? "null" : j_str(ev, "signal_origin");
}

static json_object *killer(json_object *ev)
{
	json_object *k;

	if (!json_object_object_get_ex(ev, "killer", &k) || !json_object_is_type(k, json_type_object))
		fail_msg("no killer object");
	return k;
}

enum how { BY_KILL, BY_TGKILL, BY_SIGQUEUE, BY_PIDFD };

struct kill_arg {
	enum how how;
	pid_t pid, tid;
	int sig;
};

static int do_kill(void *p)
{
	const struct kill_arg *a = p;
	union sigval v = { .sival_int = 7 };
	int fd;

	prctl(PR_SET_NAME, "et-killer");
	switch (a->how) {
	case BY_KILL:
		return kill(a->pid, a->sig) ? 80 : 0;
	case BY_TGKILL:
		return syscall(SYS_tgkill, a->pid, a->tid, a->sig) ? 81 : 0;
	case BY_SIGQUEUE:
		return sigqueue(a->pid, a->sig, v) ? 82 : 0;
	case BY_PIDFD:
		fd = (int)syscall(SYS_pidfd_open, a->pid, 0);
		return fd < 0 || syscall(SYS_pidfd_send_signal, fd, a->sig, NULL, 0) ? 83 : 0;
	}
	return 84;
}

/* A target killed by another process: named, with its pid and uid. */
static void killed_by(enum how how, int sig)
{
	struct child target, k;
	struct kill_arg a = { .how = how, .sig = sig };
	struct tracer tr;
	json_object *ev, *kj;
	int tp[2], ws;

	require_bpf();
	assert_int_equal(pipe2(tp, O_CLOEXEC), 0);
	child_spawn_now(&target, do_wait_killed, (void *)(long)tp[1]);
	assert_int_equal(read(tp[0], &a.tid, sizeof(a.tid)), sizeof(a.tid));
	a.pid = target.pid;
	start_watching(&tr, target.pid, false);
	child_spawn(&k, do_kill, &a);
	child_go(&k);
	assert_int_equal(child_wait(&k, false), 0);	/* a zombie: its pid stays its own */
	ws = child_wait(&target, true);
	assert_true(WIFSIGNALED(ws));
	assert_int_equal(WTERMSIG(ws), sig);
	ev = exit_of(&tr, target.pid);
	assert_int_equal(j_int(ev, "status"), ws);
	assert_string_equal(origin(ev), "user");
	assert_false(j_bool(ev, "oom_killed"));
	kj = killer(ev);
	assert_int_equal(j_int(kj, "pid"), k.pid);
	assert_int_equal(j_int(kj, "tid"), k.pid);
	assert_int_equal(j_int(kj, "uid"), getuid());
	assert_string_equal(j_str(kj, "comm"), "et-killer");
	json_object_put(ev);
	child_wait(&k, true);
	tracer_wait(&tr, T_TIMEOUT_MS);
	tracer_close(&tr);
	close(tp[0]);
	close(tp[1]);
}

static void test_killed_by_kill(void **state)
{
	killed_by(BY_KILL, SIGTERM);
}

static void test_killed_by_tgkill_on_a_thread(void **state)
{
	killed_by(BY_TGKILL, SIGTERM);	/* the group dies of it */
}

static void test_killed_by_sigqueue(void **state)
{
	killed_by(BY_SIGQUEUE, SIGUSR1);
}

static void test_killed_by_pidfd(void **state)
{
	killed_by(BY_PIDFD, SIGKILL);
}

/* A handler that cleans up and re-raises: still the sender's doing. */
static void test_handler_reraise_keeps_sender(void **state)
{
	reraise_term = true;
	killed_by(BY_KILL, SIGTERM);
	reraise_term = false;
}

/* A target that dies of its own signal, or of the kernel's. */
static void died_of(int (*fn)(void *), void *arg, const char *want_origin, int want_sig)
{
	struct tracer tr;
	struct child ch;
	json_object *ev;
	int ws;

	require_bpf();
	child_spawn(&ch, fn, arg);
	start_watching(&tr, ch.pid, false);
	child_go(&ch);
	ws = child_wait(&ch, true);
	assert_true(WIFSIGNALED(ws));
	assert_int_equal(WTERMSIG(ws), want_sig);
	ev = exit_of(&tr, ch.pid);
	assert_int_equal(j_int(ev, "status"), ws);
	assert_string_equal(origin(ev), want_origin);
	if (!strcmp(want_origin, "self"))
		assert_int_equal(j_int(killer(ev), "pid"), ch.pid);
	else
		assert_true(j_is_null(ev, "killer"));
	json_object_put(ev);
	tracer_wait(&tr, T_TIMEOUT_MS);
	tracer_close(&tr);
}

static void test_abort_is_self(void **state)
{
	died_of(do_abort, NULL, "self", SIGABRT);
}

static void test_segv_is_kernel(void **state)
{
	died_of(do_segv, (void *)16L, "kernel", SIGSEGV);
}

static void test_sigpipe_is_kernel(void **state)
{
	died_of(do_sigpipe, NULL, "kernel", SIGPIPE);
}

static void test_reraised_fault_is_kernel(void **state)
{
	died_of(do_segv_reraise, (void *)16L, "kernel", SIGSEGV);
}

/* Text says it in one line: "killed SIGTERM by PID (et-killer)". */
static void test_text_names_the_killer(void **state)
{
	struct child target, k;
	struct kill_arg a = { .how = BY_KILL, .sig = SIGTERM };
	struct tracer tr;
	const char *line;
	char want[64];
	int tp[2];

	require_bpf();
	assert_int_equal(pipe2(tp, O_CLOEXEC), 0);
	child_spawn_now(&target, do_wait_killed, (void *)(long)tp[1]);
	assert_int_equal(read(tp[0], &a.tid, sizeof(a.tid)), sizeof(a.tid));
	a.pid = target.pid;
	start_watching(&tr, target.pid, true);
	child_spawn(&k, do_kill, &a);
	child_go(&k);
	child_wait(&k, false);
	child_wait(&target, true);
	line = tracer_line(&tr, T_TIMEOUT_MS);
	assert_non_null(line);
	snprintf(want, sizeof(want), " killed SIGTERM by %d (et-killer) ", (int)k.pid);
	if (!strstr(line, want))
		fail_msg("'%s' lacks '%s'", line, want);
	child_wait(&k, true);
	tracer_wait(&tr, T_TIMEOUT_MS);
	tracer_close(&tr);
	close(tp[0]);
	close(tp[1]);
}

/* SIGTERM blocked, sent before exittrace started, taken once unblocked:
 * who sent it cannot be known, and the record says so. */
static int do_unblock_later(void *arg)
{
	sigset_t set;
	int go = (int)(long)arg;
	char c;

	signal(SIGTERM, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (read(go, &c, 1) != 1)
		return 85;
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	return 86;
}

static void test_signal_before_tracing_is_unknown(void **state)
{
	struct tracer tr;
	struct child ch;
	json_object *ev;
	sigset_t set, old;
	int gp[2], ws;

	require_bpf();
	assert_int_equal(pipe2(gp, O_CLOEXEC), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);	/* inherited blocked */
	child_spawn_now(&ch, do_unblock_later, (void *)(long)gp[0]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	assert_int_equal(kill(ch.pid, SIGTERM), 0);	/* pending, before tracing */
	start_watching(&tr, ch.pid, false);
	assert_int_equal(write(gp[1], "g", 1), 1);
	ws = child_wait(&ch, true);
	assert_true(WIFSIGNALED(ws));
	ev = exit_of(&tr, ch.pid);
	assert_int_equal(j_int(ev, "status"), ws);
	assert_string_equal(origin(ev), "unknown");
	assert_true(j_is_null(ev, "killer"));
	json_object_put(ev);
	tracer_wait(&tr, T_TIMEOUT_MS);
	tracer_close(&tr);
	close(gp[0]);
	close(gp[1]);
}

/* ---- OOM ---- */

static bool write_file(const char *dir, const char *file, const char *text);
static bool delegated;	/* memory_mount() turned on +memory at the v2 root */

static bool file_has(const char *dir, const char *file, const char *word)
{
	char path[768], buf[512];
	FILE *f;
	bool has = false;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (f) {
		has = fgets(buf, sizeof(buf), f) && strstr(buf, word);
		fclose(f);
	}
	return has;
}

/*
 * A memory cgroup to put a process in, from mountinfo: the v1 memory
 * controller's mount, or else a cgroup2 mount that has (or can be given)
 * the memory controller. *v2 says which; NULL when neither.
 */
static const char *memory_mount(bool *v2)
{
	static char path[512];
	char line[1024], fstype[64], opts[512], mnt[512];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	const char *sep;
	bool v1 = false, found2 = false;

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep, " - %63s %*s %511s", fstype, opts) != 2 ||
		    sscanf(line, "%*d %*d %*s %*s %511s", mnt) != 1)
			continue;
		if (!strcmp(fstype, "cgroup") && strstr(opts, "memory")) {
			strcpy(path, mnt);
			v1 = true;
			break;
		}
		if (!strcmp(fstype, "cgroup2") && !found2 && file_has(mnt, "cgroup.controllers",
								      "memory")) {
			strcpy(path, mnt);
			found2 = true;
		}
	}
	fclose(f);
	*v2 = !v1;
	if (v1)
		return path;
	if (!found2)
		return NULL;
	/* children of the v2 root get memory only if it is delegated (the
	 * test takes it back after) */
	if (!file_has(path, "cgroup.subtree_control", "memory"))
		delegated = write_file(path, "cgroup.subtree_control", "+memory");
	return file_has(path, "cgroup.subtree_control", "memory") ? path : NULL;
}

static bool write_file(const char *dir, const char *file, const char *text)
{
	char path[768];
	int fd;
	bool ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok;
}

static int do_eat_memory(void *arg)
{
	size_t i, n = (size_t)512 << 20;
	volatile char *m = malloc(n);

	if (!m)
		return 87;
	for (i = 0; i < n; i += 4096)
		m[i] = 1;
	return 88;	/* not reached under a 32 MiB limit */
}

static void test_oom_kill(void **state)
{
	bool v2;
	const char *mnt = memory_mount(&v2);
	char dir[600], pid[16];
	struct tracer tr;
	struct child ch;
	json_object *ev;
	int ws;

	require_bpf();
	if (!mnt) {
		print_message("no memory cgroup controller here: skipped\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/exittrace-test-%d", mnt, (int)getpid());
	if (mkdir(dir, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", dir, strerror(errno));
	if (v2) {
		assert_true(write_file(dir, "memory.max", "33554432"));
		write_file(dir, "memory.swap.max", "0");
	} else {
		assert_true(write_file(dir, "memory.limit_in_bytes", "33554432"));
		write_file(dir, "memory.swappiness", "0");
	}
	child_spawn(&ch, do_eat_memory, NULL);
	snprintf(pid, sizeof(pid), "%d", (int)ch.pid);
	assert_true(write_file(dir, "cgroup.procs", pid));
	start_watching(&tr, ch.pid, false);
	child_go(&ch);
	ws = child_wait(&ch, true);
	rmdir(dir);
	if (delegated)
		write_file(mnt, "cgroup.subtree_control", "-memory");
	assert_true(WIFSIGNALED(ws));
	assert_int_equal(WTERMSIG(ws), SIGKILL);
	ev = exit_of(&tr, ch.pid);
	assert_int_equal(j_int(ev, "status"), ws);
	assert_true(j_bool(ev, "oom_killed"));
	assert_string_equal(origin(ev), "oom");
	json_object_put(ev);
	tracer_wait(&tr, T_TIMEOUT_MS);
	tracer_close(&tr);
}

/* A SIGKILL from a process is not an OOM kill. */
static void test_sigkill_is_not_oom(void **state)
{
	killed_by(BY_KILL, SIGKILL);
}

/* ---- rusage ---- */

#define SPIN_NS 300000000LL

static int do_spin(void *arg)
{
	struct timespec a, b;
	volatile unsigned long s = 0;
	size_t i, n = (size_t)40 << 20;
	volatile char *m;
	int k;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	do {
		for (k = 0; k < 100000; k++)
			s += (unsigned long)k;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec) < SPIN_NS);
	m = malloc(n);
	if (!m)
		return 1;
	for (i = 0; i < n; i += 4096)
		m[i] = 1;
	return m[4096] + 4;
}

static long long tv_ns(const struct timeval *tv)
{
	return tv->tv_sec * 1000000000LL + tv->tv_usec * 1000LL;
}

/* Run fn watched, reap it with wait4() (the truth), and return its exit
 * record's rusage object (*ev to put). */
static json_object *rusage_run(int (*fn)(void *), int code, struct rusage *ru, json_object **ev)
{
	struct pollfd pfd;
	struct tracer tr;
	struct child ch;
	json_object *r;
	int ws;

	require_bpf();
	child_spawn(&ch, fn, NULL);
	start_watching(&tr, ch.pid, false);
	child_go(&ch);
	pfd.fd = ch.pidfd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, T_TIMEOUT_MS), 1);
	assert_int_equal(wait4(ch.pid, &ws, 0, ru), ch.pid);
	assert_int_equal(WEXITSTATUS(ws), code);
	*ev = exit_of(&tr, ch.pid);
	assert_int_equal(j_int(*ev, "status"), ws);
	assert_true(json_object_object_get_ex(*ev, "rusage", &r));
	close(ch.pidfd);
	tracer_wait(&tr, T_TIMEOUT_MS);
	tracer_close(&tr);
	return r;
}

/* The same counters wait4() gives the real parent: CPU within a few
 * percent (and never for a process that did not spin), maxrss and faults
 * exact, voluntary switches at most two short (the exit path after the
 * tracepoint sleeps). */
static void test_rusage_matches_wait4(void **state)
{
	struct rusage ru;
	json_object *ev, *r;
	long long cpu, want_cpu;

	r = rusage_run(do_spin, 5, &ru, &ev);
	cpu = j_int(r, "utime_ns") + j_int(r, "stime_ns");
	want_cpu = tv_ns(&ru.ru_utime) + tv_ns(&ru.ru_stime);
	assert_true(cpu >= SPIN_NS);
	assert_true(cpu <= want_cpu && cpu >= want_cpu * 9 / 10);
	assert_int_equal(j_int(r, "maxrss_kb"), ru.ru_maxrss);
	assert_true(j_int(r, "maxrss_kb") >= 40 * 1024);
	assert_int_equal(j_int(r, "minflt"), ru.ru_minflt);
	assert_int_equal(j_int(r, "majflt"), ru.ru_majflt);
	assert_true(j_int(r, "nvcsw") <= ru.ru_nvcsw && j_int(r, "nvcsw") + 2 >= ru.ru_nvcsw);
	assert_true(j_int(r, "nivcsw") <= ru.ru_nivcsw);
	json_object_put(ev);
}

/* Threads that each spin SPIN_NS / 2; the leader leaves first
 * (pthread_exit), the last spinner ends the process with exit(7). */
static int spinners_left = 4;

static void spin_for(long long ns)
{
	struct timespec a, b;
	volatile unsigned long s = 0;
	int k;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do {
		for (k = 0; k < 100000; k++)
			s += (unsigned long)k;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec) < ns);
}

static void *spinner(void *arg)
{
	spin_for(SPIN_NS / 2);
	/* _exit: the same exit_group, without exit-time work (under
	 * SANITIZE=1, a leak check that would change the status) */
	if (__atomic_sub_fetch(&spinners_left, 1, __ATOMIC_SEQ_CST) == 0)
		_exit(7);
	if (arg)
		pthread_exit(NULL);	/* the leader: a zombie from here on */
	for (;;)
		pause();
	return NULL;
}

static int do_threads_spin(void *arg)
{
	pthread_t th;
	int i;

	alarm(20);
	for (i = 0; i < 3; i++)
		if (pthread_create(&th, NULL, spinner, NULL))
			return 1;
	spinner(&th);		/* the leader spins too, then leaves */
	return 2;
}

/* The leader gone first (a zombie leader), other threads still alive when
 * the last ends the process: wait4() sums them all, and so must we. */
static void test_rusage_threads(void **state)
{
	struct rusage ru;
	json_object *ev, *r;
	long long cpu, want_cpu;

	r = rusage_run(do_threads_spin, 7, &ru, &ev);
	cpu = j_int(r, "utime_ns") + j_int(r, "stime_ns");
	want_cpu = tv_ns(&ru.ru_utime) + tv_ns(&ru.ru_stime);
	assert_true(cpu >= 2 * SPIN_NS * 9 / 10);	/* four threads, SPIN_NS / 2 each */
	if (cpu > want_cpu || cpu < want_cpu * 9 / 10)
		fail_msg("cpu %lld ns, wait4 %lld ns", cpu, want_cpu);
	if (j_int(r, "minflt") > ru.ru_minflt || j_int(r, "minflt") < ru.ru_minflt * 9 / 10)
		fail_msg("minflt %lld, wait4 %ld", j_int(r, "minflt"), ru.ru_minflt);
	json_object_put(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_killed_by_kill),
		cmocka_unit_test(test_killed_by_tgkill_on_a_thread),
		cmocka_unit_test(test_killed_by_sigqueue),
		cmocka_unit_test(test_killed_by_pidfd),
		cmocka_unit_test(test_sigkill_is_not_oom),
		cmocka_unit_test(test_abort_is_self),
		cmocka_unit_test(test_segv_is_kernel),
		cmocka_unit_test(test_sigpipe_is_kernel),
		cmocka_unit_test(test_text_names_the_killer),
		cmocka_unit_test(test_signal_before_tracing_is_unknown),
		cmocka_unit_test(test_oom_kill),
		cmocka_unit_test(test_rusage_matches_wait4),
		cmocka_unit_test(test_rusage_threads),
		cmocka_unit_test(test_handler_reraise_keeps_sender),
		cmocka_unit_test(test_reraised_fault_is_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
