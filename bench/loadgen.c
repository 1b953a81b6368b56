// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Load generator: N short-lived processes that exit at once with varied
 * statuses, from P parallel workers, made with vfork() (fast) or fork().
 * Children are named "etchild" so tracers' records of them can be counted.
 * Prints "exits_per_sec N" and the elapsed time.
 *
 * -c pins worker i to the i-th CPU it may run on (round robin); its
 * children inherit that. Unpinned, where the scheduler puts workers and
 * children moves this VM's rate by 25% from run to run (25 000-36 000
 * exits/s, a CPU ~20% idle); pinned, every CPU is kept busy and runs
 * repeat within a few per cent: what a tracer costs comes out of the load.
 *
 *   loadgen [-n N] [-P P] [-m vfork|fork] [-c]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The child never returns from here: only syscalls, since a vfork child
 * shares our memory and stack. */
static __attribute__((noinline)) pid_t spawn(int code, int use_vfork)
{
	pid_t pid = use_vfork ? vfork() : fork();

	if (pid == 0) {
		prctl(PR_SET_NAME, "etchild", 0, 0, 0);
		_exit(code);
	}
	return pid;
}

static int worker(long n, int use_vfork, int id)
{
	long i;
	pid_t pid;

	for (i = 0; i < n; i++) {
		pid = spawn((int)((i * 7 + id) % 256), use_vfork);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			return 1;
	}
	return 0;
}

/* The k-th CPU of those allowed, round robin; -1 if none. */
static int nth_cpu(const cpu_set_t *allowed, int k)
{
	int n = CPU_COUNT(allowed), cpu;

	if (n <= 0)
		return -1;
	k %= n;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, allowed) && k-- == 0)
			return cpu;
	return -1;
}

int main(int argc, char **argv)
{
	long n = 20000;
	int par = 2, use_vfork = 1, pin = 0, c, i, st, bad = 0, cpu;
	cpu_set_t allowed, one;
	pid_t *w;
	double t0, t1;

	while ((c = getopt(argc, argv, "n:P:m:c")) != -1) {
		switch (c) {
		case 'n':
			n = atol(optarg);
			break;
		case 'P':
			par = atoi(optarg);
			break;
		case 'm':
			use_vfork = strcmp(optarg, "fork") != 0;
			break;
		case 'c':
			pin = 1;
			break;
		default:
			fprintf(stderr, "usage: loadgen [-n N] [-P P] [-m vfork|fork] [-c]\n");
			return 2;
		}
	}
	if (n <= 0 || par <= 0) {
		fprintf(stderr, "loadgen: -n and -P must be positive\n");
		return 2;
	}
	if (pin && sched_getaffinity(0, sizeof(allowed), &allowed)) {
		perror("loadgen: sched_getaffinity");
		return 1;
	}
	w = calloc((size_t)par, sizeof(*w));
	if (!w)
		return 1;
	t0 = now();
	for (i = 0; i < par; i++) {
		w[i] = fork();
		if (w[i] == 0) {
			if (pin) {
				cpu = nth_cpu(&allowed, i);
				if (cpu < 0) {
					fprintf(stderr, "loadgen: no CPU to pin worker %d to\n", i);
					_exit(1);
				}
				CPU_ZERO(&one);
				CPU_SET(cpu, &one);
				if (sched_setaffinity(0, sizeof(one), &one)) {
					perror("loadgen: sched_setaffinity");
					_exit(1);
				}
			}
			_exit(worker(n / par + (i < n % par), use_vfork, i));
		}
	}
	for (i = 0; i < par; i++)
		if (waitpid(w[i], &st, 0) != w[i] || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	t1 = now();
	printf("exits %ld\nseconds %.6f\nexits_per_sec %.1f\n", n, t1 - t0, (double)n / (t1 - t0));
	return bad ? 1 : 0;
}
