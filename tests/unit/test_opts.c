// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "exittrace.h"
#include "opts.h"

#define PID_MAX 32768

/* argv lives on until the next parse(): o.cmd points into it */
static int parse(struct opts *o, char *err, const char *a0, ...)
{
	static char *argv[32];
	const char *a;
	va_list ap;
	int argc = 1;

	memset(argv, 0, sizeof(argv));
	argv[0] = "exittrace";
	va_start(ap, a0);
	for (a = a0; a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	memset(o, 0, sizeof(*o));
	err[0] = '\0';
	return opts_parse(o, argc, argv, PID_MAX, err, OPTS_ERR_LEN);
}

static void test_defaults(void **state)
{
	char err[OPTS_ERR_LEN];
	struct opts o;

	assert_int_equal(parse(&o, err, NULL), 0);
	assert_int_equal(o.npids, 0);
	assert_false(o.json || o.threads || o.failed || o.verbose || o.help || o.version);
	assert_int_equal(o.timeout_ns, 0);
	assert_int_equal(o.coalesce_us, OPTS_COALESCE_US);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--coalesce-us", "0", NULL), 0);
	assert_int_equal(o.coalesce_us, 0);
	assert_int_equal(parse(&o, err, "--coalesce-us", "-1", NULL), -EINVAL);
	assert_non_null(strstr(err, "'-1'"));
	assert_int_equal(parse(&o, err, "--coalesce-us", "1000001", NULL), -EINVAL);
	opts_free(&o);
}

static void test_pids(void **state)
{
	char err[OPTS_ERR_LEN];
	struct opts o;

	assert_int_equal(parse(&o, err, "-p", "1", "--pid", "2,3", "-p4", "--pid=5", "-p", "3",
			       NULL), 0);
	assert_int_equal(o.npids, 5);	/* the repeated 3 counts once */
	assert_int_equal(o.pids[0], 1);
	assert_int_equal(o.pids[1], 2);
	assert_int_equal(o.pids[2], 3);
	assert_int_equal(o.pids[3], 4);
	assert_int_equal(o.pids[4], 5);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-p", "32768", NULL), 0);
	opts_free(&o);
}

static void test_bad_pids(void **state)
{
	static const char *const bad[] = {
		"abc", "0", "-5", "+5", " 5", "5 ", "5x", "", "32769", "99999999999999999999",
		"1,,2", ",1", "1,", "0x10", "1.5",
	};
	char err[OPTS_ERR_LEN], want[64];
	struct opts o;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(parse(&o, err, "-p", bad[i], NULL), 0);
		/* the message names the culprit, on one line */
		snprintf(want, sizeof(want), "'%s'", bad[i]);
		if (!strchr(bad[i], ','))
			assert_non_null(strstr(err, want));
		assert_null(strchr(err, '\n'));
		opts_free(&o);
	}
	assert_int_equal(parse(&o, err, "-p", "40000", NULL), -ERANGE);
	assert_non_null(strstr(err, "pid_max (32768)"));
	opts_free(&o);
}

static void test_flags(void **state)
{
	char err[OPTS_ERR_LEN];
	struct opts o;

	assert_int_equal(parse(&o, err, "-T", "-x", "-j", "-v", NULL), 0);
	assert_true(o.threads && o.failed && o.json && o.verbose);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--threads", "--failed", "--json", "--verbose", NULL), 0);
	assert_true(o.threads && o.failed && o.json && o.verbose);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-Txj", NULL), 0);
	assert_true(o.threads && o.failed && o.json);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-h", NULL), 0);
	assert_true(o.help);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--version", NULL), 0);
	assert_true(o.version);
	opts_free(&o);
}

static void test_timeout(void **state)
{
	char err[OPTS_ERR_LEN];
	struct opts o;
	uint64_t ns;

	assert_int_equal(parse(&o, err, "--timeout", "2", NULL), 0);
	assert_int_equal(o.timeout_ns, 2000000000ULL);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--timeout=0.25", NULL), 0);
	assert_int_equal(o.timeout_ns, 250000000ULL);
	opts_free(&o);
	assert_int_equal(opts_parse_seconds("1e-9", &ns, err, sizeof(err)), 0);
	assert_int_equal(ns, 1);
	static const char *const bad[] = { "0", "-1", "abc", "", "inf", "nan", "1s", "0x10",
					   "1e10" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(opts_parse_seconds(bad[i], &ns, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, bad[i]));
	}
}

static void test_ringbuf(void **state)
{
	char err[OPTS_ERR_LEN];
	struct opts o;

	assert_int_equal(parse(&o, err, "--ringbuf-size", "4096", NULL), 0);
	assert_int_equal(o.ringbuf_kib, 4096);
	opts_free(&o);
	/* defaults: larger for the larger records of JSON and -r */
	assert_int_equal(parse(&o, err, NULL), 0);
	assert_int_equal(o.ringbuf_kib, 512);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-j", NULL), 0);
	assert_int_equal(o.ringbuf_kib, 2048);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-r", NULL), 0);
	assert_int_equal(o.ringbuf_kib, 2048);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-j", "--ringbuf-size", "64", NULL), 0);
	assert_int_equal(o.ringbuf_kib, 64);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--ringbuf-size", "1000", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--ringbuf-size", "2", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--ringbuf-size", "-4", NULL), -EINVAL);
	opts_free(&o);
}

static void test_max_targets(void **state)
{
	char err[OPTS_ERR_LEN];
	struct opts o;

	assert_int_equal(parse(&o, err, "--max-targets", "200000", NULL), 0);
	assert_int_equal(o.max_targets, 200000);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--max-targets", "0", NULL), -EINVAL);
	assert_non_null(strstr(err, "'0'"));
	assert_int_equal(parse(&o, err, "--max-targets", "x", NULL), -EINVAL);
	assert_int_equal(parse(&o, err, "--max-targets", "99999999999", NULL), -EINVAL);
	opts_free(&o);
}

static void test_attach(void **state)
{
	char err[OPTS_ERR_LEN];
	struct opts o;

	assert_int_equal(parse(&o, err, "--attach", "tp_btf", NULL), 0);
	assert_int_equal(o.attach, ET_ATTACH_TP_BTF);
	assert_int_equal(parse(&o, err, "--attach=raw_tp", NULL), 0);
	assert_int_equal(o.attach, ET_ATTACH_RAW_TP);
	assert_int_equal(parse(&o, err, "--attach", "tracepoint", "-p", "1", NULL), 0);
	assert_int_equal(o.attach, ET_ATTACH_TRACEPOINT);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--attach", "tracepoint", "-f", "-p", "1", NULL), -EINVAL);
	assert_non_null(strstr(err, "exits only"));
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--attach", "tracepoint", "make", NULL), -EINVAL);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--attach", "kprobe", NULL), -EINVAL);
	assert_non_null(strstr(err, "'kprobe'"));
	opts_free(&o);
}

static void test_usage_errors(void **state)
{
	char err[OPTS_ERR_LEN];
	struct opts o;

	assert_int_equal(parse(&o, err, "--bogus", NULL), -EINVAL);
	assert_string_equal(err, "unknown option '--bogus'");
	assert_int_equal(parse(&o, err, "-Q", NULL), -EINVAL);
	assert_string_equal(err, "unknown option '-Q'");
	assert_int_equal(parse(&o, err, "-p", NULL), -EINVAL);
	assert_string_equal(err, "option '-p' needs an argument");
	assert_int_equal(parse(&o, err, "--timeout", NULL), -EINVAL);
	assert_string_equal(err, "option '--timeout' needs an argument");
	opts_free(&o);
}

static void test_command(void **state)
{
	char err[OPTS_ERR_LEN];
	struct opts o;

	assert_int_equal(parse(&o, err, "-x", "--", "make", "-j8", NULL), 0);
	assert_non_null(o.cmd);
	assert_string_equal(o.cmd[0], "make");
	assert_string_equal(o.cmd[1], "-j8");
	assert_null(o.cmd[2]);
	assert_true(o.failed);
	opts_free(&o);
	/* options end at the command's name: its options are its own */
	assert_int_equal(parse(&o, err, "-j", "sh", "-x", "-c", "true", NULL), 0);
	assert_string_equal(o.cmd[0], "sh");
	assert_string_equal(o.cmd[1], "-x");
	assert_false(o.failed);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-p", "5", "--", "make", NULL), -EINVAL);
	assert_non_null(strstr(err, "do not mix"));
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--", "", NULL), -EINVAL);
	assert_non_null(strstr(err, "''"));
	opts_free(&o);
}

static void test_tree_options(void **state)
{
	char err[OPTS_ERR_LEN];
	struct opts o;

	assert_int_equal(parse(&o, err, "-f", "-p", "7", "--any", "--summary", "-n", "3",
			       "-o", "/tmp/x", NULL), 0);
	assert_true(o.follow && o.any && o.summary && !o.realtime);
	assert_int_equal(o.count, 3);
	assert_string_equal(o.output, "/tmp/x");
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--realtime", NULL), 0);
	assert_true(o.realtime);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-f", NULL), -EINVAL);
	assert_non_null(strstr(err, "-f needs"));
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--any", NULL), -EINVAL);
	assert_non_null(strstr(err, "--any needs"));
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-n", "0", NULL), -EINVAL);
	assert_non_null(strstr(err, "'0'"));
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-n", "-2", NULL), -EINVAL);
	assert_non_null(strstr(err, "'-2'"));
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-o", "", NULL), -EINVAL);
	assert_non_null(strstr(err, "''"));
	opts_free(&o);
}

static void test_filters(void **state)
{
	char err[OPTS_ERR_LEN];
	struct opts o;
	uid_t uid;

	assert_int_equal(parse(&o, err, "--comm", "nginx", "--comm=sh", "-u", "1000", "-u",
			       "www-data", NULL), 0);
	assert_int_equal(o.ncomms, 2);
	assert_string_equal(o.comms[1], "sh");
	assert_int_equal(o.nusers, 2);
	assert_string_equal(o.users[1], "www-data");
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--comm", "", NULL), -EINVAL);
	assert_non_null(strstr(err, "''"));
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-u", "12x", NULL), -EINVAL);
	assert_non_null(strstr(err, "'12x'"));
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-u", "4294967295", NULL), -EINVAL);
	assert_non_null(strstr(err, "'4294967295'"));
	opts_free(&o);
	assert_int_equal(parse(&o, err, "-u", "a:b", NULL), -EINVAL);
	opts_free(&o);
	assert_int_equal(opts_parse_uid("0", &uid, err, sizeof(err)), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(opts_parse_uid("root", &uid, err, sizeof(err)), -ENOENT);
}

static void test_container_filters(void **state)
{
	char err[OPTS_ERR_LEN];
	unsigned int inum;
	struct opts o;

	assert_int_equal(parse(&o, err, "--cgroup", "/sys/fs/cgroup/unified/docker", "--cgroup=/x",
			       "--container", "3F2A9c", "--pidns", "4026531836", "--pidns",
			       "/proc/1/ns/pid", NULL), 0);
	assert_int_equal(o.ncgroups, 2);
	assert_string_equal(o.cgroups[1], "/x");
	assert_int_equal(o.ncontainers, 1);
	assert_string_equal(o.containers[0], "3F2A9c");
	assert_int_equal(o.npidns, 2);
	assert_string_equal(o.pidns[1], "/proc/1/ns/pid");
	opts_free(&o);
	/* a message quoting what was typed stays one line */
	assert_int_equal(parse(&o, err, "-p", "12\n\x1b[2J", NULL), -EINVAL);
	assert_string_equal(err, "invalid pid '12??[2J': not a positive number");
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--bogus\n", NULL), -EINVAL);
	assert_string_equal(err, "unknown option '--bogus?'");
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--cgroup", "", NULL), -EINVAL);
	assert_non_null(strstr(err, "cgroup ''"));
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--container", "docker-3f2a", NULL), -EINVAL);
	assert_non_null(strstr(err, "'docker-3f2a'"));
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--container", "", NULL), -EINVAL);
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--pidns", "0", NULL), -EINVAL);
	assert_non_null(strstr(err, "'0'"));
	opts_free(&o);
	assert_int_equal(parse(&o, err, "--pidns", "4294967296", NULL), -EINVAL);
	opts_free(&o);
	assert_int_equal(opts_parse_pidns("4026531836", &inum, err, sizeof(err)), 0);
	assert_int_equal(inum, 4026531836U);
	assert_int_equal(opts_parse_pidns("/proc/self/ns/pid", &inum, err, sizeof(err)), -ENOENT);
	assert_int_equal(opts_parse_pidns("", &inum, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_pids),
		cmocka_unit_test(test_bad_pids),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_ringbuf),
		cmocka_unit_test(test_max_targets),
		cmocka_unit_test(test_attach),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_tree_options),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_container_filters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
