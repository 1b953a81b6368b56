// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Text and JSON formatting and escaping: exact lines, and properties over
 * arbitrary bytes (the output is always printable / valid JSON). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "format.h"

static const struct fmt_ctx ctx = {
	.boot_to_real_ns = 1790000000LL * 1000000000LL,	/* 2026-09-21T... */
	.threads = false,
	.utc = true,
};

static const struct fmt_ctx cctx = {
	.boot_to_real_ns = 1790000000LL * 1000000000LL,
	.utc = true,
	.containers = true,
};

static struct et_exit sample(int status)
{
	struct et_exit ex = {
		.pid = 1234, .tid = 1235, .ppid = 1, .uid = 1000, .status = status,
		.source = ET_SRC_BPF, .start_ns = 5000000000ULL,
		.exit_ns = 6500000000ULL, .cgroup_id = 77,
	};

	strcpy(ex.comm, "worker");
	return ex;
}

static void test_status_words(void **state)
{
	char b[64];

	fmt_status(b, sizeof(b), 0);
	assert_string_equal(b, "exited 0");
	fmt_status(b, sizeof(b), 3 << 8);
	assert_string_equal(b, "exited 3");
	fmt_status(b, sizeof(b), SIGKILL);
	assert_string_equal(b, "killed SIGKILL");
	fmt_status(b, sizeof(b), SIGSEGV | 0x80);
	assert_string_equal(b, "dumped SIGSEGV");
	fmt_status(b, sizeof(b), 100);
	assert_string_equal(b, "killed signal 100");
	fmt_status(b, sizeof(b), -1);
	assert_string_equal(b, "unknown");
}

static void test_age(void **state)
{
	char b[32];

	fmt_age(b, sizeof(b), 850000);
	assert_string_equal(b, "850us");
	fmt_age(b, sizeof(b), 12300000);
	assert_string_equal(b, "12.3ms");
	fmt_age(b, sizeof(b), 1520000000ULL);
	assert_string_equal(b, "1.52s");
	fmt_age(b, sizeof(b), 187000000000ULL);
	assert_string_equal(b, "3m07s");
	fmt_age(b, sizeof(b), 7500000000000ULL);
	assert_string_equal(b, "2h05m");
	fmt_age(b, sizeof(b), 273600000000000ULL);
	assert_string_equal(b, "3d04h");
	/* rounding never gives 1000.0ms or 60.00s */
	fmt_age(b, sizeof(b), 999960000ULL);
	assert_string_equal(b, "1.00s");
	fmt_age(b, sizeof(b), 999940000ULL);
	assert_string_equal(b, "999.9ms");
	fmt_age(b, sizeof(b), 59996000000ULL);
	assert_string_equal(b, "1m00s");
}

static void test_rfc3339(void **state)
{
	char b[48];

	fmt_rfc3339(b, sizeof(b), 0);
	assert_string_equal(b, "1970-01-01T00:00:00.000000000Z");
	fmt_rfc3339(b, sizeof(b), 1795376463123456789LL);
	assert_string_equal(b, "2026-11-22T19:41:03.123456789Z");
}

static void test_text_line(void **state)
{
	struct et_exit ex = sample(SIGSEGV | 0x80);
	char b[FMT_LINE_MAX];

	assert_true(fmt_text(b, sizeof(b), &ex, NULL, &ctx) > 0);
	assert_string_equal(b, "14:13:26.500    1234       1 worker           dumped SIGSEGV"
			       "           1.50s\n");
	fmt_text_header(b, sizeof(b), &ctx);
	assert_string_equal(b, "TIME             PID    PPID COMM             STATUS"
			       "                   AGE\n");

	ex = sample(0);
	ex.flags = ET_EXIT_THREAD;
	ex.status = 2 << 8;
	struct fmt_ctx tctx = ctx;

	tctx.threads = true;
	fmt_text(b, sizeof(b), &ex, NULL, &tctx);
	assert_string_equal(b, "14:13:26.500    1234    1235       1 worker           "
			       "exited 2 (thread)        1.50s\n");

	ex = sample(7 << 8);
	ex.source = ET_SRC_PROC;
	ex.start_ns = 0;
	fmt_text(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, "exited 7 (early)"));
	assert_non_null(strstr(b, " -\n"));
	ex.source = ET_SRC_NONE;
	ex.status = -1;
	fmt_text(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, "ended, status unknown"));
}

static void test_json_line(void **state)
{
	struct et_exit ex = sample(SIGKILL);
	char b[FMT_LINE_MAX];

	fmt_json(b, sizeof(b), &ex, NULL, &ctx);
	assert_string_equal(b,
		"{\"event\":\"exit\",\"time\":\"2026-09-21T14:13:26.500000000Z\",\"pid\":1234,"
		"\"tid\":1235,\"ppid\":1,\"uid\":1000,\"comm\":\"worker\",\"status\":9,"
		"\"code\":\"killed\",\"exit_code\":null,\"signal\":9,\"signal_name\":\"SIGKILL\","
		"\"core_dumped\":false,\"si_code\":2,\"si_status\":9,\"age_ns\":1500000000,"
		"\"nspid\":null,\"pidns\":null,\"cgroup_id\":77,\"cgroup\":null,"
		"\"container_id\":null,\"source\":\"bpf\",\"fork_ppid\":null,\"chain\":[],"
		"\"signal_origin\":null,\"killer\":null,\"oom_killed\":false,\"rusage\":null}\n");

	ex = sample(255 << 8);
	fmt_json(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, "\"status\":65280,\"code\":\"exited\",\"exit_code\":255,"
				  "\"signal\":null,\"signal_name\":null,\"core_dumped\":false,"
				  "\"si_code\":1,\"si_status\":255"));

	ex = sample(SIGABRT | 0x80);
	fmt_json(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, "\"code\":\"dumped\""));
	assert_non_null(strstr(b, "\"core_dumped\":true,\"si_code\":3,\"si_status\":6"));

	ex = sample(0);
	ex.source = ET_SRC_NONE;
	ex.status = -1;
	ex.start_ns = 0;
	ex.cgroup_id = 0;
	fmt_json(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, "\"status\":null,\"code\":\"unknown\",\"exit_code\":null,"
				  "\"signal\":null,\"signal_name\":null,\"core_dumped\":false,"
				  "\"si_code\":null,\"si_status\":null,\"age_ns\":null,"
				  "\"nspid\":null,\"pidns\":null,\"cgroup_id\":null,"
				  "\"cgroup\":null,\"container_id\":null,\"source\":\"none\""));

	ex = sample(0);
	ex.flags = ET_EXIT_THREAD;
	fmt_json(b, sizeof(b), &ex, NULL, &ctx);
	assert_true(strncmp(b, "{\"event\":\"thread_exit\"", 22) == 0);
	/* too small a buffer: an error, never half a line */
	assert_int_equal(fmt_json(b, 40, &ex, NULL, &ctx), -ENOSPC);
}

static void test_escape_text(void **state)
{
	char b[128];

	esc_text(b, sizeof(b), "plain name", 10);
	assert_string_equal(b, "plain name");
	esc_text(b, sizeof(b), "\x1b[31mred", 8);
	assert_string_equal(b, "\\x1b[31mred");
	esc_text(b, sizeof(b), "a\\b\"c", 5);
	assert_string_equal(b, "a\\\\b\"c");
	esc_text(b, sizeof(b), "\xff\xfe", 2);
	assert_string_equal(b, "\\xff\\xfe");
	esc_text(b, sizeof(b), "caf\xc3\xa9", 5);	/* valid UTF-8 stays */
	assert_string_equal(b, "caf\xc3\xa9");
	esc_text(b, sizeof(b), "\xc2\x9b" "2J", 4);	/* C1 CSI in UTF-8 */
	assert_string_equal(b, "\\xc2\\x9b2J");
	esc_text(b, sizeof(b), "\xe2\x80\xae" "abc", 6);	/* bidi override */
	assert_string_equal(b, "\\xe2\\x80\\xaeabc");
	esc_text(b, sizeof(b), "\xc3", 1);	/* a truncated sequence */
	assert_string_equal(b, "\\xc3");
	esc_text(b, sizeof(b), "\xed\xa0\x80", 3);	/* a surrogate */
	assert_string_equal(b, "\\xed\\xa0\\x80");
	esc_text(b, sizeof(b), "\xc0\xaf", 2);	/* overlong */
	assert_string_equal(b, "\\xc0\\xaf");
	esc_text(b, sizeof(b), "a\x7f", 2);
	assert_string_equal(b, "a\\x7f");
	/* truncation never leaves half an escape */
	esc_text(b, 6, "\x01\x02", 2);
	assert_string_equal(b, "\\x01");
}

static void test_escape_json(void **state)
{
	char b[128];

	esc_json(b, sizeof(b), "q\"b\\", 4);
	assert_string_equal(b, "q\\\"b\\\\");
	esc_json(b, sizeof(b), "\n\t\x01\x1b", 4);
	assert_string_equal(b, "\\u000a\\u0009\\u0001\\u001b");
	esc_json(b, sizeof(b), "\xff", 1);
	assert_string_equal(b, "\\ufffd");
	esc_json(b, sizeof(b), "caf\xc3\xa9", 5);
	assert_string_equal(b, "caf\xc3\xa9");
	esc_json(b, sizeof(b), "\xc2\x85", 2);
	assert_string_equal(b, "\\u0085");
	esc_json(b, sizeof(b), "\xe2\x80\xae", 3);
	assert_string_equal(b, "\\u202e");
	esc_json(b, sizeof(b), "\xf0\x9f\x98\x80", 4);	/* U+1F600 stays */
	assert_string_equal(b, "\xf0\x9f\x98\x80");
}

/* A minimal strict check: printable ASCII or valid UTF-8, escapes well
 * formed, no raw '"' inside. */
static void assert_json_string_body(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					assert_non_null(strchr("0123456789abcdef", p[i]));
				p += 5;
			} else {
				assert_non_null(strchr("\"\\", *p));
				p++;
			}
			continue;
		}
		assert_true(*p >= 0x20 && *p != '"' && *p != 0x7f);
		p++;
	}
}

static void test_escape_random_bytes(void **state)
{
	char in[16], out[6 * 16 + 1], txt[4 * 16 + 1];
	unsigned int seed = 12345;
	int round, i;

	for (round = 0; round < 20000; round++) {
		for (i = 0; i < 15; i++)
			in[i] = (char)(rand_r(&seed) & 0xff);
		esc_json(out, sizeof(out), in, 15);
		assert_json_string_body(out);
		esc_text(txt, sizeof(txt), in, 15);
		for (i = 0; txt[i]; i++)
			assert_true((unsigned char)txt[i] >= 0x20 && txt[i] != 0x7f);
	}
}

static void test_followed_json(void **state)
{
	struct et_exit ex = sample(3 << 8);
	char b[FMT_LINE_MAX];

	ex.flags = ET_EXIT_FOLLOWED;
	ex.fork_ppid = 900;
	ex.nchain = 2;
	ex.chain[0].pid = 900;
	strcpy(ex.chain[0].comm, "g\"cc");
	ex.chain[1].pid = 800;
	strcpy(ex.chain[1].comm, "make");
	fmt_json(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, ",\"fork_ppid\":900,\"chain\":[{\"pid\":900,\"comm\":\"g\\\"cc\"},"
				  "{\"pid\":800,\"comm\":\"make\"}],"));
	/* a corrupt count never reads past the array */
	ex.nchain = 99;
	assert_true(fmt_json(b, sizeof(b), &ex, NULL, &ctx) > 0);
}

static void test_summary(void **state)
{
	static const int statuses[] = { 0, 0, 3 << 8, SIGKILL, SIGSEGV | 0x80, -1 };
	struct summary sum = { 0 };
	struct et_exit ex;
	char b[FMT_LINE_MAX];
	size_t i;

	for (i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		ex = sample(statuses[i]);
		if (statuses[i] < 0)
			ex.source = ET_SRC_NONE;
		summary_count(&sum, &ex);
		assert_int_equal(summary_is_failure(&ex), statuses[i] > 0);
	}
	ex = sample(1 << 8);
	ex.flags = ET_EXIT_THREAD;	/* threads are not processes */
	summary_count(&sum, &ex);
	assert_false(summary_is_failure(&ex));
	assert_int_equal(sum.processes, 6);
	sum.running = 2;
	fmt_summary(b, sizeof(b), &sum, false);
	assert_string_equal(b, "summary: 6 processes ended: 2 exited 0, 1 exited non-zero, "
			       "1 killed, 1 dumped, 1 unknown; 2 still running\n");
	fmt_summary(b, sizeof(b), &sum, true);
	assert_string_equal(b, "{\"event\":\"summary\",\"processes\":6,\"exited_zero\":2,"
			       "\"exited_nonzero\":1,\"killed\":1,\"dumped\":1,\"unknown\":1,"
			       "\"running\":2,\"lost\":0,\"not_followed\":0,"
			       "\"failures_omitted\":0,\"failures\":[");
}

static void test_failure_line(void **state)
{
	struct et_exit ex = sample(1 << 8);
	char b[FMT_LINE_MAX];

	ex.nchain = 2;
	ex.chain[0].pid = 900;
	strcpy(ex.chain[0].comm, "sh\x1b[2J");
	ex.chain[1].pid = 800;
	strcpy(ex.chain[1].comm, "make");
	fmt_failure(b, sizeof(b), &ex, false, true);
	assert_string_equal(b, "failed: 1234 worker exited 1 <- 900 sh\\x1b[2J <- 800 make\n");
	fmt_failure(b, sizeof(b), &ex, true, false);
	assert_string_equal(b, ",{\"pid\":1234,\"ppid\":1,\"fork_ppid\":null,\"comm\":\"worker\","
			       "\"status\":256,\"code\":\"exited\",\"exit_code\":1,\"signal\":null,"
			       "\"chain\":[{\"pid\":900,\"comm\":\"sh\\u001b[2J\"},"
			       "{\"pid\":800,\"comm\":\"make\"}]}");
	/* reparented: no chain, the forker named */
	ex.nchain = 0;
	ex.fork_ppid = 900;
	fmt_failure(b, sizeof(b), &ex, false, true);
	assert_string_equal(b, "failed: 1234 worker exited 1 (forked by 900)\n");
	ex = sample(SIGKILL);
	fmt_failure(b, sizeof(b), &ex, false, true);
	assert_string_equal(b, "failed: 1234 worker killed SIGKILL\n");
}

static void test_why_text(void **state)
{
	struct et_exit ex = sample(SIGTERM);
	char b[FMT_LINE_MAX];

	ex.origin = ET_ORIGIN_USER;
	ex.killer_pid = 4321;
	ex.killer_tid = 4322;
	strcpy(ex.killer_comm, "super\x1bvisor");
	fmt_text(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, " killed SIGTERM by 4321 (super\\x1bvisor) "));
	ex.origin = ET_ORIGIN_SELF;
	ex.status = SIGABRT | 0x80;
	fmt_text(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, " dumped SIGABRT by itself "));
	ex.origin = ET_ORIGIN_KERNEL;
	ex.status = SIGSEGV;
	fmt_text(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, " killed SIGSEGV "));
	assert_null(strstr(b, " by "));
	ex.origin = ET_ORIGIN_OOM;
	ex.flags |= ET_EXIT_OOM;
	ex.status = SIGKILL;
	fmt_text(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, " oom-killed "));
}

static void test_why_json(void **state)
{
	struct et_exit ex = sample(SIGKILL);
	struct fmt_ctx rctx = ctx;
	char b[FMT_LINE_MAX];

	ex.origin = ET_ORIGIN_USER;
	ex.killer_pid = 4321;
	ex.killer_tid = 4322;
	ex.killer_uid = 1000;
	strcpy(ex.killer_comm, "a\"b");
	ex.flags |= ET_EXIT_RUSAGE;
	ex.ru.utime_ns = 1500000;
	ex.ru.stime_ns = 2;
	ex.ru.maxrss_kb = 12345;
	ex.ru.minflt = 4;
	ex.ru.majflt = 5;
	ex.ru.nvcsw = 6;
	ex.ru.nivcsw = 7;
	fmt_json(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, ",\"signal_origin\":\"user\",\"killer\":{\"pid\":4321,\"tid\":4322,"
				  "\"uid\":1000,\"comm\":\"a\\\"b\"},\"oom_killed\":false,"
				  "\"rusage\":{\"utime_ns\":1500000,\"stime_ns\":2,\"maxrss_kb\":12345,"
				  "\"minflt\":4,\"majflt\":5,\"nvcsw\":6,\"nivcsw\":7}}\n"));
	ex.origin = ET_ORIGIN_UNKNOWN;
	fmt_json(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, ",\"signal_origin\":\"unknown\",\"killer\":null,"));
	/* -r in text: the age column, then the use */
	rctx.rusage = true;
	fmt_text(b, sizeof(b), &ex, NULL, &rctx);
	assert_non_null(strstr(b, "1.50s    user 1.5ms sys 0us rss 12M\n"));
}

/* The longest line there can be: every name 15 bytes that each escape to
 * six, a cgroup path longer than is ever printed, a full chain, a killer,
 * every number at its widest. It fits. */
static void test_longest_json_line(void **state)
{
	static char path[FMT_CGROUP_MAX + 100];
	struct fmt_cg cg = { .path = path, .container_id = path };
	struct et_exit ex;
	char b[FMT_LINE_MAX];
	int i, n;

	memset(path, 0x01, sizeof(path) - 1);

	memset(&ex, 0, sizeof(ex));
	ex.pid = ex.tid = ex.ppid = ex.fork_ppid = -2147483647 - 1;
	ex.uid = 4294967294U;
	ex.status = SIGKILL;
	ex.source = ET_SRC_BPF;
	ex.flags = ET_EXIT_RUSAGE | ET_EXIT_OOM;
	ex.start_ns = 1;
	ex.exit_ns = UINT64_MAX;
	ex.cgroup_id = UINT64_MAX;
	memset(ex.comm, 0x01, ET_COMM_SIZE - 1);
	ex.nchain = ET_CHAIN_SIZE;
	for (i = 0; i < ET_CHAIN_SIZE; i++) {
		ex.chain[i].pid = -2147483647 - 1;
		memset(ex.chain[i].comm, 0x01, ET_COMM_SIZE - 1);
	}
	ex.origin = ET_ORIGIN_USER;
	ex.killer_pid = ex.killer_tid = -2147483647 - 1;
	ex.killer_uid = 4294967294U;
	memset(ex.killer_comm, 0x01, ET_COMM_SIZE - 1);
	memset(&ex.ru, 0xff, sizeof(ex.ru));
	ex.nspid = -2147483647 - 1;
	ex.pidns = UINT32_MAX;
	n = fmt_json(b, sizeof(b), &ex, &cg, &ctx);
	assert_true(n > 0 && n < FMT_LINE_MAX);
	/* the path is cut, and says so */
	assert_non_null(strstr(b, "\\u0001...\",\"container_id\""));
	n = fmt_text(b, sizeof(b), &ex, &cg, &cctx);
	assert_true(n > 0);
	n = fmt_failure(b, sizeof(b), &ex, true, false);
	assert_true(n > 0);
	/* the text status keeps the killer's whole name */
	ex.flags = 0;
	n = fmt_text(b, sizeof(b), &ex, NULL, &ctx);
	assert_non_null(strstr(b, "\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01\\x01) "));
}

#define CID "3f2a9c0e5b1d4a7f8c6e2b9d0a1f3c5e7b9d2f4a6c8e0b1d3f5a7c9e1b2d4f6a"

/* Containers: JSON always says cgroup, container and namespace PID (null
 * when unknown); text has its two columns only when asked. */
static void test_container_fields(void **state)
{
	struct fmt_cg cg = { .path = "/docker/" CID, .container_id = CID };
	struct fmt_cg evil = { .path = "/a\"b\\c\n\x1b[31m\xff", .container_id = NULL };
	struct et_exit ex = sample(7 << 8);
	char b[FMT_LINE_MAX];

	ex.nspid = 1;
	ex.pidns = 4026532512U;
	assert_true(fmt_json(b, sizeof(b), &ex, &cg, &ctx) > 0);
	assert_non_null(strstr(b, ",\"nspid\":1,\"pidns\":4026532512,\"cgroup_id\":"));
	assert_non_null(strstr(b, ",\"cgroup\":\"/docker/" CID "\",\"container_id\":\"" CID "\","));
	assert_true(fmt_json(b, sizeof(b), &ex, &evil, &ctx) > 0);
	assert_non_null(strstr(b, ",\"cgroup\":\"/a\\\"b\\\\c\\u000a\\u001b[31m\\ufffd\",\"container_id\":null,"));
	ex.nspid = 0;
	ex.pidns = 0;
	assert_true(fmt_json(b, sizeof(b), &ex, NULL, &ctx) > 0);
	assert_non_null(strstr(b, ",\"nspid\":null,\"pidns\":null,"));
	assert_non_null(strstr(b, ",\"cgroup\":null,\"container_id\":null,"));

	/* text: no columns unless asked */
	ex.nspid = 2;
	assert_true(fmt_text(b, sizeof(b), &ex, &cg, &ctx) > 0);
	assert_null(strstr(b, "3f2a9c"));
	assert_true(fmt_text_header(b, sizeof(b), &cctx) > 0);
	assert_string_equal(b, "TIME             PID    PPID COMM             CONTAINER      NSPID "
			       "STATUS                   AGE\n");
	assert_true(fmt_text(b, sizeof(b), &ex, &cg, &cctx) > 0);
	assert_non_null(strstr(b, " 1234       1 worker           3f2a9c0e5b1d       2 exited 7 "));
	ex.nspid = 0;
	assert_true(fmt_text(b, sizeof(b), &ex, NULL, &cctx) > 0);
	assert_non_null(strstr(b, " worker           -                  - exited 7 "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_words),
		cmocka_unit_test(test_container_fields),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_text_line),
		cmocka_unit_test(test_json_line),
		cmocka_unit_test(test_followed_json),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_failure_line),
		cmocka_unit_test(test_why_text),
		cmocka_unit_test(test_why_json),
		cmocka_unit_test(test_longest_json_line),
		cmocka_unit_test(test_escape_text),
		cmocka_unit_test(test_escape_json),
		cmocka_unit_test(test_escape_random_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
