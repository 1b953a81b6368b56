// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Status decoding against the libc macros, over every 16-bit status. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include "status.h"

static void test_matches_libc_macros(void **state)
{
	struct et_status st;
	int s, sig;

	/* every status an exit can produce: exited, or killed with/without core */
	for (s = 0; s < 256; s++) {
		status_decode(s << 8, &st);
		assert_true(WIFEXITED(s << 8));
		assert_int_equal(st.code, ET_CODE_EXITED);
		assert_int_equal(st.exit_code, WEXITSTATUS(s << 8));
		assert_int_equal(st.signal, 0);
		assert_false(st.core_dumped);
		assert_int_equal(status_si_code(&st), CLD_EXITED);
		assert_int_equal(status_si_status(&st), s);
		assert_int_equal(status_shell(&st), s);
	}
	for (sig = 1; sig < 128; sig++) {
		if (sig == 0x7f)	/* stopped, never an exit */
			continue;
		status_decode(sig, &st);
		assert_true(WIFSIGNALED(sig));
		assert_int_equal(st.code, ET_CODE_KILLED);
		assert_int_equal(st.signal, WTERMSIG(sig));
		assert_int_equal(st.exit_code, -1);
		assert_false(st.core_dumped);
		assert_int_equal(status_si_code(&st), CLD_KILLED);
		assert_int_equal(status_shell(&st), 128 + sig);

		status_decode(sig | 0x80, &st);
		assert_true(WCOREDUMP(sig | 0x80));
		assert_int_equal(st.code, ET_CODE_DUMPED);
		assert_int_equal(st.signal, sig);
		assert_true(st.core_dumped);
		assert_int_equal(status_si_code(&st), CLD_DUMPED);
		assert_int_equal(status_si_status(&st), sig);
	}
}

static void test_unknown(void **state)
{
	struct et_status st;

	status_decode(-1, &st);
	assert_int_equal(st.code, ET_CODE_UNKNOWN);
	assert_int_equal(status_si_code(&st), 0);
	assert_int_equal(status_shell(&st), -1);
	assert_string_equal(status_code_name(st.code), "unknown");
}

static void test_code_names(void **state)
{
	assert_string_equal(status_code_name(ET_CODE_EXITED), "exited");
	assert_string_equal(status_code_name(ET_CODE_KILLED), "killed");
	assert_string_equal(status_code_name(ET_CODE_DUMPED), "dumped");
}

static void test_signal_names(void **state)
{
	int sig;

	assert_string_equal(signal_name(SIGKILL), "SIGKILL");
	assert_string_equal(signal_name(SIGSEGV), "SIGSEGV");
	assert_string_equal(signal_name(SIGIO), "SIGIO");
	assert_string_equal(signal_name(32), "SIG32");
	assert_string_equal(signal_name(33), "SIG33");
	assert_string_equal(signal_name(34), "SIGRTMIN");
	assert_string_equal(signal_name(35), "SIGRTMIN+1");
	assert_string_equal(signal_name(49), "SIGRTMIN+15");
	assert_string_equal(signal_name(50), "SIGRTMAX-14");
	assert_string_equal(signal_name(64), "SIGRTMAX");
	assert_null(signal_name(0));
	assert_null(signal_name(65));
	assert_null(signal_name(-1));
	/* glibc agrees on every classic name (it calls SIGIO POLL) */
	for (sig = 1; sig < 32; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		if (!abbrev || sig == SIGIO)
			continue;
		assert_string_equal(signal_name(sig) + 3, abbrev);
	}
	/* and every name parses back */
	for (sig = 1; sig <= 64; sig++)
		assert_int_equal(signal_parse(signal_name(sig)), sig);
}

static void test_signal_parse(void **state)
{
	assert_int_equal(signal_parse("9"), 9);
	assert_int_equal(signal_parse("KILL"), SIGKILL);
	assert_int_equal(signal_parse("sigterm"), SIGTERM);
	assert_int_equal(signal_parse("RTMIN+3"), 37);
	assert_int_equal(signal_parse("0"), -1);
	assert_int_equal(signal_parse("65"), -1);
	assert_int_equal(signal_parse("9x"), -1);
	assert_int_equal(signal_parse(""), -1);
	assert_int_equal(signal_parse(NULL), -1);
	assert_int_equal(signal_parse("NOPE"), -1);
	assert_int_equal(signal_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), -1);
}

/* cputime_adjust(): the exact total, split as the samples are. */
static void test_cputime_adjust(void **state)
{
	uint64_t ut, st;

	status_cputime_adjust(300, 100, 1000, &ut, &st);
	assert_int_equal(st, 250);
	assert_int_equal(ut, 750);
	status_cputime_adjust(0, 0, 1000, &ut, &st);	/* no samples: user */
	assert_int_equal(ut, 1000);
	assert_int_equal(st, 0);
	status_cputime_adjust(0, 7, 1000, &ut, &st);
	assert_int_equal(st, 1000);
	assert_int_equal(ut, 0);
	/* no overflow with large values */
	status_cputime_adjust(1ULL << 62, 1ULL << 62, 1ULL << 62, &ut, &st);
	assert_int_equal(st, 1ULL << 61);
	assert_int_equal(ut, 1ULL << 61);
	/* samples whose sum wraps to 0 in 64 bits (found by fuzzing) */
	status_cputime_adjust(1ULL << 63, 1ULL << 63, 1000, &ut, &st);
	assert_int_equal(st, 500);
	assert_int_equal(ut, 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cputime_adjust),
		cmocka_unit_test(test_matches_libc_macros),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_code_names),
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_signal_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
