// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * exittrace: report how processes ended, the moment they end. The CLI on
 * top of the tracer core (et.h): options, pinning PIDs, the epoll loop,
 * output and the exit status.
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "exittrace.h"
#include "filters.h"
#include "format.h"
#include "opts.h"
#include "output.h"
#include "procstat.h"
#include "status.h"


/* Exit statuses of exittrace itself; see --help and the README. */
#define EXIT_TIMEOUT	124
#define EXIT_FAILURE_ET 125
#define EXIT_UNKNOWN	126
#define EXIT_NO_PROCESS 127

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

#define BTF_PATH "/sys/kernel/btf/vmlinux"

enum stop_reason {
	RUNNING, STOP_DONE, STOP_SIGNAL, STOP_TIMEOUT, STOP_OUTPUT, STOP_ERROR, STOP_ANY, STOP_COUNT,
};

/* Failures kept for --summary; more are counted, not listed. */
#define SUMMARY_MAX_FAILURES 1000

/* Command mode: CMD, started by us and held until it is traced. */
struct command {
	pid_t pid;		/* 0: no command */
	int pidfd;
	int release;		/* write end: a byte lets the child exec */
	int exec_err;		/* read end: errno if exec failed, EOF if not */
	bool ended;		/* its end was reported */
	bool reaped;
	bool survived;		/* --timeout's SIGKILL did not end it */
	int status;		/* from waitpid() once reaped */
};

struct pinned {
	pid_t pid;
	int pidfd;	/* until handed to et_watch_pidfd() */
	int status;	/* wait status once reported; -1 unknown */
	bool missing;	/* no such process */
	bool ended;
};

struct cli {
	struct opts o;
	struct fmt_ctx fmt;
	struct output out;
	struct pinned *pins;
	size_t npins;
	uint64_t lost_seen;
	uint64_t not_followed_seen;
	uint64_t lost_cgroups_seen;
	int stop_signal;
	struct command cmd;
	uid_t *uids;
	struct pinned *first_ended;	/* --any: the target that ended first */
	bool counting_done;	/* -n reached: report no more */
	struct summary sum;
	struct et_exit *failures;	/* --summary */
	size_t nfailures;
	struct ctr_filters ctr;	/* --cgroup, --container, --pidns */
	struct et *h;
};

/* One line on stderr, escaped: messages quote what users and processes
 * chose (arguments, paths, names). */
__attribute__((format(printf, 1, 2))) static void err(const char *fmt, ...)
{
	char msg[1024], out[4 * sizeof(msg) + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	esc_text(out, sizeof(out), msg, strlen(msg));
	fprintf(stderr, "exittrace: %s\n", out);
}

static long read_pid_max(void)
{
	char buf[32];
	long v = 4194304;	/* PID_MAX_LIMIT on 64-bit */
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");

	if (f) {
		if (fgets(buf, sizeof(buf), f))
			v = strtol(buf, NULL, 10);
		fclose(f);
	}
	return v > 0 ? v : 4194304;
}

static int64_t boot_to_real_ns(void)
{
	struct timespec rt, bt;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	return ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000LL + (rt.tv_nsec - bt.tv_nsec);
}

/* Loading and attaching tracing programs wants CAP_BPF and CAP_PERFMON
 * (or CAP_SYS_ADMIN before 5.8): say which is missing before libbpf fails
 * with a bare EPERM. */
static int check_privileges(bool targets)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	bool sys_admin, bpf, perfmon;

	if (syscall(SYS_capget, &hdr, data))
		return 0;	/* cannot tell: let the load say */
#define HAS(cap) (data[(cap) / 32].effective & (1U << ((cap) % 32)))
	sys_admin = HAS(CAP_SYS_ADMIN);
	bpf = HAS(CAP_BPF);
	perfmon = HAS(CAP_PERFMON);
	/* a zombie's exit code in /proc/PID/stat reads 0 without ptrace access */
	if ((sys_admin || (bpf && perfmon)) && targets && !HAS(CAP_SYS_PTRACE)) {
		err("missing capability CAP_SYS_PTRACE: -p needs it to read the status "
		    "of a target that already ended");
		return -EPERM;
	}
#undef HAS
	if (sys_admin || (bpf && perfmon))
		return 0;
	err("missing capability %s%s%s: run as root", bpf ? "" : "CAP_BPF",
	    !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return -EPERM;
}

/*
 * Once attached and watching, keep only what is still needed: CAP_BPF (the
 * target map, as targets end; CAP_SYS_ADMIN where it stood for CAP_BPF),
 * CAP_SYS_PTRACE (a zombie's status in /proc/PID/stat),
 * CAP_DAC_READ_SEARCH (cgroup paths, by open_by_handle_at()) and, with
 * CMD, CAP_KILL (CMD may have become another user: forwarded signals and
 * --timeout must still reach it). From the bounding set too, where
 * CAP_SETPCAP allows; and no privilege can be gained by exec. CMD, started
 * before, keeps its own.
 */
#define KEEP_CAPS ((1ULL << CAP_BPF) | (1ULL << CAP_SYS_PTRACE) | (1ULL << CAP_DAC_READ_SEARCH))

static int drop_capabilities(bool command)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};
	unsigned long long keep, have;
	long last = 40;
	FILE *f;
	int cap;

	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		if (fscanf(f, "%ld", &last) != 1)
			last = 40;
		fclose(f);
	}
	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	have = (unsigned long long)data[1].permitted << 32 | data[0].permitted;
	keep = KEEP_CAPS | (command ? 1ULL << CAP_KILL : 0);
	if (!(have & (1ULL << CAP_BPF)))
		keep |= 1ULL << CAP_SYS_ADMIN;
	keep &= have;
	/* the bounding set first, what is in it: dropping takes CAP_SETPCAP;
	 * without, no-new-privileges below still blocks gains by exec */
	for (cap = 0; cap <= last && cap < 64 && (have & (1ULL << CAP_SETPCAP)); cap++)
		if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

/* 0xEFFFFFFC: the kernel's PROC_PID_INIT_INO, the initial PID namespace's */
static bool in_initial_pidns(void)
{
	struct stat st;

	return stat("/proc/self/ns/pid", &st) || st.st_ino == 0xEFFFFFFCU;
}

static void raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static const char *thread_hint(pid_t pid, char *buf, size_t len)
{
	char path[64], text[2048];
	pid_t tgid;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "not a process";
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return "not a process";
	text[n] = '\0';
	if (procstatus_tgid(text, &tgid) || tgid == pid)
		return "not a process";
	snprintf(buf, len, "a thread of process %d, not a process", (int)tgid);
	return buf;
}

/* Pin every -p PID with a pidfd at once, before the slow BPF load, so that
 * a PID that ends and is reused meanwhile is not mistaken for the target. */
static int pin_targets(struct cli *c)
{
	size_t i, missing = 0;
	char hint[96];

	c->pins = calloc(c->o.npids, sizeof(*c->pins));
	if (!c->pins)
		return -ENOMEM;
	c->npins = c->o.npids;
	for (i = 0; i < c->npins; i++) {
		struct pinned *p = &c->pins[i];

		p->pid = c->o.pids[i];
		p->status = -1;
		p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
		if (p->pidfd >= 0)
			continue;
		if (errno == ESRCH) {
			err("pid %d: no such process", (int)p->pid);
		} else if (errno == EINVAL || errno == ENOENT) {	/* a thread: before / since 6.9 */
			err("pid %d: %s", (int)p->pid, thread_hint(p->pid, hint, sizeof(hint)));
		} else {
			err("pid %d: pidfd_open: %s", (int)p->pid, strerror(errno));
			return -errno;
		}
		p->missing = true;
		missing++;
	}
	return missing == c->npins ? -ESRCH : 0;
}

static struct pinned *pin_find(struct cli *c, pid_t pid)
{
	size_t i;

	for (i = 0; i < c->npins; i++)
		if (c->pins[i].pid == pid)
			return &c->pins[i];
	return NULL;
}

/* Every -p PID has ended (or never was). */
static bool pins_ended(const struct cli *c)
{
	size_t i;

	for (i = 0; i < c->npins; i++)
		if (!c->pins[i].missing && !c->pins[i].ended)
			return false;
	return true;
}

static void emit(struct cli *c, const char *line, int len)
{
	/* FMT_LINE_MAX holds the longest record there can be (a unit test
	 * builds it): a record that does not fit is a bug, said, not hidden */
	if (len < 0)
		err("a record did not fit in %d bytes: not printed (please report)",
		    FMT_LINE_MAX);
	else if (len > 0)
		output_write(&c->out, line, (size_t)len);
}

static const char *attach_name(int way)
{
	switch (way) {
	case ET_ATTACH_RAW_TP:
		return "raw_tp";
	case ET_ATTACH_TP_BTF:
		return "tp_btf";
	default:
		return "tracepoint";
	}
}

static void emit_start(struct cli *c)
{
	char line[FMT_LINE_MAX];
	struct timespec ts;
	int len, i, n;

	if (!c->o.json) {
		emit(c, line, fmt_text_header(line, sizeof(line), &c->fmt));
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	len = snprintf(line, sizeof(line), "{\"event\":\"start\",\"time\":\"");
	len += fmt_rfc3339(line + len, sizeof(line) - len,
			   (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	len += snprintf(line + len, sizeof(line) - len,
			"\",\"version\":\"%s\",\"mode\":\"%s\",\"threads\":%s,",
			EXITTRACE_VERSION, c->cmd.pid ? "command" : c->npins ? "pids" : "host",
			c->o.threads ? "true" : "false");
	len += snprintf(line + len, sizeof(line) - len, "\"follow\":%s,\"attach\":\"%s\",\"pids\":[",
			c->o.follow || c->cmd.pid ? "true" : "false", attach_name(et_attached(c->h)));
	emit(c, line, len);
	if (c->cmd.pid)
		emit(c, line, snprintf(line, sizeof(line), "%d", (int)c->cmd.pid));
	for (i = 0, n = 0; i < (int)c->npins; i++) {
		if (c->pins[i].missing)
			continue;
		len = snprintf(line, sizeof(line), "%s%d", n++ ? "," : "", (int)c->pins[i].pid);
		emit(c, line, len);
	}
	emit(c, "]}\n", 3);
}

/* A count the kernel keeps went up: a JSON record, or a line on stderr. */
static void emit_loss(struct cli *c, const char *event, uint64_t total, uint64_t *seen,
		      const char *what)
{
	char line[160];
	uint64_t n = total - *seen;

	*seen = total;
	if (c->o.json) {
		emit(c, line, snprintf(line, sizeof(line),
				       "{\"event\":\"%s\",\"count\":%llu,\"total\":%llu}\n", event,
				       (unsigned long long)n, (unsigned long long)total));
	} else {
		output_flush(&c->out);
		err("%llu %s", (unsigned long long)n, what);
	}
}

static void emit_end(struct cli *c, enum stop_reason why)
{
	static const char *const reasons[] = {
		[STOP_DONE] = "done",	    [STOP_SIGNAL] = "signal", [STOP_TIMEOUT] = "timeout",
		[STOP_OUTPUT] = "output",  [STOP_ERROR] = "error",   [STOP_ANY] = "any",
		[STOP_COUNT] = "count",
	};
	char line[256];

	if (!c->o.json || why == STOP_OUTPUT)
		return;
	/* every loss once more, in all: exit records, children not
	 * followed, new cgroups' records */
	emit(c, line, snprintf(line, sizeof(line),
			       "{\"event\":\"end\",\"reason\":\"%s\",\"exits\":%llu,\"lost\":%llu,"
			       "\"not_followed\":%llu,\"lost_cgroups\":%llu}\n",
			       reasons[why], (unsigned long long)c->sum.processes,
			       (unsigned long long)c->lost_seen,
			       (unsigned long long)c->not_followed_seen,
			       (unsigned long long)c->lost_cgroups_seen));
}

static void keep_failure(struct cli *c, const struct et_exit *ex)
{
	if (!c->o.summary || !summary_is_failure(ex))
		return;
	if (!c->failures)
		c->failures = calloc(SUMMARY_MAX_FAILURES, sizeof(*c->failures));
	if (c->failures && c->nfailures < SUMMARY_MAX_FAILURES)
		c->failures[c->nfailures++] = *ex;
	else
		c->sum.omitted++;
}

/* A result: bookkeeping for targets, then the report if it passed the
 * filters. Returns a reason to stop, or RUNNING. */
static enum stop_reason handle_exit(struct cli *c, const struct et_exit *ex)
{
	char line[FMT_LINE_MAX];
	bool thread = ex->flags & ET_EXIT_THREAD, target_end = false;
	struct pinned *p;

	if (!thread && (ex->flags & ET_EXIT_TARGET)) {
		p = pin_find(c, ex->pid);
		if (p) {
			p->ended = true;
			p->status = ex->source == ET_SRC_NONE ? -1 : ex->status;
			if (!c->first_ended)
				c->first_ended = p;
			target_end = true;
		} else if (c->cmd.pid && ex->pid == c->cmd.pid) {
			c->cmd.ended = true;
			target_end = true;
		}
	}
	if ((ex->flags & ET_EXIT_MATCH) && !c->counting_done) {
		/* the summary's counts are those of what was printed */
		struct fmt_cg cg = {
			.path = et_cgroup_path(c->h, ex->cgroup_id),
			.container_id = et_container_id(c->h, ex->cgroup_id),
		};

		summary_count(&c->sum, ex);
		keep_failure(c, ex);
		/* text grows its container columns with the first container */
		if (!c->o.json && cg.container_id && !c->fmt.containers) {
			c->fmt.containers = true;
			emit(c, line, fmt_text_header(line, sizeof(line), &c->fmt));
		}
		emit(c, line, c->o.json ? fmt_json(line, sizeof(line), ex, &cg, &c->fmt)
					: fmt_text(line, sizeof(line), ex, &cg, &c->fmt));
		if (c->o.count && c->sum.processes >= c->o.count)
			c->counting_done = true;
	}
	if (target_end && c->o.any)
		return STOP_ANY;
	if (c->counting_done) {
		/* with CMD: report no more, but still wait for CMD itself */
		if (!c->cmd.pid || c->cmd.ended)
			return STOP_COUNT;
	}
	return RUNNING;
}

/* Report every result ready now, and any loss; et_next()'s last answer,
 * or 1 and *why when a result means stopping. */
static int drain(struct cli *c, struct et *h, enum stop_reason *why)
{
	struct et_exit ex;
	uint64_t lost;
	int ret;

	while ((ret = et_next(h, NULL, &ex, 0)) > 0) {
		*why = handle_exit(c, &ex);
		if (*why != RUNNING)
			break;
	}
	lost = et_lost(h);
	if (lost != c->lost_seen)
		emit_loss(c, "lost", lost, &c->lost_seen,
			  "exit records lost: ring buffer full (raise --ringbuf-size)");
	lost = et_lost_follow(h);
	if (lost != c->not_followed_seen)
		emit_loss(c, "not_followed", lost, &c->not_followed_seen,
			  "children not followed: target set full (raise --max-targets)");
	lost = et_lost_cgroups(h);
	if (lost != c->lost_cgroups_seen)
		emit_loss(c, "lost_cgroups", lost, &c->lost_cgroups_seen,
			  "new cgroups' records lost: ring buffer full (raise --ringbuf-size); "
			  "their paths are looked up instead, while they exist");
	return ret;
}

static int setup_signals(sigset_t *mask, sigset_t *old)
{
	sigemptyset(mask);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, mask, old))
		return -errno;
	/* a reader that went away shows up as EPIPE from write() */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static int add_fd(int ep, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

enum { TAG_ET, TAG_SIGNAL, TAG_TIMER };

/*
 * A signal to exittrace. Without CMD, it stops. With CMD still running, one
 * sent by a process (kill, a supervisor) is passed on to CMD and the wait
 * goes on; one the kernel sent (SI_KERNEL: the terminal's ^C or a
 * hangup) went to our whole process group, CMD's too, already. A process
 * that signals the whole group by kill() (bash passing on a hangup) is
 * indistinguishable from one that signals exittrace: CMD gets it twice.
 */
static bool on_signal(struct cli *c, const struct signalfd_siginfo *si)
{
	c->stop_signal = (int)si->ssi_signo;
	if (!c->cmd.pid || c->cmd.ended)
		return true;
	if (si->ssi_code != SI_KERNEL &&
	    syscall(SYS_pidfd_send_signal, c->cmd.pidfd, (int)si->ssi_signo, NULL, 0) &&
	    errno != ESRCH)
		err("passing signal %d on to the command: %s", (int)si->ssi_signo,
		    strerror(errno));
	return false;
}

static enum stop_reason run(struct cli *c, struct et *h, int sfd, int tfd, int ep)
{
	enum stop_reason why = RUNNING;
	struct epoll_event evs[4];
	struct signalfd_siginfo si;
	int n, i, ret;

	for (;;) {
		ret = drain(c, h, &why);
		if (why != RUNNING)
			return why;
		if (ret == -ECHILD)
			return STOP_DONE;
		if (ret < 0) {
			err("reading exit records: %s", strerror(-ret));
			return STOP_ERROR;
		}
		if (output_flush(&c->out))
			return STOP_OUTPUT;

		n = epoll_wait(ep, evs, 4, -1);
		if (n < 0 && errno != EINTR) {
			err("epoll_wait: %s", strerror(errno));
			return STOP_ERROR;
		}
		for (i = 0; i < n; i++) {
			if (evs[i].data.u32 == TAG_SIGNAL &&
			    read(sfd, &si, sizeof(si)) == sizeof(si) && on_signal(c, &si))
				return STOP_SIGNAL;
			if (evs[i].data.u32 == TAG_TIMER)
				return STOP_TIMEOUT;
		}
	}
}

/*
 * Start CMD held: the child waits for a byte on a pipe before it execs, so
 * that it runs no instruction of CMD before its PID is in the target set.
 * It gets back the signal mask and SIGPIPE disposition exittrace changed;
 * the mask only at exec, so that a ^C while it is held reaches CMD.
 */
static int spawn_command(struct cli *c, const sigset_t *old)
{
	int rel[2], xerr[2], e;
	char b;
	pid_t pid;

	if (pipe2(rel, O_CLOEXEC))
		return -errno;
	if (pipe2(xerr, O_CLOEXEC)) {
		e = -errno;
		close(rel[0]);
		close(rel[1]);
		return e;
	}
	pid = fork();
	if (pid < 0) {
		e = -errno;
		close(rel[0]);
		close(rel[1]);
		close(xerr[0]);
		close(xerr[1]);
		return e;
	}
	if (pid == 0) {
		close(rel[1]);
		close(xerr[0]);
		signal(SIGPIPE, SIG_DFL);
		if (read(rel[0], &b, 1) != 1)
			_exit(EXIT_FAILURE_ET);		/* exittrace gave up */
		sigprocmask(SIG_SETMASK, old, NULL);
		execvp(c->o.cmd[0], c->o.cmd);
		e = errno;
		if (write(xerr[1], &e, sizeof(e)) < 0)
			_exit(EXIT_FAILURE_ET);
		_exit(e == ENOENT ? EXIT_NO_PROCESS : EXIT_UNKNOWN);
	}
	close(rel[0]);
	close(xerr[1]);
	c->cmd.pid = pid;
	c->cmd.release = rel[1];
	c->cmd.exec_err = xerr[0];
	c->cmd.pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return c->cmd.pidfd < 0 ? -errno : 0;
}

static void reap_command(struct cli *c, int flags)
{
	int st;

	if (c->cmd.reaped || !c->cmd.pid)
		return;
	if (waitpid(c->cmd.pid, &st, flags) == c->cmd.pid) {
		c->cmd.reaped = true;
		c->cmd.status = st;
	}
}

/* Let CMD exec. 0 once it has; else its own exit status for exittrace
 * (127: not found, 126: not runnable), the reason named. */
static int release_command(struct cli *c)
{
	int e = 0;
	ssize_t n;

	if (write(c->cmd.release, "x", 1) != 1) {
		err("starting %s: %s", c->o.cmd[0], strerror(errno));
		return EXIT_FAILURE_ET;
	}
	close(c->cmd.release);
	c->cmd.release = -1;
	/* EOF: the exec closed the pipe; or the errno of a failed exec */
	do
		n = read(c->cmd.exec_err, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n != sizeof(e))
		return 0;
	if (e == ENOENT)
		err("%s: command not found", c->o.cmd[0]);
	else
		err("%s: cannot run: %s", c->o.cmd[0], strerror(e));
	reap_command(c, 0);
	return e == ENOENT ? EXIT_NO_PROCESS : EXIT_UNKNOWN;
}

/* A child exittrace does not go on with: never left held. */
static void abandon_command(struct cli *c)
{
	if (c->cmd.release < 0)
		return;
	/* still held: closing the pipe makes it exit at once */
	close(c->cmd.release);
	c->cmd.release = -1;
	reap_command(c, 0);
}

/* How long CMD has to end after SIGTERM, on --timeout, before SIGKILL. */
#define KILL_AFTER_MS 5000

/* On --timeout, as timeout -k 5: CMD is told to end, and made to if it
 * will not, so that its end is still reported. */
static void end_command(struct cli *c)
{
	struct pollfd pfd = { .fd = c->cmd.pidfd, .events = POLLIN };

	if (c->cmd.ended)
		return;
	syscall(SYS_pidfd_send_signal, c->cmd.pidfd, SIGTERM, NULL, 0);
	if (poll(&pfd, 1, KILL_AFTER_MS) == 1)
		return;
	syscall(SYS_pidfd_send_signal, c->cmd.pidfd, SIGKILL, NULL, 0);
	if (poll(&pfd, 1, KILL_AFTER_MS) != 1) {
		/* never blocked in its reaping: say so, leave it */
		c->cmd.survived = true;
		err("%s (pid %d) did not end on SIGKILL: left running", c->o.cmd[0],
		    (int)c->cmd.pid);
	}
}

/* exittrace's status in command mode: CMD's, as a shell gives it. */
static int command_status(struct cli *c, enum stop_reason why)
{
	struct et_status st;

	if (why == STOP_TIMEOUT) {
		reap_command(c, c->cmd.survived ? WNOHANG : 0);	/* see end_command() */
		return EXIT_TIMEOUT;
	}
	/* its end was reported: the zombie is there, or about to be */
	reap_command(c, c->cmd.ended ? 0 : WNOHANG);
	if (!c->cmd.reaped)
		return why == STOP_SIGNAL ? 128 + c->stop_signal : EXIT_UNKNOWN;
	status_decode(c->cmd.status, &st);
	return status_shell(&st);
}

static int exit_status(struct cli *c, enum stop_reason why)
{
	const struct pinned *last;
	struct et_status st;

	switch (why) {
	case STOP_OUTPUT:
		if (c->out.err == -EPIPE)
			return 128 + SIGPIPE;	/* quiet, as if killed by SIGPIPE */
		err("writing output: %s", strerror(-c->out.err));
		return EXIT_FAILURE_ET;
	case STOP_ERROR:
		return EXIT_FAILURE_ET;
	default:
		break;
	}
	if (c->cmd.pid)
		return command_status(c, why);
	switch (why) {
	case STOP_COUNT:
		return 0;
	case STOP_TIMEOUT:
		return c->npins ? EXIT_TIMEOUT : 0;
	case STOP_SIGNAL:
		return c->npins ? 128 + c->stop_signal : 0;
	default:
		break;
	}
	if (!c->npins)
		return 0;
	/* as a shell's wait: the status of the last PID given, or with
	 * --any of the first to end (wait -n) */
	last = why == STOP_ANY && c->first_ended ? c->first_ended : &c->pins[c->npins - 1];
	if (last->missing)
		return EXIT_NO_PROCESS;
	if (!last->ended || last->status == -1)
		return EXIT_UNKNOWN;
	status_decode(last->status, &st);
	return status_shell(&st);
}

/* -u: numbers as they are, names through the user database. */
static int resolve_users(struct cli *c)
{
	char msg[OPTS_ERR_LEN];
	struct passwd *pw;
	size_t i;

	if (!c->o.nusers)
		return 0;
	c->uids = calloc(c->o.nusers, sizeof(*c->uids));
	if (!c->uids)
		return -ENOMEM;
	for (i = 0; i < c->o.nusers; i++) {
		if (opts_parse_uid(c->o.users[i], &c->uids[i], msg, sizeof(msg)) == 0)
			continue;
		errno = 0;
		pw = getpwnam(c->o.users[i]);
		if (!pw) {
			err("user '%s': %s", c->o.users[i], errno ? strerror(errno) : "no such user");
			return -ENOENT;
		}
		c->uids[i] = pw->pw_uid;
	}
	return 0;
}

static void emit_summary(struct cli *c, struct et *h)
{
	char line[FMT_LINE_MAX];
	size_t i;

	if (!c->o.summary)
		return;
	c->sum.running = et_pending(h);
	c->sum.lost = c->lost_seen;
	c->sum.not_followed = c->not_followed_seen;
	emit(c, line, fmt_summary(line, sizeof(line), &c->sum, c->o.json));
	for (i = 0; i < c->nfailures; i++)
		emit(c, line, fmt_failure(line, sizeof(line), &c->failures[i], c->o.json, i == 0));
	if (c->o.json)
		emit(c, "]}\n", 3);
}

int main(int argc, char **argv)
{
	ET_OPTS(eo);
	struct et *h = NULL;
	enum stop_reason why;
	char msg[OPTS_ERR_LEN] = "out of memory";
	int sfd = -1, tfd = -1, ep = -1, ret = EXIT_FAILURE_ET;
	struct cli *c;
	sigset_t mask, oldmask;
	int out_fd = -1;
	bool stdout_closed = false;
	const char *btf;
	size_t i;

	/* a closed standard fd would be taken by the next open() (a BPF map,
	 * a pidfd) and written to: hold it with /dev/null; no stdout is said
	 * below when the reports go there */
	for (i = 0; i < 3; i++) {
		if (fcntl((int)i, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (i == STDOUT_FILENO)
			stdout_closed = true;
		if (open("/dev/null", O_RDWR) != (int)i)
			return EXIT_FAILURE_ET;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		err("out of memory");
		return EXIT_FAILURE_ET;
	}
	c->cmd.pidfd = c->cmd.release = c->cmd.exec_err = -1;
	output_init(&c->out, STDOUT_FILENO);
	if (opts_parse(&c->o, argc, argv, read_pid_max(), msg, sizeof(msg))) {
		err("%s (see --help)", msg);
		goto cleanup;
	}
	if (c->o.help) {
		fputs(opts_usage, stdout);
		ret = fflush(stdout) ? EXIT_FAILURE_ET : 0;
		goto cleanup;
	}
	if (c->o.version) {
		printf("exittrace %s\n", EXITTRACE_VERSION);
		ret = fflush(stdout) ? EXIT_FAILURE_ET : 0;
		goto cleanup;
	}

	if ((c->o.npids || c->o.cmd) && !in_initial_pidns()) {
		err("%s: run exittrace in the initial PID namespace",
		    c->o.cmd ? "command mode follows host PIDs" : "-p takes host PIDs");
		goto cleanup;
	}
	if (resolve_users(c))
		goto cleanup;
	if (ctr_filters_resolve(&c->ctr, &c->o, msg, sizeof(msg))) {
		err("%s", msg);
		goto cleanup;
	}
	if (c->o.output) {
		out_fd = open(c->o.output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0644);
		if (out_fd < 0) {
			err("output file '%s': %s", c->o.output, strerror(errno));
			goto cleanup;
		}
		output_init(&c->out, out_fd);
	} else if (c->o.cmd) {
		/* CMD's stdout stays its own, for pipes */
		output_init(&c->out, STDERR_FILENO);
	} else if (stdout_closed) {
		err("writing output: standard output is closed");
		goto cleanup;
	}
	/* one pidfd per target: let -p take as many as the hard limit allows */
	raise_nofile((rlim_t)c->o.npids + 64);
	if (c->o.npids) {
		int r = pin_targets(c);

		if (r == -ESRCH)
			ret = EXIT_NO_PROCESS;
		if (r)
			goto cleanup;
	}
	/* (EXITTRACE_TEST_BTF: tests point the check elsewhere) */
	btf = getenv("EXITTRACE_TEST_BTF") ? getenv("EXITTRACE_TEST_BTF") : BTF_PATH;
	if (access(btf, R_OK)) {
		err("kernel BTF not found at %s: this kernel was built without "
		    "CONFIG_DEBUG_INFO_BTF", btf);
		goto cleanup;
	}
	if (check_privileges(c->o.npids > 0))
		goto cleanup;
	if (setup_signals(&mask, &oldmask)) {
		err("blocking signals: %s", strerror(errno));
		goto cleanup;
	}
	/* before et_open(): CMD must not inherit ET_OPEN_SHORT_SLICE's slice */
	if (c->o.cmd) {
		int r = spawn_command(c, &oldmask);

		if (r) {
			err("starting %s: %s", c->o.cmd[0], strerror(-r));
			goto cleanup;
		}
	}

	eo.flags = (c->npins || c->cmd.pid ? 0 : ET_OPEN_HOST) |
		   (c->o.threads ? ET_OPEN_THREADS : 0) | (c->o.failed ? ET_OPEN_FAILED : 0) |
		   (c->o.follow || c->cmd.pid ? ET_OPEN_FOLLOW : 0) | ET_OPEN_WHY |
		   (c->o.realtime ? 0 : ET_OPEN_STORM_BATCH | ET_OPEN_SHORT_SLICE) |
		   (c->o.rusage || c->o.json ? ET_OPEN_RUSAGE : 0) |
		   (c->ctr.have_v2 ? ET_OPEN_CGROUPS : 0);
	eo.cgroups = c->o.cgroups;
	eo.ncgroups = (unsigned int)c->o.ncgroups;
	eo.containers = (const char *const *)c->ctr.containers;
	eo.ncontainers = (unsigned int)c->ctr.ncontainers;
	eo.pidns = c->ctr.pidns;
	eo.npidns = (unsigned int)c->ctr.npidns;
	eo.comms = c->o.comms;
	eo.ncomms = (unsigned int)c->o.ncomms;
	eo.uids = c->uids;
	eo.nuids = (unsigned int)c->o.nusers;
	eo.ringbuf_kib = c->o.ringbuf_kib;
	/* the map is preallocated: room for the PIDs given, not the library's
	 * 65536, unless asked for */
	eo.max_targets = c->o.max_targets;
	if (!eo.max_targets && eo.flags & ET_OPEN_FOLLOW)
		eo.max_targets = 65536;		/* a tree: room for a big build */
	if (!eo.max_targets)
		eo.max_targets = c->npins * 2 > 64 ? (unsigned int)c->npins * 2 : 64;
	if (c->npins > eo.max_targets)
		eo.max_targets = (unsigned int)c->npins;
	eo.verbose = c->o.verbose;
	eo.wake_us = c->o.coalesce_us;
	eo.attach = c->o.attach;
	h = c->h = et_open(&eo);
	if (!h && errno == ENOSYS) {
		err("this kernel has no BPF ring buffer (Linux 5.8 or later has)");
		goto cleanup;
	}
	if (!h) {
		err("loading the BPF program: %s%s", strerror(errno),
		    c->o.verbose ? "" : " (-v shows libbpf's diagnostics)");
		goto cleanup;
	}
	for (i = 0; i < c->npins; i++) {
		struct pinned *p = &c->pins[i];
		int r;

		if (p->missing)
			continue;
		r = et_watch_pidfd(h, p->pidfd, p->pid);
		close(p->pidfd);
		p->pidfd = -1;
		if (r) {
			err("pid %d: watching: %s", (int)p->pid, strerror(-r));
			goto cleanup;
		}
	}
	if (c->cmd.pid) {
		int r = et_watch_pidfd(h, c->cmd.pidfd, c->cmd.pid);

		if (r) {
			err("%s: watching: %s", c->o.cmd[0], strerror(-r));
			goto cleanup;
		}
	}

	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || ep < 0 || add_fd(ep, et_fd(h), TAG_ET) || add_fd(ep, sfd, TAG_SIGNAL)) {
		err("setting up the event loop: %s", strerror(errno));
		goto cleanup;
	}
	if (c->o.timeout_ns) {
		struct itimerspec its = {
			.it_value.tv_sec = (time_t)(c->o.timeout_ns / 1000000000ULL),
			.it_value.tv_nsec = (long)(c->o.timeout_ns % 1000000000ULL),
		};

		tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
		if (tfd < 0 || timerfd_settime(tfd, 0, &its, NULL) || add_fd(ep, tfd, TAG_TIMER)) {
			err("setting up the timeout: %s", strerror(errno));
			goto cleanup;
		}
	}

	/* --realtime: the wakeup for an exit preempts whatever runs on that
	 * CPU (a process tearing down its memory, say) instead of waiting for
	 * it; and in storms too, since a load that keeps every CPU busy can
	 * leave any other policy without a CPU for long enough to fill the
	 * ring. (What runs without it: ET_OPEN_SHORT_SLICE, which does much
	 * of the first, and ET_OPEN_STORM_BATCH; nothing unprivileged does
	 * the second.) */
	if (c->o.realtime) {
		struct sched_param sp = { .sched_priority = 1 };

		if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
			err("--realtime: cannot run as SCHED_FIFO: %s (it takes CAP_SYS_NICE "
			    "or RLIMIT_RTPRIO, and real-time time in this cgroup)",
			    strerror(errno));
			goto cleanup;
		}
	}
	{
		int r = drop_capabilities(c->cmd.pid > 0);

		if (r) {
			err("dropping capabilities: %s", strerror(-r));
			goto cleanup;
		}
	}
	c->fmt.boot_to_real_ns = boot_to_real_ns();
	c->fmt.threads = c->o.threads;
	c->fmt.rusage = c->o.rusage;
	c->fmt.containers = c->o.ncontainers || c->o.ncgroups || c->o.npidns;
	if (c->ctr.notice[0])
		err("%s", c->ctr.notice);
	/* auto fell back to the last way in: what that costs is said */
	if (et_attached(h) == ET_ATTACH_TRACEPOINT && c->o.attach != ET_ATTACH_TRACEPOINT)
		err("raw_tp and tp_btf failed: attached to the classic tracepoint, which "
		    "reports exits only (no senders of signals; -v says why)");
	emit_start(c);
	/* attached: say so now, before the first read (which reads the
	 * cgroup tree first) */
	output_flush(&c->out);
	if (c->cmd.pid) {
		/* the timeout counts from here: CMD runs from now on */
		int r = release_command(c);

		if (r) {
			ret = r;
			goto cleanup;
		}
	}
	why = run(c, h, sfd, tfd, ep);
	/* -n's last exit was the last target's: as if they all ended */
	if (why == STOP_COUNT && c->npins && pins_ended(c))
		why = STOP_DONE;
	if (why == STOP_SIGNAL || why == STOP_TIMEOUT) {
		enum stop_reason late = RUNNING;
		bool forced = why == STOP_TIMEOUT && c->cmd.pid && !c->cmd.ended;

		if (forced)
			end_command(c);
		drain(c, h, &late);	/* what is already in the ring buffer still counts */
		/* the timer or a signal came with the last target's end */
		if ((c->npins || c->cmd.pid) && !et_pending(h) && !forced)
			why = STOP_DONE;
	}
	emit_summary(c, h);
	emit_end(c, why);
	if (why != STOP_OUTPUT && output_flush(&c->out))
		why = STOP_OUTPUT;
	ret = exit_status(c, why);
cleanup:
	abandon_command(c);
	et_close(h);
	if (sfd >= 0)
		close(sfd);
	if (tfd >= 0)
		close(tfd);
	if (ep >= 0)
		close(ep);
	if (c->pins)
		for (i = 0; i < c->npins; i++)
			if (c->pins[i].pidfd >= 0)
				close(c->pins[i].pidfd);
	free(c->pins);
	if (c->cmd.pidfd >= 0)
		close(c->cmd.pidfd);
	if (c->cmd.exec_err >= 0)
		close(c->cmd.exec_err);
	if (out_fd >= 0)
		close(out_fd);
	free(c->uids);
	free(c->failures);
	ctr_filters_free(&c->ctr);
	opts_free(&c->o);
	free(c);
	return ret;
}
