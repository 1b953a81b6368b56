// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The cgroup v2 hierarchy, found from mountinfo, and its ids: a cgroup's id
 * (what bpf_get_current_cgroup_id() gives) is its kernfs node id, which is
 * also its file handle: name_to_handle_at() turns a path into an id and
 * open_by_handle_at() an id back into a directory, whose path /proc tells.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include "cgpath.h"
#include "cgroup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#define FILEID_KERNFS 0xfe

#define WALK_MAX_DEPTH 64
#define WALK_MAX_CGROUPS 65536

struct cg_handle {
	struct file_handle fh;
	uint64_t id;
};

static int read_all(const char *path, char **out)
{
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap), *nb;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		n = fd < 0 ? -errno : -ENOMEM;
		free(buf);
		if (fd >= 0)
			close(fd);
		return (int)n;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				n = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return n == -ENOMEM ? -ENOMEM : -EIO;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* The initial cgroup namespace's inode number (PROC_CGROUP_INIT_INO). */
#define CGROUP_NS_INIT_INO 0xEFFFFFFBU

static bool in_cgroup_ns(void)
{
	struct stat st;

	return !stat("/proc/self/ns/cgroup", &st) && st.st_ino != CGROUP_NS_INIT_INO;
}

int cgv2_open(struct cgv2 *m)
{
	const char *src = getenv("EXITTRACE_TEST_MOUNTINFO");
	struct statfs sf;
	char *text = NULL;
	int ret;

	m->fd = -1;
	ret = read_all(src ? src : "/proc/self/mountinfo", &text);
	if (ret)
		return ret;
	ret = cgpath_v2_mount(text, m->mnt, sizeof(m->mnt), m->root, sizeof(m->root));
	free(text);
	if (ret)
		return ret;
	/* in a cgroup namespace, a mount made outside it shows a root above
	 * the namespace's ("/.."): its paths are then the hierarchy's */
	if (!strncmp(m->root, "/..", 3) && (m->root[3] == '/' || !m->root[3])) {
		strcpy(m->root, "/");
		m->kernel_paths = true;
	} else {
		m->kernel_paths = !in_cgroup_ns();
	}
	m->fd = open(m->mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	if (fstatfs(m->fd, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		close(m->fd);
		m->fd = -1;
		return -ENOENT;
	}
	return 0;
}

void cgv2_close(struct cgv2 *m)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
}

static int handle_id(int dirfd, const char *name, int flags, uint64_t *id)
{
	struct cg_handle h = { .fh.handle_bytes = sizeof(uint64_t) };
	int mount_id;

	if (name_to_handle_at(dirfd, name, &h.fh, &mount_id, flags))
		return -errno;
	if (h.fh.handle_type != FILEID_KERNFS || h.fh.handle_bytes != sizeof(uint64_t))
		return -EXDEV;
	*id = h.id;
	return 0;
}

/* root + rel (both '/'-led, or rel empty) into out, "/" when both are. */
static int join(char *out, size_t len, const char *root, const char *rel)
{
	int n;

	if (!strcmp(root, "/"))
		root = "";
	n = snprintf(out, len, "%s%s", root, rel);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (!n)
		snprintf(out, len, "/");
	return 0;
}

/* The part of an absolute path below the mount point: "" for the mount
 * point itself, "/a/b" below it; NULL outside it. */
static const char *below_mount(const struct cgv2 *m, const char *abs)
{
	size_t n = strlen(m->mnt);

	if (n == 1)	/* mounted at / */
		return abs[1] ? abs : "";
	if (strncmp(abs, m->mnt, n) || (abs[n] && abs[n] != '/'))
		return NULL;
	return abs + n;
}

/* An absolute directory path, checked to be under the mount. */
static int lookup_abs(const struct cgv2 *m, const char *abs, uint64_t *id, char *path, size_t len,
		      int *fd)
{
	char real[PATH_MAX];
	const char *rel;
	struct stat st;
	int ret;

	if (stat(abs, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!realpath(abs, real))
		return -errno;
	rel = below_mount(m, real);
	if (!rel)
		return -EXDEV;
	ret = handle_id(AT_FDCWD, real, 0, id);
	if (!ret)
		ret = join(path, len, m->root, rel);
	if (!ret && fd) {
		*fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*fd < 0)
			ret = -errno;
	}
	return ret;
}

int cgv2_lookup(const struct cgv2 *m, const char *arg, uint64_t *id, char *path, size_t len,
		int *fd)
{
	char abs[PATH_MAX];
	int ret, first = 0;

	if (m->fd < 0)
		return -ENOENT;
	/* a directory as given, else (or if it is not a cgroup: "/", or a
	 * "/docker" of the host) a path in the hierarchy */
	if (arg[0] == '/') {
		first = lookup_abs(m, arg, id, path, len, fd);
		if (!first)
			return 0;
	}
	ret = snprintf(abs, sizeof(abs), "%s/%s", m->mnt, arg[0] == '/' ? arg + 1 : arg);
	if (ret < 0 || (size_t)ret >= sizeof(abs))
		return -ENAMETOOLONG;
	ret = lookup_abs(m, abs, id, path, len, fd);
	if (ret)
		return first && first != -ENOENT ? first : ret;
	return 0;
}

int cgv2_path(const struct cgv2 *m, uint64_t id, char *out, size_t len)
{
	struct cg_handle h = { .fh.handle_bytes = sizeof(uint64_t), .fh.handle_type = FILEID_KERNFS,
			       .id = id };
	char link[64], abs[PATH_MAX];
	const char *rel;
	ssize_t n;
	int fd, ret;

	if (m->fd < 0)
		return -ENOENT;
	fd = open_by_handle_at(m->fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, abs, sizeof(abs) - 1);
	ret = n < 0 ? -errno : 0;
	close(fd);
	if (n < 0)
		return ret;
	abs[n] = '\0';
	/* a directory removed meanwhile reads "... (deleted)" */
	if (n > 10 && !strcmp(abs + n - 10, " (deleted)"))
		return -ESTALE;
	rel = below_mount(m, abs);
	if (!rel)
		return -EXDEV;
	return join(out, len, m->root, rel);
}

struct walk {
	int (*fn)(void *arg, uint64_t id, const char *path);
	void *arg;
	unsigned int count;
	char path[PATH_MAX];
};

/* A cgroup's id and whether it has cgroups below it, from one stat: on
 * 64-bit, a kernfs inode number is its node's id, and a kernfs directory's
 * link count is 2 + its subdirectories (the walk opens no leaf). */
static int stat_id(int dirfd, const char *name, uint64_t *id, bool *parent)
{
	struct stat st;

	if (sizeof(st.st_ino) < sizeof(uint64_t)) {
		*parent = true;
		return handle_id(dirfd, name, 0, id);
	}
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	*id = (uint64_t)st.st_ino;
	*parent = st.st_nlink != 2;
	return 0;
}

/* dirfd is the cgroup at w->path (of length plen); visit what is below. */
static int walk_dir(struct walk *w, int dirfd, size_t plen, int depth)
{
	struct dirent *d;
	uint64_t id = 0;
	bool parent = false;
	DIR *dir;
	int fd, ret = 0;
	size_t n;

	if (depth >= WALK_MAX_DEPTH) {
		close(dirfd);
		return 0;
	}
	dir = fdopendir(dirfd);
	if (!dir) {
		close(dirfd);
		return 0;
	}
	while (!ret && (d = readdir(dir))) {
		if (d->d_type != DT_DIR || d->d_name[0] == '.')
			continue;
		if (w->count >= WALK_MAX_CGROUPS)
			break;
		n = strlen(d->d_name);
		if (plen + 1 + n >= sizeof(w->path))
			continue;
		/* a cgroup removed meanwhile is simply not there */
		if (stat_id(dirfd, d->d_name, &id, &parent))
			continue;
		w->path[plen] = '/';
		memcpy(w->path + plen + 1, d->d_name, n + 1);
		w->count++;
		ret = w->fn(w->arg, id, w->path);
		if (!ret && parent) {
			fd = openat(dirfd, d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (fd >= 0)
				ret = walk_dir(w, fd, plen + 1 + n, depth + 1);
		}
		w->path[plen] = '\0';
	}
	closedir(dir);
	return ret;
}

int cgv2_walk(const struct cgv2 *m, int (*fn)(void *arg, uint64_t id, const char *path),
	      void *arg)
{
	struct walk *w;
	uint64_t id = 0;
	int fd, ret;

	if (m->fd < 0)
		return -ENOENT;
	ret = handle_id(m->fd, "", AT_EMPTY_PATH, &id);
	if (ret)
		return ret;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fn = fn;
	w->arg = arg;
	ret = join(w->path, sizeof(w->path), m->root, "");
	if (!ret)
		ret = fn(arg, id, w->path);
	if (!ret) {
		fd = openat(m->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ret = fd < 0 ? -errno : walk_dir(w, fd, strcmp(w->path, "/") ? strlen(w->path) : 0, 0);
	}
	free(w);
	return ret;
}
