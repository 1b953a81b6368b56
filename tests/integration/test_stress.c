// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Stress: exittrace follows a tree that keeps 200 processes alive for
 * ET_STRESS_SECONDS (10 in make check, 600 in make stress), each ending its
 * own way: exit codes, vfork children, threads (a worker's exit_group, the
 * leader leaving first), deaths by signal from its parent, faults, aborts.
 * The tree's root (this binary re-executed, "helper") reaps every process
 * and writes its waitpid() status; every one must be reported exactly once
 * with that status. exittrace's memory and file descriptors, sampled early
 * and late in the run, must not grow.
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
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

#define LIVE 200


/* ---- the helper: the tree's root ---- */

static void *worker_exit(void *arg)
{
	_exit((int)(long)arg);	/* exit_group from a worker thread */
}

static void *worker_wait(void *arg)
{
	pause();
	return NULL;
}

/* What one child does (kind 0 to 5; 6 is a vfork child, which can only
 * _exit); its parent kills the ones that pause. */
static void child(unsigned int kind, int code)
{
	struct rlimit no_core = { 0, 0 };
	pthread_t th;

	setrlimit(RLIMIT_CORE, &no_core);
	/* no core handler either (a pipe in core_pattern ignores the limit) */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* the default actions, whatever a sanitizer installed (AddressSanitizer
	 * would catch SIGSEGV, report it with a symbolizer process of its
	 * own, and exit 1) */
	signal(SIGTERM, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGABRT, SIG_DFL);
	switch (kind) {
	case 0:
		_exit(code);
	case 1:		/* a worker thread ends the process */
		if (pthread_create(&th, NULL, worker_exit, (void *)(long)code) == 0)
			pause();
		_exit(code);
	case 2:		/* the leader leaves first; a worker waits to be killed */
		if (pthread_create(&th, NULL, worker_wait, NULL) == 0)
			pthread_exit(NULL);
		pause();
		_exit(code);
	case 3:		/* killed by its parent */
		pause();
		_exit(code);
	case 4:
		raise(SIGSEGV);
		_exit(code);
	default:
		abort();
	}
}

/* Children that wait to be killed, so that the parent knows whom. */
static bool waits(unsigned int kind)
{
	return kind == 2 || kind == 3;
}

static int helper(const char *truth_path, int seconds)
{
	static pid_t waiting[LIVE];
	unsigned int seed = (unsigned int)getpid(), how;
	volatile unsigned int kind;	/* read after vfork() returns */
	int fd = open(truth_path, O_WRONLY | O_APPEND | O_CLOEXEC), st, nwait = 0, live = 0;
	struct timespec now, end;
	char line[64];
	pid_t pid;
	int n, i;

	if (fd < 0)
		return 90;
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		bool over = now.tv_sec > end.tv_sec ||
			    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec);

		while (!over && live < LIVE) {
			how = (unsigned int)rand_r(&seed);
			kind = how % 7;
			pid = kind == 6 ? vfork() : fork();
			if (pid == 0 && kind == 6)
				_exit((int)(how >> 8) & 0xff);
			if (pid == 0)
				child(kind, (int)(how >> 8) & 0xff);
			if (pid < 0)
				break;
			live++;
			if (waits(kind) && nwait < LIVE)
				waiting[nwait++] = pid;
		}
		/* kill some of those that wait, by one signal or another */
		for (i = 0; i < nwait && (over || i < 20); i++)
			kill(waiting[i], i % 2 ? SIGKILL : SIGTERM);
		memmove(waiting, waiting + i, (size_t)(nwait - i) * sizeof(*waiting));
		nwait -= i;
		if (!live)
			break;
		pid = waitpid(-1, &st, 0);
		if (pid < 0)
			break;
		live--;
		for (i = 0; i < nwait; i++)	/* ended another way: forget */
			if (waiting[i] == pid)
				waiting[i] = waiting[--nwait];
		n = snprintf(line, sizeof(line), "%d %d\n", (int)pid, st);
		if (write(fd, line, (size_t)n) != n)
			return 91;
	}
	return 0;
}

/* "helper TRUTH SECONDS" */
static int run_helper(int argc, char **argv)
{
	return argc > 1 ? helper(argv[0], atoi(argv[1])) : 89;
}

/* ---- the test ---- */

struct truth {
	pid_t pid;
	int status;
	bool seen;
};

static long proc_value(pid_t pid, const char *key)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key));
	fclose(f);
	return v;
}

static int count_fds(pid_t pid)
{
	char path[64];
	struct dirent *d;
	int n = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_stress(void **state)
{
	const char *env = getenv("ET_STRESS_SECONDS");
	int seconds = env ? atoi(env) : 10, fds_early = -1, fds_late = -1, i, st;
	long rss_early = -1, rss_late = -1;
	char path[] = "/tmp/exittrace-stress-XXXXXX", secs[16];
	static struct truth t[1 << 20];
	size_t nt = 0, nrec = 0, j;
	long long start, at_early, at_late;
	struct tracer tr;
	json_object *ev;
	pid_t root = 0;
	FILE *f;

	require_bpf();
	i = mkstemp(path);
	assert_true(i >= 0);
	close(i);
	snprintf(secs, sizeof(secs), "%d", seconds);
	const char *argv[] = { "-j", "-o", "/dev/stdout", "--", self_exe(), "helper", path, secs,
			       NULL };
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	start = now_ms();
	at_early = start + seconds * 1000LL / 4;
	at_late = start + seconds * 1000LL * 9 / 10;
	/* read everything; sample exittrace as time passes */
	while ((ev = tracer_json(&tr, T_TIMEOUT_MS + seconds * 1000))) {
		const char *e = j_str(ev, "event");

		if (rss_early < 0 && now_ms() >= at_early) {
			rss_early = proc_value(tr.pid, "VmRSS:");
			fds_early = count_fds(tr.pid);
		}
		if (rss_late < 0 && now_ms() >= at_late) {
			rss_late = proc_value(tr.pid, "VmRSS:");
			fds_late = count_fds(tr.pid);
		}
		if (!strcmp(e, "lost") || !strcmp(e, "not_followed"))
			fail_msg("%s: %lld", e, j_int(ev, "count"));
		if (!strcmp(e, "end")) {
			json_object_put(ev);
			break;
		}
		if (!strcmp(e, "exit")) {
			if (j_is_null(ev, "fork_ppid")) {
				assert_int_equal(root, 0);
				root = (pid_t)j_int(ev, "pid");
			} else {
				/* matched below, in order, per pid */
				assert_true(nt < (1 << 20));
				t[nt].pid = (pid_t)j_int(ev, "pid");
				t[nt].status = (int)j_int(ev, "status");
				t[nt++].seen = false;
			}
			nrec++;
		}
		json_object_put(ev);
	}
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(root > 0);

	/* the truth, in reap order: the k-th end of a pid is its k-th record */
	f = fopen(path, "re");
	assert_non_null(f);
	{
		int pid, status;
		size_t ntruth = 0;

		while (fscanf(f, "%d %d", &pid, &status) == 2) {
			for (j = 0; j < nt && (t[j].seen || t[j].pid != pid); j++)
				;
			if (j == nt)
				fail_msg("pid %d (status %#x) not reported", pid, status);
			t[j].seen = true;
			if (t[j].status != status)
				fail_msg("pid %d: reported %#x, waitpid %#x", pid, t[j].status,
					 status);
			ntruth++;
		}
		/* and nothing else was */
		assert_int_equal(ntruth, nt);
		print_message("stress: %zu processes in %d s, exittrace RSS %ld -> %ld kB, "
			      "fds %d -> %d\n", nrec, seconds, rss_early, rss_late, fds_early,
			      fds_late);
	}
	fclose(f);
	unlink(path);
	assert_true(rss_early > 0 && rss_late > 0);
	assert_true(rss_late <= rss_early + 2048);	/* kB */
	assert_int_equal(fds_late, fds_early);
	tracer_close(&tr);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress),
	};
	helper_dispatch(argc, argv, run_helper);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
