/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Wait status decoding: the WIF* macros and waitid()'s CLD_* codes. Pure. */
#ifndef ET_STATUS_H
#define ET_STATUS_H

#include <stdbool.h>
#include <stdint.h>

enum et_code {
	ET_CODE_UNKNOWN = 0,	/* the process ended, its status is not known */
	ET_CODE_EXITED,		/* CLD_EXITED */
	ET_CODE_KILLED,		/* CLD_KILLED */
	ET_CODE_DUMPED,		/* CLD_DUMPED */
};

struct et_status {
	enum et_code code;
	int exit_code;		/* WEXITSTATUS, or -1 when signaled */
	int signal;		/* WTERMSIG, or 0 when exited */
	bool core_dumped;	/* WCOREDUMP */
};

/* Decode a raw wait status as waitpid() returns it. */
void status_decode(int status, struct et_status *st);

/* waitid()'s si_code for a decoded status (CLD_EXITED, ...), 0 if unknown. */
int status_si_code(const struct et_status *st);

/* waitid()'s si_status: the exit code, or the signal. */
int status_si_status(const struct et_status *st);

/* The status a shell gives: exit code, or 128 + signal. */
int status_shell(const struct et_status *st);

/* "exited", "killed", "dumped" or "unknown". */
const char *status_code_name(enum et_code code);

/* "SIGKILL", "SIGRTMIN+3"...; NULL for a number that is no signal. */
const char *signal_name(int sig);

/* Parse "SIGKILL", "KILL", "9", "RTMIN+3": the number, or -1. */
int signal_parse(const char *s);

/*
 * The kernel's cputime_adjust(): the exact total rtime split in the
 * proportion of the tick-sampled utime and stime, as getrusage() and
 * wait4() report it.
 */
void status_cputime_adjust(uint64_t utime, uint64_t stime, uint64_t rtime, uint64_t *ut,
			   uint64_t *st);

#endif /* ET_STATUS_H */
