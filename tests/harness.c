// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"
#include "schedattr.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int pidfd_of(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0)
		fail_msg("pidfd_open(%d): %s", (int)pid, strerror(errno));
	return fd;
}

static void spawn(struct child *ch, int (*fn)(void *), void *arg, bool hold)
{
	int p[2];
	char c;

	if (pipe2(p, O_CLOEXEC))
		fail_msg("pipe: %s", strerror(errno));
	fflush(NULL);
	ch->pid = fork();
	if (ch->pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (ch->pid == 0) {
		close(p[1]);
		if (hold && read(p[0], &c, 1) != 1)
			_exit(99);	/* the test went away */
		close(p[0]);
		_exit(fn(arg));
	}
	close(p[0]);
	ch->go_fd = p[1];
	ch->pidfd = pidfd_of(ch->pid);
}

void child_spawn(struct child *ch, int (*fn)(void *), void *arg)
{
	spawn(ch, fn, arg, true);
}

void child_spawn_now(struct child *ch, int (*fn)(void *), void *arg)
{
	spawn(ch, fn, arg, false);
}

void child_go(struct child *ch)
{
	if (write(ch->go_fd, "g", 1) != 1)
		fail_msg("releasing child %d: %s", (int)ch->pid, strerror(errno));
	close(ch->go_fd);
	ch->go_fd = -1;
}

int child_wait(struct child *ch, bool reap)
{
	struct pollfd pfd = { .fd = ch->pidfd, .events = POLLIN };
	siginfo_t si;
	int st;

	if (poll(&pfd, 1, T_TIMEOUT_MS) != 1) {
		kill(ch->pid, SIGKILL);
		waitpid(ch->pid, NULL, 0);
		fail_msg("child %d did not end within %d ms", (int)ch->pid, T_TIMEOUT_MS);
	}
	if (ch->go_fd >= 0) {
		close(ch->go_fd);
		ch->go_fd = -1;
	}
	if (!reap) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)ch->pid, &si, WEXITED | WNOWAIT))
			fail_msg("waitid(%d): %s", (int)ch->pid, strerror(errno));
		/* rebuild the wait status from siginfo: waitid has no raw form */
		if (si.si_code == CLD_EXITED)
			return (si.si_status & 0xff) << 8;
		return si.si_status | (si.si_code == CLD_DUMPED ? 0x80 : 0);
	}
	if (waitpid(ch->pid, &st, 0) != ch->pid)
		fail_msg("waitpid(%d): %s", (int)ch->pid, strerror(errno));
	close(ch->pidfd);
	ch->pidfd = -1;
	return st;
}

void tracer_spawn_env(struct tracer *tr, const char *const argv[], const char *env,
		      int stdout_fd)
{
	const char *bin = getenv("EXITTRACE");
	const char *args[256];
	int out[2] = { -1, -1 }, errp[2];
	int i, n = 0;

	if (!bin)
		bin = build_path("exittrace");
	args[n++] = bin;
	for (i = 0; argv && argv[i]; i++) {
		if (n == 255)
			fail_msg("tracer_spawn: more than 254 arguments");
		args[n++] = argv[i];
	}
	args[n] = NULL;

	memset(tr, 0, sizeof(*tr));
	if ((stdout_fd < 0 && pipe2(out, O_CLOEXEC)) || pipe2(errp, O_CLOEXEC))
		fail_msg("pipe: %s", strerror(errno));
	fflush(NULL);
	tr->pid = fork();
	if (tr->pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (tr->pid == 0) {
		dup2(stdout_fd >= 0 ? stdout_fd : out[1], STDOUT_FILENO);
		dup2(errp[1], STDERR_FILENO);
		if (env)
			putenv((char *)env);
		execv(bin, (char *const *)args);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(98);
	}
	if (stdout_fd < 0)
		close(out[1]);
	close(errp[1]);
	tr->out_fd = out[0];
	tr->err_fd = errp[0];
	tr->pidfd = pidfd_of(tr->pid);
}

const char *build_path(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("ET_BUILD");

	snprintf(path, sizeof(path), "%s/%s", dir && *dir ? dir : "build", rel);
	return path;
}

void tracer_spawn(struct tracer *tr, const char *const argv[])
{
	tracer_spawn_env(tr, argv, NULL, -1);
}

const char *tracer_line(struct tracer *tr, int timeout_ms)
{
	static char line[1 << 12];
	long long deadline = now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = tr->out_fd, .events = POLLIN };
	char *nl;
	ssize_t n;
	size_t l;

	for (;;) {
		nl = memchr(tr->buf, '\n', tr->len);
		if (nl) {
			l = (size_t)(nl - tr->buf);
			if (l >= sizeof(line))
				fail_msg("line of %zu bytes", l);
			memcpy(line, tr->buf, l);
			line[l] = '\0';
			memmove(tr->buf, nl + 1, tr->len - l - 1);
			tr->len -= l + 1;
			tr->nlines++;
			return line;
		}
		if (tr->out_fd < 0 || now_ms() >= deadline)
			return NULL;
		if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			return NULL;
		if (tr->len == sizeof(tr->buf))
			fail_msg("output line too long");
		n = read(tr->out_fd, tr->buf + tr->len, sizeof(tr->buf) - tr->len);
		if (n <= 0) {
			if (tr->len)
				fail_msg("output ends without a newline");
			close(tr->out_fd);
			tr->out_fd = -1;
			return NULL;
		}
		tr->len += (size_t)n;
	}
}

json_object *tracer_json(struct tracer *tr, int timeout_ms)
{
	const char *line = tracer_line(tr, timeout_ms);
	json_tokener *tok;
	json_object *o;

	if (!line)
		return NULL;
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, line, (int)strlen(line));
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != strlen(line) ||
	    !json_object_is_type(o, json_type_object))
		fail_msg("not one valid JSON object: '%s'", line);
	json_tokener_free(tok);
	return o;
}

json_object *tracer_event(struct tracer *tr, const char *event, pid_t pid, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	json_object *o, *v;

	while (now_ms() < deadline) {
		o = tracer_json(tr, (int)(deadline - now_ms()));
		if (!o)
			return NULL;
		if (json_object_object_get_ex(o, "event", &v) &&
		    strcmp(json_object_get_string(v), event) == 0 &&
		    (pid <= 0 || j_int(o, "pid") == pid))
			return o;
		json_object_put(o);
	}
	return NULL;
}

json_object *tracer_start(struct tracer *tr)
{
	json_object *st = tracer_event(tr, "start", 0, T_TIMEOUT_MS);

	if (!st) {
		tracer_wait(tr, T_TIMEOUT_MS);
		fail_msg("no start record; stderr: %s", tracer_stderr(tr));
	}
	return st;
}

void tracer_start_wait(struct tracer *tr)
{
	json_object_put(tracer_start(tr));
}

void tracer_expect_end(struct tracer *tr, const char *reason)
{
	json_object *ev = tracer_event(tr, "end", 0, T_TIMEOUT_MS);

	assert_non_null(ev);
	assert_string_equal(j_str(ev, "reason"), reason);
	json_object_put(ev);
}

int tracer_wait(struct tracer *tr, int timeout_ms)
{
	struct pollfd pfd = { .fd = tr->pidfd, .events = POLLIN };
	int st;

	if (poll(&pfd, 1, timeout_ms) != 1) {
		kill(tr->pid, SIGKILL);
		waitpid(tr->pid, NULL, 0);
		fail_msg("exittrace %d did not end within %d ms", (int)tr->pid, timeout_ms);
	}
	if (waitpid(tr->pid, &st, 0) != tr->pid)
		fail_msg("waitpid(exittrace): %s", strerror(errno));
	return st;
}

const char *tracer_stderr(struct tracer *tr)
{
	static char buf[1 << 14];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) - 1 &&
	       (n = read(tr->err_fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return buf;
}

void tracer_close(struct tracer *tr)
{
	/* a test that failed half way leaves nothing running */
	if (tr->pid > 0 && waitpid(tr->pid, NULL, WNOHANG) == 0) {
		kill(tr->pid, SIGKILL);
		waitpid(tr->pid, NULL, 0);
	}
	tr->pid = 0;
	if (tr->out_fd >= 0)
		close(tr->out_fd);
	if (tr->err_fd >= 0)
		close(tr->err_fd);
	if (tr->pidfd >= 0)
		close(tr->pidfd);
	tr->out_fd = tr->err_fd = tr->pidfd = -1;
}

static char self_path[4096];

void helper_dispatch(int argc, char **argv, int (*fn)(int argc, char **argv))
{
	ssize_t n;

	if (argc > 2 && !strcmp(argv[1], "helper")) {
		int code = fn(argc - 2, argv + 2);

		fflush(NULL);
		_exit(code);
	}
	n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);
	if (n <= 0) {
		fprintf(stderr, "readlink /proc/self/exe: %s\n", strerror(errno));
		exit(1);
	}
	self_path[n] = '\0';
}

const char *self_exe(void)
{
	return self_path;
}

void require_bpf(void)
{
	const char *why = NULL;

	if (geteuid() != 0)
		why = "not root";
	else if (access("/sys/kernel/btf/vmlinux", R_OK))
		why = "no kernel BTF";
	if (!why)
		return;
	if (getenv("CI") && strcmp(getenv("CI"), "true") == 0)
		fail_msg("BPF tests cannot run (%s), and under CI they must", why);
	fprintf(stderr, "SKIP: BPF integration test: %s\n", why);
	skip();
}

bool fifo_allowed(void)
{
	struct sched_param rt = { .sched_priority = 1 }, sp = { 0 };

	if (sched_setscheduler(0, SCHED_FIFO, &rt))
		return false;
	sched_setscheduler(0, SCHED_OTHER, &sp);
	return true;
}

bool custom_slices(void)
{
	struct et_sched_attr a;
	bool kept;

	if (sched_attr_get(0, &a) || a.policy != SCHED_OTHER)
		return false;
	a.runtime = 300000;
	if (sched_attr_set(0, &a))
		return false;
	kept = !sched_attr_get(0, &a) && a.runtime == 300000;
	a.runtime = 0;
	sched_attr_set(0, &a);
	return kept;
}

static json_object *j_get(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no \"%s\" in %s", key, json_object_to_json_string(o));
	return v;
}

long long j_int(json_object *o, const char *key)
{
	json_object *v = j_get(o, key);

	if (!json_object_is_type(v, json_type_int))
		fail_msg("\"%s\" is not an integer in %s", key, json_object_to_json_string(o));
	return json_object_get_int64(v);
}

bool j_is_null(json_object *o, const char *key)
{
	return j_get(o, key) == NULL;
}

const char *j_str(json_object *o, const char *key)
{
	json_object *v = j_get(o, key);

	if (!json_object_is_type(v, json_type_string))
		fail_msg("\"%s\" is not a string in %s", key, json_object_to_json_string(o));
	return json_object_get_string(v);
}

bool j_bool(json_object *o, const char *key)
{
	json_object *v = j_get(o, key);

	if (!json_object_is_type(v, json_type_boolean))
		fail_msg("\"%s\" is not a boolean in %s", key, json_object_to_json_string(o));
	return json_object_get_boolean(v);
}

int shell_status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	return 128 + WTERMSIG(ws);
}

pid_t unused_pid(void)
{
	pid_t pid = fork();

	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	/* freed now; reuse needs pid_max more forks first */
	if (kill(pid, 0) == 0 || errno != ESRCH)
		fail_msg("pid %d still in use", (int)pid);
	return pid;
}
