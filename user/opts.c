// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgpath.h"
#include "exittrace.h"
#include "opts.h"

const char opts_usage[] =
"Usage: exittrace [OPTIONS]                 every process exit on the host\n"
"       exittrace [OPTIONS] -p PID...      wait for these processes\n"
"       exittrace [OPTIONS] [--] CMD [ARG...]  run CMD, report its whole tree\n"
"Tell how processes ended: the wait status their parent's waitpid() sees,\n"
"for any process, the moment it dies, from eBPF.\n"
"\n"
"  -p, --pid PID[,PID...]  wait for these processes (repeatable)\n"
"  -f, --follow            with -p: their descendants too, each joining in the\n"
"                          kernel when forked; stop when the whole tree ended\n"
"  CMD [ARG...]            run CMD (held until tracing is in place), follow its\n"
"                          tree, forward SIGINT/SIGTERM/SIGHUP sent to exittrace,\n"
"                          exit with CMD's status; reports go to stderr\n"
"  -T, --threads           report every thread exit too\n"
"  -x, --failed            only non-zero exits and deaths by signal\n"
"      --comm NAME         only processes named NAME (repeatable; the kernel\n"
"                          keeps 15 bytes of a name)\n"
"  -u, --uid UID|USER      only processes of this real user (repeatable)\n"
"      --cgroup PATH       only processes in this cgroup v2 or below it: a\n"
"                          directory, or a path in the hierarchy (repeatable)\n"
"      --container ID      only processes of this container: its id, or a\n"
"                          prefix unique among running containers (repeatable)\n"
"      --pidns NS          only processes with a PID in this PID namespace: an\n"
"                          inode number or /proc/PID/ns/pid (repeatable)\n"
"      --any               stop when the first target (-p PID or CMD) ends\n"
"  -n, --count N           stop after N reported exits\n"
"      --timeout SECONDS   stop after SECONDS (fractions allowed)\n"
"      --summary           at the end, counts and the failures with their\n"
"                          parent chains\n"
"  -r, --rusage            CPU time and peak memory of each process, as wait4()\n"
"                          (always in JSON)\n"
"  -o, --output FILE       write reports to FILE (default: stdout; stderr with CMD)\n"
"  -j, --json              JSON lines instead of text\n"
"      --ringbuf-size KIB  BPF ring buffer size in KiB, a power of 2 (default 512;\n"
"                          2048 with -j or -r, whose records are larger)\n"
"      --max-targets N     room in the kernel's target set (default: twice the\n"
"                          PIDs given, at least 64; 65536 when following)\n"
"      --coalesce-us USEC  in an exit storm, wake up about once every USEC\n"
"                          (default 1000; an exit after a quiet spell is read\n"
"                          at once), as SCHED_BATCH: without preempting the\n"
"                          workload (not with --realtime); 0: at every record\n"
"                          that finds exittrace caught up\n"
"      --realtime          run as SCHED_FIFO (priority 1), storms included, so\n"
"                          that an exit is read at once even on a busy CPU and\n"
"                          no ordinary load keeps exittrace off it. Without,\n"
"                          exittrace waits with the shortest slice (0.1 ms,\n"
"                          Linux 6.12+): much the same, most of the time\n"
"      --attach MODE       raw_tp (fast start, the default when it works),\n"
"                          tp_btf (libbpf reads all kernel BTF: ~40 ms more),\n"
"                          or tracepoint (classic, its id from tracefs: exits only,\n"
"                          no senders of signals, no -f or CMD); auto tries them\n"
"                          in this order\n"
"  -v, --verbose           show libbpf's diagnostics\n"
"  -h, --help              this text\n"
"  -V, --version           version\n"
"\n"
"Exit status:\n"
"  with CMD  CMD's: its exit code, or 128 + the signal that killed it\n"
"            (126 / 127: CMD could not be run / found)\n"
"  with -p   the status of the last PID given (with --any, of the first to\n"
"            end), as a shell's wait: its exit code, or 128 + the signal\n"
"  without   0 when stopped by SIGINT, SIGTERM, SIGHUP, --timeout or -n\n"
"  0         with -p: -n N reached before the targets ended\n"
"  124       --timeout expired before the targets ended (CMD gets SIGTERM,\n"
"            SIGKILL 5 s later)\n"
"  125       exittrace failed (usage, privileges, BPF, output)\n"
"  126       a target ended but its status could not be learned\n"
"  127       the last PID given does not exist (each missing one is named)\n"
"  128+N     stopped by signal N before the targets ended; 141 when the\n"
"            reader of the output went away\n";

/* A message quotes what the user typed: one line, whatever it held. */
static void one_line(char *err)
{
	for (; *err; err++)
		if ((unsigned char)*err < 0x20 || *err == 0x7f)
			*err = '?';
}

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	one_line(err);
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
		one_line(err);
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
	else if (!strcmp(s, "tracepoint"))
		o->attach = ET_ATTACH_TRACEPOINT;
	else if (!strcmp(s, "auto"))
		o->attach = ET_ATTACH_AUTO;
	else
		return fail(err, errlen, -EINVAL,
			    "invalid attach mode '%s': want auto, raw_tp, tp_btf or tracepoint", s);
	return 0;
}

int opts_parse_uid(const char *s, uid_t *uid, char *err, size_t errlen)
{
	unsigned long n;

	if (*s >= '0' && *s <= '9') {
		/* (uid_t)-1 is "no uid" to the kernel */
		if (!parse_ulong(s, 0, 0xfffffffeUL, &n))
			return fail(err, errlen, -EINVAL,
				    "invalid uid '%s': want 0 to 4294967294 or a user name", s);
		*uid = (uid_t)n;
		return 0;
	}
	if (!*s || strpbrk(s, ":/ \t\n"))
		return fail(err, errlen, -EINVAL, "invalid user '%s': empty or not a name", s);
	return -ENOENT;
}

static int add_str(const char ***v, size_t *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[(*n)++] = s;
	return 0;
}

static int parse_comm(struct opts *o, const char *s, char *err, size_t errlen)
{
	if (!*s)
		return fail(err, errlen, -EINVAL, "invalid comm '': empty");
	return add_str(&o->comms, &o->ncomms, s);
}

static int parse_user(struct opts *o, const char *s, char *err, size_t errlen)
{
	uid_t uid;
	int ret = opts_parse_uid(s, &uid, err, errlen);

	if (ret && ret != -ENOENT)
		return ret;
	return add_str(&o->users, &o->nusers, s);
}

static int parse_cgroup(struct opts *o, const char *s, char *err, size_t errlen)
{
	if (!*s)
		return fail(err, errlen, -EINVAL, "invalid cgroup '': empty");
	return add_str(&o->cgroups, &o->ncgroups, s);
}

static int parse_container(struct opts *o, const char *s, char *err, size_t errlen)
{
	char id[CGPATH_ID_LEN + 1];

	if (cgpath_id_arg(s, id))
		return fail(err, errlen, -EINVAL,
			    "invalid container id '%.80s': want 1 to 64 hex digits", s);
	return add_str(&o->containers, &o->ncontainers, s);
}

int opts_parse_pidns(const char *s, unsigned int *inum, char *err, size_t errlen)
{
	unsigned long n;

	if (*s >= '0' && *s <= '9') {
		if (!parse_ulong(s, 1, 0xffffffffUL, &n))
			return fail(err, errlen, -EINVAL,
				    "invalid PID namespace '%s': want an inode number or a path",
				    s);
		*inum = (unsigned int)n;
		return 0;
	}
	if (!*s)
		return fail(err, errlen, -EINVAL, "invalid PID namespace '': empty");
	return -ENOENT;
}

static int parse_pidns(struct opts *o, const char *s, char *err, size_t errlen)
{
	unsigned int inum;
	int ret = opts_parse_pidns(s, &inum, err, errlen);

	if (ret && ret != -ENOENT)
		return ret;
	return add_str(&o->pidns, &o->npidns, s);
}

static int parse_count(struct opts *o, const char *s, char *err, size_t errlen)
{
	unsigned long n;

	if (!parse_ulong(s, 1, ULONG_MAX, &n))
		return fail(err, errlen, -EINVAL, "invalid count '%s': want 1 or more", s);
	o->count = n;
	return 0;
}

/* Combinations that cannot mean anything. */
static int check(struct opts *o, char *err, size_t errlen)
{
	if (o->cmd && o->npids)
		return fail(err, errlen, -EINVAL, "-p and a command do not mix: give one");
	if (o->follow && !o->npids && !o->cmd)
		return fail(err, errlen, -EINVAL, "-f needs -p PID or a command to follow");
	if (o->attach == ET_ATTACH_TRACEPOINT && (o->follow || o->cmd))
		return fail(err, errlen, -EINVAL,
			    "--attach=tracepoint reports exits only: no -f, no command");
	if (o->any && !o->npids && !o->cmd)
		return fail(err, errlen, -EINVAL, "--any needs -p PID or a command");
	if (o->output && !*o->output)
		return fail(err, errlen, -EINVAL, "invalid output file '': empty");
	if (!o->ringbuf_kib)
		o->ringbuf_kib = o->json || o->rusage ? OPTS_RINGBUF_EXT_KIB : OPTS_RINGBUF_KIB;
	return 0;
}

enum {
	OPT_TIMEOUT = 256, OPT_RINGBUF, OPT_MAX_TARGETS, OPT_COALESCE, OPT_ATTACH, OPT_COMM,
	OPT_ANY, OPT_SUMMARY, OPT_CGROUP, OPT_CONTAINER, OPT_PIDNS, OPT_REALTIME,
};

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "threads", no_argument, NULL, 'T' },
	{ "failed", no_argument, NULL, 'x' },
	{ "follow", no_argument, NULL, 'f' },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "uid", required_argument, NULL, 'u' },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "pidns", required_argument, NULL, OPT_PIDNS },
	{ "realtime", no_argument, NULL, OPT_REALTIME },
	{ "any", no_argument, NULL, OPT_ANY },
	{ "count", required_argument, NULL, 'n' },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "rusage", no_argument, NULL, 'r' },
	{ "output", required_argument, NULL, 'o' },
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
	/* "+": options end at the command's name, whose own options follow */
	while ((c = getopt_long(argc, argv, "+:p:Txfu:n:o:rjvhV", long_opts, NULL)) != -1) {
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
		case 'f':
			o->follow = true;
			break;
		case OPT_COMM:
			ret = parse_comm(o, optarg, err, errlen);
			break;
		case 'u':
			ret = parse_user(o, optarg, err, errlen);
			break;
		case OPT_CGROUP:
			ret = parse_cgroup(o, optarg, err, errlen);
			break;
		case OPT_CONTAINER:
			ret = parse_container(o, optarg, err, errlen);
			break;
		case OPT_PIDNS:
			ret = parse_pidns(o, optarg, err, errlen);
			break;
		case OPT_ANY:
			o->any = true;
			break;
		case OPT_REALTIME:
			o->realtime = true;
			break;
		case 'n':
			ret = parse_count(o, optarg, err, errlen);
			break;
		case OPT_SUMMARY:
			o->summary = true;
			break;
		case 'r':
			o->rusage = true;
			break;
		case 'o':
			o->output = optarg;
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
		if (ret) {
			one_line(err);
			return ret;
		}
	}
	if (optind < argc) {
		if (!argv[optind][0])
			return fail(err, errlen, -EINVAL, "invalid command '': empty");
		o->cmd = &argv[optind];
	}
	return o->help || o->version ? 0 : check(o, err, errlen);
}

void opts_free(struct opts *o)
{
	free(o->pids);
	free(o->comms);
	free(o->users);
	free(o->cgroups);
	free(o->containers);
	free(o->pidns);
	o->pids = NULL;
	o->comms = o->users = o->cgroups = o->containers = o->pidns = NULL;
	o->npids = o->ncomms = o->nusers = o->ncgroups = o->ncontainers = o->npidns = 0;
}
