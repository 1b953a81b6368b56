/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Integration test harness: children that act out a scenario once released
 * through a pipe, the real exittrace binary run as a subprocess, and
 * bounded reads of its JSON lines. Every wait here has a timeout.
 */
#ifndef ET_HARNESS_H
#define ET_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

#define T_TIMEOUT_MS 10000

struct child {
	pid_t pid;
	int go_fd;	/* write a byte to release it */
	int pidfd;
};

/* Fork a child that waits for child_go(), then runs fn(arg) and _exit()s
 * with its return value. Aborts the test on failure. */
void child_spawn(struct child *ch, int (*fn)(void *), void *arg);
/* Fork a child that runs fn(arg) at once. */
void child_spawn_now(struct child *ch, int (*fn)(void *), void *arg);
void child_go(struct child *ch);
/* Wait (bounded) until the child has exited; with reap, reap it. Returns
 * its wait status. */
int child_wait(struct child *ch, bool reap);

struct tracer {
	pid_t pid;
	int pidfd;
	int out_fd, err_fd;
	char buf[1 << 16];
	size_t len;
	int nlines;
};

/* A file of the build under test: $ET_BUILD/rel (make sets ET_BUILD;
 * "build" without it). Static buffer. */
const char *build_path(const char *rel);

/* Run the exittrace under test (EXITTRACE, default build_path("exittrace")) with
 * argv[] (NULL-terminated, without argv[0]); extra environment in env
 * ("NAME=value" or NULL). stdout_fd >= 0 replaces the pipe for stdout. */
void tracer_spawn_env(struct tracer *tr, const char *const argv[], const char *env,
		      int stdout_fd);
void tracer_spawn(struct tracer *tr, const char *const argv[]);
/* Next stdout line (static buffer, newline removed), or NULL on EOF or
 * after timeout_ms. */
const char *tracer_line(struct tracer *tr, int timeout_ms);
/* Next line parsed as strict JSON (asserts it is one object); NULL on EOF. */
json_object *tracer_json(struct tracer *tr, int timeout_ms);
/* Read JSON lines until one with "event" == event (and "pid" == pid when
 * pid > 0); NULL when none came in time. */
json_object *tracer_event(struct tracer *tr, const char *event, pid_t pid, int timeout_ms);
/* Read up to the start record (fail, with its stderr, if none comes). */
void tracer_start_wait(struct tracer *tr);
/* The same, and the start record (the caller puts it). */
json_object *tracer_start(struct tracer *tr);
/* Read up to the end record and check its reason (fail if none comes). */
void tracer_expect_end(struct tracer *tr, const char *reason);
/* Wait for it to exit (SIGKILL after timeout_ms, and fail); its wait status. */
int tracer_wait(struct tracer *tr, int timeout_ms);
/* Everything it wrote to stderr (after tracer_wait). Static buffer. */
const char *tracer_stderr(struct tracer *tr);
void tracer_close(struct tracer *tr);

/*
 * A test binary that re-executes itself as the helper of its scenarios
 * ("helper ARG..."): in the helper, run fn(argc - 2, argv + 2) and _exit
 * with its value: no exit-time work (LeakSanitizer's, under SANITIZE=1,
 * runs in a process of its own, which a followed tree would count).
 * Returns in the test itself; self_exe() then names the binary.
 */
void helper_dispatch(int argc, char **argv, int (*fn)(int argc, char **argv));
const char *self_exe(void);

/* Skip unless BPF can be loaded here (root, BTF); under CI=true, fail. */
void require_bpf(void);

/* Whether this process may run as SCHED_FIFO here (CAP_SYS_NICE in the
 * initial user namespace, real-time time in its cgroup): tried, and put
 * back to SCHED_OTHER. */
bool fifo_allowed(void);

/* Whether this kernel keeps a fair task's own slice (6.12+): tried on the
 * calling thread, which gets the default slice back. */
bool custom_slices(void);

/* Small JSON accessors: fail the test when the key is missing. */
long long j_int(json_object *o, const char *key);
bool j_is_null(json_object *o, const char *key);
const char *j_str(json_object *o, const char *key);
bool j_bool(json_object *o, const char *key);

/* Exit status exittrace should give for a target with wait status ws. */
int shell_status(int ws);

/* A pid that no process has right now. */
pid_t unused_pid(void);

#endif /* ET_HARNESS_H */
