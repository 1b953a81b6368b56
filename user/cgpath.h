/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Cgroup paths: container ids in them, the cgroup v2 mount. Pure. */
#ifndef ET_CGPATH_H
#define ET_CGPATH_H

#include <stdbool.h>
#include <stddef.h>

/* A container id: 64 lowercase hex digits. */
#define CGPATH_ID_LEN 64

/*
 * The container id a cgroup path names, as container runtimes write it:
 * a path component that is the id alone (docker's and containerd's cgroupfs
 * driver, kubepods: ".../pod<uid>/<id>"), or the id after "docker-",
 * "cri-containerd-", "crio-" or "libpod-" (systemd driver scopes:
 * "docker-<id>.scope"; "libpod-<id>" under libpod_parent), either of them
 * optionally ending in ".scope". The runtimes' monitors ("crio-conmon-<id>",
 * "libpod-conmon-<id>") are not the container. Nested containers: the
 * deepest id. true and id (NUL-terminated) when there is one.
 */
bool cgpath_container_id(const char *path, char id[CGPATH_ID_LEN + 1]);

/*
 * A --container argument: 1 to 64 hex digits, as a (possibly partial) id.
 * Lowercased into out. 0, or -EINVAL.
 */
int cgpath_id_arg(const char *arg, char out[CGPATH_ID_LEN + 1]);

/*
 * The cgroup v2 mount in /proc/self/mountinfo text: its mount point and the
 * path of the hierarchy it shows (mountinfo's root field: "/" unless a
 * subtree is mounted), octal escapes undone. Of several, one showing the
 * whole hierarchy. 0, -ENOENT (none: a v1-only host), or -ENAMETOOLONG.
 */
int cgpath_v2_mount(const char *mountinfo, char *mnt, size_t mntlen, char *root, size_t rootlen);

#endif /* ET_CGPATH_H */
