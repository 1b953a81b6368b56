// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Process trees with the real BPF program: -f, command mode, the summary,
 * --any, -n, --timeout and the filters. Every reported status is compared
 * with what the real parent's waitpid() returned: the scenarios that run
 * under exittrace are this binary re-executed as a helper ("helper NAME
 * FILE ..."), which appends "pid ppid status" for each child it reaps to
 * FILE; the test reaps what is left itself, as a subreaper.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"


/* ---- the helper: scenarios run as CMD or as a -p target ---- */

static int truth_fd = -1;

/* One line per reaped child, in one write (O_APPEND: atomic). */
static void truth(pid_t pid, int status)
{
	char line[64];
	int n = snprintf(line, sizeof(line), "%d %d %d\n", (int)pid, (int)getpid(), status);

	if (write(truth_fd, line, (size_t)n) != n)
		_exit(90);
}

static void reap_all(void)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, 0)) > 0)
		truth(pid, st);
}

/* A child that runs fn(arg), reaps its own children, and exits. */
static pid_t fork_node(int (*fn)(int), int arg)
{
	pid_t pid = fork();

	if (pid == 0) {
		int code = fn(arg);

		reap_all();
		_exit(code);
	}
	if (pid < 0)
		_exit(91);
	return pid;
}

static int leaf(int how)
{
	signal(SIGUSR1, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	if (how < 0)
		raise(-how);
	return how;
}

static int node_a(int unused)
{
	fork_node(leaf, 3);
	fork_node(leaf, -SIGUSR1);
	return 0;
}

static int node_b(int unused)
{
	fork_node(leaf, 0);
	fork_node(leaf, -SIGTERM);
	return 5;
}

/* root -> A (0) -> A1 (exit 3), A2 (SIGUSR1); root -> B (5) -> B1 (0),
 * B2 (SIGTERM); root exits 2. */
static int helper_tree3(void)
{
	fork_node(node_a, 0);
	fork_node(node_b, 0);
	reap_all();
	return 2;
}

/* A child that exits with code at once; vfork() needs a frame of its own. */
static __attribute__((noinline)) pid_t spawn_exit(int code, bool use_vfork)
{
	pid_t pid = use_vfork ? vfork() : fork();

	if (pid == 0)
		_exit(code);
	return pid;
}

/* n children that exit at once, made with fork or vfork. */
static int helper_burst(int n, bool use_vfork)
{
	int i, st;
	pid_t pid;

	for (i = 0; i < n; i++) {
		pid = spawn_exit(i % 256, use_vfork);
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			return 92;
		truth(pid, st);
	}
	return 0;
}

int main(int argc, char **argv);

static int run_helper(int argc, char **argv)
{
	const char *name = argv[0];

	truth_fd = argc > 1 ? open(argv[1], O_WRONLY | O_APPEND | O_CLOEXEC) : -1;
	if (!strcmp(name, "tree3"))
		return helper_tree3();
	if (!strcmp(name, "burst") && argc > 3)
		return helper_burst(atoi(argv[2]), !strcmp(argv[3], "vfork"));
	if (!strcmp(name, "flood") && argc > 2) {
		/* n children alive at once, then all end together: a storm */
		int i, n = atoi(argv[2]), p[2], st;
		pid_t pid;
		char c;

		if (pipe(p))
			return 94;
		for (i = 0; i < n; i++) {
			pid = fork();
			if (pid == 0) {
				close(p[1]);
				alarm(20);
				while (read(p[0], &c, 1) > 0)
					;
				_exit(i % 256);
			}
			if (pid < 0)
				return 95;
		}
		close(p[1]);
		while ((pid = wait(&st)) > 0)
			truth(pid, st);
		return 0;
	}
	if (!strcmp(name, "siblings") && argc > 3) {
		/* n children that end together at EOF on fd; the root
		 * leaves first, without reaping them */
		int i, n = atoi(argv[2]), fd = atoi(argv[3]);
		char c;

		for (i = 0; i < n; i++) {
			pid_t pid = fork();

			if (pid == 0) {
				alarm(20);
				while (read(fd, &c, 1) > 0)
					;
				_exit(10 + i);
			}
			truth(pid, -1);
		}
		return 0;
	}
	if (!strcmp(name, "exit") && argc > 2) {
		if (write(STDOUT_FILENO, "clean stdout\n", 13) != 13)
			return 93;
		return leaf(atoi(argv[2]));
	}
	if (!strcmp(name, "wait") && argc > 2) {
		/* wait to be told "ready", then for a signal (bounded) */
		int ready = atoi(argv[2]);

		if (argc > 3 && !strcmp(argv[3], "handler"))
			signal(SIGTERM, (void (*)(int))_exit);	/* exits with 15 */
		else
			signal(SIGTERM, SIG_DFL);
		if (write(ready, "r", 1) != 1)
			return 94;
		alarm(10);
		pause();
		return 95;
	}
	return 96;
}

/* ---- test plumbing ---- */

/* Wait (bounded) for a byte on fd. */
static void read_ready(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char c;

	assert_int_equal(poll(&pfd, 1, T_TIMEOUT_MS), 1);
	assert_int_equal(read(fd, &c, 1), 1);
}

static int do_exit(void *arg)
{
	return (int)(long)arg;
}

struct truth {
	pid_t pid, ppid;
	int status;
	bool seen;
};

static char *truth_file(void)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/exittrace-truth-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		fail_msg("mkstemp: %s", strerror(errno));
	close(fd);
	return path;
}

static size_t read_truth(const char *path, struct truth *t, size_t max)
{
	FILE *f = fopen(path, "re");
	int pid, ppid, st;
	size_t n = 0;

	assert_non_null(f);
	while (n < max && fscanf(f, "%d %d %d", &pid, &ppid, &st) == 3) {
		t[n].pid = pid;
		t[n].ppid = ppid;
		t[n].status = st;
		t[n].seen = false;
		n++;
	}
	fclose(f);
	unlink(path);
	return n;
}

static struct truth *truth_find(struct truth *t, size_t n, pid_t pid)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].pid == pid)
			return &t[i];
	return NULL;
}

/* The first pid of the start record: CMD's in command mode. */
static pid_t start_pid(struct tracer *tr)
{
	json_object *ev = tracer_event(tr, "start", 0, T_TIMEOUT_MS), *pids;
	pid_t pid;

	assert_non_null(ev);
	assert_true(json_object_object_get_ex(ev, "pids", &pids));
	pid = (pid_t)json_object_get_int(json_object_array_get_idx(pids, 0));
	json_object_put(ev);
	return pid;
}

/* Wait (bounded) until pid has exited (a zombie, or reaped). */
static void wait_gone(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	if (fd < 0) {
		assert_int_equal(errno, ESRCH);
		return;
	}
	assert_int_equal(poll(&pfd, 1, T_TIMEOUT_MS), 1);
	close(fd);
}

/* Reap a reparented process (we are a subreaper): bounded. */
static int reap_orphan(pid_t pid)
{
	struct child ch = { .pid = pid, .go_fd = -1 };

	ch.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (ch.pidfd < 0)
		fail_msg("pidfd_open(%d): %s", (int)pid, strerror(errno));
	return child_wait(&ch, true);
}

struct counts {
	long processes, zero, nonzero, killed, dumped;
};

static void count(struct counts *c, json_object *ev)
{
	const char *code = j_str(ev, "code");

	c->processes++;
	if (!strcmp(code, "exited"))
		(*(j_int(ev, "exit_code") ? &c->nonzero : &c->zero))++;
	else if (!strcmp(code, "killed"))
		c->killed++;
	else if (!strcmp(code, "dumped"))
		c->dumped++;
}

static void check_summary(json_object *sum, const struct counts *c)
{
	assert_int_equal(j_int(sum, "processes"), c->processes);
	assert_int_equal(j_int(sum, "exited_zero"), c->zero);
	assert_int_equal(j_int(sum, "exited_nonzero"), c->nonzero);
	assert_int_equal(j_int(sum, "killed"), c->killed);
	assert_int_equal(j_int(sum, "dumped"), c->dumped);
	assert_int_equal(j_int(sum, "lost"), 0);
}

/* ---- tests ---- */

struct rec {
	pid_t pid, ppid, fork_ppid;
	int status;
};

/* Every exit record until the end one; the summary, if any, kept. */
static size_t collect(struct tracer *tr, struct rec *r, size_t max, struct counts *c,
		      json_object **sum)
{
	json_object *ev;
	size_t n = 0;

	while ((ev = tracer_json(tr, T_TIMEOUT_MS))) {
		const char *e = j_str(ev, "event");

		if (!strcmp(e, "exit")) {
			assert_true(n < max);
			r[n].pid = (pid_t)j_int(ev, "pid");
			r[n].ppid = (pid_t)j_int(ev, "ppid");
			r[n].fork_ppid = j_is_null(ev, "fork_ppid") ? 0 : (pid_t)j_int(ev, "fork_ppid");
			r[n].status = (int)j_int(ev, "status");
			n++;
			count(c, ev);
		} else if (!strcmp(e, "summary") && sum) {
			*sum = json_object_get(ev);
		} else if (!strcmp(e, "end")) {
			json_object_put(ev);
			return n;
		}
		json_object_put(ev);
	}
	fail_msg("no end record");
	return 0;
}

/* Each record against the truth (status, parent, forker), each once; the
 * one not in the truth is the root, whose pid comes back. */
static pid_t check_records(const struct rec *r, size_t n, struct truth *t, size_t nt)
{
	struct truth *tp;
	pid_t root = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		tp = truth_find(t, nt, r[i].pid);
		if (!tp) {
			assert_int_equal(root, 0);
			assert_int_equal(r[i].fork_ppid, 0);
			root = r[i].pid;
			continue;
		}
		assert_false(tp->seen);
		tp->seen = true;
		assert_int_equal(r[i].status, tp->status);
		assert_int_equal(r[i].ppid, tp->ppid);
		assert_int_equal(r[i].fork_ppid, tp->ppid);
	}
	for (i = 0; i < nt; i++)
		if (!t[i].seen)
			fail_msg("pid %d (status %d) not reported", (int)t[i].pid, t[i].status);
	assert_true(root > 0);
	return root;
}

/* A three-level tree in command mode: every process reported once with
 * its parent's waitpid() status and parent; the summary agrees with the
 * records, the failures carry their chains; exittrace exits as CMD. */
static void test_three_levels(void **state)
{
	const char *path = truth_file();
	const char *argv[] = { "-j", "--summary", "-o", "/dev/stdout", "--", self_exe(), "helper",
			       "tree3", path, NULL };
	struct truth t[16], *tp;
	struct counts c = { 0 };
	struct rec r[16];
	struct tracer tr;
	json_object *sum = NULL, *fails, *chain, *f;
	size_t n, nt, i, failures = 0;
	pid_t root;
	int st;

	require_bpf();
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	n = collect(&tr, r, 16, &c, &sum);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);	/* CMD's own exit code */
	nt = read_truth(path, t, 16);
	assert_int_equal(nt, 6);		/* A, B, and four leaves */
	assert_int_equal(n, 7);			/* and the root */
	root = check_records(r, n, t, nt);
	for (i = 0; i < n; i++)
		if (r[i].pid == root)
			assert_int_equal(r[i].status, 2 << 8);
	assert_non_null(sum);
	check_summary(sum, &c);
	assert_int_equal(c.zero, 2);
	assert_int_equal(c.nonzero, 3);
	assert_int_equal(c.killed, 2);

	/* each failure: the truth's status, and a chain up to the root */
	assert_true(json_object_object_get_ex(sum, "failures", &fails));
	for (i = 0; i < json_object_array_length(fails); i++) {
		pid_t pid;

		f = json_object_array_get_idx(fails, i);
		pid = (pid_t)j_int(f, "pid");
		if (pid == root)
			continue;
		tp = truth_find(t, nt, pid);
		assert_non_null(tp);
		assert_int_equal(j_int(f, "status"), tp->status);
		assert_int_equal(j_int(f, "fork_ppid"), tp->ppid);
		assert_true(json_object_object_get_ex(f, "chain", &chain));
		/* a leaf: its parent, then the root; B: the root */
		assert_int_equal(j_int(json_object_array_get_idx(chain, 0), "pid"), tp->ppid);
		assert_int_equal(j_int(json_object_array_get_idx(chain,
				 json_object_array_length(chain) - 1), "pid"), root);
		failures++;
	}
	assert_int_equal(failures, 4);	/* A1, A2, B, B2 */
	json_object_put(sum);
	tracer_close(&tr);
}

/* 1000 children that exit microseconds after their fork: none missed. */
static void burst(const char *how)
{
	enum { N = 1000 };
	const char *path = truth_file();
	const char *argv[] = { "-j", "-o", "/dev/stdout", "--", self_exe(), "helper", "burst",
			       path, "1000", how, NULL };
	static struct truth t[N + 1];
	static struct rec r[N + 2];
	struct counts c = { 0 };
	struct tracer tr;
	size_t n, nt;
	int st;

	require_bpf();
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	n = collect(&tr, r, N + 2, &c, NULL);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	nt = read_truth(path, t, N + 1);
	assert_int_equal(nt, N);
	assert_int_equal(n, N + 1);
	check_records(r, n, t, nt);
	tracer_close(&tr);
}

/*
 * Loss is never silent: a 4 KiB ring buffer that is read once a second
 * (--coalesce-us) cannot hold a storm of 300 exits. What is lost is
 * counted exactly: the records that came from the kernel plus the count
 * of lost ones make every process of the tree, and what came is right.
 * CMD's end, if its record was lost, still comes, from its pidfd.
 */
static void test_lost_records_counted(void **state)
{
	enum { N = 300 };
	const char *path = truth_file();
	const char *argv[] = { "-j", "--ringbuf-size", "4", "--coalesce-us", "1000000", "-o",
			       "/dev/stdout", "--", self_exe(), "helper", "flood", path, "300", NULL };
	static struct truth t[N + 1];
	static struct rec r[N + 1];
	struct truth *tp;
	long long lost = -1, lost_events = 0, from_bpf = 0, cmd_ends = 0;
	struct tracer tr;
	json_object *ev;
	size_t i, n = 0, nt;
	int st;

	require_bpf();
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	while ((ev = tracer_json(&tr, T_TIMEOUT_MS))) {
		const char *e = j_str(ev, "event");

		if (!strcmp(e, "lost")) {
			lost_events += j_int(ev, "count");
		} else if (!strcmp(e, "end")) {
			lost = j_int(ev, "lost");
			assert_int_equal(j_int(ev, "not_followed"), 0);
			json_object_put(ev);
			break;
		} else if (!strcmp(e, "exit")) {
			if (!strcmp(j_str(ev, "source"), "bpf"))
				from_bpf++;
			if (j_is_null(ev, "fork_ppid")) {
				cmd_ends++;	/* CMD, bpf or pidfd */
			} else {
				assert_true(n < N);
				r[n].pid = (pid_t)j_int(ev, "pid");
				r[n++].status = (int)j_int(ev, "status");
			}
		}
		json_object_put(ev);
	}
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	nt = read_truth(path, t, N + 1);
	assert_int_equal(nt, N);
	for (i = 0; i < n; i++) {	/* what came is right, and came once */
		tp = truth_find(t, nt, r[i].pid);
		assert_non_null(tp);
		assert_false(tp->seen);
		tp->seen = true;
		assert_int_equal(r[i].status, tp->status);
	}
	assert_int_equal(cmd_ends, 1);
	assert_true(lost > 0);
	assert_int_equal(lost, lost_events);	/* each said as seen, and in all */
	assert_int_equal(from_bpf + lost, N + 1);
	tracer_close(&tr);
}

static void test_burst_vfork(void **state)
{
	burst("vfork");
}

static void test_burst_fork(void **state)
{
	burst("fork");
}

/* ---- -f on a running process ---- */

struct daemon_arg {
	int pid_w;	/* the daemon writes its pid here */
	int release_r;	/* and exits once a byte comes, or EOF */
	int release_w;	/* the test's end: closed in the daemon */
	int code;
};

/* root -> middle -> daemon (setsid); middle exits 0 at once; root reaps
 * middle and exits 6. The daemon, reparented, lives on. */
static int do_double_fork(void *p)
{
	struct daemon_arg *a = p;
	pid_t mid, d;
	int st;
	char c;

	mid = fork();
	if (mid == 0) {
		d = fork();
		if (d == 0) {
			/* bounded: if the test fails before releasing it, EOF
			 * or the alarm ends it */
			close(a->release_w);
			alarm(20);
			setsid();
			d = getpid();
			if (write(a->pid_w, &d, sizeof(d)) != sizeof(d))
				_exit(97);
			if (read(a->release_r, &c, 1) != 1)
				_exit(98);
			_exit(a->code);
		}
		_exit(0);
	}
	if (mid < 0 || waitpid(mid, &st, 0) != mid)
		return 99;
	return 6;
}

static void daemon_case(bool failed_only)
{
	int pid_p[2], rel_p[2];
	struct daemon_arg a;
	struct child ch;
	struct tracer tr;
	char p[16], c;
	const char *argv[] = { "-j", "-f", "-p", p, failed_only ? "-x" : NULL, NULL };
	json_object *ev;
	pid_t d;
	int ws, st, dws;
	struct pollfd pfd;

	require_bpf();
	assert_int_equal(pipe2(pid_p, O_CLOEXEC), 0);
	assert_int_equal(pipe2(rel_p, O_CLOEXEC), 0);
	a.pid_w = pid_p[1];
	a.release_r = rel_p[0];
	a.release_w = rel_p[1];
	a.code = failed_only ? 0 : 42;
	child_spawn(&ch, do_double_fork, &a);
	snprintf(p, sizeof(p), "%d", (int)ch.pid);
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	child_go(&ch);
	assert_int_equal(read(pid_p[0], &d, sizeof(d)), sizeof(d));
	ws = child_wait(&ch, true);
	assert_int_equal(ws, 6 << 8);
	/* the root's end is reported (with -x too: it failed) */
	ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_int_equal(j_int(ev, "status"), ws);
	json_object_put(ev);
	/* the tree is not over while the daemon lives */
	pfd.fd = tr.pidfd;
	pfd.events = POLLIN;
	assert_int_equal(poll(&pfd, 1, 200), 0);
	c = 'x';
	assert_int_equal(write(rel_p[1], &c, 1), 1);
	dws = reap_orphan(d);	/* we are its subreaper: the truth */
	if (!failed_only) {
		ev = tracer_event(&tr, "exit", d, T_TIMEOUT_MS);
		assert_non_null(ev);
		assert_int_equal(j_int(ev, "status"), dws);
		assert_int_equal(j_int(ev, "ppid"), getpid());	/* reparented to us */
		assert_int_not_equal(j_int(ev, "fork_ppid"), getpid());
		json_object_put(ev);
	}
	/* with -x the daemon's exit 0 is filtered in the kernel: exittrace
	 * must still learn the tree is gone */
	tracer_expect_end(&tr, "done");
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(st), 6);	/* the -p PID's status */
	close(pid_p[0]);
	close(pid_p[1]);
	close(rel_p[0]);
	close(rel_p[1]);
	tracer_close(&tr);
}

static void test_double_fork_daemon(void **state)
{
	daemon_case(false);
}

static void test_filtered_last_member(void **state)
{
	daemon_case(true);
}

/* Followed processes that end together, after CMD: each record arrives
 * before exittrace decides the tree is over (rounds, since it is a race). */
static void test_siblings_end_together(void **state)
{
	enum { N = 8, ROUNDS = 5 };
	struct truth t[N];
	int round, rp[2], got, st;
	size_t nt, k;
	char fd[16], n[16];
	const char *path;
	const char *argv[] = { "-j", "-o", "/dev/stdout", "--", self_exe(), "helper", "siblings",
			       NULL, n, fd, NULL };
	struct tracer tr;
	json_object *ev;
	pid_t cmd;

	require_bpf();
	snprintf(n, sizeof(n), "%d", N);
	for (round = 0; round < ROUNDS; round++) {
		path = truth_file();
		argv[7] = path;
		/* only the read end is inherited: EOF once we close ours */
		assert_int_equal(pipe2(rp, O_CLOEXEC), 0);
		assert_int_equal(fcntl(rp[0], F_SETFD, 0), 0);
		snprintf(fd, sizeof(fd), "%d", rp[0]);
		tracer_spawn(&tr, argv);
		close(rp[0]);
		cmd = start_pid(&tr);
		/* CMD's own end, once it has forked them all */
		ev = tracer_event(&tr, "exit", cmd, T_TIMEOUT_MS);
		assert_non_null(ev);
		json_object_put(ev);
		/* the record comes before CMD hands its children on: they are
		 * ours to reap once CMD is a zombie (or reaped) */
		wait_gone(cmd);
		nt = read_truth(path, t, N);
		assert_int_equal(nt, N);
		close(rp[1]);		/* all of them, at once */
		for (k = 0; k < nt; k++)
			t[k].status = reap_orphan(t[k].pid);
		got = 0;
		while ((ev = tracer_json(&tr, T_TIMEOUT_MS))) {
			const char *e = j_str(ev, "event");
			struct truth *tp;

			if (!strcmp(e, "end")) {
				json_object_put(ev);
				break;
			}
			if (!strcmp(e, "exit")) {
				tp = truth_find(t, nt, (pid_t)j_int(ev, "pid"));
				assert_non_null(tp);
				assert_int_equal(j_int(ev, "status"), tp->status);
				got++;
			}
			json_object_put(ev);
		}
		assert_int_equal(got, N);
		st = tracer_wait(&tr, T_TIMEOUT_MS);
		assert_int_equal(WEXITSTATUS(st), 0);
		tracer_close(&tr);
	}
}

/* ---- command mode ---- */

static void command_status(const char *how, int want_status, int want_exit)
{
	const char *argv[] = { "-j", "--", self_exe(), "helper", "exit", "-", how, NULL };
	struct tracer tr;
	const char *out, *err;
	int st;

	require_bpf();
	tracer_spawn(&tr, argv);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), want_exit);
	/* CMD's stdout is its own; the reports went to stderr */
	out = tracer_line(&tr, 1000);
	assert_non_null(out);
	assert_string_equal(out, "clean stdout");
	assert_null(tracer_line(&tr, 100));
	err = tracer_stderr(&tr);
	assert_non_null(strstr(err, "\"event\":\"start\""));
	{
		char want[64];

		snprintf(want, sizeof(want), "\"status\":%d,", want_status);
		assert_non_null(strstr(err, want));
	}
	tracer_close(&tr);
}

static void test_command_exit_codes(void **state)
{
	command_status("0", 0, 0);
	command_status("3", 3 << 8, 3);
	command_status("255", 255 << 8, 255);
	command_status("-15", SIGTERM, 128 + SIGTERM);
	command_status("-10", SIGUSR1, 128 + SIGUSR1);
}

static void test_command_not_found(void **state)
{
	const char *argv[] = { "--", "/nonexistent/command", NULL };
	const char *plain = truth_file();	/* mode 0600: not executable */
	const char *argv2[] = { "--", plain, NULL };
	struct tracer tr;
	int st;

	require_bpf();
	tracer_spawn(&tr, argv);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(st), 127);
	assert_non_null(strstr(tracer_stderr(&tr), "/nonexistent/command: command not found"));
	tracer_close(&tr);
	tracer_spawn(&tr, argv2);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(st), 126);
	assert_non_null(strstr(tracer_stderr(&tr), ": cannot run: Permission denied"));
	unlink(plain);
	tracer_close(&tr);
}

/* A signal sent to exittrace goes on to CMD, whose end then decides. */
static void forward(const char *mode, int want_exit, int want_status)
{
	int rp[2];
	char fd[16];
	const char *argv[] = { "-j", "-o", "/dev/stdout", "--", self_exe(), "helper", "wait", "-",
			       fd, mode, NULL };
	struct tracer tr;
	json_object *ev;
	int st;

	require_bpf();
	assert_int_equal(pipe(rp), 0);	/* inherited by CMD */
	snprintf(fd, sizeof(fd), "%d", rp[1]);
	tracer_spawn(&tr, argv);
	close(rp[1]);
	tracer_start_wait(&tr);
	read_ready(rp[0]);	/* CMD is waiting */
	close(rp[0]);
	kill(tr.pid, SIGTERM);
	ev = tracer_event(&tr, "exit", 0, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_int_equal(j_int(ev, "status"), want_status);
	json_object_put(ev);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), want_exit);
	tracer_close(&tr);
}

static void test_signal_forwarding(void **state)
{
	forward("default", 128 + SIGTERM, SIGTERM);
	forward("handler", SIGTERM, SIGTERM << 8);	/* its handler exits 15 */
}

/* On timeout CMD is told to end (as timeout(1)), its end still reported,
 * and exittrace says 124. */
static void test_command_timeout(void **state)
{
	int rp[2];
	char fd[16];
	const char *argv[] = { "-j", "--timeout", "1", "-o", "/dev/stdout", "--", self_exe(),
			       "helper", "wait", "-", fd, "default", NULL };
	struct tracer tr;
	json_object *ev;
	pid_t cmd;
	int st;

	require_bpf();
	assert_int_equal(pipe(rp), 0);
	snprintf(fd, sizeof(fd), "%d", rp[1]);
	tracer_spawn(&tr, argv);
	close(rp[1]);
	cmd = start_pid(&tr);
	read_ready(rp[0]);
	close(rp[0]);
	ev = tracer_event(&tr, "exit", cmd, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_int_equal(j_int(ev, "status"), SIGTERM);
	json_object_put(ev);
	tracer_expect_end(&tr, "timeout");
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(st), 124);
	/* exittrace reaped it: no zombie left to anyone */
	assert_int_equal(kill(cmd, 0), -1);
	assert_int_equal(errno, ESRCH);
	tracer_close(&tr);
}

/* -n whose last exit is the last target's: its status, not 0. */
static void test_count_with_pid(void **state)
{
	struct child ch;
	char p[16];
	const char *argv[] = { "-j", "-n", "1", "-p", p, NULL };
	struct tracer tr;
	int ws;

	require_bpf();
	child_spawn(&ch, do_exit, (void *)3L);
	snprintf(p, sizeof(p), "%d", (int)ch.pid);
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	child_go(&ch);
	ws = child_wait(&ch, true);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), shell_status(ws));
	tracer_close(&tr);
}

/* ---- --any, -n, filters ---- */

static void test_any(void **state)
{
	struct child a, b;
	char pa[16], pb[16];
	const char *argv[] = { "-j", "--any", "-p", pa, "-p", pb, NULL };
	struct tracer tr;
	json_object *ev;
	int st, ws;

	require_bpf();
	child_spawn(&a, do_exit, (void *)1L);
	child_spawn(&b, do_exit, (void *)4L);
	snprintf(pa, sizeof(pa), "%d", (int)a.pid);
	snprintf(pb, sizeof(pb), "%d", (int)b.pid);
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	child_go(&b);
	ws = child_wait(&b, true);
	ev = tracer_event(&tr, "end", 0, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_string_equal(j_str(ev, "reason"), "any");
	assert_int_equal(j_int(ev, "exits"), 1);
	json_object_put(ev);
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(st), shell_status(ws));	/* b's 4, not a's */
	assert_int_equal(kill(a.pid, 0), 0);	/* a still runs */
	child_go(&a);
	child_wait(&a, true);
	tracer_close(&tr);
}

struct named {
	const char *comm;
	uid_t uid;
	int code;
};

static int do_named(void *p)
{
	const struct named *n = p;

	prctl(PR_SET_NAME, n->comm);
	if (n->uid && setresuid(n->uid, n->uid, n->uid))
		return 98;
	return n->code;
}

/*
 * Host mode with filters: children with chosen comms, uids and codes;
 * exactly those in want[] (indexes) are reported, with -n, n of them.
 */
static void filtered(const char *const *args, const struct named *kids, size_t nkids,
		     const bool *want, const char *reason)
{
	struct child ch[8];
	const char *argv[16];
	struct tracer tr;
	json_object *ev;
	size_t i, j, nw = 0, got = 0;
	int ws[8];

	require_bpf();
	argv[0] = "-j";
	for (i = 0; args[i]; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	for (i = 0; i < nkids; i++)
		child_spawn(&ch[i], do_named, (void *)&kids[i]);
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	for (i = 0; i < nkids; i++) {
		child_go(&ch[i]);
		ws[i] = child_wait(&ch[i], true);
		nw += want[i];
	}
	while ((ev = tracer_json(&tr, T_TIMEOUT_MS))) {
		const char *e = j_str(ev, "event");

		if (!strcmp(e, "exit")) {
			for (j = 0; j < nkids && ch[j].pid != j_int(ev, "pid"); j++)
				;
			/* host mode: only ours can pass these filters */
			assert_true(j < nkids);
			assert_true(want[j]);
			assert_int_equal(j_int(ev, "status"), ws[j]);
			got++;
		}
		if (!strcmp(e, "end")) {
			assert_string_equal(j_str(ev, "reason"), reason);
			json_object_put(ev);
			break;
		}
		json_object_put(ev);
		if (got == nw && !strcmp(reason, "signal"))
			kill(tr.pid, SIGINT);
	}
	assert_int_equal(got, nw);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 0);
	tracer_close(&tr);
}

static void test_filter_comm(void **state)
{
	static const struct named kids[] = {
		{ "et-cm-a", 0, 0 }, { "et-cm-b", 0, 1 }, { "et-cm-a", 0, 2 }, { "et-cm-c", 0, 3 },
	};
	static const bool want[] = { true, false, true, false };
	const char *args[] = { "--comm", "et-cm-a", "--comm", "et-cm-zzz", NULL };

	filtered(args, kids, 4, want, "signal");
}

static void test_filter_uid(void **state)
{
	static const struct named kids[] = {
		{ "et-uid-a", 54321, 0 }, { "et-uid-b", 0, 1 }, { "et-uid-c", 54321, 7 },
	};
	static const bool want[] = { true, false, true };
	const char *args[] = { "-u", "54321", NULL };

	filtered(args, kids, 3, want, "signal");
}

static void test_filters_combined(void **state)
{
	static const struct named kids[] = {
		{ "et-cb-a", 54322, 1 },	/* all three pass */
		{ "et-cb-a", 54322, 0 },	/* succeeded */
		{ "et-cb-a", 0, 1 },		/* another user */
		{ "et-cb-b", 54322, 1 },	/* another name */
		{ "et-cb-a", 54322, 9 },	/* passes */
	};
	static const bool want[] = { true, false, false, false, true };
	const char *args[] = { "--comm", "et-cb-a", "-x", "-u", "54322", NULL };

	filtered(args, kids, 5, want, "signal");
}

static void test_count(void **state)
{
	static const struct named kids[] = {
		{ "et-count", 0, 0 }, { "et-count", 0, 1 }, { "et-other", 0, 2 },
		{ "et-count", 0, 3 }, { "et-count", 0, 4 },
	};
	static const bool want[] = { true, true, false, true, false };
	const char *args[] = { "--comm", "et-count", "-n", "3", NULL };

	filtered(args, kids, 5, want, "count");
}

/* A -p PID that does not pass the filters is still waited for, and decides
 * the exit status, but is not printed. */
static void test_filter_with_pid(void **state)
{
	static const struct named kids[] = { { "et-fp-a", 0, 5 }, { "et-fp-b", 0, 6 } };
	struct child ch[2];
	char pa[16], pb[16];
	const char *argv[] = { "-j", "--comm", "et-fp-a", "-p", pa, "-p", pb, NULL };
	struct tracer tr;
	json_object *ev;
	int ws[2], i, printed = 0;

	require_bpf();
	for (i = 0; i < 2; i++)
		child_spawn(&ch[i], do_named, (void *)&kids[i]);
	snprintf(pa, sizeof(pa), "%d", (int)ch[0].pid);
	snprintf(pb, sizeof(pb), "%d", (int)ch[1].pid);
	tracer_spawn(&tr, argv);
	tracer_start_wait(&tr);
	for (i = 0; i < 2; i++) {
		child_go(&ch[i]);
		ws[i] = child_wait(&ch[i], true);
	}
	while ((ev = tracer_json(&tr, T_TIMEOUT_MS))) {
		const char *e = j_str(ev, "event");

		if (!strcmp(e, "exit")) {
			assert_int_equal(j_int(ev, "pid"), ch[0].pid);
			assert_int_equal(j_int(ev, "status"), ws[0]);
			printed++;
		}
		if (!strcmp(e, "end")) {
			assert_string_equal(j_str(ev, "reason"), "done");
			json_object_put(ev);
			break;
		}
		json_object_put(ev);
	}
	assert_int_equal(printed, 1);
	/* the last PID given decides, printed or not */
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), shell_status(ws[1]));
	tracer_close(&tr);
}

/* Filters in a followed tree: only what passes is printed, the summary
 * counts what was printed, and the tree's end is still seen. */
static void test_filtered_tree(void **state)
{
	const char *path = truth_file();
	const char *argv[] = { "-j", "-x", "--summary", "-o", "/dev/stdout", "--", self_exe(),
			       "helper", "tree3", path, NULL };
	struct counts c = { 0 };
	struct tracer tr;
	json_object *ev, *sum = NULL;
	int st;

	require_bpf();
	tracer_spawn(&tr, argv);
	while ((ev = tracer_json(&tr, T_TIMEOUT_MS))) {
		const char *e = j_str(ev, "event");

		if (!strcmp(e, "exit")) {
			assert_int_not_equal(j_int(ev, "status"), 0);
			count(&c, ev);
		} else if (!strcmp(e, "summary")) {
			sum = json_object_get(ev);
		} else if (!strcmp(e, "end")) {
			json_object_put(ev);
			break;
		}
		json_object_put(ev);
	}
	st = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(st), 2);
	assert_int_equal(c.processes, 5);	/* A1, A2, B, B2, root */
	assert_non_null(sum);
	check_summary(sum, &c);
	json_object_put(sum);
	unlink(path);
	tracer_close(&tr);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_levels),
		cmocka_unit_test(test_burst_vfork),
		cmocka_unit_test(test_burst_fork),
		cmocka_unit_test(test_lost_records_counted),
		cmocka_unit_test(test_double_fork_daemon),
		cmocka_unit_test(test_filtered_last_member),
		cmocka_unit_test(test_siblings_end_together),
		cmocka_unit_test(test_command_exit_codes),
		cmocka_unit_test(test_command_not_found),
		cmocka_unit_test(test_signal_forwarding),
		cmocka_unit_test(test_command_timeout),
		cmocka_unit_test(test_any),
		cmocka_unit_test(test_count_with_pid),
		cmocka_unit_test(test_filter_comm),
		cmocka_unit_test(test_filter_uid),
		cmocka_unit_test(test_filters_combined),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_filter_with_pid),
		cmocka_unit_test(test_filtered_tree),
	};
	helper_dispatch(argc, argv, run_helper);
	/* orphans of the scenarios come to us, to be reaped as the truth */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
