// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A real segfault for the container tests: a static program with no libc
 * at all (the container's root file system has busybox and nothing else),
 * that writes to address 0.
 */
void _start(void)
{
	*(volatile int *)0 = 1;
	for (;;)
		;
}
