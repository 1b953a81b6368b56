// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Containers, with a real OCI runtime: Debian's runc runs busybox-static
 * containers whose cgroupsPath is /docker/<64 hex>, as docker's cgroupfs
 * driver makes them. Each container is made with "runc create" (its init's
 * host PID is then known), started, and reaped by this test, a subreaper,
 * so that every reported status is compared with waitpid()'s. Also: the
 * --cgroup subtree filter on cgroups made here, and PID namespaces made
 * with unshare --pid --fork.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

#define BUSYBOX "/bin/busybox"
#define SEGV_HELPER build_path("tests/integration/ctr-segv")

/* Container ids of this run (another run at once has others): A and C
 * share their first 9 digits, B starts differently. */
static char ID_A[65], ID_B[65], ID_C[65];
static char PREFIX_AC[10];	/* A's and C's first 9 digits, upper case */

static char tmp[256];	/* everything of this run, removed at the end */
static char v2[512];	/* the cgroup v2 mount */
static bool have_runtime;
static bool docker_existed;	/* a /docker cgroup was there before the tests */
static char top[600];		/* test_cgroup_subtree's cgroups, under v2 */

/* ---- set-up ---- */

static bool runtime_present(void)
{
	return !access("/usr/sbin/runc", X_OK) || !access("/usr/bin/runc", X_OK);
}

/* Each cgroup mount (v1 and v2; from mountinfo, never a fixed path):
 * fn(mount point, whether it is v2). */
static void each_cgroup_mount(void (*fn)(const char *mnt, bool is_v2))
{
	char line[4096], mnt[512], fstype[64];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *sep;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || sscanf(sep, " - %63s", fstype) != 1 || strncmp(fstype, "cgroup", 6))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1)
			fn(mnt, !strcmp(fstype, "cgroup2"));
	}
	fclose(f);
}

static void note_v2(const char *mnt, bool is_v2)
{
	if (is_v2 && !v2[0])
		snprintf(v2, sizeof(v2), "%s", mnt);
}

static bool find_v2(void)
{
	each_cgroup_mount(note_v2);
	return v2[0] != 0;
}

/* runc leaves the parent of the cgroups it made, in each hierarchy */
static void remove_docker(const char *mnt, bool is_v2)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/docker", mnt);
	rmdir(path);	/* only if empty: anything in it is not ours */
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n = fd < 0 ? -1 : write(fd, text, strlen(text));

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)strlen(text))
		fail_msg("writing %s: %s", path, strerror(errno));
}

static bool read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* Run argv (stdio to a log in tmp), bounded; its wait status. */
static int do_exec(void *arg)
{
	char *const *argv = arg;
	char log[PATH_MAX + 8];
	int fd;

	snprintf(log, sizeof(log), "%s/log", tmp);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		dup2(fd, 0);
	execvp(argv[0], argv);
	return 127;
}

static int run(const char *const argv[])
{
	struct child ch;

	child_spawn_now(&ch, do_exec, (void *)argv);
	return child_wait(&ch, true);
}

static int runc(const char *verb, const char *a1, const char *a2, const char *a3,
		const char *a4, const char *a5)
{
	char root[PATH_MAX + 8];
	const char *argv[] = { "runc", "--root", root, verb, a1, a2, a3, a4, a5, NULL };

	snprintf(root, sizeof(root), "%s/state", tmp);
	return run(argv);
}

static void make_ids(void)
{
	static const char fill[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
	unsigned int run = (unsigned int)getpid() * 2654435761U ^ (unsigned int)time(NULL);
	int i;

	snprintf(ID_A, sizeof(ID_A), "a%08x0%.54s", run, fill);
	snprintf(ID_C, sizeof(ID_C), "a%08x1%.54s", run, fill);
	snprintf(ID_B, sizeof(ID_B), "b%08x0%.54s", run, fill);
	for (i = 0; i < 9; i++)
		PREFIX_AC[i] = (char)toupper((unsigned char)ID_A[i]);
}

static int setup(void **state)
{
	char rootfs[PATH_MAX + 16], path[PATH_MAX + 64];
	const char *applets[] = { "sh", "sleep", "cat", "echo", "kill", "readlink", NULL };
	int i;

	make_ids();
	if (geteuid() != 0 || !find_v2())
		return 0;	/* each test says why it skips */
	have_runtime = runtime_present() && !access(BUSYBOX, X_OK) && !access(SEGV_HELPER, X_OK);
	snprintf(path, sizeof(path), "%s/docker", v2);
	docker_existed = !access(path, F_OK);
	snprintf(tmp, sizeof(tmp), "/tmp/et-ctr-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	/* a read-only busybox root file system, shared by every container */
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", tmp);
	const char *dirs[] = { "", "/bin", "/proc", "/dev", "/sys", "/tmp", "/out", NULL };
	for (i = 0; dirs[i]; i++) {
		snprintf(path, sizeof(path), "%s%s", rootfs, dirs[i]);
		if (mkdir(path, 0755))
			return -1;
	}
	if (have_runtime) {
		const char *cp[] = { "cp", BUSYBOX, SEGV_HELPER, NULL, NULL };

		snprintf(path, sizeof(path), "%s/bin/", rootfs);
		cp[3] = path;
		if (run(cp) != 0)
			return -1;
		for (i = 0; applets[i]; i++) {
			snprintf(path, sizeof(path), "%s/bin/%s", rootfs, applets[i]);
			if (symlink("busybox", path))
				return -1;
		}
	}
	/* the containers' inits are re-parented here, to be reaped */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	return 0;
}

/* rmdir a cgroup and every cgroup below it (their files go with them). */
static void rmdir_tree(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *d;
	DIR *dir = opendir(path);

	if (!dir)
		return;
	while ((d = readdir(dir)))
		if (d->d_type == DT_DIR && d->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path, d->d_name);
			rmdir_tree(sub);
		}
	closedir(dir);
	rmdir(path);
}

static void remove_subtree(void)
{
	rmdir_tree(top);
}

static int teardown(void **state)
{
	const char *argv[] = { "rm", "-rf", tmp, NULL };

	if (tmp[0])
		run(argv);
	if (v2[0] && !docker_existed)
		each_cgroup_mount(remove_docker);
	if (top[0])
		remove_subtree();
	return 0;
}

static void require_runtime(void)
{
	require_bpf();
	if (!v2[0] || !have_runtime) {
		const char *why = !v2[0] ? "no cgroup v2 mounted" :
				  "runc, busybox-static or the segv helper missing (scripts/deps.sh)";

		if (getenv("CI") && strcmp(getenv("CI"), "true") == 0)
			fail_msg("container tests cannot run (%s), and under CI they must", why);
		fprintf(stderr, "SKIP: container test: %s\n", why);
		skip();
	}
}

/* ---- what a failed test leaves behind: cleaned up after each test ---- */

static struct tracer *live_tracer;
static struct ctr *live_ctrs[8];

static void spawn_tracer(struct tracer *tr, const char *const argv[], const char *env)
{
	tracer_spawn_env(tr, argv, env, -1);
	live_tracer = tr;
}

/* Stop the tracer and know it stopped: its SIGCHLD, bounded. */
static void stop_tracer(struct tracer *tr)
{
	struct timespec left = { .tv_sec = T_TIMEOUT_MS / 1000 };
	sigset_t chld, old;
	siginfo_t si;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	kill(tr->pid, SIGSTOP);
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (!waitid(P_PID, (id_t)tr->pid, &si, WSTOPPED | WNOHANG | WNOWAIT) &&
		    si.si_pid == tr->pid)
			break;
		if (sigtimedwait(&chld, NULL, &left) < 0 && errno == EAGAIN)
			fail_msg("exittrace did not stop within %d ms", T_TIMEOUT_MS);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---- one container ---- */

struct ctr {
	char name[32];
	const char *id;
	char bundle[PATH_MAX];
	char out[PATH_MAX + 8];	/* bind-mounted at /out, writable */
	pid_t pid;		/* its init's host PID */
	int pidfd;
	unsigned int pidns;	/* its PID namespace's inode */
};

static json_object *jstr(const char *s)
{
	return json_object_new_string(s);
}

/* runc spec's config, made to run script in sh as init, in cgroup
 * /docker/<id>, read-only on the shared root, /out writable, no cores. */
static void write_config(struct ctr *c, const char *script)
{
	char cfg[PATH_MAX + 16], cg[128], rootfs[PATH_MAX + 16];
	json_object *o, *proc, *args, *root, *linux_, *mounts, *m, *opts, *rl, *r;

	snprintf(cfg, sizeof(cfg), "%s/config.json", c->bundle);
	o = json_object_from_file(cfg);
	if (!o || !json_object_object_get_ex(o, "process", &proc) ||
	    !json_object_object_get_ex(o, "linux", &linux_) ||
	    !json_object_object_get_ex(o, "mounts", &mounts))
		fail_msg("runc spec wrote no usable %s", cfg);
	json_object_object_add(proc, "terminal", json_object_new_boolean(0));
	args = json_object_new_array();
	json_object_array_add(args, jstr("/bin/sh"));
	json_object_array_add(args, jstr("-c"));
	json_object_array_add(args, jstr(script));
	json_object_object_add(proc, "args", args);
	rl = json_object_new_array();
	r = json_object_new_object();
	json_object_object_add(r, "type", jstr("RLIMIT_CORE"));
	json_object_object_add(r, "hard", json_object_new_int(0));
	json_object_object_add(r, "soft", json_object_new_int(0));
	json_object_array_add(rl, r);
	json_object_object_add(proc, "rlimits", rl);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", tmp);
	root = json_object_new_object();
	json_object_object_add(root, "path", jstr(rootfs));
	json_object_object_add(root, "readonly", json_object_new_boolean(1));
	json_object_object_add(o, "root", root);
	snprintf(cg, sizeof(cg), "/docker/%s", c->id);
	json_object_object_add(linux_, "cgroupsPath", jstr(cg));
	m = json_object_new_object();
	json_object_object_add(m, "destination", jstr("/out"));
	json_object_object_add(m, "type", jstr("bind"));
	json_object_object_add(m, "source", jstr(c->out));
	opts = json_object_new_array();
	json_object_array_add(opts, jstr("rbind"));
	json_object_array_add(opts, jstr("rw"));
	json_object_object_add(m, "options", opts);
	json_object_array_add(mounts, m);
	if (json_object_to_file(cfg, o))
		fail_msg("writing %s", cfg);
	json_object_put(o);
}

static void ctr_delete(struct ctr *c);

/* Make the container (runc create): its init exists, held until start. */
static void ctr_create(struct ctr *c, const char *name, const char *id, const char *script)
{
	char pidfile[PATH_MAX + 16], buf[64], nslink[64];
	const char *spec[] = { "runc", "spec", "--bundle", c->bundle, NULL };
	struct stat st;
	int i;

	memset(c, 0, sizeof(*c));
	c->pidfd = -1;
	snprintf(c->name, sizeof(c->name), "%s-%d", name, (int)getpid());
	c->id = id;
	snprintf(c->bundle, sizeof(c->bundle), "%s/%s", tmp, c->name);
	snprintf(c->out, sizeof(c->out), "%s/out", c->bundle);
	if (mkdir(c->bundle, 0755) || mkdir(c->out, 0755))
		fail_msg("mkdir %s: %s", c->bundle, strerror(errno));
	assert_int_equal(run(spec), 0);
	write_config(c, script);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", c->bundle);
	for (i = 0; i < 8 && live_ctrs[i]; i++)
		;
	if (i < 8)
		live_ctrs[i] = c;
	if (runc("create", "--bundle", c->bundle, "--pid-file", pidfile, c->name) != 0)
		fail_msg("runc create %s failed (see %s/log)", c->name, tmp);
	if (!read_text(pidfile, buf, sizeof(buf)))
		fail_msg("no pid file from runc create");
	c->pid = (pid_t)atoi(buf);
	c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	if (c->pidfd < 0)
		fail_msg("pidfd_open(%d): %s", (int)c->pid, strerror(errno));
	snprintf(nslink, sizeof(nslink), "/proc/%d/ns/pid", (int)c->pid);
	if (stat(nslink, &st))
		fail_msg("%s: %s", nslink, strerror(errno));
	c->pidns = (unsigned int)st.st_ino;
}

static void ctr_start(struct ctr *c)
{
	assert_int_equal(runc("start", c->name, NULL, NULL, NULL, NULL), 0);
}

/* Reap its init (re-parented to us), bounded: the wait status. */
static int ctr_wait(struct ctr *c)
{
	struct pollfd pfd = { .fd = c->pidfd, .events = POLLIN };
	int st;

	if (poll(&pfd, 1, T_TIMEOUT_MS) != 1) {
		kill(c->pid, SIGKILL);
		fail_msg("container %s did not end within %d ms", c->name, T_TIMEOUT_MS);
	}
	if (waitpid(c->pid, &st, 0) != c->pid)
		fail_msg("waitpid(%d): %s (is the test not its subreaper?)", (int)c->pid,
			 strerror(errno));
	close(c->pidfd);
	c->pidfd = -1;
	return st;
}

/* Remove it: runc deletes its cgroup. */
static void ctr_delete(struct ctr *c)
{
	int i;

	for (i = 0; i < 8; i++)
		if (live_ctrs[i] == c)
			live_ctrs[i] = NULL;
	runc("delete", "-f", c->name, NULL, NULL, NULL);
	if (c->pidfd >= 0) {
		kill(c->pid, SIGKILL);
		ctr_wait(c);
	}
}

/* A number the container wrote to /out/FILE. */
static long ctr_out(struct ctr *c, const char *file)
{
	char path[PATH_MAX + 64], buf[64];

	snprintf(path, sizeof(path), "%s/%s", c->out, file);
	if (!read_text(path, buf, sizeof(buf)))
		fail_msg("the container wrote no /out/%s", file);
	return atol(buf);
}

static void expect_container(json_object *ev, struct ctr *c, pid_t pid, int nspid, int status)
{
	char cg[128];

	snprintf(cg, sizeof(cg), "/docker/%s", c->id);
	assert_int_equal(j_int(ev, "pid"), pid);
	assert_int_equal(j_int(ev, "nspid"), nspid);
	assert_int_equal(j_int(ev, "pidns"), c->pidns);
	assert_int_equal(j_int(ev, "status"), status);
	assert_string_equal(j_str(ev, "container_id"), c->id);
	assert_string_equal(j_str(ev, "cgroup"), cg);
	assert_true(j_int(ev, "cgroup_id") > 1);
}

/* ---- tests ---- */

/* -p takes the init's host PID; the record has it and nspid 1. */
static void test_exit_7_by_host_pid(void **state)
{
	struct tracer tr;
	struct ctr c;
	json_object *ev;
	char p[16];
	int ws;

	require_runtime();
	ctr_create(&c, "exit7", ID_A, "exit 7");
	snprintf(p, sizeof(p), "%d", (int)c.pid);
	const char *argv[] = { "-j", "-p", p, NULL };
	spawn_tracer(&tr, argv, NULL);
	tracer_start_wait(&tr);
	ctr_start(&c);
	ws = ctr_wait(&c);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 7);
	ev = tracer_event(&tr, "exit", c.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	expect_container(ev, &c, c.pid, 1, ws);
	json_object_put(ev);
	assert_int_equal(WEXITSTATUS(tracer_wait(&tr, T_TIMEOUT_MS)), 7);
	tracer_close(&tr);
	ctr_delete(&c);
}

/* SIGKILL from the host: killed, and by whom. */
static void test_sigkill(void **state)
{
	struct tracer tr;
	struct ctr c;
	json_object *ev, *k;
	int ws;

	require_runtime();
	ctr_create(&c, "kill", ID_B, "exec sleep 100");
	const char *argv[] = { "-j", "--container", ID_B, NULL };
	spawn_tracer(&tr, argv, NULL);
	tracer_start_wait(&tr);
	ctr_start(&c);
	kill(c.pid, SIGKILL);
	ws = ctr_wait(&c);
	assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	ev = tracer_event(&tr, "exit", c.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	expect_container(ev, &c, c.pid, 1, ws);
	assert_string_equal(j_str(ev, "signal_origin"), "user");
	assert_true(json_object_object_get_ex(ev, "killer", &k));
	assert_int_equal(j_int(k, "pid"), getpid());
	json_object_put(ev);
	tracer_close(&tr);
	ctr_delete(&c);
}

/* The init's child segfaults: its own record, its own nspid; the init,
 * a shell, says what it saw. */
static void test_child_segfault(void **state)
{
	struct tracer tr;
	struct ctr c;
	json_object *ev;
	long nspid;
	int ws;

	require_runtime();
	ctr_create(&c, "segv", ID_C, "/bin/ctr-segv & echo $! > /out/child; wait $!; exit $?");
	const char *argv[] = { "-j", "--container", ID_C, NULL };
	spawn_tracer(&tr, argv, NULL);
	tracer_start_wait(&tr);
	ctr_start(&c);
	ws = ctr_wait(&c);
	/* the shell's $?: 128 + the signal */
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 128 + SIGSEGV);
	nspid = ctr_out(&c, "child");
	assert_true(nspid > 1);
	/* the child's record comes first: it ended first */
	for (;;) {
		ev = tracer_event(&tr, "exit", 0, T_TIMEOUT_MS);
		assert_non_null(ev);
		if (j_int(ev, "nspid") == nspid)
			break;
		json_object_put(ev);
	}
	assert_int_equal(j_int(ev, "ppid"), c.pid);
	assert_int_not_equal(j_int(ev, "pid"), nspid);
	/* no core (RLIMIT_CORE 0): the bare signal, as the shell saw it */
	expect_container(ev, &c, (pid_t)j_int(ev, "pid"), (int)nspid, SIGSEGV);
	assert_string_equal(j_str(ev, "signal_origin"), "kernel");
	json_object_put(ev);
	ev = tracer_event(&tr, "exit", c.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	expect_container(ev, &c, c.pid, 1, ws);
	json_object_put(ev);
	tracer_close(&tr);
	ctr_delete(&c);
}

/* A container run to its end and removed (its cgroup too) between two
 * reads of the tracer: the records name the container all the same. */
static void gone_before_read(bool created_before_tracing)
{
	struct tracer tr;
	struct ctr c;
	json_object *ev;
	int ws;

	require_runtime();
	const char *argv[] = { "-j", "--container", ID_A, NULL };
	if (created_before_tracing)
		ctr_create(&c, "gone-old", ID_A, "exit 3");
	spawn_tracer(&tr, argv, NULL);
	tracer_start_wait(&tr);
	/* the tracer reads nothing from here until its cgroup is gone */
	stop_tracer(&tr);
	if (!created_before_tracing)
		ctr_create(&c, "gone-new", ID_A, "exit 3");
	ctr_start(&c);
	ws = ctr_wait(&c);
	ctr_delete(&c);
	kill(tr.pid, SIGCONT);
	ev = tracer_event(&tr, "exit", c.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	expect_container(ev, &c, c.pid, 1, ws);
	json_object_put(ev);
	tracer_close(&tr);
}

/* a cgroup made while tracing: known from the kernel's mkdir record */
static void test_cgroup_made_while_tracing_then_gone(void **state)
{
	gone_before_read(false);
}

/* a cgroup made before: known from the walk at start */
static void test_cgroup_made_before_tracing_then_gone(void **state)
{
	gone_before_read(true);
}

/* --container with a prefix: exactly that container's records, none of
 * another's, none of the host's. */
static void test_container_prefix_selects_exactly(void **state)
{
	struct tracer tr;
	struct ctr a, b;
	json_object *ev;
	bool seen_a = false;
	int wa, wb;

	require_runtime();
	const char *argv[] = { "-j", "--container", PREFIX_AC, NULL };
	spawn_tracer(&tr, argv, NULL);
	tracer_start_wait(&tr);
	/* b first: had it been reported, it would come before a's end */
	ctr_create(&b, "other", ID_B, "exit 5");
	ctr_start(&b);
	wb = ctr_wait(&b);
	assert_int_equal(WEXITSTATUS(wb), 5);
	ctr_create(&a, "mine", ID_A, "sh -c 'exit 4'; exit 6");
	ctr_start(&a);
	wa = ctr_wait(&a);
	assert_int_equal(WEXITSTATUS(wa), 6);
	while (!seen_a) {
		ev = tracer_event(&tr, "exit", 0, T_TIMEOUT_MS);
		assert_non_null(ev);
		/* runc's own set-up processes in the container's cgroup are
		 * the container's too; nothing else may show */
		assert_false(j_is_null(ev, "container_id"));
		assert_string_equal(j_str(ev, "container_id"), ID_A);
		assert_int_not_equal(j_int(ev, "pid"), b.pid);
		if (j_int(ev, "pid") == a.pid) {
			expect_container(ev, &a, a.pid, 1, wa);
			seen_a = true;
		}
		json_object_put(ev);
	}
	tracer_close(&tr);
	ctr_delete(&a);
	ctr_delete(&b);
}

/* A prefix two running containers share is refused, as docker does; one
 * that names a single running container is taken as its whole id. */
static void test_container_prefix_ambiguous(void **state)
{
	struct tracer tr;
	struct ctr a, c;
	json_object *ev;
	int ws;

	require_runtime();
	ctr_create(&a, "amb1", ID_A, "exit 0");
	ctr_create(&c, "amb2", ID_C, "exit 0");
	char shared[16], unique[16], msg[64];

	snprintf(shared, sizeof(shared), "%.9s", ID_A);
	snprintf(unique, sizeof(unique), "%.10s", ID_A);
	snprintf(msg, sizeof(msg), "container '%s' is ambiguous: 2 running", shared);
	const char *argv[] = { "-j", "--container", shared, NULL };
	spawn_tracer(&tr, argv, NULL);
	ws = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 125);
	assert_non_null(strstr(tracer_stderr(&tr), msg));
	tracer_close(&tr);
	const char *argv2[] = { "-j", "--container", unique, NULL };
	spawn_tracer(&tr, argv2, NULL);
	tracer_start_wait(&tr);
	ctr_start(&a);
	ws = ctr_wait(&a);
	ev = tracer_event(&tr, "exit", a.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	expect_container(ev, &a, a.pid, 1, ws);
	json_object_put(ev);
	tracer_close(&tr);
	ctr_delete(&a);
	ctr_delete(&c);
}

/* ---- --cgroup, on cgroups made here (no runtime needed) ---- */

struct in_cgroup {
	const char *dir;
	int code;
};

static int do_exit_code(void *arg)
{
	return ((struct in_cgroup *)arg)->code;
}

/* A held child, moved into a cgroup before it is released. */
static void spawn_in(struct child *ch, struct in_cgroup *ic)
{
	char path[PATH_MAX + 32], pid[16];

	child_spawn(ch, do_exit_code, ic);
	snprintf(path, sizeof(path), "%s/cgroup.procs", ic->dir);
	snprintf(pid, sizeof(pid), "%d", (int)ch->pid);
	write_text(path, pid);
}

/* --cgroup through either way in (raw_tp, the default, and tp_btf) */
static void cgroup_subtree(const char *attach)
{
	char a[PATH_MAX + 8], ab[PATH_MAX + 16], c[PATH_MAX + 8], rel[PATH_MAX];
	struct in_cgroup in[4] = { { top, 14 }, { c, 13 }, { a, 11 }, { ab, 12 } };
	struct child ch[4];
	struct tracer tr;
	json_object *ev;
	bool seen11 = false, seen12 = false;
	int i, code;

	require_bpf();
	if (!v2[0])
		skip();
	snprintf(top, sizeof(top), "%s/exittrace-test-%d", v2, (int)getpid());
	snprintf(a, sizeof(a), "%s/a", top);
	snprintf(ab, sizeof(ab), "%s/b", a);
	snprintf(c, sizeof(c), "%s/c", top);
	if (mkdir(top, 0755) || mkdir(a, 0755) || mkdir(ab, 0755) || mkdir(c, 0755))
		fail_msg("making cgroups under %s: %s", v2, strerror(errno));
	/* a path in the hierarchy as well as a directory */
	snprintf(rel, sizeof(rel), "/exittrace-test-%d/a", (int)getpid());
	const char *argv[] = { "-j", "--attach", attach, "--cgroup", rel, NULL };
	spawn_tracer(&tr, argv, NULL);
	tracer_start_wait(&tr);
	/* outside the subtree first: had they been reported, before the rest */
	for (i = 0; i < 4; i++) {
		spawn_in(&ch[i], &in[i]);
		child_go(&ch[i]);
		assert_int_equal(WEXITSTATUS(child_wait(&ch[i], true)), in[i].code);
	}
	while (!seen11 || !seen12) {
		ev = tracer_event(&tr, "exit", 0, T_TIMEOUT_MS);
		assert_non_null(ev);
		code = (int)j_int(ev, "exit_code");
		assert_true(code == 11 || code == 12);
		if (code == 11) {
			assert_int_equal(j_int(ev, "pid"), ch[2].pid);
			snprintf(rel, sizeof(rel), "/exittrace-test-%d/a", (int)getpid());
			seen11 = true;
		} else {
			assert_int_equal(j_int(ev, "pid"), ch[3].pid);
			snprintf(rel, sizeof(rel), "/exittrace-test-%d/a/b", (int)getpid());
			seen12 = true;
		}
		assert_string_equal(j_str(ev, "cgroup"), rel);
		assert_true(j_is_null(ev, "container_id"));
		assert_int_equal(j_int(ev, "nspid"), j_int(ev, "pid"));	/* our namespace */
		json_object_put(ev);
	}
	tracer_close(&tr);
	remove_subtree();
}

static void test_cgroup_subtree(void **state)
{
	cgroup_subtree("raw_tp");
}

static void test_cgroup_subtree_tp_btf(void **state)
{
	cgroup_subtree("tp_btf");
}

/*
 * exittrace in a cgroup namespace, as in a container with its own (docker's
 * default on cgroup v2): rooted at NS, a cgroup v2 mounted inside. Paths
 * are the namespace's, cgroups made while tracing included (the kernel
 * gives those from the hierarchy's root), and --cgroup picks the subtree
 * the namespace calls /sub.
 */
static void test_cgroup_namespace(void **state)
{
	char ns[PATH_MAX], sub[PATH_MAX + 8], fresh[PATH_MAX + 16], wrapper[PATH_MAX + 16];
	char script[4 * PATH_MAX], et[PATH_MAX];
	struct in_cgroup in[3] = { { ns, 8 }, { fresh, 7 }, { sub, 9 } };
	const char *bin = getenv("EXITTRACE"), *saved;
	struct child ch[3];
	struct tracer tr;
	json_object *ev;
	bool seen7 = false, seen9 = false;
	int i, code;

	require_bpf();
	if (!v2[0])
		skip();
	if (!realpath(bin ? bin : build_path("exittrace"), et))
		fail_msg("no exittrace binary");
	snprintf(top, sizeof(top), "%s/exittrace-ns-%d", v2, (int)getpid());
	snprintf(ns, sizeof(ns), "%s", top);
	snprintf(sub, sizeof(sub), "%s/a", ns);
	snprintf(fresh, sizeof(fresh), "%s/b", sub);
	if (mkdir(ns, 0755) || mkdir(sub, 0755))
		fail_msg("making cgroups under %s: %s", v2, strerror(errno));
	snprintf(wrapper, sizeof(wrapper), "%s/in-cgroupns", tmp);
	snprintf(script, sizeof(script),
		 "#!/bin/sh\n"
		 "echo $$ > %s/cgroup.procs || exit 97\n"
		 "exec unshare --cgroup --mount sh -c "
		 "'umount %s; mount -t cgroup2 none %s && exec %s \"$@\"' sh \"$@\"\n",
		 ns, v2, v2, et);
	write_text(wrapper, script);
	chmod(wrapper, 0755);
	saved = bin;
	setenv("EXITTRACE", wrapper, 1);
	const char *argv[] = { "-j", "--cgroup", "/a", NULL };
	spawn_tracer(&tr, argv, NULL);
	if (saved)
		setenv("EXITTRACE", saved, 1);
	else
		unsetenv("EXITTRACE");
	tracer_start_wait(&tr);
	/* made while tracing: its path comes from the kernel's mkdir record */
	if (mkdir(fresh, 0755))
		fail_msg("mkdir %s: %s", fresh, strerror(errno));
	for (i = 0; i < 3; i++) {
		spawn_in(&ch[i], &in[i]);
		child_go(&ch[i]);
		assert_int_equal(WEXITSTATUS(child_wait(&ch[i], true)), in[i].code);
	}
	while (!seen7 || !seen9) {
		ev = tracer_event(&tr, "exit", 0, T_TIMEOUT_MS);
		assert_non_null(ev);
		code = (int)j_int(ev, "exit_code");
		assert_true(code == 7 || code == 9);	/* 8: outside /a */
		if (code == 7) {
			assert_int_equal(j_int(ev, "pid"), ch[1].pid);
			assert_string_equal(j_str(ev, "cgroup"), "/a/b");
			seen7 = true;
		} else {
			assert_int_equal(j_int(ev, "pid"), ch[2].pid);
			assert_string_equal(j_str(ev, "cgroup"), "/a");
			seen9 = true;
		}
		json_object_put(ev);
	}
	tracer_close(&tr);
	remove_subtree();
}

static void test_cgroup_errors(void **state)
{
	struct tracer tr;
	int ws;

	require_bpf();
	/* the root: everything */
	struct in_cgroup in = { NULL, 33 };
	struct child ch;
	json_object *ev;
	const char *argv0[] = { "-j", "--cgroup", "/", NULL };
	spawn_tracer(&tr, argv0, NULL);
	tracer_start_wait(&tr);
	child_spawn(&ch, do_exit_code, &in);
	child_go(&ch);
	assert_int_equal(WEXITSTATUS(child_wait(&ch, true)), 33);
	ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	json_object_put(ev);
	tracer_close(&tr);
	const char *argv[] = { "--cgroup", "/no/such/cgroup-here", NULL };
	spawn_tracer(&tr, argv, NULL);
	ws = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(ws), 125);
	assert_non_null(strstr(tracer_stderr(&tr), "cgroup '/no/such/cgroup-here': no such cgroup"));
	tracer_close(&tr);
	/* what the user typed comes back escaped, on one line */
	const char *argv1[] = { "--cgroup", "/x\n\x1b[31m", NULL };
	spawn_tracer(&tr, argv1, NULL);
	ws = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(ws), 125);
	assert_non_null(strstr(tracer_stderr(&tr), "cgroup '/x\\x0a\\x1b[31m': no such cgroup"));
	tracer_close(&tr);
	const char *argv2[] = { "--pidns", "/proc/self/ns/net", NULL };
	spawn_tracer(&tr, argv2, NULL);
	ws = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(ws), 125);
	assert_non_null(strstr(tracer_stderr(&tr), "'/proc/self/ns/net': not a PID namespace"));
	tracer_close(&tr);
}

/* A host without cgroup v2 (a mountinfo without one, for exittrace only):
 * said once on stderr, and the records come all the same, without cgroup
 * paths; what needs v2 is refused. */
static void test_v1_only_host(void **state)
{
	char mi[PATH_MAX], env[PATH_MAX + 32];
	struct in_cgroup in = { NULL, 21 };
	struct tracer tr;
	struct child ch;
	json_object *ev;
	const char *err;
	int ws;

	require_bpf();
	snprintf(mi, sizeof(mi), "%s/mountinfo-v1", tmp);
	write_text(mi, "41 35 0:38 / /sys/fs/cgroup/memory rw,nosuid shared:11 - cgroup cgroup "
		       "rw,memory\n");
	snprintf(env, sizeof(env), "EXITTRACE_TEST_MOUNTINFO=%s", mi);
	const char *argv[] = { "-j", "-x", NULL };
	spawn_tracer(&tr, argv, env);
	tracer_start_wait(&tr);
	child_spawn(&ch, do_exit_code, &in);
	child_go(&ch);
	assert_int_equal(WEXITSTATUS(child_wait(&ch, true)), 21);
	ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_true(j_is_null(ev, "cgroup"));
	assert_true(j_is_null(ev, "container_id"));
	assert_int_equal(j_int(ev, "nspid"), ch.pid);
	json_object_put(ev);
	kill(tr.pid, SIGTERM);
	ws = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
	err = tracer_stderr(&tr);
	assert_non_null(strstr(err, "no cgroup v2 mounted: cgroup paths and container ids are unknown"));
	assert_null(strstr(strstr(err, "no cgroup v2") + 1, "no cgroup v2"));
	tracer_close(&tr);

	const char *argv2[] = { "--container", "3f2a", NULL };
	spawn_tracer(&tr, argv2, env);
	ws = tracer_wait(&tr, T_TIMEOUT_MS);
	assert_int_equal(WEXITSTATUS(ws), 125);
	assert_non_null(strstr(tracer_stderr(&tr), "--container needs cgroup v2, and none is mounted"));
	tracer_close(&tr);
}

/* New cgroups' records that find the ring buffer full are counted and
 * said, like lost exits. */
static void test_lost_cgroup_records(void **state)
{
	char dir[PATH_MAX + 300], name[256];
	struct in_cgroup in = { NULL, 0 };
	struct child ch;
	struct tracer tr;
	json_object *ev;
	int i;

	require_bpf();
	if (!v2[0])
		skip();
	snprintf(top, sizeof(top), "%s/exittrace-lost-%d", v2, (int)getpid());
	if (mkdir(top, 0755))
		fail_msg("mkdir %s: %s", top, strerror(errno));
	const char *argv[] = { "-j", "--ringbuf-size", "4", NULL };
	spawn_tracer(&tr, argv, NULL);
	tracer_start_wait(&tr);
	/* 40 records of ~270 bytes for a 4 KiB ring nobody reads */
	stop_tracer(&tr);
	memset(name, 'x', 200);
	name[200] = '\0';
	for (i = 0; i < 40; i++) {
		snprintf(dir, sizeof(dir), "%s/%s%02d", top, name, i);
		if (mkdir(dir, 0755))
			fail_msg("mkdir: %s", strerror(errno));
	}
	kill(tr.pid, SIGCONT);
	/* an exit to read after them */
	child_spawn(&ch, do_exit_code, &in);
	child_go(&ch);
	child_wait(&ch, true);
	ev = tracer_event(&tr, "lost_cgroups", 0, T_TIMEOUT_MS);
	assert_non_null(ev);
	/* at most 16 fit (other cgroups made meanwhile may be lost too) */
	assert_true(j_int(ev, "count") >= 24);
	i = (int)j_int(ev, "total");
	json_object_put(ev);
	/* and once more in all, at the end */
	kill(tr.pid, SIGTERM);
	ev = tracer_event(&tr, "end", 0, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_true(j_int(ev, "lost_cgroups") >= i);
	json_object_put(ev);
	tracer_close(&tr);
	remove_subtree();
}

/* Cgroup names are anyone's choice (a delegated subtree's owner): escape
 * sequences, quotes, backslashes, controls and invalid UTF-8 come out as a
 * valid JSON string that decodes to the name (U+FFFD for the bad byte),
 * whether the path came from the walk at start or a mkdir record. */
static void test_hostile_cgroup_names(void **state)
{
	/* (no newline: the kernel refuses one in a cgroup's name) */
	static const char evil[] = "ev\x1b[31m\"q\\\xff\t\x07";
	static const char want[] = "ev\x1b[31m\"q\\\xef\xbf\xbd\t\x07";
	char dir[2][PATH_MAX], rel[PATH_MAX];
	struct in_cgroup in[2] = { { dir[0], 41 }, { dir[1], 42 } };
	struct tracer tr;
	struct child ch;
	json_object *ev;
	int i;

	require_bpf();
	if (!v2[0])
		skip();
	snprintf(top, sizeof(top), "%s/exittrace-evil-%d", v2, (int)getpid());
	snprintf(dir[0], sizeof(dir[0]), "%s/old-%s", top, evil);
	snprintf(dir[1], sizeof(dir[1]), "%s/new-%s", top, evil);
	if (mkdir(top, 0755) || mkdir(dir[0], 0755))
		fail_msg("mkdir under %s: %s", v2, strerror(errno));
	const char *argv[] = { "-j", NULL };
	spawn_tracer(&tr, argv, NULL);
	tracer_start_wait(&tr);
	if (mkdir(dir[1], 0755))
		fail_msg("mkdir: %s", strerror(errno));
	for (i = 0; i < 2; i++) {
		spawn_in(&ch, &in[i]);
		child_go(&ch);
		assert_int_equal(WEXITSTATUS(child_wait(&ch, true)), in[i].code);
		ev = tracer_event(&tr, "exit", ch.pid, T_TIMEOUT_MS);	/* strict JSON */
		assert_non_null(ev);
		snprintf(rel, sizeof(rel), "/exittrace-evil-%d/%s-%s", (int)getpid(),
			 i ? "new" : "old", want);
		assert_string_equal(j_str(ev, "cgroup"), rel);
		json_object_put(ev);
	}
	tracer_close(&tr);
	remove_subtree();
}

/* ---- PID namespaces: unshare --pid --fork ---- */

/*
 * unshare runs a shell as PID 1 of a new namespace: it writes its
 * namespace's inode ("pid:[N]"), waits for a line on stdin, runs a child
 * that exits 4 (writing the child's namespace PID), and exits 5.
 */
struct ns_run {
	struct child ch;	/* unshare */
	int in;			/* the shell's stdin */
	int out;		/* ... and stdout */
	char dir[PATH_MAX];
	unsigned int inode;
	pid_t sh;		/* the shell's host PID */
};

static int do_unshare(void *arg)
{
	struct ns_run *r = arg;
	char script[PATH_MAX * 2 + 256];
	char *const argv[] = { "unshare", "--pid", "--fork", "/bin/sh", "-c", script, NULL };

	snprintf(script, sizeof(script),
		 "readlink /proc/self/ns/pid; read x; "
		 "sh -c 'exit 4' & echo $! > %s/child; wait $!; exit 5", r->dir);
	execvp(argv[0], argv);
	return 127;
}

static void ns_start(struct ns_run *r, const char *name)
{
	struct pollfd pfd;
	char buf[128] = "", kids[64];
	int in[2], out[2];
	size_t len = 0;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	snprintf(r->dir, sizeof(r->dir), "%s/%s", tmp, name);
	if (mkdir(r->dir, 0755) || pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC))
		fail_msg("%s: %s", r->dir, strerror(errno));
	fflush(NULL);
	r->ch.pid = fork();
	if (r->ch.pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		_exit(do_unshare(r));
	}
	close(in[0]);
	close(out[1]);
	r->in = in[1];
	r->out = out[0];
	r->ch.pidfd = (int)syscall(SYS_pidfd_open, r->ch.pid, 0);
	r->ch.go_fd = -1;
	/* the shell's first line, its namespace: it runs (bounded) */
	while (!memchr(buf, '\n', len) && len < sizeof(buf) - 1) {
		pfd = (struct pollfd){ .fd = r->out, .events = POLLIN };
		if (poll(&pfd, 1, T_TIMEOUT_MS) != 1)
			fail_msg("unshare's shell said nothing within %d ms", T_TIMEOUT_MS);
		n = read(r->out, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			fail_msg("unshare's shell ended before saying its namespace");
		len += (size_t)n;
		buf[len] = '\0';
	}
	if (sscanf(buf, "pid:[%u]", &r->inode) != 1)
		fail_msg("no namespace from unshare's shell: '%s'", buf);
	snprintf(kids, sizeof(kids), "/proc/%d/task/%d/children", (int)r->ch.pid, (int)r->ch.pid);
	if (!read_text(kids, buf, sizeof(buf)) || (r->sh = (pid_t)atoi(buf)) <= 0)
		fail_msg("no shell under unshare %d", (int)r->ch.pid);
}

/* Release the shell; reap unshare (which exits as its shell did). */
static void ns_finish(struct ns_run *r)
{
	int ws;

	if (write(r->in, "go\n", 3) != 3)
		fail_msg("releasing the shell: %s", strerror(errno));
	close(r->in);
	ws = child_wait(&r->ch, true);
	close(r->out);
	assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 5);
}

static long ns_child(struct ns_run *r)
{
	char path[PATH_MAX + 32], buf[32];

	snprintf(path, sizeof(path), "%s/child", r->dir);
	if (!read_text(path, buf, sizeof(buf)))
		fail_msg("no child pid from the shell");
	return atol(buf);
}

/* Host mode: the namespace's PIDs and inode, as the processes saw them. */
static void test_unshare_nspid(void **state)
{
	struct ns_run r;
	struct tracer tr;
	json_object *ev;
	struct stat st;
	long child;

	require_bpf();
	const char *argv[] = { "-j", NULL };
	spawn_tracer(&tr, argv, NULL);
	tracer_start_wait(&tr);
	ns_start(&r, "ns-host");
	ns_finish(&r);
	child = ns_child(&r);
	assert_true(child > 1);
	for (;;) {
		ev = tracer_event(&tr, "exit", 0, T_TIMEOUT_MS);
		assert_non_null(ev);
		if (j_int(ev, "ppid") == r.sh && j_int(ev, "exit_code") == 4)
			break;
		json_object_put(ev);
	}
	assert_int_equal(j_int(ev, "nspid"), child);
	assert_int_not_equal(j_int(ev, "pid"), child);
	assert_int_equal(j_int(ev, "pidns"), r.inode);
	json_object_put(ev);
	ev = tracer_event(&tr, "exit", r.sh, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_int_equal(j_int(ev, "nspid"), 1);
	assert_int_equal(j_int(ev, "pidns"), r.inode);
	assert_int_equal(j_int(ev, "exit_code"), 5);
	json_object_put(ev);
	/* unshare itself lives in ours (the tests run in the initial one) */
	ev = tracer_event(&tr, "exit", r.ch.pid, T_TIMEOUT_MS);
	assert_non_null(ev);
	assert_int_equal(j_int(ev, "nspid"), r.ch.pid);
	if (stat("/proc/self/ns/pid", &st))
		fail_msg("/proc/self/ns/pid: %s", strerror(errno));
	assert_int_equal(j_int(ev, "pidns"), st.st_ino);
	assert_int_not_equal(j_int(ev, "pidns"), r.inode);
	json_object_put(ev);
	tracer_close(&tr);
}

/* --pidns by inode and by path: exactly the namespaces' processes. */
static void test_pidns_filter(void **state)
{
	struct ns_run r1, r2;
	struct tracer tr;
	struct in_cgroup host = { NULL, 9 };
	struct child h;
	json_object *ev;
	char inode[16], path[64];
	int n = 0;

	require_bpf();
	ns_start(&r1, "ns-1");
	ns_start(&r2, "ns-2");
	snprintf(inode, sizeof(inode), "%u", r1.inode);
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)r2.sh);
	const char *argv[] = { "-j", "--pidns", inode, "--pidns", path, NULL };
	spawn_tracer(&tr, argv, NULL);
	tracer_start_wait(&tr);
	ns_finish(&r1);		/* unshare 1 (host namespace) ends too */
	child_spawn(&h, do_exit_code, &host);
	child_go(&h);
	assert_int_equal(WEXITSTATUS(child_wait(&h, true)), 9);
	ns_finish(&r2);		/* its shell's end is the last to show */
	for (;;) {
		ev = tracer_event(&tr, "exit", 0, T_TIMEOUT_MS);
		assert_non_null(ev);
		assert_true(j_int(ev, "pidns") == r1.inode || j_int(ev, "pidns") == r2.inode);
		assert_true(j_int(ev, "exit_code") == 4 || j_int(ev, "exit_code") == 5);
		n++;
		if (j_int(ev, "pid") == r2.sh)
			break;
		json_object_put(ev);
	}
	json_object_put(ev);
	/* each namespace's child and shell */
	assert_int_equal(n, 4);
	tracer_close(&tr);
}

/* After each test, passed or not: no tracer left (stopped, maybe), no
 * container, no test cgroup. */
static int cleanup(void **state)
{
	int i;

	if (live_tracer && live_tracer->pid > 0) {
		kill(live_tracer->pid, SIGCONT);
		tracer_close(live_tracer);
	}
	live_tracer = NULL;
	for (i = 0; i < 8; i++)
		if (live_ctrs[i])
			ctr_delete(live_ctrs[i]);
	if (top[0])
		remove_subtree();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_exit_7_by_host_pid, cleanup),
		cmocka_unit_test_teardown(test_sigkill, cleanup),
		cmocka_unit_test_teardown(test_child_segfault, cleanup),
		cmocka_unit_test_teardown(test_cgroup_made_while_tracing_then_gone, cleanup),
		cmocka_unit_test_teardown(test_cgroup_made_before_tracing_then_gone, cleanup),
		cmocka_unit_test_teardown(test_container_prefix_selects_exactly, cleanup),
		cmocka_unit_test_teardown(test_container_prefix_ambiguous, cleanup),
		cmocka_unit_test_teardown(test_cgroup_subtree, cleanup),
		cmocka_unit_test_teardown(test_cgroup_subtree_tp_btf, cleanup),
		cmocka_unit_test_teardown(test_cgroup_namespace, cleanup),
		cmocka_unit_test_teardown(test_cgroup_errors, cleanup),
		cmocka_unit_test_teardown(test_lost_cgroup_records, cleanup),
		cmocka_unit_test_teardown(test_hostile_cgroup_names, cleanup),
		cmocka_unit_test_teardown(test_v1_only_host, cleanup),
		cmocka_unit_test_teardown(test_unshare_nspid, cleanup),
		cmocka_unit_test_teardown(test_pidns_filter, cleanup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
