/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Parsers for /proc/PID/stat and /proc/PID/status text. Pure. */
#ifndef ET_PROCSTAT_H
#define ET_PROCSTAT_H

#include <sys/types.h>

struct proc_stat {
	char state;			/* 'R', 'S', 'Z', ... */
	pid_t ppid;
	unsigned long long start_ticks;	/* field 22, clock ticks since boot */
	int exit_code;			/* field 52 (3.5+), -1 when absent */
	char comm[16];			/* raw, NUL-terminated */
};

/* Parse a /proc/PID/stat line. The comm may hold anything, spaces and ')'
 * included: the last ')' ends it. 0, or -EINVAL. */
int procstat_parse(const char *buf, struct proc_stat *ps);

/* The real uid from /proc/PID/status text ("Uid:\t<real>\t..."). 0 or -EINVAL. */
int procstatus_uid(const char *buf, uid_t *uid);

/* The Tgid from /proc/PID/status text. 0 or -EINVAL. */
int procstatus_tgid(const char *buf, pid_t *tgid);

#endif /* ET_PROCSTAT_H */
