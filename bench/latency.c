// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Exit notification latency: from a child's last instruction (it stamps
 * CLOCK_MONOTONIC into shared memory just before _exit) to the moment a
 * consumer has read the report of that exit.
 *
 *   latency -n N -k FIELD -- TRACER [ARGS...]   read TRACER's stdout; the
 *        child's pid is whitespace-separated field FIELD (1-based) of its
 *        line, or "json" for a "pid":N member
 *   latency -n N --pidfd                         poll() on the child's pidfd
 *   latency -n N --lib                           libexittrace in this process:
 *        et_watch() the child, et_wait() for it (one wakeup, like the pidfd)
 *   -m MB (before the mode): the children exit with MB of memory, touched
 *        by the parent before it forks them (their exit tears it down)
 *   latency -s R -- TRACER [ARGS...]             start-up: spawn to first
 *        output line, R times
 *
 * Prints one sample per line in microseconds (a consumer computes the
 * percentiles). Every wait is bounded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <exittrace.h>

#define WAIT_MS 10000

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void print_samples(void);

/* Fatal: the samples taken so far still go out (the caller sees the exit
 * status and how many there are). */
static void die(const char *what)
{
	fprintf(stderr, "latency: %s: %s\n", what, strerror(errno));
	print_samples();
	exit(1);
}

struct reader {
	int fd;
	char buf[1 << 16];
	size_t len;
};

/* Next line (NUL-terminated, in r->buf's copy), or NULL after timeout/EOF. */
static char *read_line(struct reader *r, int timeout_ms, char *line, size_t size)
{
	uint64_t end = now_ns() + (uint64_t)timeout_ms * 1000000ULL;
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	char *nl;
	ssize_t n;
	size_t l;

	for (;;) {
		nl = memchr(r->buf, '\n', r->len);
		if (nl) {
			l = (size_t)(nl - r->buf);
			if (l >= size)
				l = size - 1;
			memcpy(line, r->buf, l);
			line[l] = '\0';
			r->len -= (size_t)(nl - r->buf) + 1;
			memmove(r->buf, nl + 1, r->len);
			return line;
		}
		if (now_ns() >= end)
			return NULL;
		if (poll(&pfd, 1, (int)((end - now_ns()) / 1000000ULL) + 1) <= 0)
			return NULL;
		if (r->len == sizeof(r->buf))
			r->len = 0;	/* a line longer than the buffer: drop it */
		n = read(r->fd, r->buf + r->len, sizeof(r->buf) - r->len);
		if (n <= 0)
			return NULL;
		r->len += (size_t)n;
	}
}

/* Samples are kept and printed at the end: no output (and no wakeup of
 * whoever reads it) while measuring. */
static double *samples;
static int nsamples;

static void record(double us)
{
	samples[nsamples++] = us;
}

static void print_samples(void)
{
	int i;

	for (i = 0; i < nsamples; i++)
		printf("%.3f\n", samples[i]);
}

static long line_pid(char *line, int field)
{
	char *p, *tok, *save = NULL;
	int i;

	if (field == 0) {
		p = strstr(line, "\"pid\":");
		return p ? strtol(p + 6, NULL, 10) : -1;
	}
	for (i = 1, tok = strtok_r(line, " \t", &save); tok; i++, tok = strtok_r(NULL, " \t", &save))
		if (i == field)
			return strtol(tok, NULL, 10);
	return -1;
}

static pid_t spawn_tracer(char **argv, int *out)
{
	int p[2], null;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		null = open("/dev/null", O_WRONLY);
		dup2(p[1], 1);
		dup2(null, 2);
		setpgid(0, 0);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	*out = p[0];
	return pid;
}

static void stop_tracer(pid_t pid)
{
	int i;

	kill(-pid, SIGINT);
	kill(pid, SIGINT);
	for (i = 0; i < 500; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return;
		usleep(10000);
	}
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* n stamps the children write and the consumer reads (shared memory). */
static volatile uint64_t *map_stamps(int n)
{
	void *p = mmap(NULL, sizeof(uint64_t) * (size_t)n, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

/*
 * The children come from a spawner process, not from the consumer: a fork
 * write-protects the forker's memory, and the consumer would then pay a
 * copy-on-write fault for every page it writes after its child is gone
 * (its read buffer, its stack: ~50 us each on this VM), inside the window
 * it measures, and only in the modes that read something. The spawner also
 * holds the -m memory the children exit with, so the consumer stays small.
 *
 * A child waits for go(), then stamps its last moment into *stamp and
 * exits. Every mode starts its children this way, after whatever it needs
 * to watch them (a pidfd, et_watch()), so that they all run alike: the
 * child on another CPU than the consumer (pinned there), as a watched
 * service would be, not wherever the wakeup by go() happens to put it.
 */
static struct {
	pid_t pid;
	int req, resp, go;	/* consumer's ends */
} spawner;

static void grow(long mb);

static void spawner_loop(int req, int resp, int go_r)
{
	volatile uint64_t *stamp;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct { int cpu; uint64_t *stamp; } r;
	struct pollfd pfd = { .fd = go_r, .events = POLLIN };
	pid_t child = 0;
	cpu_set_t set;
	char b;

	while (read(req, &r, sizeof(r)) == sizeof(r)) {
		/* the last one was reported: reap it before the next; a go it
		 * never read (it died first) must not start the next one */
		if (child > 0)
			waitpid(child, NULL, 0);
		while (poll(&pfd, 1, 0) == 1 && read(go_r, &b, 1) == 1)
			;
		stamp = r.stamp;
		child = fork();
		if (child == 0) {
			close(req);
			close(resp);
			if (ncpu > 1 && r.cpu >= 0) {
				CPU_ZERO(&set);
				CPU_SET((r.cpu + 1) % (int)ncpu, &set);
				sched_setaffinity(0, sizeof(set), &set);
			}
			if (read(go_r, &b, 1) != 1)
				_exit(1);
			*stamp = now_ns();
			_exit(0);
		}
		if (write(resp, &child, sizeof(child)) != sizeof(child))
			break;
		if (child < 0)
			break;
	}
	if (child > 0)
		waitpid(child, NULL, 0);
	_exit(0);
}

/* Start the spawner: its children have mb of memory to tear down. The
 * stamps they write must be shared memory mapped before this. */
static void start_spawner(long mb)
{
	int req[2], resp[2], gop[2];

	if (pipe2(req, O_CLOEXEC) || pipe2(resp, O_CLOEXEC) || pipe2(gop, O_CLOEXEC))
		die("pipe");
	spawner.pid = fork();
	if (spawner.pid < 0)
		die("fork");
	if (spawner.pid == 0) {
		close(req[1]);
		close(resp[0]);
		close(gop[1]);
		grow(mb);
		spawner_loop(req[0], resp[1], gop[0]);
	}
	close(req[0]);
	close(resp[1]);
	close(gop[0]);
	spawner.req = req[1];
	spawner.resp = resp[0];
	spawner.go = gop[1];
}

static void stop_spawner(void)
{
	close(spawner.req);
	close(spawner.resp);
	close(spawner.go);
	waitpid(spawner.pid, NULL, 0);
}

/* A new child (its pid), waiting for go(). */
static pid_t stamped_child(volatile uint64_t *stamp)
{
	struct { int cpu; uint64_t *stamp; } r = { sched_getcpu(), (uint64_t *)stamp };
	struct pollfd pfd = { .fd = spawner.resp, .events = POLLIN };
	pid_t pid;

	if (write(spawner.req, &r, sizeof(r)) != sizeof(r))
		die("spawner request");
	errno = ETIMEDOUT;
	if (poll(&pfd, 1, WAIT_MS) != 1)
		die("spawner");
	errno = EPIPE;	/* EOF: the spawner is gone */
	if (read(spawner.resp, &pid, sizeof(pid)) != sizeof(pid))
		die("spawner");
	if (pid < 0) {
		errno = EAGAIN;
		die("spawner fork");
	}
	return pid;
}

/* Exactly one child waits on the go pipe at a time: the last one made. */
static void go(void)
{
	char b = 0;

	if (write(spawner.go, &b, 1) != 1)
		die("write");
}

/* Wait until TRACER reports an exit: it is attached then. */
static int wait_ready(struct reader *r, int field, volatile uint64_t *scratch)
{
	char line[4096];
	uint64_t end = now_ns() + 20ULL * 1000000000ULL;
	pid_t child;

	while (now_ns() < end) {
		child = stamped_child(scratch);
		go();
		while (read_line(r, 200, line, sizeof(line)))
			if (line_pid(line, field) == child)
				return 0;
	}
	return -1;
}

static int run_tracer(int n, int field, long mb, char **argv)
{
	volatile uint64_t *stamps;
	struct reader r = { 0 };
	char line[4096];
	pid_t child;
	uint64_t t, end;
	pid_t tracer;
	int i, misses = 0;

	stamps = map_stamps(n + 1);
	tracer = spawn_tracer(argv, &r.fd);
	start_spawner(mb);
	if (wait_ready(&r, field, &stamps[n])) {
		stop_tracer(tracer);
		stop_spawner();
		fprintf(stderr, "latency: %s never reported an exit\n", argv[0]);
		return 1;
	}
	for (i = 0; i < n; i++) {
		child = stamped_child(&stamps[i]);
		go();
		/* other processes' lines may come: one deadline per sample */
		end = now_ns() + (uint64_t)WAIT_MS * 1000000ULL;
		for (;;) {
			t = now_ns();
			if (t >= end || !read_line(&r, (int)((end - t) / 1000000ULL) + 1, line,
						   sizeof(line))) {
				misses++;
				break;
			}
			t = now_ns();
			if (line_pid(line, field) == child) {
				record((double)(t - stamps[i]) / 1e3);
				break;
			}
		}
	}
	stop_tracer(tracer);
	stop_spawner();
	if (misses)
		fprintf(stderr, "latency: %d exits never reported\n", misses);
	return misses ? 1 : 0;
}

static int run_pidfd(int n, long mb)
{
	volatile uint64_t *stamps;
	struct pollfd pfd = { .events = POLLIN };
	pid_t child;
	uint64_t t;
	int i, ret;

	stamps = map_stamps(n + 1);
	start_spawner(mb);
	/* i = -1: a warm-up, not recorded (like the tracers' wait_ready():
	 * the first pass faults in what the spawner's fork write-protected) */
	for (i = -1; i < n; i++) {
		child = stamped_child(&stamps[i < 0 ? n : i]);
		pfd.fd = (int)syscall(SYS_pidfd_open, child, 0);
		if (pfd.fd < 0)
			die("pidfd_open");
		go();
		ret = poll(&pfd, 1, WAIT_MS);
		t = now_ns();
		if (ret != 1) {
			errno = ret < 0 ? errno : ETIMEDOUT;
			die("poll");
		}
		if (i >= 0)
			record((double)(t - stamps[i]) / 1e3);
		close(pfd.fd);
	}
	stop_spawner();
	return 0;
}

/* A supervisor's way: watch the child with the library (its defaults: the
 * kernel's own wakeup policy; the child's pidfd is watched too, and the
 * record comes first; and, as the CLI, the shortest slice), wait for it. */
static int run_lib(int n, long mb)
{
	volatile uint64_t *stamps;
	pid_t child;
	struct et *h;
	siginfo_t si;
	uint64_t t;
	int i, ret;

	stamps = map_stamps(n + 1);
	start_spawner(mb);
	h = et_open(&(struct et_opts){ .sz = sizeof(struct et_opts),
				       .flags = ET_OPEN_SHORT_SLICE });
	if (!h)
		die("et_open");
	for (i = -1; i < n; i++) {	/* -1: a warm-up, as in run_pidfd() */
		child = stamped_child(&stamps[i < 0 ? n : i]);
		ret = et_watch(h, child);
		if (ret < 0) {
			errno = -ret;
			die("et_watch");
		}
		go();
		ret = et_wait(h, child, &si, NULL, WAIT_MS);
		t = now_ns();
		if (ret != 1) {
			errno = ret < 0 ? -ret : ETIMEDOUT;
			die("et_wait");
		}
		if (i >= 0)
			record((double)(t - stamps[i]) / 1e3);
	}
	stop_spawner();
	et_close(h);
	return 0;
}

/* MB of private memory, touched: the children fork with it. */
static void grow(long mb)
{
	size_t len = (size_t)mb << 20;
	char *p;

	if (mb <= 0)
		return;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 1, len);
}

static int run_startup(int rounds, char **argv)
{
	struct reader r = { 0 };
	char line[4096];
	uint64_t t0;
	pid_t tracer;
	int i;

	for (i = 0; i < rounds; i++) {
		t0 = now_ns();
		tracer = spawn_tracer(argv, &r.fd);
		r.len = 0;
		if (!read_line(&r, WAIT_MS, line, sizeof(line))) {
			stop_tracer(tracer);
			fprintf(stderr, "latency: %s printed nothing\n", argv[0]);
			return 1;
		}
		printf("%.3f\n", (double)(now_ns() - t0) / 1e3);
		stop_tracer(tracer);
		close(r.fd);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int n = 300, field = 2, startup = 0, i, ret;
	long mb = 0;

	/* a spawner or tracer gone: an error to report (die() keeps the
	 * samples), not a silent death */
	signal(SIGPIPE, SIG_IGN);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			n = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-k") && i + 1 < argc) {
			i++;
			field = strcmp(argv[i], "json") ? atoi(argv[i]) : 0;
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			startup = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "-m") && i + 1 < argc) {
			mb = atol(argv[++i]);
		} else if (!strcmp(argv[i], "--pidfd") || !strcmp(argv[i], "--lib")) {
			samples = calloc((size_t)n, sizeof(*samples));
			if (!samples || n <= 0)
				return 2;
			ret = strcmp(argv[i], "--lib") ? run_pidfd(n, mb) : run_lib(n, mb);
			print_samples();
			return ret;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "usage: latency [-n N] [-m MB] [-k FIELD|json] -- TRACER...\n"
					"       latency -n N [-m MB] --pidfd | --lib\n"
					"       latency -s ROUNDS -- TRACER...\n");
			return 2;
		}
	}
	if (i >= argc || n <= 0)
		return 2;
	if (startup) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		return run_startup(startup, argv + i);
	}
	samples = calloc((size_t)n, sizeof(*samples));
	if (!samples)
		return 2;
	ret = run_tracer(n, field, mb, argv + i);
	print_samples();
	return ret;
}
