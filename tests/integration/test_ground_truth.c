// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The ground truth test: real processes act out each scenario, the real
 * exittrace watches them with the real BPF program, the test reaps them and
 * the status exittrace reported must equal what waitpid() returned, field
 * by field, and exittrace's own exit status must be the shell's for it.
 * Every scenario runs twice: with the tracepoint's group_dead argument, and
 * with the pre-6.16 equivalent (signal->live) forced.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static const char *variant_env;	/* NULL, or the pre-6.16 switch */
static const char *variant_arg;	/* NULL, or an --attach mode */
static char core_dir[] = "/tmp/exittrace-core.XXXXXX";
static bool cores_possible;

/* ---- what children do once released ---- */

/* The scenario ends by another thread's hand; the test's timeout bounds it. */
__attribute__((noreturn)) static void wait_forever(void)
{
	for (;;)
		pause();
}

static void reset_signals(void)
{
	/* the kernel's struct sigaction: glibc refuses to touch 32 and 33,
	 * which a parent (make, for one) may have left ignored */
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} dfl = { SIG_DFL, 0, NULL, 0 };
	sigset_t all;
	int s;

	for (s = 1; s < NSIG; s++)
		if (signal(s, SIG_DFL) == SIG_ERR)
			syscall(SYS_rt_sigaction, s, &dfl, NULL, sizeof(dfl.mask));
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
}

static void core_limit(bool on)
{
	struct rlimit rl = { 0, 0 };

	if (on) {
		rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
		if (chdir(core_dir))
			_exit(97);
	}
	setrlimit(RLIMIT_CORE, &rl);
}

static int do_exit_code(void *arg)
{
	return (int)(long)arg;	/* the child _exit()s with this; 256 becomes 0 */
}

struct sig_case {
	int sig;
	bool core;
};

static int do_signal(void *arg)
{
	const struct sig_case *sc = arg;

	reset_signals();
	core_limit(sc->core);
	syscall(SYS_tgkill, getpid(), getpid(), sc->sig);
	wait_forever();
}

static void on_term(int sig)
{
	signal(sig, SIG_DFL);
	raise(sig);
}

static int do_handler_reraise(void *arg)
{
	reset_signals();
	core_limit(false);
	signal(SIGTERM, on_term);
	raise(SIGTERM);
	return 1;	/* not reached */
}

static void *thread_exit_group(void *arg)
{
	exit((int)(long)arg);
}

static int do_worker_exit(void *arg)
{
	pthread_t t;

	pthread_create(&t, NULL, thread_exit_group, arg);
	wait_forever();
}

struct leader_case {
	pthread_t leader;
	int code;
	bool plain;	/* SYS_exit instead of exit_group */
};

static void *outlive_leader(void *arg)
{
	struct leader_case *lc = arg;

	pthread_join(lc->leader, NULL);	/* returns once the leader has exited */
	if (lc->plain)
		syscall(SYS_exit, lc->code);
	_exit(lc->code);
}

static int do_leader_first(void *arg)
{
	static struct leader_case lc;
	pthread_t t;

	lc = *(struct leader_case *)arg;
	lc.leader = pthread_self();
	pthread_create(&t, NULL, outlive_leader, &lc);
	pthread_exit(NULL);
}

static void *exec_thread(void *arg)
{
	execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
	_exit(96);
}

static int do_exec_from_thread(void *arg)
{
	pthread_t t;

	pthread_create(&t, NULL, exec_thread, NULL);
	wait_forever();
}

static void *segv_thread(void *arg)
{
	*(volatile int *)arg = 1;
	return NULL;
}

static int do_thread_segv(void *arg)
{
	pthread_t t;

	reset_signals();
	core_limit(false);
	/* an unmapped address that is not NULL (UBSan would stop a NULL store) */
	pthread_create(&t, NULL, segv_thread, (void *)16L);
	wait_forever();
}

static int do_stop(void *arg)
{
	raise(SIGSTOP);
	return 3;
}

/*
 * The thread that ends the group is not the one that set the group's code:
 * worker T calls exit(3) but is held by ptrace at PTRACE_EVENT_EXIT (after
 * it left the "quick" thread count); the leader then calls exit(4), which
 * makes it the last quick thread: SIGNAL_GROUP_EXIT with code 4. T, released,
 * ends the group with its own exit_code still 3. waitpid() says 4.
 */
static int held_pipe[2], go_pipe[2], leader_pipe[2];

static void *held_worker(void *arg)
{
	pid_t tid = (pid_t)syscall(SYS_gettid);
	char c;

	if (write(held_pipe[1], &tid, sizeof(tid)) != sizeof(tid) || read(go_pipe[0], &c, 1) != 1)
		_exit(95);
	syscall(SYS_exit, 3);
	return NULL;
}

static int do_last_thread_not_code_setter(void *arg)
{
	pthread_t t;
	char c;

	pthread_create(&t, NULL, held_worker, NULL);
	if (read(leader_pipe[0], &c, 1) != 1)	/* T is held at its exit */
		_exit(94);
	syscall(SYS_exit, 4);
	return 0;
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return p ? p[2] : 0;
}

static void hold_worker_at_exit(struct child *ch)
{
	pid_t tid;
	int st, i;

	assert_int_equal(read(held_pipe[0], &tid, sizeof(tid)), sizeof(tid));
	assert_int_equal(ptrace(PTRACE_SEIZE, tid, NULL, (void *)PTRACE_O_TRACEEXIT), 0);
	assert_int_equal(write(go_pipe[1], "g", 1), 1);
	assert_int_equal(waitpid(tid, &st, __WALL), tid);	/* bounded: T exits at once */
	assert_true(WIFSTOPPED(st) && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)));
	assert_int_equal(write(leader_pipe[1], "g", 1), 1);
	/* bounded: until the leader is a zombie, 10 s at most */
	for (i = 0; i < 10000 && proc_state(ch->pid) != 'Z'; i++)
		usleep(1000);
	assert_int_equal(proc_state(ch->pid), 'Z');
	assert_int_equal(ptrace(PTRACE_DETACH, tid, NULL, NULL), 0);
}

/* ---- the comparison ---- */

/* The name must be "SIG" + glibc's abbreviation (SIGIO is glibc's POLL), or
 * for real-time signals, bash's SIGRTMIN+n / SIGRTMAX-n numbering. */
static void check_signal_name(const char *name, int sig)
{
	const char *abbrev = sig == SIGIO ? "IO" : sigabbrev_np(sig);
	char want[32];

	if (abbrev)
		snprintf(want, sizeof(want), "SIG%s", abbrev);
	else if (sig < 34)
		snprintf(want, sizeof(want), "SIG%d", sig);
	else if (sig == 34)
		snprintf(want, sizeof(want), "SIGRTMIN");
	else if (sig == 64)
		snprintf(want, sizeof(want), "SIGRTMAX");
	else if (sig <= 49)
		snprintf(want, sizeof(want), "SIGRTMIN+%d", sig - 34);
	else
		snprintf(want, sizeof(want), "SIGRTMAX-%d", 64 - sig);
	assert_string_equal(name, want);
}

/* Check one "exit" record against the wait status waitpid() returned. */
static void check_record(json_object *ev, pid_t pid, int ws)
{
	assert_int_equal(j_int(ev, "pid"), pid);
	assert_int_equal(j_int(ev, "status"), ws);
	if (WIFEXITED(ws)) {
		assert_string_equal(j_str(ev, "code"), "exited");
		assert_int_equal(j_int(ev, "exit_code"), WEXITSTATUS(ws));
		assert_true(j_is_null(ev, "signal"));
		assert_true(j_is_null(ev, "signal_name"));
		assert_int_equal(j_int(ev, "si_code"), CLD_EXITED);
		assert_int_equal(j_int(ev, "si_status"), WEXITSTATUS(ws));
	} else {
		assert_true(WIFSIGNALED(ws));
		assert_string_equal(j_str(ev, "code"), WCOREDUMP(ws) ? "dumped" : "killed");
		assert_true(j_is_null(ev, "exit_code"));
		assert_int_equal(j_int(ev, "signal"), WTERMSIG(ws));
		check_signal_name(j_str(ev, "signal_name"), WTERMSIG(ws));
		assert_int_equal(j_int(ev, "si_code"), WCOREDUMP(ws) ? CLD_DUMPED : CLD_KILLED);
		assert_int_equal(j_int(ev, "si_status"), WTERMSIG(ws));
	}
	assert_int_equal(j_bool(ev, "core_dumped"), WCOREDUMP(ws) ? 1 : 0);
}

static void start_tracer(struct tracer *tr, pid_t pid, const char *extra)
{
	char p[16];
	const char *argv[] = { "-j", "-p", p, variant_arg, extra, NULL };

	snprintf(p, sizeof(p), "%d", (int)pid);
	tracer_spawn_env(tr, argv, variant_env, -1);
	tracer_start_wait(tr);
}

/*
 * Run fn in a held child, trace it, release it, optionally act on it from
 * the parent (after), reap it, compare. Returns the wait status.
 */
static int scenario(int (*fn)(void *), void *arg, void (*after)(struct child *))
{
	struct tracer tr;
	struct child ch;
	json_object *ev;
	int ws, ts;

	child_spawn(&ch, fn, arg);
	start_tracer(&tr, ch.pid, NULL);
	child_go(&ch);
	if (after)
		after(&ch);
	ws = child_wait(&ch, true);
	ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
	if (!ev)
		fail_msg("no exit record for %d (waitpid status %#x)", (int)ch.pid, ws);
	check_record(ev, ch.pid, ws);
	assert_string_equal(j_str(ev, "source"), "bpf");
	json_object_put(ev);
	ts = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(ts));
	assert_int_equal(WEXITSTATUS(ts), shell_status(ws));
	tracer_close(&tr);
	return ws;
}

/* ---- tests ---- */

static void test_exit_codes(void **state)
{
	static const long codes[] = { 0, 1, 2, 42, 127, 255, 256 };
	size_t i;

	require_bpf();
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		int ws = scenario(do_exit_code, (void *)codes[i], NULL);

		assert_true(WIFEXITED(ws));
		assert_int_equal(WEXITSTATUS(ws), codes[i] & 0xff);
	}
}

/* Every signal whose default action ends the process. */
static const int fatal_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL,
	SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGXCPU,
	SIGXFSZ, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSYS,
};
static const int core_signals[] = {
	SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS,
};

static void test_signals_no_core(void **state)
{
	struct sig_case sc = { .core = false };
	size_t i;
	int ws;

	require_bpf();
	for (i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
		sc.sig = fatal_signals[i];
		ws = scenario(do_signal, &sc, NULL);
		assert_true(WIFSIGNALED(ws));
		assert_int_equal(WTERMSIG(ws), sc.sig);
		assert_false(WCOREDUMP(ws));
	}
	/* real-time signals terminate too, 32 and 33 included */
	for (sc.sig = 32; sc.sig <= 64; sc.sig += 1) {
		ws = scenario(do_signal, &sc, NULL);
		assert_int_equal(WTERMSIG(ws), sc.sig);
	}
}

static void test_signals_core(void **state)
{
	struct sig_case sc = { .core = true };
	size_t i;
	int ws, dumped = 0;

	require_bpf();
	for (i = 0; i < sizeof(core_signals) / sizeof(core_signals[0]); i++) {
		sc.sig = core_signals[i];
		ws = scenario(do_signal, &sc, NULL);
		assert_int_equal(WTERMSIG(ws), sc.sig);
		dumped += WCOREDUMP(ws) ? 1 : 0;
	}
	/* the dumped path must really have been taken, where it can be */
	if (cores_possible)
		assert_int_equal(dumped, (int)(sizeof(core_signals) / sizeof(core_signals[0])));
	else
		fprintf(stderr, "NOTE: core_pattern is a pipe here: no core dump checked\n");
}

static void test_handler_reraise(void **state)
{
	int ws;

	require_bpf();
	ws = scenario(do_handler_reraise, NULL, NULL);
	assert_int_equal(WTERMSIG(ws), SIGTERM);
}

static void test_worker_thread_exit(void **state)
{
	int ws;

	require_bpf();
	ws = scenario(do_worker_exit, (void *)9L, NULL);
	assert_int_equal(WEXITSTATUS(ws), 9);
}

static void test_leader_exits_first(void **state)
{
	struct leader_case lc = { .code = 5, .plain = false };
	int ws;

	require_bpf();
	ws = scenario(do_leader_first, &lc, NULL);
	assert_int_equal(WEXITSTATUS(ws), 5);
	/* plain thread exits all round: the last thread's code, since 6.0 */
	lc.code = 6;
	lc.plain = true;
	scenario(do_leader_first, &lc, NULL);
}

static void test_last_thread_not_code_setter(void **state)
{
	int ws;

	require_bpf();
	assert_int_equal(pipe(held_pipe), 0);
	assert_int_equal(pipe(go_pipe), 0);
	assert_int_equal(pipe(leader_pipe), 0);
	ws = scenario(do_last_thread_not_code_setter, NULL, hold_worker_at_exit);
	assert_int_equal(ws, 4 << 8);
	close(held_pipe[0]), close(held_pipe[1]);
	close(go_pipe[0]), close(go_pipe[1]);
	close(leader_pipe[0]), close(leader_pipe[1]);
}

static void test_exec_from_thread(void **state)
{
	int ws;

	require_bpf();
	ws = scenario(do_exec_from_thread, NULL, NULL);
	assert_int_equal(WEXITSTATUS(ws), 7);
}

static void test_thread_segv(void **state)
{
	int ws;

	require_bpf();
	ws = scenario(do_thread_segv, NULL, NULL);
	assert_int_equal(WTERMSIG(ws), SIGSEGV);
}

static void kill_when_stopped(struct child *ch)
{
	siginfo_t si;
	int i;

	/* bounded: WSTOPPED|WNOHANG until the stop shows, 10 s at most */
	for (i = 0; i < 10000; i++) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)ch->pid, &si, WSTOPPED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == ch->pid)
			break;
		usleep(1000);
	}
	assert_int_equal(si.si_code, CLD_STOPPED);
	kill(ch->pid, SIGKILL);
}

static void test_stopped_then_killed(void **state)
{
	int ws;

	require_bpf();
	ws = scenario(do_stop, NULL, kill_when_stopped);
	assert_int_equal(WTERMSIG(ws), SIGKILL);
}

static int setup(void **state)
{
	FILE *f = fopen("/proc/sys/kernel/core_pattern", "r");
	char pat[256] = "";

	if (f) {
		if (!fgets(pat, sizeof(pat), f))
			pat[0] = '\0';
		fclose(f);
	}
	cores_possible = pat[0] != '|';
	if (!mkdtemp(core_dir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", core_dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int variant_new(void **state)
{
	variant_env = NULL;
	variant_arg = NULL;
	return 0;
}

static int variant_old(void **state)
{
	variant_env = "EXITTRACE_TEST_NO_GROUP_DEAD=1";
	variant_arg = NULL;
	return 0;
}

static int variant_tp_btf(void **state)
{
	variant_env = NULL;
	variant_arg = "--attach=tp_btf";
	return 0;
}

static int variant_tracepoint(void **state)
{
	variant_env = NULL;
	variant_arg = "--attach=tracepoint";
	return 0;
}

/* Each scenario: raw_tp (the default) with the tracepoint's group_dead,
 * with the pre-6.16 signal->live path, through tp_btf, and through the
 * classic tracepoint (tracefs mounted for the attach). */
#define BOTH(fn)                                                                    \
	cmocka_unit_test_setup(fn, variant_new),                                    \
	{ #fn " (signal->live)", fn, variant_old, NULL, NULL },                     \
	{ #fn " (tp_btf)", fn, variant_tp_btf, NULL, NULL },                        \
	{ #fn " (tracepoint)", fn, variant_tracepoint, NULL, NULL }

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_exit_codes),
		BOTH(test_signals_no_core),
		BOTH(test_signals_core),
		BOTH(test_handler_reraise),
		BOTH(test_worker_thread_exit),
		BOTH(test_leader_exits_first),
		BOTH(test_last_thread_not_code_setter),
		BOTH(test_exec_from_thread),
		BOTH(test_thread_segv),
		BOTH(test_stopped_then_killed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
