// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The CLI end to end with the real BPF program: many targets, targets that
 * are already zombies or end while exittrace starts, missing PIDs, -T,
 * whole-host mode, escaping, output failures, signals, timeouts, bad input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "harness.h"
#include "schedattr.h"

static int do_exit(void *arg)
{
	return (int)(long)arg;
}

/* Varied endings, from the index. */
static int do_varied(void *arg)
{
	long i = (long)arg;

	if (i % 4 == 3) {
		signal(SIGUSR1, SIG_DFL);
		kill(getpid(), i % 8 == 7 ? SIGKILL : SIGUSR1);
	}
	return (int)(i * 7 % 256);
}

static void wait_asleep_in_epoll(pid_t pid);

static void test_many_targets(void **state)
{
	enum { N = 40 };
	struct child ch[N];
	int ws[N], seen[N] = { 0 }, i, j, st;
	char list1[512] = "", one[16];
	const char *argv[N + 8];
	char single[N][16];
	struct tracer tr;
	json_object *ev;
	int argc = 0;

	require_bpf();
	for (i = 0; i < N; i++)
		child_spawn(&ch[i], do_varied, (void *)(long)i);
	/* half as one comma list, half as repeated -p */
	argv[argc++] = "-j";
	for (i = 0; i < N / 2; i++) {
		snprintf(one, sizeof(one), "%s%d", i ? "," : "", (int)ch[i].pid);
		strcat(list1, one);
	}
	argv[argc++] = "-p";
	argv[argc++] = list1;
	for (i = N / 2; i < N; i++) {
		snprintf(single[i], sizeof(single[i]), "--pid=%d", (int)ch[i].pid);
		argv[argc++] = single[i];
	}
	argv[argc] = NULL;
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	for (i = 0; i < N; i++)
		child_go(&ch[i]);
	for (i = 0; i < N; i++)
		ws[i] = child_wait(&ch[i], true);
	for (j = 0; j < N; j++) {
		ev = tracer_event(&tr, "exit", 0, T_TIMEOUT_MS);
		assert_non_null(ev);
		for (i = 0; i < N && ch[i].pid != j_int(ev, "pid"); i++)
			;
		assert_true(i < N);
		assert_int_equal(seen[i], 0);
		seen[i] = 1;
		assert_int_equal(j_int(ev, "status"), ws[i]);
		json_object_put(ev);
	}
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(st), shell_status(ws[N - 1]));
	tracer_close(&tr);
}

static void test_zombie_target(void **state)
{
	const char *argv[] = { "-j", "-p", NULL, NULL };
	struct tracer tr;
	struct child ch;
	json_object *ev;
	char p[16];
	int ws, st;

	require_bpf();
	child_spawn_now(&ch, do_exit, (void *)13L);
	ws = child_wait(&ch, false);	/* a zombie now, not reaped */
	snprintf(p, sizeof(p), "%d", (int)ch.pid);
	argv[2] = p;
	tracer_spawn(&tr, argv);
	ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_int_equal(j_int(ev, "status"), ws);
	assert_int_equal(j_int(ev, "exit_code"), 13);
	assert_true(strcmp(j_str(ev, "source"), "proc") == 0 ||
		    strcmp(j_str(ev, "source"), "pidfd") == 0);
	json_object_put(ev);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(st), 13);
	tracer_close(&tr);
	assert_int_equal(child_wait(&ch, true), ws);
}

static void test_missing_pid(void **state)
{
	char p[16], q[16], msg[64];
	const char *argv[] = { "-p", p, NULL, NULL, NULL };
	struct tracer tr;
	struct child ch;
	int st;

	require_bpf();
	snprintf(p, sizeof(p), "%d", (int)unused_pid());
	tracer_spawn(&tr, argv);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(st), 127);
	snprintf(msg, sizeof(msg), "exittrace: pid %s: no such process\n", p);
	assert_string_equal(tracer_stderr(&tr), msg);
	tracer_close(&tr);

	/* a missing PID among live ones: said, and the others still waited for */
	child_spawn(&ch, do_exit, (void *)4L);
	snprintf(q, sizeof(q), "%d", (int)ch.pid);
	argv[2] = "-p";
	argv[3] = q;
	tracer_spawn(&tr, argv);
	assert_non_null(tracer_line(&tr, T_TIMEOUT_MS));	/* header: attached */
	child_go(&ch);
	child_wait(&ch, true);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(st), 4);
	assert_string_equal(tracer_stderr(&tr), msg);
	tracer_close(&tr);
}

static int do_spin_exit(void *arg)
{
	long i = (long)arg;
	struct timespec a, b;

	/* end at some point of exittrace's start-up (~50 ms here): 0 to 117 ms in */
	clock_gettime(CLOCK_MONOTONIC, &a);
	do
		clock_gettime(CLOCK_MONOTONIC, &b);
	while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < (i % 40) * 3000000L);
	if (i % 5 == 4)
		kill(getpid(), SIGKILL);
	return (int)(i % 256);
}

/* A child that ends at some point of exittrace's start-up, and exittrace
 * started on it. */
static void race_start(long i, struct child *ch, struct tracer *tr)
{
	const char *argv[] = { "-j", "-p", NULL, NULL };
	char p[16];

	child_spawn_now(ch, do_spin_exit, (void *)i);
	snprintf(p, sizeof(p), "%d", (int)ch->pid);
	argv[2] = p;
	tracer_spawn(tr, argv);
}

/* Targets that end while exittrace starts, not reaped meanwhile: every
 * status right, whether the record came from BPF or from the zombie. */
static void test_exit_during_startup(void **state)
{
	struct tracer tr;
	struct child ch;
	json_object *ev;
	int i, ws, st, by_bpf = 0, early = 0;

	require_bpf();
	for (i = 0; i < 60; i++) {
		race_start(i, &ch, &tr);
		ws = child_wait(&ch, false);
		ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
		if (!ev)
			fail_msg("iteration %d: no exit record", i);
		assert_int_equal(j_int(ev, "status"), ws);
		if (strcmp(j_str(ev, "source"), "bpf") == 0)
			by_bpf++;
		else
			early++;
		json_object_put(ev);
		st = tracer_wait(&tr, T_TIMEOUT_MS);
		assert_int_equal(WEXITSTATUS(st), shell_status(ws));
		tracer_close(&tr);
		child_wait(&ch, true);
	}
	fprintf(stderr, "NOTE: %d caught by the probe, %d as zombies\n", by_bpf, early);
}

/* The same, but the parent reaps at once: exittrace says the PID is gone,
 * or gives the right status; never a wrong one, never a hang. */
static void test_exit_and_reap_during_startup(void **state)
{
	struct tracer tr;
	struct child ch;
	json_object *ev;
	int i, ws, st, gone = 0, told = 0;

	require_bpf();
	for (i = 0; i < 60; i++) {
		race_start(i, &ch, &tr);
		ws = child_wait(&ch, true);
		st = tracer_wait(&tr, T_TIMEOUT_MS);
		if (WEXITSTATUS(st) == 127) {
			assert_non_null(strstr(tracer_stderr(&tr), "no such process"));
			gone++;
		} else {
			ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
			if (!ev)
				fail_msg("iteration %d: status %d, no record; stderr: %s", i,
					 WEXITSTATUS(st), tracer_stderr(&tr));
			assert_int_equal(j_int(ev, "status"), ws);
			assert_int_equal(WEXITSTATUS(st), shell_status(ws));
			json_object_put(ev);
			told++;
		}
		tracer_close(&tr);
	}
	fprintf(stderr, "NOTE: %d reported, %d gone before exittrace looked\n", told, gone);
}

static void *thread_plain_exit(void *arg)
{
	syscall(SYS_exit, (int)(long)arg);
	return NULL;
}

static int do_threads(void *arg)
{
	pthread_t t[3];
	long i;

	for (i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, thread_plain_exit, (void *)(10 + i));
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	return 5;
}

static void test_threads_flag(void **state)
{
	const char *argv[] = { "-j", "-T", "-p", NULL, NULL };
	int codes[4] = { 0 }, n = 0, i, ws, st;
	struct tracer tr;
	struct child ch;
	json_object *ev;
	char p[16];

	require_bpf();
	child_spawn(&ch, do_threads, NULL);
	snprintf(p, sizeof(p), "%d", (int)ch.pid);
	argv[3] = p;
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	child_go(&ch);
	ws = child_wait(&ch, true);
	while ((ev = tracer_json(&tr, T_TIMEOUT_MS))) {
		const char *kind = j_str(ev, "event");

		if (strcmp(kind, "thread_exit") == 0) {
			assert_int_equal(j_int(ev, "pid"), ch.pid);
			assert_true(n < 4);
			codes[n++] = (int)j_int(ev, "exit_code");
			if (j_int(ev, "tid") == ch.pid)
				assert_int_equal(j_int(ev, "exit_code"), 5);
			else
				assert_true(j_int(ev, "exit_code") >= 10);
		} else if (strcmp(kind, "exit") == 0) {
			assert_int_equal(j_int(ev, "status"), ws);
			json_object_put(ev);
			break;
		}
		json_object_put(ev);
	}
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++)
		assert_true(codes[i] == 5 || (codes[i] >= 10 && codes[i] <= 12));
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(st), 5);
	tracer_close(&tr);
}

static void test_host_mode(void **state)
{
	const char *argv[] = { "-j", NULL };
	struct tracer tr;
	struct child ch;
	json_object *ev;
	int ws, st;

	require_bpf();
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	child_spawn_now(&ch, do_exit, (void *)42L);
	ws = child_wait(&ch, true);
	ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_int_equal(j_int(ev, "status"), ws);
	assert_int_equal(j_int(ev, "ppid"), getpid());
	assert_int_equal(j_int(ev, "uid"), getuid());
	json_object_put(ev);
	kill(tr.pid, SIGTERM);
	tracer_expect_end(&tr, "signal");
	assert_null(tracer_line(&tr, T_TIMEOUT_MS));	/* nothing after "end" */
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_string_equal(tracer_stderr(&tr), "");
	tracer_close(&tr);
}

static void test_host_failed_only(void **state)
{
	const char *argv[] = { "-j", "-x", NULL };
	struct child ok, bad;
	struct tracer tr;
	json_object *ev;

	require_bpf();
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	child_spawn_now(&ok, do_exit, (void *)0L);
	child_wait(&ok, true);
	child_spawn_now(&bad, do_exit, (void *)3L);
	child_wait(&bad, true);
	/* the failure comes, the success before it never does */
	while ((ev = tracer_event(&tr, "exit", 0, T_TIMEOUT_MS))) {
		assert_int_not_equal(j_int(ev, "pid"), ok.pid);
		assert_int_not_equal(j_int(ev, "status"), 0);
		if (j_int(ev, "pid") == bad.pid) {
			json_object_put(ev);
			break;
		}
		json_object_put(ev);
	}
	kill(tr.pid, SIGINT);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	tracer_close(&tr);
}

/* Context switches of pid (exittrace is single-threaded: its one task's
 * counters): the voluntary ones (it slept: a wakeup each), or all. */
static long long switches_of(pid_t pid, bool voluntary_only)
{
	char path[64], line[256];
	long long total = 0, v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %lld", &v) == 1 ||
		    (!voluntary_only &&
		     sscanf(line, "nonvoluntary_ctxt_switches: %lld", &v) == 1))
			total += v;
	fclose(f);
	return total;
}

static long long switches(pid_t pid)
{
	return switches_of(pid, false);
}

/* Bounded: until pid sleeps in epoll_wait (wchan), 10 s at most. */
static void wait_asleep_in_epoll(pid_t pid)
{
	struct timespec tick = { 0, 1000000 };
	char path[64], buf[64];
	int i;

	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	for (i = 0; i < 10000; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		if (strstr(buf, "epoll"))
			return;
		nanosleep(&tick, NULL);
	}
	fail_msg("pid %d never slept in epoll_wait (wchan '%s')", (int)pid, buf);
}

/* Idle means asleep in epoll_wait with no timeout: no wakeups at all. */
static void test_idle_makes_no_syscalls(void **state)
{
	const char *argv[] = { "-p", NULL, NULL };
	struct timespec pause = { 1, 500000000 };
	struct tracer tr;
	struct child ch;
	long long before, after;
	char p[16];

	require_bpf();
	child_spawn(&ch, do_exit, (void *)0L);
	snprintf(p, sizeof(p), "%d", (int)ch.pid);
	argv[1] = p;
	tracer_spawn(&tr, argv);
	assert_non_null(tracer_line(&tr, T_TIMEOUT_MS));	/* header: attached, idle next */
	wait_asleep_in_epoll(tr.pid);
	before = switches(tr.pid);
	nanosleep(&pause, NULL);	/* the interval measured, not a synchronisation */
	after = switches(tr.pid);
	child_go(&ch);
	child_wait(&ch, true);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	tracer_close(&tr);
	assert_int_equal(after - before, 0);
}

#define HOSTILE "\x1b]0;pwn\x07\"\\\xff\n"

static int do_hostile_name(void *arg)
{
	prctl(PR_SET_NAME, HOSTILE);
	return 0;
}

static void test_comm_escaping(void **state)
{
	const char *jargv[] = { "-j", "-p", NULL, NULL };
	const char *targv[] = { "-p", NULL, NULL };
	const char *line;
	struct tracer tr;
	struct child ch;
	json_object *ev;
	const unsigned char *c;
	char p[16];
	bool found = false;

	require_bpf();
	/* JSON: a valid string that decodes to the name, bad byte as U+FFFD */
	child_spawn(&ch, do_hostile_name, NULL);
	snprintf(p, sizeof(p), "%d", (int)ch.pid);
	jargv[2] = p;
	tracer_spawn(&tr, jargv);
	tracer_start_wait(&tr);
	child_go(&ch);
	child_wait(&ch, true);
	ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_string_equal(j_str(ev, "comm"), "\x1b]0;pwn\x07\"\\\xef\xbf\xbd\n");
	json_object_put(ev);
	tracer_wait(&tr, T_TIMEOUT_MS);
	tracer_close(&tr);

	/* text: no control byte reaches the terminal */
	child_spawn(&ch, do_hostile_name, NULL);
	snprintf(p, sizeof(p), "%d", (int)ch.pid);
	targv[1] = p;
	tracer_spawn(&tr, targv);
	assert_non_null(tracer_line(&tr, T_TIMEOUT_MS));
	child_go(&ch);
	child_wait(&ch, true);
	while ((line = tracer_line(&tr, T_TIMEOUT_MS))) {
		for (c = (const unsigned char *)line; *c; c++)
			assert_true(*c >= 0x20 && *c != 0x7f && *c < 0x80);
		if (strstr(line, "\\x1b]0;pwn\\x07\"\\\\\\xff\\x0a"))
			found = true;
	}
	assert_true(found);
	tracer_wait(&tr, T_TIMEOUT_MS);
	tracer_close(&tr);
}

static void expect_usage_error(const char *const argv[], const char *culprit)
{
	struct tracer tr;
	const char *err;
	int st;

	tracer_spawn(&tr, argv);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	err = tracer_stderr(&tr);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 125);
	assert_null(tracer_line(&tr, 100));
	assert_true(strncmp(err, "exittrace: ", 11) == 0);
	assert_non_null(strstr(err, culprit));
	assert_true(strchr(err, '\n') == err + strlen(err) - 1);	/* one line */
	tracer_close(&tr);
}

static void test_bad_input(void **state)
{
	static const char *const cases[][4] = {
		{ "-p", "abc", NULL, "'abc'" },
		{ "-p", "0", NULL, "'0'" },
		{ "-p", "-5", NULL, "'-5'" },
		{ "-p", "99999999", NULL, "'99999999'" },
		{ "-p", "99999999999999999999999", NULL, "99999999999999999999999" },
		{ "-p", "12,,13", NULL, "'12,,13'" },
		{ "-p", "", NULL, "''" },
		{ "--bogus", NULL, NULL, "--bogus" },
		{ "-Q", NULL, NULL, "-Q" },
		{ "-p", NULL, NULL, "'-p'" },
		{ "--timeout", "soon", NULL, "'soon'" },
		{ "--timeout", "-1", NULL, "'-1'" },
		{ "--ringbuf-size", "1000", NULL, "'1000'" },
		{ "-f", NULL, NULL, "-f" },
		{ "--comm", "", NULL, "''" },
		{ "-u", "12x", NULL, "'12x'" },
		{ "-u", "no-such-user-here", NULL, "'no-such-user-here'" },
		{ "-n", "0", NULL, "'0'" },
		{ "-o", "/nonexistent/dir/file", NULL, "'/nonexistent/dir/file'" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[3] = { cases[i][0], cases[i][1], NULL };

		expect_usage_error(argv, cases[i][3]);
	}
}

static void test_help_version(void **state)
{
	const char *h[] = { "--help", NULL }, *v[] = { "-V", NULL };
	struct tracer tr;
	const char *line;

	tracer_spawn(&tr, h);
	line = tracer_line(&tr, T_TIMEOUT_MS);
	assert_non_null(line);
	assert_non_null(strstr(line, "Usage: exittrace"));
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	tracer_close(&tr);
	tracer_spawn(&tr, v);
	line = tracer_line(&tr, T_TIMEOUT_MS);
	assert_non_null(line);
	assert_true(strncmp(line, "exittrace ", 10) == 0);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	tracer_close(&tr);
}

static void test_waiter_interrupted(void **state)
{
	const char *argv[] = { "-j", "-p", NULL, NULL };
	struct tracer tr;
	struct child ch;
	char p[16];

	require_bpf();
	child_spawn(&ch, do_exit, (void *)0L);
	snprintf(p, sizeof(p), "%d", (int)ch.pid);
	argv[2] = p;
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	kill(tr.pid, SIGINT);
	tracer_expect_end(&tr, "signal");
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 130);
	tracer_close(&tr);
	child_go(&ch);
	child_wait(&ch, true);
}

static void test_timeout(void **state)
{
	const char *argv[] = { "-j", "--timeout", "0.2", "-p", NULL, NULL };
	struct tracer tr;
	struct child ch;
	char p[16];

	require_bpf();
	child_spawn(&ch, do_exit, (void *)0L);
	snprintf(p, sizeof(p), "%d", (int)ch.pid);
	argv[4] = p;
	tracer_spawn(&tr, argv);
	tracer_expect_end(&tr, "timeout");
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 124);
	tracer_close(&tr);
	child_go(&ch);
	child_wait(&ch, true);
}

/* exittrace | head -1: the reader goes, exittrace ends quietly. */
static void test_reader_goes_away(void **state)
{
	const char *argv[] = { NULL };
	struct tracer tr;
	struct child ch;
	char buf[256];
	int p[2], st, i;
	ssize_t n;

	require_bpf();
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	tracer_spawn_env(&tr, argv, NULL, p[1]);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf));	/* the header: attached */
	assert_true(n > 0);
	close(p[0]);
	/* make exits until exittrace has something to write, and fails */
	for (i = 0; i < 200; i++) {
		struct pollfd pfd = { .fd = tr.pidfd, .events = POLLIN };

		child_spawn_now(&ch, do_exit, (void *)0L);
		child_wait(&ch, true);
		if (poll(&pfd, 1, 10) == 1)
			break;
	}
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 141);
	assert_string_equal(tracer_stderr(&tr), "");
	tracer_close(&tr);
}

static void test_write_error(void **state)
{
	const char *argv[] = { "-j", NULL };
	struct tracer tr;
	int fd, st;

	require_bpf();
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	tracer_spawn_env(&tr, argv, NULL, fd);
	close(fd);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(st), 125);
	assert_string_equal(tracer_stderr(&tr),
			    "exittrace: writing output: No space left on device\n");
	tracer_close(&tr);
}

static void tracer_spawn_wrapped(struct tracer *tr, const char *wrapper, const char *argv[]);

/* No stdout at all: said, and a failure, as soon as there is output. */
static void test_closed_stdout(void **state)
{
	const char *argv[] = { "-c", "exec \"$0\" -j >&-", "EXITTRACE", NULL };
	struct tracer tr;
	int st;

	require_bpf();
	tracer_spawn_wrapped(&tr, "/bin/sh", argv);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 125);
	assert_string_equal(tracer_stderr(&tr),
			    "exittrace: writing output: standard output is closed\n");
	tracer_close(&tr);
}

/*
 * Run exittrace under a wrapper program (setpriv, unshare): in argv, the
 * entry "EXITTRACE" stands for exittrace's absolute path.
 */
static void tracer_spawn_wrapped(struct tracer *tr, const char *wrapper, const char *argv[])
{
	const char *set = getenv("EXITTRACE");
	char path[4096], saved[4096];
	int i;

	if (access(wrapper, X_OK))
		fail_msg("%s is needed", wrapper);
	snprintf(saved, sizeof(saved), "%s", set ? set : "");
	if (!realpath(set ? saved : build_path("exittrace"), path))
		fail_msg("realpath: %s", strerror(errno));
	for (i = 0; argv[i]; i++)
		if (!strcmp(argv[i], "EXITTRACE"))
			argv[i] = path;
	setenv("EXITTRACE", wrapper, 1);
	tracer_spawn(tr, argv);
	if (set)
		setenv("EXITTRACE", saved, 1);
	else
		unsetenv("EXITTRACE");
}

/* Without CAP_BPF / CAP_PERFMON: one line naming them, status 125. */
/* Root without one of the two capabilities: that one is named. */
static void missing_one(const char *drop, const char *want)
{
	const char *argv[] = { NULL, "EXITTRACE", NULL };
	char bset[64];
	struct tracer tr;

	require_bpf();
	snprintf(bset, sizeof(bset), "--bounding-set=-%s", drop);
	argv[0] = bset;
	tracer_spawn_wrapped(&tr, "/usr/bin/setpriv", argv);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 125);
	assert_string_equal(tracer_stderr(&tr), want);
	tracer_close(&tr);
}

/* (CAP_SYS_ADMIN stands for both, as before 5.8: it goes too) */
static void test_missing_cap_bpf(void **state)
{
	missing_one("bpf,-sys_admin", "exittrace: missing capability CAP_BPF: run as root\n");
}

static void test_missing_cap_perfmon(void **state)
{
	missing_one("perfmon,-sys_admin",
		    "exittrace: missing capability CAP_PERFMON: run as root\n");
}

/* CAP_BPF, CAP_SYS_PTRACE, CAP_DAC_READ_SEARCH: what exittrace keeps */
#define KEPT_CAPS ((1ULL << 39) | (1ULL << 19) | (1ULL << 2))

/* The capability sets of a process, from /proc. */
static unsigned long long cap_set(pid_t pid, const char *which)
{
	char path[64], line[256];
	unsigned long long v = ~0ULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		fail_msg("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, which, strlen(which)))
			v = strtoull(line + strlen(which), NULL, 16);
	fclose(f);
	return v;
}

/* Attached, exittrace keeps CAP_BPF, CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH
 * only (bounding set included), and still does its job: a zombie's status
 * (ptrace access) and cgroup paths (open_by_handle_at). */
static void test_capabilities_dropped(void **state)
{
	const unsigned long long keep = KEPT_CAPS;
	const char *argv[] = { "-j", NULL };
	struct tracer tr;
	struct child ch;
	json_object *ev;

	require_bpf();
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	assert_int_equal(cap_set(tr.pid, "CapEff:"), keep);
	assert_int_equal(cap_set(tr.pid, "CapPrm:"), keep);
	assert_int_equal(cap_set(tr.pid, "CapBnd:"), keep);
	assert_int_equal(cap_set(tr.pid, "CapInh:"), 0);
	child_spawn(&ch, do_exit, (void *)3L);
	child_go(&ch);
	child_wait(&ch, true);
	ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_int_equal(j_int(ev, "exit_code"), 3);
	assert_false(j_is_null(ev, "cgroup"));
	json_object_put(ev);
	kill(tr.pid, SIGTERM);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	tracer_close(&tr);
}

/* The BPF programs a process holds, by id, from its fdinfo. */
static size_t prog_ids(pid_t pid, unsigned int *ids, size_t max)
{
	char path[320], line[256];
	struct dirent *d;
	unsigned int id;
	size_t n = 0;
	FILE *f;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)pid);
	dir = opendir(path);
	assert_non_null(dir);
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid, d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &id) == 1 && n < max)
				ids[n++] = id;
		fclose(f);
	}
	closedir(dir);
	return n;
}

/* Whether a BPF program still exists T_TIMEOUT_MS after its last holder
 * went: the kernel frees programs and links from a workqueue, a little
 * after the last fd is closed, and says nothing when it has (so this one
 * wait polls, every 10 ms, bounded). Gone is ENOENT, nothing else. */
static bool prog_outlives(unsigned int id)
{
	int waited, fd;

	for (waited = 0; waited < T_TIMEOUT_MS; waited += 10) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0 && errno == ENOENT)
			return false;
		if (fd < 0)
			fail_msg("bpf_prog_get_fd_by_id(%u): %s", id, strerror(errno));
		close(fd);
		poll(NULL, 0, 10);
	}
	return true;
}

/*
 * A signal at any moment once attached: what was read is written out,
 * the exit status is as documented, and every BPF program exittrace loaded
 * is gone with it (nothing pinned, nothing held by a child). SIGPIPE alone
 * does not stop it (a closed reader shows up as EPIPE on write).
 */
static void stopped_by(int sig, int want_status)
{
	const char *argv[] = { "-j", "--coalesce-us", "0", NULL };
	unsigned int ids[32];
	struct tracer tr;
	struct child ch;
	json_object *ev;
	size_t n, i;
	int st;

	require_bpf();
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	n = prog_ids(tr.pid, ids, 32);
	assert_true(n >= 2);	/* exit, signal_generate, ... */
	child_spawn(&ch, do_exit, (void *)(long)sig);
	child_go(&ch);
	child_wait(&ch, true);
	ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	json_object_put(ev);
	if (sig == SIGPIPE) {
		kill(tr.pid, SIGPIPE);
		/* still running: another exit is reported */
		child_spawn(&ch, do_exit, (void *)5L);
		child_go(&ch);
		child_wait(&ch, true);
		ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
		assert_non_null(ev);
		json_object_put(ev);
		sig = SIGTERM;
	}
	/* an exit, then the signal at once: its record still comes out */
	child_spawn(&ch, do_exit, (void *)9L);
	child_go(&ch);
	child_wait(&ch, true);
	kill(tr.pid, sig);
	ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	json_object_put(ev);
	ev = tracer_event(&tr, "end", 0, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_string_equal(j_str(ev, "reason"), "signal");
	json_object_put(ev);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), want_status);
	for (i = 0; i < n; i++)
		if (prog_outlives(ids[i]))
			fail_msg("BPF program %u outlived exittrace", ids[i]);
	tracer_close(&tr);
}

static void test_sigint_leaves_nothing(void **state)
{
	stopped_by(SIGINT, 0);
}

static void test_sigterm_leaves_nothing(void **state)
{
	stopped_by(SIGTERM, 0);
}

static void test_sighup_leaves_nothing(void **state)
{
	stopped_by(SIGHUP, 0);
}

static void test_sigpipe_is_ignored(void **state)
{
	stopped_by(SIGPIPE, 0);
}

/* What the kernel lacks is named: BTF, the BPF ring buffer (forced here
 * by test switches: this kernel has both). */
static void test_kernel_lacks(void **state)
{
	const char *argv[] = { NULL };
	struct tracer tr;

	require_bpf();
	tracer_spawn_env(&tr, argv, "EXITTRACE_TEST_BTF=/nonexistent/vmlinux", -1);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 125);
	assert_string_equal(tracer_stderr(&tr),
			    "exittrace: kernel BTF not found at /nonexistent/vmlinux: this kernel "
			    "was built without CONFIG_DEBUG_INFO_BTF\n");
	tracer_close(&tr);
	tracer_spawn_env(&tr, argv, "EXITTRACE_TEST_NO_RINGBUF=1", -1);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 125);
	assert_string_equal(tracer_stderr(&tr),
			    "exittrace: this kernel has no BPF ring buffer (Linux 5.8 or later "
			    "has)\n");
	tracer_close(&tr);
}

/* CMD that became another user still gets --timeout's signals: exittrace
 * keeps CAP_KILL with a command. */
static void test_timeout_reaches_other_user(void **state)
{
	const char *argv[] = { "--timeout", "0.5", "--", "/usr/bin/setpriv", "--reuid=65534",
			       "--regid=65534", "--clear-groups", "sleep", "100", NULL };
	struct tracer tr;
	int st;

	require_bpf();
	tracer_spawn(&tr, argv);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 124);
	tracer_close(&tr);
}

/* Started with less than root (no CAP_SETPCAP, as a systemd unit's bounding
 * set may leave it): the drop still works, bounding set as it was. */
static void test_capabilities_without_setpcap(void **state)
{
	const unsigned long long keep = (1ULL << 39) | (1ULL << 19) | (1ULL << 2);
	const char *argv[] = { "--bounding-set=-setpcap", "EXITTRACE", "-j", NULL };
	struct tracer tr;

	require_bpf();
	tracer_spawn_wrapped(&tr, "/usr/bin/setpriv", argv);
	tracer_start_wait(&tr);
	assert_int_equal(cap_set(tr.pid, "CapEff:"), keep);
	assert_int_equal(cap_set(tr.pid, "CapPrm:"), keep);
	assert_int_equal(cap_set(tr.pid, "CapBnd:") & (1ULL << 8), 0);	/* CAP_SETPCAP */
	kill(tr.pid, SIGTERM);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	tracer_close(&tr);
}

static void test_unprivileged(void **state)
{
	const char *argv[] = { "--reuid=65534", "--regid=65534", "--clear-groups", "EXITTRACE",
			       NULL };
	struct tracer tr;

	require_bpf();
	tracer_spawn_wrapped(&tr, "/usr/bin/setpriv", argv);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 125);
	assert_string_equal(tracer_stderr(&tr),
			    "exittrace: missing capability CAP_BPF and CAP_PERFMON: run as root\n");
	tracer_close(&tr);
}

/* Root without CAP_SYS_PTRACE cannot read a zombie's status: -p says so. */
static void test_no_ptrace_capability(void **state)
{
	char p[16];
	const char *argv[] = { "--bounding-set=-sys_ptrace", "EXITTRACE", "-p", p, NULL };
	struct tracer tr;

	require_bpf();
	snprintf(p, sizeof(p), "%d", (int)getpid());
	tracer_spawn_wrapped(&tr, "/usr/bin/setpriv", argv);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 125);
	assert_string_equal(tracer_stderr(&tr),
			    "exittrace: missing capability CAP_SYS_PTRACE: -p needs it to read "
			    "the status of a target that already ended\n");
	tracer_close(&tr);
}

/* -p takes host PIDs: refused inside another PID namespace. */
static void test_pid_namespace_refused(void **state)
{
	const char *argv[] = { "--pid", "--fork", "--mount-proc", "EXITTRACE", "-p", "1", NULL };
	struct tracer tr;

	require_bpf();
	tracer_spawn_wrapped(&tr, "/usr/bin/unshare", argv);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 125);
	assert_string_equal(tracer_stderr(&tr), "exittrace: -p takes host PIDs: run exittrace in "
						"the initial PID namespace\n");
	tracer_close(&tr);
}

/*
 * Wakeup coalescing loses nothing: a burst of exits, then silence. The
 * first record wakes exittrace at once; so does the burst's first, after
 * it went to sleep again; the rest, which send no wakeup in the storm, must
 * come on exittrace's timer within the interval (0.3 s here), not wait for
 * an exit that never comes. Bounded at 3 s; the test makes no exit
 * meanwhile.
 */
static void test_coalesced_records_arrive(void **state)
{
	enum { N = 30 };
	const char *argv[] = { "-j", "--coalesce-us", "300000", NULL };
	struct child ch[N];
	struct tracer tr;
	json_object *ev;
	int i, j, seen = 0, got[N] = { 0 };
	struct timespec t0, t1;

	require_bpf();
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	for (i = 0; i < N; i++)
		child_spawn(&ch[i], do_exit, (void *)(long)i);
	/* the first wakes exittrace; once it sleeps again, the rest come
	 * within the interval */
	child_go(&ch[0]);
	child_wait(&ch[0], true);
	ev = tracer_event(&tr, "exit", ch[0].pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	json_object_put(ev);
	got[0] = 1;
	seen = 1;
	wait_asleep_in_epoll(tr.pid);
	for (i = 1; i < N; i++)
		child_go(&ch[i]);
	for (i = 1; i < N; i++)
		child_wait(&ch[i], true);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (seen < N && (ev = tracer_event(&tr, "exit", 0, 3000))) {
		for (j = 0; j < N; j++)
			if (ch[j].pid == j_int(ev, "pid") && !got[j]) {
				got[j] = 1;
				seen++;
				assert_int_equal(j_int(ev, "exit_code"), j);
			}
		json_object_put(ev);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(seen, N);
	/* the interval bounds the delay: well under a second after the burst */
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1000);
	kill(tr.pid, SIGTERM);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	tracer_close(&tr);
}

/* Does process pid hold a BPF link to a program of this name and type?
 * (The link fds' fdinfo names the program; bpftool gives name and type.) */
static bool prog_attached(pid_t pid, const char *name, const char *type)
{
	char cmd[96], out[1024];
	unsigned int ids[64];
	size_t i, n = prog_ids(pid, ids, 64), len;
	bool found = false;
	FILE *p;

	for (i = 0; !found && i < n; i++) {
		snprintf(cmd, sizeof(cmd), "bpftool prog show id %u 2>/dev/null", ids[i]);
		p = popen(cmd, "r");
		if (!p)
			continue;
		len = fread(out, 1, sizeof(out) - 1, p);
		out[len] = '\0';
		pclose(p);
		found = strstr(out, type) && strstr(out, name);
	}
	return found;
}

/* By default the probes are raw tracepoints (fast start: no full kernel BTF
 * parse), and --attach=tp_btf gives BTF-typed ones. */
static bool tracefs_mounted(void)
{
	char line[1024];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " - tracefs ") != NULL;
	fclose(f);
	return found;
}

/* The start record, which names the way in. */
static void expect_attach(struct tracer *tr, const char *way)
{
	json_object *ev = tracer_start(tr);

	assert_string_equal(j_str(ev, "attach"), way);
	json_object_put(ev);
}

static void test_attach_modes(void **state)
{
	const char *dflt[] = { "-j", NULL }, *btf[] = { "-j", "--attach=tp_btf", NULL };
	const char *classic[] = { "-j", "--attach=tracepoint", NULL };
	bool tracefs_before;
	struct tracer tr;

	require_bpf();
	tracer_spawn(&tr, dflt);
	expect_attach(&tr, "raw_tp");
	assert_true(prog_attached(tr.pid, "name exit_raw", "raw_tracepoint"));
	assert_false(prog_attached(tr.pid, "name exit_btf", "tracing"));
	kill(tr.pid, SIGTERM);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	tracer_close(&tr);

	tracer_spawn(&tr, btf);
	expect_attach(&tr, "tp_btf");
	assert_true(prog_attached(tr.pid, "name exit_btf", "tracing"));
	assert_false(prog_attached(tr.pid, "name exit_raw", "raw_tracepoint"));
	kill(tr.pid, SIGTERM);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	tracer_close(&tr);

	/* the classic tracepoint: tracefs read (mounted in a mount namespace
	 * of exittrace's own when it is not mounted here): no mount left */
	tracefs_before = tracefs_mounted();
	tracer_spawn(&tr, classic);
	expect_attach(&tr, "tracepoint");
	assert_true(prog_attached(tr.pid, "name exit_tp", "tracepoint"));
	assert_false(prog_attached(tr.pid, "name exit_raw", "raw_tracepoint"));
	assert_int_equal(tracefs_mounted(), tracefs_before);
	kill(tr.pid, SIGTERM);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	tracer_close(&tr);
	/* it reports exits only */
	const char *follow[] = { "--attach=tracepoint", "-f", "-p", "1", NULL };
	tracer_spawn(&tr, follow);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 125);
	assert_non_null(strstr(tracer_stderr(&tr), "--attach=tracepoint reports exits only"));
	tracer_close(&tr);
}

/*
 * After an isolated exit's record, nothing wakes exittrace again (no timer
 * left armed for records that never come). Two targets: one ends, the other keeps exittrace running while it
 * is watched for an interval longer than the coalescing one (0.3 s).
 */
static void test_no_wakeup_after_isolated_exit(void **state)
{
	const char *argv[] = { "-j", "--coalesce-us", "300000", "-p", NULL, "-p", NULL, NULL };
	struct timespec pause = { 0, 700000000 };
	struct child a, b;
	struct tracer tr;
	json_object *ev;
	long long before, after;
	char pa[16], pb[16];

	require_bpf();
	child_spawn(&a, do_exit, (void *)3L);
	child_spawn(&b, do_exit, (void *)0L);
	snprintf(pa, sizeof(pa), "%d", (int)a.pid);
	snprintf(pb, sizeof(pb), "%d", (int)b.pid);
	argv[4] = pa;
	argv[6] = pb;
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	child_go(&a);
	child_wait(&a, true);
	ev = tracer_event(&tr, "exit", a.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_int_equal(j_int(ev, "exit_code"), 3);
	json_object_put(ev);
	wait_asleep_in_epoll(tr.pid);
	before = switches(tr.pid);
	nanosleep(&pause, NULL);	/* the interval measured, not a synchronisation */
	after = switches(tr.pid);
	child_go(&b);
	child_wait(&b, true);
	tracer_expect_end(&tr, "done");
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	tracer_close(&tr);
	assert_int_equal(after - before, 0);
}

static int do_named_exit(void *arg)
{
	prctl(PR_SET_NAME, "etstorm");
	return (int)(long)arg;
}

/*
 * A storm is coalesced: 60 processes end at once, after exittrace has gone
 * to sleep; with a 0.3 s interval it must take them in a handful of
 * wakeups (voluntary context switches: it slept), and every one arrives.
 * (Here: 3; with the kernel's own policy, --coalesce-us 0, which wakes
 * exittrace whenever it has caught up, 9 to 24.) Whole-host with a comm
 * filter, or as -p targets (whose pidfds must not wake exittrace one by
 * one in a storm; a 61st target keeps it running).
 */
static void storm(bool targets)
{
	enum { N = 60 };
	const char *argv[2 * (N + 1) + 6] = { "-j", "--coalesce-us", "300000" };
	static char p[N + 1][16];
	struct child ch[N + 1];
	struct tracer tr;
	json_object *ev;
	long long before, after;
	int i, j, n = 3, seen = 0, got[N] = { 0 };

	require_bpf();
	for (i = 0; i <= N; i++) {
		child_spawn(&ch[i], do_named_exit, (void *)(long)(i < N ? i % 7 : 0));
		snprintf(p[i], sizeof(p[i]), "%d", (int)ch[i].pid);
		if (targets) {
			argv[n++] = "-p";
			argv[n++] = p[i];
		}
	}
	if (!targets) {
		argv[n++] = "--comm";
		argv[n++] = "etstorm";
	}
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	wait_asleep_in_epoll(tr.pid);
	before = switches_of(tr.pid, true);
	for (i = 0; i < N; i++)
		child_go(&ch[i]);
	for (i = 0; i < N; i++)
		child_wait(&ch[i], true);
	while (seen < N && (ev = tracer_event(&tr, "exit", 0, 3000))) {
		for (j = 0; j < N; j++)
			if (ch[j].pid == j_int(ev, "pid") && !got[j]) {
				got[j] = 1;
				seen++;
				assert_int_equal(j_int(ev, "exit_code"), j % 7);
			}
		json_object_put(ev);
	}
	assert_int_equal(seen, N);
	after = switches_of(tr.pid, true);
	child_go(&ch[N]);
	child_wait(&ch[N], true);
	if (targets) {
		tracer_expect_end(&tr, "done");
		assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	} else {
		kill(tr.pid, SIGTERM);
		tracer_wait(&tr, T_TIMEOUT_MS);
	}
	tracer_close(&tr);
	print_message("exittrace wakeups for %d exits: %lld\n", N, after - before);
	assert_true(after - before <= 6);
}

static void test_storm_few_wakeups(void **state)
{
	storm(false);
}

static void test_storm_of_targets_few_wakeups(void **state)
{
	storm(true);
}

/* Bounded: until pid's policy (reset-on-fork aside) is policy, 10 s at
 * most; the policy found. */
static int wait_policy(pid_t pid, int policy)
{
	struct timespec tick = { 0, 10000000 };
	int i, p = -1;

	for (i = 0; i < 1000; i++) {
		p = sched_getscheduler(pid) & ~SCHED_RESET_ON_FORK;
		if (p == policy)
			break;
		nanosleep(&tick, NULL);
	}
	return p;
}

/* Without --realtime, exittrace waits with the shortest slice, where the
 * kernel has slices of a task's own (6.12+): what it has now. */
static void assert_short_slice(pid_t pid, bool slices)
{
	struct et_sched_attr a;

	assert_int_equal(sched_attr_get(pid, &a), 0);
	if (slices && a.policy == SCHED_OTHER)
		assert_int_equal(a.runtime, ET_SHORT_SLICE_NS);
}

/*
 * In a storm exittrace runs as SCHED_BATCH (reset on fork), so that its
 * reads on the timer wait for the CPU instead of preempting the workload;
 * once a read finds nothing, its own policy again (SCHED_OTHER: exittrace
 * has dropped CAP_SYS_NICE by then, so it keeps the reset-on-fork flag),
 * and the next storm is SCHED_BATCH again. With --realtime it stays
 * SCHED_FIFO 1 throughout (a busy host could leave SCHED_BATCH without a
 * CPU until the ring overflows), and keeps no CAP_SYS_NICE. With a 1 s
 * interval: A ends alone (read at once), B ends soon after (read at once
 * too, and a storm starts: the timer is armed for 1 s).
 */
static void storm_policy_rounds(bool realtime)
{
	const char *argv[] = { "-j", "--coalesce-us", "1000000", "--comm", "etstorm",
			       realtime ? "--realtime" : NULL, NULL };
	int idle = realtime ? SCHED_FIFO : SCHED_OTHER;
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	bool slices = custom_slices();
	struct sched_param sp;
	struct child a, b;
	struct tracer tr;
	json_object *ev;
	int round, i;

	require_bpf();
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	assert_int_equal(sched_getscheduler(tr.pid), idle);
	assert_short_slice(tr.pid, slices);
	for (round = 0; round < 2; round++) {
		child_spawn(&a, do_named_exit, (void *)1L);
		child_spawn(&b, do_named_exit, (void *)2L);
		child_go(&a);
		child_wait(&a, true);
		ev = tracer_event(&tr, "exit", a.pid, T_TIMEOUT_MS);
		assert_non_null(ev);
		json_object_put(ev);
		child_go(&b);
		child_wait(&b, true);
		ev = tracer_event(&tr, "exit", b.pid, T_TIMEOUT_MS);
		assert_non_null(ev);
		assert_int_equal(j_int(ev, "exit_code"), 2);
		json_object_put(ev);
		if (realtime) {
			/* FIFO through the storm, past its 1 s timer */
			for (i = 0; i < 120; i++) {
				assert_int_equal(sched_getscheduler(tr.pid), SCHED_FIFO);
				nanosleep(&tick, NULL);
			}
			/* CAP_SYS_NICE (23) not kept: nothing to come back from */
			assert_int_equal(cap_set(tr.pid, "CapPrm:") & 1ULL << 23, 0);
			assert_int_equal(cap_set(tr.pid, "CapEff:"), KEPT_CAPS);
		} else {
			assert_int_equal(sched_getscheduler(tr.pid),
					 SCHED_BATCH | SCHED_RESET_ON_FORK);
		}
		/* the storm ends on the timer, 1 s after B */
		assert_int_equal(wait_policy(tr.pid, idle), idle);
		assert_int_equal(sched_getparam(tr.pid, &sp), 0);
		assert_int_equal(sp.sched_priority, realtime ? 1 : 0);
		assert_short_slice(tr.pid, slices);
	}
	kill(tr.pid, SIGTERM);
	tracer_wait(&tr, T_TIMEOUT_MS);
	tracer_close(&tr);
}

/* CMD is started before exittrace takes the shortest slice: it does not
 * inherit it. */
static void test_cmd_has_its_own_slice(void **state)
{
	const char *argv[] = { "-j", "-o", "/dev/stdout", "--", "/bin/sleep", "60", NULL };
	struct et_sched_attr mine, cmd;
	json_object *st, *pids;
	struct tracer tr;
	pid_t pid;

	require_bpf();
	if (!custom_slices())
		skip();
	tracer_spawn(&tr, argv);
	st = tracer_start(&tr);
	assert_true(json_object_object_get_ex(st, "pids", &pids));
	pid = (pid_t)json_object_get_int(json_object_array_get_idx(pids, 0));
	json_object_put(st);
	assert_true(pid > 0);
	assert_int_equal(sched_attr_get(tr.pid, &mine), 0);
	assert_int_equal(mine.runtime, ET_SHORT_SLICE_NS);
	assert_int_equal(sched_attr_get(pid, &cmd), 0);
	assert_int_not_equal(cmd.runtime, ET_SHORT_SLICE_NS);
	kill(pid, SIGKILL);
	assert_int_equal(tracer_wait(&tr, T_TIMEOUT_MS), (128 + SIGKILL) << 8);
	tracer_close(&tr);
}

static void test_storm_runs_batch(void **state)
{
	storm_policy_rounds(false);
}

static void test_realtime_storm_stays_fifo(void **state)
{
	/* root without CAP_SYS_NICE (a container), or no real-time time in
	 * this cgroup: --realtime fails, by design; nothing to test */
	if (!fifo_allowed())
		skip();
	storm_policy_rounds(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_many_targets),
		cmocka_unit_test(test_zombie_target),
		cmocka_unit_test(test_missing_pid),
		cmocka_unit_test(test_exit_during_startup),
		cmocka_unit_test(test_exit_and_reap_during_startup),
		cmocka_unit_test(test_threads_flag),
		cmocka_unit_test(test_host_mode),
		cmocka_unit_test(test_host_failed_only),
		cmocka_unit_test(test_coalesced_records_arrive),
		cmocka_unit_test(test_no_wakeup_after_isolated_exit),
		cmocka_unit_test(test_storm_few_wakeups),
		cmocka_unit_test(test_storm_of_targets_few_wakeups),
		cmocka_unit_test(test_storm_runs_batch),
		cmocka_unit_test(test_realtime_storm_stays_fifo),
		cmocka_unit_test(test_cmd_has_its_own_slice),
		cmocka_unit_test(test_attach_modes),
		cmocka_unit_test(test_idle_makes_no_syscalls),
		cmocka_unit_test(test_comm_escaping),
		cmocka_unit_test(test_waiter_interrupted),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_reader_goes_away),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_closed_stdout),
		cmocka_unit_test(test_sigint_leaves_nothing),
		cmocka_unit_test(test_sigterm_leaves_nothing),
		cmocka_unit_test(test_sighup_leaves_nothing),
		cmocka_unit_test(test_sigpipe_is_ignored),
		cmocka_unit_test(test_kernel_lacks),
		cmocka_unit_test(test_timeout_reaches_other_user),
		cmocka_unit_test(test_unprivileged),
		cmocka_unit_test(test_missing_cap_bpf),
		cmocka_unit_test(test_missing_cap_perfmon),
		cmocka_unit_test(test_capabilities_dropped),
		cmocka_unit_test(test_capabilities_without_setpcap),
		cmocka_unit_test(test_no_ptrace_capability),
		cmocka_unit_test(test_pid_namespace_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
