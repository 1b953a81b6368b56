/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The cgroup v2 hierarchy as the file system shows it: ids and paths. */
#ifndef ET_CGROUP_H
#define ET_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cgv2 {
	char mnt[PATH_MAX];	/* where it is mounted */
	char root[PATH_MAX];	/* the hierarchy path the mount shows, "/" mostly */
	int fd;			/* the mount's directory; -1: none */
	/* paths here are the hierarchy's own, as the kernel's tracepoints give
	 * them: false in a cgroup namespace with a cgroup v2 mounted inside it,
	 * where they start at the namespace's root */
	bool kernel_paths;
};

/* Find the cgroup v2 mount in /proc/self/mountinfo (never a fixed path).
 * 0, -ENOENT when there is none (a v1-only host), or -errno; fd is -1
 * unless 0. EXITTRACE_TEST_MOUNTINFO names another file (tests). */
int cgv2_open(struct cgv2 *m);
void cgv2_close(struct cgv2 *m);

/*
 * A cgroup named by a user: a directory of the v2 mount ("/sys/fs/cgroup/
 * unified/docker"), or a path in the hierarchy ("/docker", "docker", "/").
 * Its id, its path from the root the mount shows ("/" for the root), and
 * with fd, its directory opened. 0; -ENOENT: no such cgroup; -ENOTDIR: a
 * file, not a cgroup; -EXDEV: a directory outside the v2 mount.
 */
int cgv2_lookup(const struct cgv2 *m, const char *arg, uint64_t *id, char *path, size_t len,
		int *fd);

/* The path from the hierarchy's root of the cgroup with this id, while it
 * exists. 0, -ESTALE (gone), -ENOENT or -errno. */
int cgv2_path(const struct cgv2 *m, uint64_t id, char *out, size_t len);

/* Every cgroup, root first (at most 65536 of them, 64 deep): fn(arg, id,
 * path) until it returns non-zero, which is returned. */
int cgv2_walk(const struct cgv2 *m, int (*fn)(void *arg, uint64_t id, const char *path),
	      void *arg);

#endif /* ET_CGROUP_H */
