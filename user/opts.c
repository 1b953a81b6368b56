// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "exittrace.h"
#include "opts.h"

const char opts_usage[] =
"Usage: exittrace [OPTIONS]\n"
"Tell how processes ended: the wait status their parent's waitpid() sees,\n"
"for any process, the moment it dies, from eBPF.\n"
"\n"
"  -p, --pid PID[,PID...]  wait for these processes (repeatable); without -p,\n"
"                          report every process exit on the host\n"
"  -T, --threads           report every thread exit too\n"
"  -x, --failed            report only non-zero exits and deaths by signal\n"
"  -j, --json              JSON lines instead of text\n"
"      --timeout SECONDS   stop after SECONDS (fractions allowed)\n"
"      --ringbuf-size KIB  BPF ring buffer size in KiB, a power of 2 (default 512)\n"
"      --max-targets N     room in the kernel's target set (default: twice the\n"
"                          PIDs given, at least 64)\n"
"      --coalesce-us USEC  in an exit storm, wake up at most every USEC (default\n"
"                          1000; the first exit after a quiet spell is at once);\n"
"                          0 wakes for every record\n"
"      --attach MODE       raw_tp (fast start, the default when it works) or\n"
"                          tp_btf (libbpf reads all kernel BTF: ~40 ms more)\n"
"  -v, --verbose           show libbpf's diagnostics\n"
"  -h, --help              this text\n"
"  -V, --version           version\n"
"\n"
"Exit status:\n"
"  with -p   the status of the last PID given, as a shell's wait: its exit\n"
"            code, or 128 + the signal that killed it\n"
"  without   0 when stopped by SIGINT, SIGTERM, SIGHUP or --timeout\n"
"  124       with -p: --timeout expired before every target ended\n"
"  125       exittrace failed (usage, privileges, BPF, output)\n"
"  126       a target ended but its status could not be learned\n"
"  127       the last PID given does not exist (each missing one is named)\n"
"  128+N     -p mode stopped by signal N before every target ended;\n"
"            141 when the reader of the output went away\n";

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

int opts_parse_pid(const char *s, long pid_max, pid_t *pid, char *err, size_t errlen)
{
	const char *p = s;
	char *end;
	long n;

	/* strtol would accept blanks and a sign: a PID is digits only */
	if (!*p)
		return fail(err, errlen, -EINVAL, "invalid pid '%s': empty", s);
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return fail(err, errlen, -EINVAL,
				    "invalid pid '%s': not a positive number", s);
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno == ERANGE || n > pid_max) {
		snprintf(err, errlen, "invalid pid '%.32s': above pid_max (%ld)", s, pid_max);
		return -ERANGE;
	}
	if (n == 0)
		return fail(err, errlen, -EINVAL, "invalid pid '%s': must be 1 or more", s);
	*pid = (pid_t)n;
	return 0;
}

int opts_parse_seconds(const char *s, uint64_t *ns, char *err, size_t errlen)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(d) || d <= 0 || d > 1e9 ||
	    strpbrk(s, "xXpP"))
		return fail(err, errlen, -EINVAL,
			    "invalid duration '%s': want a positive number of seconds", s);
	*ns = (uint64_t)(d * 1e9 + 0.5);
	if (*ns == 0)
		*ns = 1;
	return 0;
}

static int add_pid(struct opts *o, pid_t pid)
{
	pid_t *n;
	size_t i;

	for (i = 0; i < o->npids; i++)
		if (o->pids[i] == pid)
			return 0;
	n = realloc(o->pids, (o->npids + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	o->pids = n;
	o->pids[o->npids++] = pid;
	return 0;
}

static int add_pid_list(struct opts *o, const char *list, long pid_max, char *err,
			size_t errlen)
{
	char *copy, *tok, *save = NULL;
	int ret = 0;
	pid_t pid;

	copy = strdup(list);
	if (!copy)
		return -ENOMEM;
	if (!*list || list[strlen(list) - 1] == ',' || strstr(list, ",,") || *list == ',') {
		ret = fail(err, errlen, -EINVAL, "invalid pid list '%s': empty entry", list);
		goto cleanup;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		ret = opts_parse_pid(tok, pid_max, &pid, err, errlen);
		if (ret)
			goto cleanup;
		ret = add_pid(o, pid);
		if (ret)
			goto cleanup;
	}
cleanup:
	free(copy);
	return ret;
}

/* A decimal number from min to max, digits only (strtoul would take
 * blanks and a sign). */
static bool parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !*end && !errno && *v >= min && *v <= max;
}

static int parse_ringbuf(struct opts *o, const char *s, char *err, size_t errlen)
{
	unsigned long n;

	/* the kernel wants a power-of-2 multiple of the page size */
	if (!parse_ulong(s, 4, 1UL << 20, &n) || (n & (n - 1)))
		return fail(err, errlen, -EINVAL,
			    "invalid ring buffer size '%s': want a power of 2 from 4 to 1048576 KiB",
			    s);
	o->ringbuf_kib = (unsigned int)n;
	return 0;
}

static int parse_max_targets(struct opts *o, const char *s, char *err, size_t errlen)
{
	unsigned long n;

	if (!parse_ulong(s, 1, 1UL << 24, &n))
		return fail(err, errlen, -EINVAL,
			    "invalid target count '%s': want 1 to 16777216", s);
	o->max_targets = (unsigned int)n;
	return 0;
}

static int parse_coalesce(struct opts *o, const char *s, char *err, size_t errlen)
{
	unsigned long n;

	if (!parse_ulong(s, 0, 1000000, &n))
		return fail(err, errlen, -EINVAL,
			    "invalid interval '%s': want 0 to 1000000 microseconds", s);
	o->coalesce_us = (unsigned int)n;
	return 0;
}

static int parse_attach(struct opts *o, const char *s, char *err, size_t errlen)
{
	if (!strcmp(s, "raw_tp"))
		o->attach = ET_ATTACH_RAW_TP;
	else if (!strcmp(s, "tp_btf"))
		o->attach = ET_ATTACH_TP_BTF;
	else if (!strcmp(s, "auto"))
		o->attach = ET_ATTACH_AUTO;
	else
		return fail(err, errlen, -EINVAL,
			    "invalid attach mode '%s': want auto, raw_tp or tp_btf", s);
	return 0;
}

enum { OPT_TIMEOUT = 256, OPT_RINGBUF, OPT_MAX_TARGETS, OPT_COALESCE, OPT_ATTACH };

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "threads", no_argument, NULL, 'T' },
	{ "failed", no_argument, NULL, 'x' },
	{ "json", no_argument, NULL, 'j' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
	{ "max-targets", required_argument, NULL, OPT_MAX_TARGETS },
	{ "coalesce-us", required_argument, NULL, OPT_COALESCE },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

int opts_parse(struct opts *o, int argc, char *const argv[], long pid_max, char *err,
	       size_t errlen)
{
	int c, ret = 0;

	o->coalesce_us = OPTS_COALESCE_US;
	/* getopt keeps state in globals: restart it, and keep it quiet */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:TxjvhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			ret = add_pid_list(o, optarg, pid_max, err, errlen);
			break;
		case 'T':
			o->threads = true;
			break;
		case 'x':
			o->failed = true;
			break;
		case 'j':
			o->json = true;
			break;
		case OPT_TIMEOUT:
			ret = opts_parse_seconds(optarg, &o->timeout_ns, err, errlen);
			break;
		case OPT_RINGBUF:
			ret = parse_ringbuf(o, optarg, err, errlen);
			break;
		case OPT_MAX_TARGETS:
			ret = parse_max_targets(o, optarg, err, errlen);
			break;
		case OPT_COALESCE:
			ret = parse_coalesce(o, optarg, err, errlen);
			break;
		case OPT_ATTACH:
			ret = parse_attach(o, optarg, err, errlen);
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			o->help = true;
			break;
		case 'V':
			o->version = true;
			break;
		case ':':
			snprintf(err, errlen, "option '%s' needs an argument", argv[optind - 1]);
			ret = -EINVAL;
			break;
		default:
			if (optopt)
				snprintf(err, errlen, "unknown option '-%c'", optopt);
			else
				snprintf(err, errlen, "unknown option '%s'", argv[optind - 1]);
			ret = -EINVAL;
			break;
		}
		if (ret)
			return ret;
	}
	if (optind < argc)
		return fail(err, errlen, -EINVAL,
			    "unexpected argument '%s' (PIDs go after -p)", argv[optind]);
	return 0;
}

void opts_free(struct opts *o)
{
	free(o->pids);
	o->pids = NULL;
	o->npids = 0;
}
