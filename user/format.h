/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Text and JSON lines for exit results, and escaping. Pure. */
#ifndef ET_FORMAT_H
#define ET_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "exittrace.h"

struct fmt_ctx {
	int64_t boot_to_real_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME */
	bool threads;			/* -T: a TID column */
	bool utc;			/* text times in UTC, not local time */
	bool rusage;			/* -r: CPU and memory after the age */
	bool containers;		/* text: CONTAINER and NSPID columns */
};

/* A record's cgroup as the library resolved it: its path from the v2
 * hierarchy's root and the container id in it, NULL when unknown / none. */
struct fmt_cg {
	const char *path;
	const char *container_id;
};

/* The longest cgroup path printed (PATH_MAX); a longer one is cut, with
 * "..." at its end. */
#define FMT_CGROUP_MAX 4095

/* A line is never longer than this, newline and NUL included: a record
 * with every string at its longest and escaped at its widest fits. */
#define FMT_LINE_MAX 32768

/*
 * Escape untrusted bytes (a comm, a path) for a terminal: printable ASCII
 * and valid UTF-8 (bar C1 controls and bidi overrides) as they are, a
 * backslash as "\\", anything else as "\xHH". Returns the length written
 * (dst is always NUL-terminated; dstlen >= 4 * srclen + 1 never truncates).
 */
size_t esc_text(char *dst, size_t dstlen, const char *src, size_t srclen);

/*
 * Escape for the inside of a JSON string: '"', '\\' and controls escaped,
 * valid UTF-8 kept (C1 controls as \u0080..), each byte of an invalid
 * sequence replaced by U+FFFD. The result is always valid JSON and UTF-8.
 * dstlen >= 6 * srclen + 1 never truncates.
 */
size_t esc_json(char *dst, size_t dstlen, const char *src, size_t srclen);

/* "exited 0", "killed SIGKILL", "dumped SIGSEGV", "unknown". */
int fmt_status(char *buf, size_t len, int status);

/* A short age: "850us", "12.3ms", "1.52s", "3m07s", "2h05m", "3d04h". */
int fmt_age(char *buf, size_t len, uint64_t ns);

/* RFC 3339 UTC with nanoseconds: "2026-11-22T22:51:03.123456789Z". */
int fmt_rfc3339(char *buf, size_t len, int64_t realtime_ns);

/* Column header for text output, with newline. */
int fmt_text_header(char *buf, size_t len, const struct fmt_ctx *ctx);

/* One result as a text line / a JSON object, with newline; cg may be
 * NULL. Returns the length, or -ENOSPC when len is too small. */
int fmt_text(char *buf, size_t len, const struct et_exit *ex, const struct fmt_cg *cg,
	     const struct fmt_ctx *ctx);
int fmt_json(char *buf, size_t len, const struct et_exit *ex, const struct fmt_cg *cg,
	     const struct fmt_ctx *ctx);

/* What --summary counts: process ends reported (threads are not). */
struct summary {
	uint64_t processes, exited_zero, exited_nonzero, killed, dumped, unknown;
	uint64_t running;	/* targets not yet ended when stopped */
	uint64_t lost;		/* records the kernel could not deliver */
	uint64_t not_followed;	/* children the full target set could not take */
	uint64_t omitted;	/* failures beyond those listed */
};

void summary_count(struct summary *s, const struct et_exit *ex);
/* A process end to list among the failures: a known non-zero status. */
bool summary_is_failure(const struct et_exit *ex);

/*
 * The summary: text, a "summary: ..." line (then one fmt_failure() line per
 * failure); JSON, the head of {"event":"summary",...,"failures":[ which
 * fmt_failure() objects continue and "]}\n" ends. Length, or -ENOSPC.
 */
int fmt_summary(char *buf, size_t len, const struct summary *s, bool json);
int fmt_failure(char *buf, size_t len, const struct et_exit *ex, bool json, bool first);

#endif /* ET_FORMAT_H */
