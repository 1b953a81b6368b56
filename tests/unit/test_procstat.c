// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "procstat.h"

/* A zombie's line from a 6.x kernel: 52 fields, exit_code last. */
static const char zombie[] =
	"4242 (my) (evil) name) Z 4000 4242 4000 0 -1 4227148 45 0 0 0 0 0 0 0 20 0 1 0 "
	"987654 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 "
	"3328\n";

static void test_zombie_line(void **state)
{
	struct proc_stat ps;

	assert_int_equal(procstat_parse(zombie, &ps), 0);
	assert_string_equal(ps.comm, "my) (evil) name");
	assert_int_equal(ps.state, 'Z');
	assert_int_equal(ps.ppid, 4000);
	assert_int_equal(ps.start_ticks, 987654);
	assert_int_equal(ps.exit_code, 3328);
}

static void test_short_and_bad_lines(void **state)
{
	struct proc_stat ps;

	/* an old kernel without field 52: parsed, exit code unknown */
	assert_int_equal(procstat_parse("1 (init) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0\n",
					&ps), 0);
	assert_int_equal(ps.start_ticks, 5);
	assert_int_equal(ps.exit_code, -1);
	assert_int_equal(procstat_parse("", &ps), -EINVAL);
	assert_int_equal(procstat_parse("1 (init S 0", &ps), -EINVAL);
	assert_int_equal(procstat_parse("1 (init) S 0 1", &ps), -EINVAL);	/* no field 22 */
	assert_int_equal(procstat_parse("1 (init) S 0 x 1", &ps), -EINVAL);
	assert_int_equal(procstat_parse("1 (init)", &ps), -EINVAL);
}

static void test_long_comm(void **state)
{
	struct proc_stat ps;

	assert_int_equal(procstat_parse("1 (aaaaaaaaaaaaaaaaaaaaaaaa) S 0 1 1 0 -1 0 0 0 0 0 0 0 0 "
					"0 20 0 1 0 5 0\n", &ps), 0);
	assert_int_equal(strlen(ps.comm), 15);
}

static void test_status_fields(void **state)
{
	const char *s = "Name:\tbash\nTgid:\t77\nPid:\t78\nUid:\t1000\t0\t0\t0\n";
	uid_t uid;
	pid_t tgid;

	assert_int_equal(procstatus_uid(s, &uid), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(procstatus_tgid(s, &tgid), 0);
	assert_int_equal(tgid, 77);
	assert_int_equal(procstatus_uid("Name:\tx\n", &uid), -EINVAL);
	/* a name containing "Uid:" is not the Uid line */
	assert_int_equal(procstatus_uid("Name:\tUid: 5\nUid:\t7\t7\t7\t7\n", &uid), 0);
	assert_int_equal(uid, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zombie_line),
		cmocka_unit_test(test_short_and_bad_lines),
		cmocka_unit_test(test_long_comm),
		cmocka_unit_test(test_status_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
