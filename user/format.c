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

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

/* Integers without printf: the hot path formats a few per record. */
static void sb_putu_pad(struct sbuf *b, unsigned long long v, int width, char pad)
{
	char tmp[24];
	int n = 0;

	do
		tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(tmp));
	for (; width > n; width--)
		sb_putn(b, &pad, 1);
	sb_putn(b, tmp + sizeof(tmp) - n, (size_t)n);
}

static void sb_putu_w(struct sbuf *b, unsigned long long v, int width)
{
	sb_putu_pad(b, v, width, ' ');
}

static void sb_putu(struct sbuf *b, unsigned long long v)
{
	sb_putu_w(b, v, 0);
}

static void sb_puti_w(struct sbuf *b, long long v, int width)
{
	if (v >= 0) {
		sb_putu_w(b, (unsigned long long)v, width);
		return;
	}
	/* rare (a PID never is): keep it simple */
	sb_printf(b, "%*lld", width, v);
}

/* s left-aligned in width columns (counted in bytes, like printf's %-Ns). */
static void sb_put_left(struct sbuf *b, const char *s, int width)
{
	size_t n = strlen(s);

	sb_putn(b, s, n);
	for (; width > (int)n; width--)
		sb_putn(b, " ", 1);
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

static void sb_status(struct sbuf *b, int status);

int fmt_status(char *buf, size_t len, int status)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	sb_status(&b, status);
	return (int)b.used;
}

int fmt_age(char *buf, size_t len, uint64_t ns)
{
	uint64_t s = ns / 1000000000ULL, frac;
	struct sbuf b;

	sb_init(&b, buf, len);
	/* each unit while the rounded value still fits it: 999.96 ms is 1.00s */
	if (ns < 1000000ULL) {
		sb_putu(&b, ns / 1000);
		sb_puts(&b, "us");
	} else if (ns < 999950000ULL) {
		frac = (ns + 50000) / 100000;		/* tenths of a ms, rounded */
		sb_putu(&b, frac / 10);
		sb_putn(&b, ".", 1);
		sb_putu(&b, frac % 10);
		sb_puts(&b, "ms");
	} else if (ns < 59995000000ULL) {
		frac = (ns + 5000000) / 10000000;	/* hundredths of a second */
		sb_putu(&b, frac / 100);
		sb_putn(&b, ".", 1);
		sb_putu_pad(&b, frac % 100, 2, '0');
		sb_puts(&b, "s");
	} else if (s < 3600) {
		s = s < 60 ? 60 : s;
		sb_putu(&b, s / 60);
		sb_putn(&b, "m", 1);
		sb_putu_pad(&b, s % 60, 2, '0');
		sb_putn(&b, "s", 1);
	} else if (s < 86400) {
		sb_putu(&b, s / 3600);
		sb_putn(&b, "h", 1);
		sb_putu_pad(&b, s % 3600 / 60, 2, '0');
		sb_putn(&b, "m", 1);
	} else {
		sb_putu(&b, s / 86400);
		sb_putn(&b, "d", 1);
		sb_putu_pad(&b, s % 86400 / 3600, 2, '0');
		sb_putn(&b, "h", 1);
	}
	return (int)b.used;
}

/* Broken-down time changes once a second: format it once a second. */
struct clock_cache {
	time_t sec;
	int kind;	/* 0: empty, 1: RFC 3339 UTC prefix, 2: local clock, 3: UTC clock */
	char s[80];	/* room for any int the compiler can imagine in a struct tm */
};
static __thread struct clock_cache rfc_cache, clk_cache;

static const char *cached(struct clock_cache *c, time_t secs, int kind)
{
	struct tm tm;

	if (c->kind == kind && c->sec == secs)
		return c->s;
	if ((kind == 2 ? localtime_r(&secs, &tm) : gmtime_r(&secs, &tm)) == NULL)
		memset(&tm, 0, sizeof(tm));
	if (kind == 1)
		snprintf(c->s, sizeof(c->s), "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(c->s, sizeof(c->s), "%02d:%02d:%02d.", tm.tm_hour, tm.tm_min, tm.tm_sec);
	c->sec = secs;
	c->kind = kind;
	return c->s;
}

static void split_ns(int64_t ns, time_t *secs, long *nsec)
{
	*secs = (time_t)(ns / 1000000000LL);
	*nsec = (long)(ns % 1000000000LL);
	if (*nsec < 0) {
		*nsec += 1000000000L;
		(*secs)--;
	}
}

static void sb_rfc3339(struct sbuf *b, int64_t realtime_ns)
{
	time_t secs;
	long nsec;

	split_ns(realtime_ns, &secs, &nsec);
	sb_puts(b, cached(&rfc_cache, secs, 1));
	sb_putu_pad(b, (unsigned long long)nsec, 9, '0');
	sb_putn(b, "Z", 1);
}

int fmt_rfc3339(char *buf, size_t len, int64_t realtime_ns)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	sb_rfc3339(&b, realtime_ns);
	return (int)b.used;
}

static void sb_clock(struct sbuf *b, int64_t realtime_ns, bool utc)
{
	time_t secs;
	long nsec;

	split_ns(realtime_ns, &secs, &nsec);
	sb_puts(b, cached(&clk_cache, secs, utc ? 3 : 2));
	sb_putu_pad(b, (unsigned long long)(nsec / 1000000), 3, '0');
}

/* The short container id shown in text, as docker ps shows it; the whole
 * one (JSON) is 64 hex digits. */
#define SHORT_ID_LEN 12
#define CONTAINER_ID_MAX 64

/* A CLOCK_BOOTTIME time as CLOCK_REALTIME; modulo 2^64, so that a record
 * with a wild time (a fuzzer's) makes a wild date, not undefined behaviour. */
static int64_t real_ns(uint64_t boot_ns, const struct fmt_ctx *ctx)
{
	return (int64_t)(boot_ns + (uint64_t)ctx->boot_to_real_ns);
}

int fmt_text_header(char *buf, size_t len, const struct fmt_ctx *ctx)
{
	const char *age = ctx->rusage ? "AGE      RUSAGE" : "AGE";
	char tid[16] = "", ctr[32] = "";

	if (ctx->threads)
		snprintf(tid, sizeof(tid), " %7s", "TID");
	if (ctx->containers)
		snprintf(ctr, sizeof(ctr), " %-*s %7s", SHORT_ID_LEN, "CONTAINER", "NSPID");
	return snprintf(buf, len, "%-12s %7s%s %7s %-16s%s %-24s %s\n", "TIME", "PID", tid,
			"PPID", "COMM", ctr, "STATUS", age);
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

/* "exited 0", "killed SIGKILL", "dumped signal 100", "unknown" */
static void sb_status(struct sbuf *b, int status)
{
	struct et_status st;
	const char *name;

	status_decode(status, &st);
	sb_puts(b, status_code_name(st.code));
	if (st.code == ET_CODE_EXITED) {
		sb_putn(b, " ", 1);
		sb_putu(b, (unsigned int)st.exit_code);
	} else if (st.code != ET_CODE_UNKNOWN) {
		name = signal_name(st.signal);
		if (name) {
			sb_putn(b, " ", 1);
			sb_puts(b, name);
		} else {
			sb_puts(b, " signal ");
			sb_putu(b, (unsigned int)st.signal);
		}
	}
}

/* " by 1234 (supervisord)", " by itself": the sender of a fatal signal */
static void sb_killer(struct sbuf *b, const struct et_exit *ex)
{
	char comm[4 * ET_COMM_SIZE + 1];

	if (ex->origin == ET_ORIGIN_SELF) {
		sb_puts(b, " by itself");
	} else if (ex->origin == ET_ORIGIN_USER) {
		esc_text(comm, sizeof(comm), ex->killer_comm,
			 strnlen(ex->killer_comm, sizeof(ex->killer_comm)));
		sb_puts(b, " by ");
		sb_putu(b, (unsigned int)ex->killer_pid);
		sb_puts(b, " (");
		sb_puts(b, comm);
		sb_putn(b, ")", 1);
	}
}

/* " user 1.20s sys 10.0ms rss 12.3M" */
static void sb_rusage_text(struct sbuf *b, const struct et_exit *ex)
{
	char t[32];

	if (!(ex->flags & ET_EXIT_RUSAGE))
		return;
	fmt_age(t, sizeof(t), ex->ru.utime_ns);
	sb_puts(b, " user ");
	sb_puts(b, t);
	fmt_age(t, sizeof(t), ex->ru.stime_ns);
	sb_puts(b, " sys ");
	sb_puts(b, t);
	sb_puts(b, " rss ");
	if (ex->ru.maxrss_kb >= 10240) {
		sb_putu(b, ex->ru.maxrss_kb / 1024);
		sb_putn(b, "M", 1);
	} else {
		sb_putu(b, ex->ru.maxrss_kb);
		sb_putn(b, "K", 1);
	}
}

int fmt_text(char *buf, size_t len, const struct et_exit *ex, const struct fmt_cg *cg,
	     const struct fmt_ctx *ctx)
{
	char comm[4 * ET_COMM_SIZE + 1], status[160], age[32];
	struct sbuf b, sb;

	esc_text(comm, sizeof(comm), ex->comm, comm_len(ex));
	sb_init(&sb, status, sizeof(status));
	if (ex->source == ET_SRC_NONE) {
		sb_puts(&sb, "ended, status unknown");
	} else if (ex->flags & ET_EXIT_OOM) {
		sb_puts(&sb, "oom-killed");
	} else {
		sb_status(&sb, ex->status);
		sb_killer(&sb, ex);
		if (ex->flags & ET_EXIT_THREAD)
			sb_puts(&sb, " (thread)");
		else if (ex->source != ET_SRC_BPF)
			sb_puts(&sb, " (early)");
	}
	if (ex->start_ns && ex->exit_ns >= ex->start_ns)
		fmt_age(age, sizeof(age), ex->exit_ns - ex->start_ns);
	else
		strcpy(age, "-");

	/* "%-12s %7d [%7d] %7d %-16s [%-12s %7d] %-24s %s\n" */
	sb_init(&b, buf, len);
	sb_clock(&b, real_ns(ex->exit_ns, ctx), ctx->utc);
	sb_putn(&b, " ", 1);
	sb_puti_w(&b, ex->pid, 7);
	sb_putn(&b, " ", 1);
	if (ctx->threads) {
		sb_puti_w(&b, ex->tid, 7);
		sb_putn(&b, " ", 1);
	}
	sb_puti_w(&b, ex->ppid, 7);
	sb_putn(&b, " ", 1);
	sb_put_left(&b, comm, 16);
	sb_putn(&b, " ", 1);
	if (ctx->containers) {
		char cid[4 * SHORT_ID_LEN + 1] = "-";

		/* the library's ids are hex; escaped all the same */
		if (cg && cg->container_id)
			esc_text(cid, sizeof(cid), cg->container_id,
				 strnlen(cg->container_id, SHORT_ID_LEN));
		sb_put_left(&b, cid, SHORT_ID_LEN);
		sb_putn(&b, " ", 1);
		if (ex->nspid)
			sb_puti_w(&b, ex->nspid, 7);
		else
			sb_put_left(&b, "      -", 7);
		sb_putn(&b, " ", 1);
	}
	sb_put_left(&b, status, 24);
	sb_putn(&b, " ", 1);
	if (ctx->rusage) {
		sb_put_left(&b, age, 8);
		sb_rusage_text(&b, ex);
	} else {
		sb_puts(&b, age);
	}
	sb_putn(&b, "\n", 1);
	return b.full ? -ENOSPC : (int)b.used;
}

static void sb_json_int(struct sbuf *b, const char *key, long long v, bool null)
{
	sb_puts(b, key);
	if (null)
		sb_puts(b, "null");
	else
		sb_puti_w(b, v, 0);
}

static unsigned int chain_len(const struct et_exit *ex)
{
	return ex->nchain < ET_CHAIN_SIZE ? ex->nchain : ET_CHAIN_SIZE;
}

/* [{"pid":1,"comm":"x"},...] */
static void sb_json_chain(struct sbuf *b, const struct et_exit *ex)
{
	char comm[6 * ET_COMM_SIZE + 1];
	unsigned int i, n = chain_len(ex);

	sb_putn(b, "[", 1);
	for (i = 0; i < n; i++) {
		esc_json(comm, sizeof(comm), ex->chain[i].comm,
			 strnlen(ex->chain[i].comm, ET_COMM_SIZE));
		sb_json_int(b, i ? ",{\"pid\":" : "{\"pid\":", ex->chain[i].pid, false);
		sb_puts(b, ",\"comm\":\"");
		sb_puts(b, comm);
		sb_puts(b, "\"}");
	}
	sb_putn(b, "]", 1);
}

static const char *origin_name(int origin)
{
	switch (origin) {
	case ET_ORIGIN_UNKNOWN:
		return "\"unknown\"";
	case ET_ORIGIN_USER:
		return "\"user\"";
	case ET_ORIGIN_KERNEL:
		return "\"kernel\"";
	case ET_ORIGIN_OOM:
		return "\"oom\"";
	case ET_ORIGIN_SELF:
		return "\"self\"";
	default:
		return "null";
	}
}

/* ,"signal_origin":..,"killer":{..}|null,"oom_killed":..,"rusage":{..}|null */
static void sb_json_why(struct sbuf *b, const struct et_exit *ex)
{
	char comm[6 * ET_COMM_SIZE + 1];

	sb_puts(b, ",\"signal_origin\":");
	sb_puts(b, origin_name(ex->origin));
	if (ex->origin == ET_ORIGIN_USER || ex->origin == ET_ORIGIN_SELF) {
		esc_json(comm, sizeof(comm), ex->killer_comm,
			 strnlen(ex->killer_comm, sizeof(ex->killer_comm)));
		sb_json_int(b, ",\"killer\":{\"pid\":", ex->killer_pid, false);
		sb_json_int(b, ",\"tid\":", ex->killer_tid, false);
		sb_json_int(b, ",\"uid\":", (long long)ex->killer_uid, false);
		sb_puts(b, ",\"comm\":\"");
		sb_puts(b, comm);
		sb_puts(b, "\"}");
	} else {
		sb_puts(b, ",\"killer\":null");
	}
	sb_puts(b, (ex->flags & ET_EXIT_OOM) ? ",\"oom_killed\":true" : ",\"oom_killed\":false");
	if (!(ex->flags & ET_EXIT_RUSAGE)) {
		sb_puts(b, ",\"rusage\":null");
		return;
	}
	const struct {
		const char *key;
		uint64_t v;
	} f[] = {
		{ "{\"utime_ns\":", ex->ru.utime_ns }, { ",\"stime_ns\":", ex->ru.stime_ns },
		{ ",\"maxrss_kb\":", ex->ru.maxrss_kb }, { ",\"minflt\":", ex->ru.minflt },
		{ ",\"majflt\":", ex->ru.majflt },	   { ",\"nvcsw\":", ex->ru.nvcsw },
		{ ",\"nivcsw\":", ex->ru.nivcsw },
	};
	size_t i;

	sb_puts(b, ",\"rusage\":");
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		sb_puts(b, f[i].key);
		sb_putu(b, f[i].v);
	}
	sb_putn(b, "}", 1);
}

/* ,"cgroup":"/docker/3f2a...","container_id":"3f2a..." (or null) */
static void sb_json_cgroup(struct sbuf *b, const struct fmt_cg *cg)
{
	size_t n;

	sb_puts(b, ",\"cgroup\":");
	if (cg && cg->path) {
		n = strlen(cg->path);
		sb_putn(b, "\"", 1);
		sb_esc(b, cg->path, n > FMT_CGROUP_MAX ? FMT_CGROUP_MAX - 3 : n, true);
		sb_puts(b, n > FMT_CGROUP_MAX ? "...\"" : "\"");
	} else {
		sb_puts(b, "null");
	}
	sb_puts(b, ",\"container_id\":");
	if (cg && cg->container_id) {
		sb_putn(b, "\"", 1);
		sb_esc(b, cg->container_id, strnlen(cg->container_id, CONTAINER_ID_MAX), true);
		sb_putn(b, "\"", 1);
	} else {
		sb_puts(b, "null");
	}
}

int fmt_json(char *buf, size_t len, const struct et_exit *ex, const struct fmt_cg *cg,
	     const struct fmt_ctx *ctx)
{
	char comm[6 * ET_COMM_SIZE + 1];
	bool known = ex->source != ET_SRC_NONE, sig;
	struct et_status st;
	const char *name;
	struct sbuf b;

	esc_json(comm, sizeof(comm), ex->comm, comm_len(ex));
	status_decode(known ? ex->status : -1, &st);
	sig = st.code == ET_CODE_KILLED || st.code == ET_CODE_DUMPED;
	name = sig ? signal_name(st.signal) : NULL;

	sb_init(&b, buf, len);
	sb_puts(&b, (ex->flags & ET_EXIT_THREAD) ? "{\"event\":\"thread_exit\",\"time\":\""
						 : "{\"event\":\"exit\",\"time\":\"");
	sb_rfc3339(&b, real_ns(ex->exit_ns, ctx));
	sb_json_int(&b, "\",\"pid\":", ex->pid, false);
	sb_json_int(&b, ",\"tid\":", ex->tid, false);
	sb_json_int(&b, ",\"ppid\":", ex->ppid, false);
	sb_json_int(&b, ",\"uid\":", (long long)ex->uid, ex->uid == (uid_t)-1);
	sb_puts(&b, ",\"comm\":\"");
	sb_puts(&b, comm);
	sb_json_int(&b, "\",\"status\":", ex->status, !known);
	sb_puts(&b, ",\"code\":\"");
	sb_puts(&b, status_code_name(st.code));
	sb_json_int(&b, "\",\"exit_code\":", st.exit_code, st.code != ET_CODE_EXITED);
	sb_json_int(&b, ",\"signal\":", st.signal, !sig);
	sb_puts(&b, ",\"signal_name\":");
	if (name) {
		sb_putn(&b, "\"", 1);
		sb_puts(&b, name);
		sb_putn(&b, "\"", 1);
	} else {
		sb_puts(&b, "null");
	}
	sb_puts(&b, st.core_dumped ? ",\"core_dumped\":true" : ",\"core_dumped\":false");
	sb_json_int(&b, ",\"si_code\":", status_si_code(&st), !known);
	sb_json_int(&b, ",\"si_status\":", status_si_status(&st), !known);
	sb_json_int(&b, ",\"age_ns\":", (long long)(ex->exit_ns - ex->start_ns),
		    !ex->start_ns || ex->exit_ns < ex->start_ns);
	sb_json_int(&b, ",\"nspid\":", ex->nspid, !ex->nspid);
	sb_puts(&b, ",\"pidns\":");
	if (ex->pidns)
		sb_putu(&b, ex->pidns);
	else
		sb_puts(&b, "null");
	sb_puts(&b, ",\"cgroup_id\":");
	if (ex->cgroup_id)
		sb_putu(&b, ex->cgroup_id);
	else
		sb_puts(&b, "null");
	sb_json_cgroup(&b, cg);
	sb_puts(&b, ",\"source\":\"");
	sb_puts(&b, source_name(ex->source));
	sb_json_int(&b, "\",\"fork_ppid\":", ex->fork_ppid, !ex->fork_ppid);
	sb_puts(&b, ",\"chain\":");
	sb_json_chain(&b, ex);
	sb_json_why(&b, ex);
	sb_puts(&b, "}\n");
	return b.full ? -ENOSPC : (int)b.used;
}

void summary_count(struct summary *s, const struct et_exit *ex)
{
	struct et_status st;

	if (ex->flags & ET_EXIT_THREAD)
		return;
	s->processes++;
	status_decode(ex->source == ET_SRC_NONE ? -1 : ex->status, &st);
	switch (st.code) {
	case ET_CODE_EXITED:
		if (st.exit_code)
			s->exited_nonzero++;
		else
			s->exited_zero++;
		break;
	case ET_CODE_KILLED:
		s->killed++;
		break;
	case ET_CODE_DUMPED:
		s->dumped++;
		break;
	default:
		s->unknown++;
		break;
	}
}

bool summary_is_failure(const struct et_exit *ex)
{
	return !(ex->flags & ET_EXIT_THREAD) && ex->source != ET_SRC_NONE && ex->status != 0;
}

static void sb_count(struct sbuf *b, const char *sep, unsigned long long n, const char *what)
{
	sb_puts(b, sep);
	sb_putu(b, n);
	sb_puts(b, what);
}

int fmt_summary(char *buf, size_t len, const struct summary *s, bool json)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	if (json) {
		sb_count(&b, "{\"event\":\"summary\",\"processes\":", s->processes, "");
		sb_count(&b, ",\"exited_zero\":", s->exited_zero, "");
		sb_count(&b, ",\"exited_nonzero\":", s->exited_nonzero, "");
		sb_count(&b, ",\"killed\":", s->killed, "");
		sb_count(&b, ",\"dumped\":", s->dumped, "");
		sb_count(&b, ",\"unknown\":", s->unknown, "");
		sb_count(&b, ",\"running\":", s->running, "");
		sb_count(&b, ",\"lost\":", s->lost, "");
		sb_count(&b, ",\"not_followed\":", s->not_followed, "");
		sb_count(&b, ",\"failures_omitted\":", s->omitted, "");
		sb_puts(&b, ",\"failures\":[");
		return b.full ? -ENOSPC : (int)b.used;
	}
	sb_count(&b, "summary: ", s->processes, s->processes == 1 ? " process ended: " :
								   " processes ended: ");
	sb_count(&b, "", s->exited_zero, " exited 0");
	sb_count(&b, ", ", s->exited_nonzero, " exited non-zero");
	sb_count(&b, ", ", s->killed, " killed");
	sb_count(&b, ", ", s->dumped, " dumped");
	if (s->unknown)
		sb_count(&b, ", ", s->unknown, " unknown");
	if (s->running)
		sb_count(&b, "; ", s->running, " still running");
	if (s->lost)
		sb_count(&b, "; ", s->lost, " records lost");
	if (s->not_followed)
		sb_count(&b, "; ", s->not_followed, " children not followed");
	if (s->omitted)
		sb_count(&b, "; ", s->omitted, " failures not listed");
	sb_putn(&b, "\n", 1);
	return b.full ? -ENOSPC : (int)b.used;
}

int fmt_failure(char *buf, size_t len, const struct et_exit *ex, bool json, bool first)
{
	char comm[6 * ET_COMM_SIZE + 1];
	struct et_status st;
	unsigned int i;
	struct sbuf b;

	sb_init(&b, buf, len);
	if (json) {
		esc_json(comm, sizeof(comm), ex->comm, comm_len(ex));
		status_decode(ex->status, &st);
		sb_json_int(&b, first ? "{\"pid\":" : ",{\"pid\":", ex->pid, false);
		sb_json_int(&b, ",\"ppid\":", ex->ppid, false);
		sb_json_int(&b, ",\"fork_ppid\":", ex->fork_ppid, !ex->fork_ppid);
		sb_puts(&b, ",\"comm\":\"");
		sb_puts(&b, comm);
		sb_json_int(&b, "\",\"status\":", ex->status, false);
		sb_puts(&b, ",\"code\":\"");
		sb_puts(&b, status_code_name(st.code));
		sb_json_int(&b, "\",\"exit_code\":", st.exit_code, st.code != ET_CODE_EXITED);
		sb_json_int(&b, ",\"signal\":", st.signal, st.code == ET_CODE_EXITED);
		sb_puts(&b, ",\"chain\":");
		sb_json_chain(&b, ex);
		sb_puts(&b, "}");
		return b.full ? -ENOSPC : (int)b.used;
	}
	esc_text(comm, sizeof(comm), ex->comm, comm_len(ex));
	sb_puts(&b, "failed: ");
	sb_putu(&b, (unsigned int)ex->pid);
	sb_putn(&b, " ", 1);
	sb_puts(&b, comm);
	sb_putn(&b, " ", 1);
	sb_status(&b, ex->status);
	for (i = 0; i < chain_len(ex); i++) {
		esc_text(comm, sizeof(comm), ex->chain[i].comm,
			 strnlen(ex->chain[i].comm, ET_COMM_SIZE));
		sb_puts(&b, " <- ");
		sb_putu(&b, (unsigned int)ex->chain[i].pid);
		sb_putn(&b, " ", 1);
		sb_puts(&b, comm);
	}
	/* out of its tree's chain: reparented, or the chain was cut */
	if (!chain_len(ex) && ex->fork_ppid) {
		sb_puts(&b, " (forked by ");
		sb_putu(&b, (unsigned int)ex->fork_ppid);
		sb_putn(&b, ")", 1);
	}
	sb_putn(&b, "\n", 1);
	return b.full ? -ENOSPC : (int)b.used;
}
