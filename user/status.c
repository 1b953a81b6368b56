// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Wait status decoding, written from the kernel's encoding rather than
 * <sys/wait.h> so that it is explicit and testable on any input:
 *   exited:  (code & 0xff) << 8
 *   killed:  signal (1..127), plus 0x80 when a core was dumped
 *   stopped / continued never reach an exit record.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "status.h"

void status_decode(int status, struct et_status *st)
{
	int sig = status & 0x7f;

	memset(st, 0, sizeof(*st));
	if (status < 0) {
		st->code = ET_CODE_UNKNOWN;
		st->exit_code = -1;
		return;
	}
	if (sig == 0) {
		st->code = ET_CODE_EXITED;
		st->exit_code = (status >> 8) & 0xff;
		return;
	}
	st->exit_code = -1;
	st->signal = sig;
	st->core_dumped = status & 0x80;
	st->code = st->core_dumped ? ET_CODE_DUMPED : ET_CODE_KILLED;
}

int status_si_code(const struct et_status *st)
{
	switch (st->code) {
	case ET_CODE_EXITED:
		return CLD_EXITED;
	case ET_CODE_KILLED:
		return CLD_KILLED;
	case ET_CODE_DUMPED:
		return CLD_DUMPED;
	default:
		return 0;
	}
}

int status_si_status(const struct et_status *st)
{
	return st->code == ET_CODE_EXITED ? st->exit_code : st->signal;
}

int status_shell(const struct et_status *st)
{
	switch (st->code) {
	case ET_CODE_EXITED:
		return st->exit_code;
	case ET_CODE_KILLED:
	case ET_CODE_DUMPED:
		return 128 + st->signal;
	default:
		return -1;
	}
}

const char *status_code_name(enum et_code code)
{
	switch (code) {
	case ET_CODE_EXITED:
		return "exited";
	case ET_CODE_KILLED:
		return "killed";
	case ET_CODE_DUMPED:
		return "dumped";
	default:
		return "unknown";
	}
}

/* Linux's numbering, the same on every architecture exittrace builds for
 * except where noted by the kernel's arch headers (x86, arm64, riscv,
 * powerpc and s390 all use these). */
static const char *const sig_names[] = {
	[SIGHUP] = "SIGHUP",	 [SIGINT] = "SIGINT",	  [SIGQUIT] = "SIGQUIT",
	[SIGILL] = "SIGILL",	 [SIGTRAP] = "SIGTRAP",	  [SIGABRT] = "SIGABRT",
	[SIGBUS] = "SIGBUS",	 [SIGFPE] = "SIGFPE",	  [SIGKILL] = "SIGKILL",
	[SIGUSR1] = "SIGUSR1",	 [SIGSEGV] = "SIGSEGV",	  [SIGUSR2] = "SIGUSR2",
	[SIGPIPE] = "SIGPIPE",	 [SIGALRM] = "SIGALRM",	  [SIGTERM] = "SIGTERM",
	[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
	[SIGSTOP] = "SIGSTOP",	 [SIGTSTP] = "SIGTSTP",	  [SIGTTIN] = "SIGTTIN",
	[SIGTTOU] = "SIGTTOU",	 [SIGURG] = "SIGURG",	  [SIGXCPU] = "SIGXCPU",
	[SIGXFSZ] = "SIGXFSZ",	 [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
	[SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO",	  [SIGPWR] = "SIGPWR",
	[SIGSYS] = "SIGSYS",
};

/* The kernel's real-time range is 32..64; glibc keeps 32 and 33 for itself
 * and calls 34 SIGRTMIN, as bash's kill -l does. */
#define KERNEL_SIGRTMIN 32
#define KERNEL_SIGRTMAX 64

static const char *const rt_names[KERNEL_SIGRTMAX - KERNEL_SIGRTMIN + 1] = {
	"SIG32", "SIG33", "SIGRTMIN", "SIGRTMIN+1",
	"SIGRTMIN+2", "SIGRTMIN+3", "SIGRTMIN+4", "SIGRTMIN+5",
	"SIGRTMIN+6", "SIGRTMIN+7", "SIGRTMIN+8", "SIGRTMIN+9",
	"SIGRTMIN+10", "SIGRTMIN+11", "SIGRTMIN+12", "SIGRTMIN+13",
	"SIGRTMIN+14", "SIGRTMIN+15", "SIGRTMAX-14", "SIGRTMAX-13",
	"SIGRTMAX-12", "SIGRTMAX-11", "SIGRTMAX-10", "SIGRTMAX-9",
	"SIGRTMAX-8", "SIGRTMAX-7", "SIGRTMAX-6", "SIGRTMAX-5",
	"SIGRTMAX-4", "SIGRTMAX-3", "SIGRTMAX-2", "SIGRTMAX-1",
	"SIGRTMAX",
};

const char *signal_name(int sig)
{
	if (sig > 0 && sig < (int)(sizeof(sig_names) / sizeof(sig_names[0])) && sig_names[sig])
		return sig_names[sig];
	if (sig >= KERNEL_SIGRTMIN && sig <= KERNEL_SIGRTMAX)
		return rt_names[sig - KERNEL_SIGRTMIN];
	return NULL;
}

int signal_parse(const char *s)
{
	char buf[32];
	char *end;
	long n;
	int i;

	if (!s || !*s)
		return -1;
	if (*s >= '0' && *s <= '9') {
		n = strtol(s, &end, 10);
		if (*end || n <= 0 || n > KERNEL_SIGRTMAX)
			return -1;
		return (int)n;
	}
	if (strncasecmp(s, "SIG", 3) != 0) {
		if (strlen(s) + 4 > sizeof(buf))
			return -1;
		snprintf(buf, sizeof(buf), "SIG%s", s);
		s = buf;
	}
	for (i = 1; i <= KERNEL_SIGRTMAX; i++) {
		const char *name = signal_name(i);

		if (name && strcasecmp(name, s) == 0)
			return i;
	}
	return -1;
}

void status_cputime_adjust(uint64_t utime, uint64_t stime, uint64_t rtime, uint64_t *ut,
			   uint64_t *st)
{
	if (stime == 0) {
		*st = 0;
		*ut = rtime;
	} else if (utime == 0) {
		*st = rtime;
		*ut = 0;
	} else {
		/* in 128 bits: the sum of two u64 may wrap (to 0) */
		*st = (uint64_t)((unsigned __int128)stime * rtime /
				 ((unsigned __int128)stime + utime));
		if (*st > rtime)
			*st = rtime;
		*ut = rtime - *st;
	}
}
