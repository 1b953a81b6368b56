// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "format.h"
#include "status.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes) and its code
 * point, or 0 when the bytes there are not one (overlong forms, surrogates
 * and values above U+10FFFF are not). */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned int *cp)
{
	size_t len, i;
	unsigned int c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Code points a terminal may act on, or that reorder what follows. */
static bool cp_unsafe(unsigned int cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x061c ||
	       (cp >= 0x200e && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

struct sbuf {
	char *p;
	size_t len, used;
	bool full;
};

static void sb_putn(struct sbuf *b, const char *s, size_t n)
{
	if (b->full || b->used + n >= b->len) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->used, s, n);
	b->used += n;
	b->p[b->used] = '\0';
}

__attribute__((format(printf, 2, 3))) static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->used, b->len - b->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->used) {
		b->full = true;
		b->p[b->used] = '\0';
		return;
	}
	b->used += n;
}

static void sb_init(struct sbuf *b, char *p, size_t len)
{
	b->p = p;
	b->len = len;
	b->used = 0;
	b->full = len == 0;
	if (len)
		p[0] = '\0';
}

/* Escape into b, all or nothing per input unit so output never ends in half
 * an escape. */
static void sb_esc(struct sbuf *b, const char *src, size_t srclen, bool json)
{
	const unsigned char *s = (const unsigned char *)src;
	char tmp[8];
	size_t i = 0, n;
	unsigned int cp;

	while (i < srclen && !b->full) {
		n = utf8_seq(s + i, srclen - i, &cp);
		if (n == 0) {
			if (json)
				sb_putn(b, "\\ufffd", 6);
			else
				sb_printf(b, "\\x%02x", s[i]);
			i++;
			continue;
		}
		if (json) {
			if (cp == '"' || cp == '\\') {
				tmp[0] = '\\';
				tmp[1] = (char)cp;
				sb_putn(b, tmp, 2);
			} else if (cp_unsafe(cp)) {
				sb_printf(b, "\\u%04x", cp);
			} else {
				sb_putn(b, (const char *)s + i, n);
			}
		} else {
			if (cp == '\\') {
				sb_putn(b, "\\\\", 2);
			} else if (cp_unsafe(cp)) {
				size_t k;

				for (k = 0; k < n; k++)
					sb_printf(b, "\\x%02x", s[i + k]);
			} else {
				sb_putn(b, (const char *)s + i, n);
			}
		}
		i += n;
	}
}

size_t esc_text(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	struct sbuf b;

	sb_init(&b, dst, dstlen);
	sb_esc(&b, src, srclen, false);
	return b.used;
}

size_t esc_json(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	struct sbuf b;

	sb_init(&b, dst, dstlen);
	sb_esc(&b, src, srclen, true);
	return b.used;
}

int fmt_status(char *buf, size_t len, int status)
{
	struct et_status st;
	const char *name;

	status_decode(status, &st);
	switch (st.code) {
	case ET_CODE_EXITED:
		return snprintf(buf, len, "exited %d", st.exit_code);
	case ET_CODE_KILLED:
	case ET_CODE_DUMPED:
		name = signal_name(st.signal);
		if (name)
			return snprintf(buf, len, "%s %s", status_code_name(st.code), name);
		return snprintf(buf, len, "%s signal %d", status_code_name(st.code), st.signal);
	default:
		return snprintf(buf, len, "unknown");
	}
}

int fmt_age(char *buf, size_t len, uint64_t ns)
{
	uint64_t s = ns / 1000000000ULL;

	if (ns < 1000000ULL)
		return snprintf(buf, len, "%uus", (unsigned int)(ns / 1000));
	if (ns < 1000000000ULL)
		return snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	if (s < 60)
		return snprintf(buf, len, "%.2fs", (double)ns / 1e9);
	if (s < 3600)
		return snprintf(buf, len, "%um%02us", (unsigned int)(s / 60), (unsigned int)(s % 60));
	if (s < 86400)
		return snprintf(buf, len, "%uh%02um", (unsigned int)(s / 3600),
				(unsigned int)(s % 3600 / 60));
	return snprintf(buf, len, "%llud%02uh", (unsigned long long)(s / 86400),
			(unsigned int)(s % 86400 / 3600));
}

int fmt_rfc3339(char *buf, size_t len, int64_t realtime_ns)
{
	time_t secs = (time_t)(realtime_ns / 1000000000LL);
	long nsec = (long)(realtime_ns % 1000000000LL);
	struct tm tm;

	if (nsec < 0) {
		nsec += 1000000000L;
		secs--;
	}
	if (!gmtime_r(&secs, &tm))
		return snprintf(buf, len, "1970-01-01T00:00:00.000000000Z");
	return snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
			tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nsec);
}

static void fmt_clock(char *buf, size_t len, int64_t realtime_ns, bool utc)
{
	time_t secs = (time_t)(realtime_ns / 1000000000LL);
	struct tm tm;

	if ((utc ? gmtime_r(&secs, &tm) : localtime_r(&secs, &tm)) == NULL)
		memset(&tm, 0, sizeof(tm));
	snprintf(buf, len, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(realtime_ns / 1000000 % 1000));
}

int fmt_text_header(char *buf, size_t len, const struct fmt_ctx *ctx)
{
	if (ctx->threads)
		return snprintf(buf, len, "%-12s %7s %7s %7s %-16s %-24s %s\n", "TIME", "PID",
				"TID", "PPID", "COMM", "STATUS", "AGE");
	return snprintf(buf, len, "%-12s %7s %7s %-16s %-24s %s\n", "TIME", "PID", "PPID",
			"COMM", "STATUS", "AGE");
}

static const char *source_name(enum et_source src)
{
	switch (src) {
	case ET_SRC_BPF:
		return "bpf";
	case ET_SRC_PIDFD:
		return "pidfd";
	case ET_SRC_PROC:
		return "proc";
	default:
		return "none";
	}
}

static size_t comm_len(const struct et_exit *ex)
{
	return strnlen(ex->comm, sizeof(ex->comm));
}

int fmt_text(char *buf, size_t len, const struct et_exit *ex, const struct fmt_ctx *ctx)
{
	char when[32], comm[4 * ET_COMM_SIZE + 1], status[64], age[32];
	bool thread = ex->flags & ET_EXIT_THREAD;
	struct sbuf b;

	fmt_clock(when, sizeof(when), (int64_t)ex->exit_ns + ctx->boot_to_real_ns, ctx->utc);
	esc_text(comm, sizeof(comm), ex->comm, comm_len(ex));
	if (ex->source == ET_SRC_NONE) {
		snprintf(status, sizeof(status), "ended, status unknown");
	} else {
		fmt_status(status, sizeof(status), ex->status);
		if (thread)
			snprintf(status + strlen(status), sizeof(status) - strlen(status),
				 " (thread)");
		else if (ex->source != ET_SRC_BPF)
			snprintf(status + strlen(status), sizeof(status) - strlen(status),
				 " (early)");
	}
	if (ex->start_ns && ex->exit_ns >= ex->start_ns)
		fmt_age(age, sizeof(age), ex->exit_ns - ex->start_ns);
	else
		snprintf(age, sizeof(age), "-");

	sb_init(&b, buf, len);
	if (ctx->threads)
		sb_printf(&b, "%-12s %7d %7d %7d %-16s %-24s %s\n", when, (int)ex->pid,
			  (int)ex->tid, (int)ex->ppid, comm, status, age);
	else
		sb_printf(&b, "%-12s %7d %7d %-16s %-24s %s\n", when, (int)ex->pid,
			  (int)ex->ppid, comm, status, age);
	return b.full ? -ENOSPC : (int)b.used;
}

int fmt_json(char *buf, size_t len, const struct et_exit *ex, const struct fmt_ctx *ctx)
{
	char when[48], comm[6 * ET_COMM_SIZE + 1];
	bool known = ex->source != ET_SRC_NONE;
	struct et_status st;
	const char *name;
	struct sbuf b;

	fmt_rfc3339(when, sizeof(when), (int64_t)ex->exit_ns + ctx->boot_to_real_ns);
	esc_json(comm, sizeof(comm), ex->comm, comm_len(ex));
	status_decode(known ? ex->status : -1, &st);
	name = signal_name(st.signal);

	sb_init(&b, buf, len);
	sb_printf(&b, "{\"event\":\"%s\",\"time\":\"%s\",\"pid\":%d,\"tid\":%d,\"ppid\":%d",
		  (ex->flags & ET_EXIT_THREAD) ? "thread_exit" : "exit", when, (int)ex->pid,
		  (int)ex->tid, (int)ex->ppid);
	if (ex->uid == (uid_t)-1)
		sb_printf(&b, ",\"uid\":null");
	else
		sb_printf(&b, ",\"uid\":%u", (unsigned int)ex->uid);
	sb_printf(&b, ",\"comm\":\"%s\"", comm);
	if (known)
		sb_printf(&b, ",\"status\":%d", ex->status);
	else
		sb_printf(&b, ",\"status\":null");
	sb_printf(&b, ",\"code\":\"%s\"", status_code_name(st.code));
	if (st.code == ET_CODE_EXITED)
		sb_printf(&b, ",\"exit_code\":%d,\"signal\":null,\"signal_name\":null",
			  st.exit_code);
	else if (st.code != ET_CODE_UNKNOWN && name)
		sb_printf(&b, ",\"exit_code\":null,\"signal\":%d,\"signal_name\":\"%s\"",
			  st.signal, name);
	else if (st.code != ET_CODE_UNKNOWN)
		sb_printf(&b, ",\"exit_code\":null,\"signal\":%d,\"signal_name\":null",
			  st.signal);
	else
		sb_printf(&b, ",\"exit_code\":null,\"signal\":null,\"signal_name\":null");
	sb_printf(&b, ",\"core_dumped\":%s", st.core_dumped ? "true" : "false");
	if (known)
		sb_printf(&b, ",\"si_code\":%d,\"si_status\":%d", status_si_code(&st),
			  status_si_status(&st));
	else
		sb_printf(&b, ",\"si_code\":null,\"si_status\":null");
	if (ex->start_ns && ex->exit_ns >= ex->start_ns)
		sb_printf(&b, ",\"age_ns\":%llu",
			  (unsigned long long)(ex->exit_ns - ex->start_ns));
	else
		sb_printf(&b, ",\"age_ns\":null");
	if (ex->cgroup_id)
		sb_printf(&b, ",\"cgroup_id\":%llu", (unsigned long long)ex->cgroup_id);
	else
		sb_printf(&b, ",\"cgroup_id\":null");
	sb_printf(&b, ",\"source\":\"%s\"}\n", source_name(ex->source));
	return b.full ? -ENOSPC : (int)b.used;
}
