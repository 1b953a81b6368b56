// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include "cgpath.h"
#include "cgroup.h"
#include "exittrace.h"
#include "filters.h"

#ifndef NS_GET_NSTYPE
#define NS_GET_NSTYPE _IO(0xb7, 0x3)
#endif

static int check_cgroups(const struct cgv2 *m, const struct opts *o, char *err, size_t errlen)
{
	char path[PATH_MAX];
	uint64_t id;
	size_t i;
	int ret;

	if (o->ncgroups > ET_MAX_CGROUPS) {
		snprintf(err, errlen, "too many --cgroup: at most %d", ET_MAX_CGROUPS);
		return -E2BIG;
	}
	for (i = 0; i < o->ncgroups; i++) {
		ret = cgv2_lookup(m, o->cgroups[i], &id, path, sizeof(path), NULL);
		if (ret == -ENOENT)
			snprintf(err, errlen, "cgroup '%s': no such cgroup under %s", o->cgroups[i],
				 m->mnt);
		else if (ret == -ENOTDIR)
			snprintf(err, errlen, "cgroup '%s': not a directory", o->cgroups[i]);
		else if (ret == -EXDEV)
			snprintf(err, errlen, "cgroup '%s': not in the cgroup v2 hierarchy (%s)",
				 o->cgroups[i], m->mnt);
		else if (ret)
			snprintf(err, errlen, "cgroup '%s': %s", o->cgroups[i], strerror(-ret));
		if (ret)
			return ret;
	}
	return 0;
}

/* The running containers whose id starts with a prefix: distinct ids (a
 * container may have cgroups below its own), the first few kept. */
#define MATCHES_KEPT 8

struct matches {
	const char *prefix;
	size_t n;
	char ids[MATCHES_KEPT][CGPATH_ID_LEN + 1];
	bool more;		/* more than MATCHES_KEPT */
};

/* Every --container prefix, matched in one walk of the tree. */
struct all_matches {
	struct matches *m;
	size_t n;
};

static void match_one(struct matches *m, const char *cid)
{
	size_t i;

	if (strncmp(cid, m->prefix, strlen(m->prefix)))
		return;
	for (i = 0; i < m->n; i++)
		if (!strcmp(cid, m->ids[i]))
			return;
	if (m->n == MATCHES_KEPT) {
		m->more = true;
		return;
	}
	memcpy(m->ids[m->n++], cid, CGPATH_ID_LEN + 1);
}

static int match_all(void *arg, uint64_t id, const char *path)
{
	struct all_matches *all = arg;
	char cid[CGPATH_ID_LEN + 1];
	size_t i;

	if (cgpath_container_id(path, cid))
		for (i = 0; i < all->n; i++)
			match_one(&all->m[i], cid);
	return 0;
}

/* Docker's rule: a prefix must name one container; one that names none
 * may name a container still to come, and is kept as a prefix. */
static int resolve_containers(struct ctr_filters *f, const struct cgv2 *m, const struct opts *o,
			      char *err, size_t errlen)
{
	struct all_matches all = { .n = o->ncontainers };
	char (*ids)[CGPATH_ID_LEN + 1];
	struct matches *mt;
	size_t i, nnone = 0;
	int ret = 0;

	if (!o->ncontainers)
		return 0;
	f->containers = calloc(o->ncontainers, sizeof(*f->containers));
	all.m = calloc(o->ncontainers, sizeof(*all.m));
	ids = calloc(o->ncontainers, sizeof(*ids));
	if (!f->containers || !all.m || !ids) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < o->ncontainers; i++) {
		if (cgpath_id_arg(o->containers[i], ids[i])) {
			ret = -EINVAL;		/* opts_parse() checked */
			goto out;
		}
		all.m[i].prefix = ids[i];
	}
	ret = cgv2_walk(m, match_all, &all);
	if (ret) {
		snprintf(err, errlen, "container '%s': reading %s: %s", o->containers[0], m->mnt,
			 strerror(-ret));
		goto out;
	}
	for (i = 0; i < o->ncontainers; i++) {
		mt = &all.m[i];
		if (mt->n > 1) {
			snprintf(err, errlen,
				 "container '%s' is ambiguous: %s%zu running containers start so "
				 "(%.12s, %.12s%s): give more digits",
				 o->containers[i], mt->more ? "more than " : "", mt->n, mt->ids[0],
				 mt->ids[1], mt->n > 2 ? ", ..." : "");
			ret = -EINVAL;
			goto out;
		}
		f->containers[i] = strdup(mt->n ? mt->ids[0] : ids[i]);
		if (!f->containers[i]) {
			ret = -ENOMEM;
			goto out;
		}
		f->ncontainers++;
		if (!mt->n && !nnone++)
			snprintf(f->notice, sizeof(f->notice),
				 "no running container matches '%.64s': waiting for one",
				 o->containers[i]);
	}
out:
	free(all.m);
	free(ids);
	return ret;
}

static int resolve_pidns(struct ctr_filters *f, const struct opts *o, char *err, size_t errlen)
{
	struct stat st;
	size_t i;
	int fd, type;

	if (!o->npidns)
		return 0;
	f->pidns = calloc(o->npidns, sizeof(*f->pidns));
	f->pidns_fds = calloc(o->npidns, sizeof(*f->pidns_fds));
	if (!f->pidns || !f->pidns_fds)
		return -ENOMEM;
	for (i = 0; i < o->npidns; i++) {
		if (opts_parse_pidns(o->pidns[i], &f->pidns[i], err, errlen) == 0) {
			f->npidns++;
			continue;
		}
		fd = open(o->pidns[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			type = errno;
			snprintf(err, errlen, "PID namespace '%s': %s", o->pidns[i], strerror(type));
			return -type;
		}
		type = ioctl(fd, NS_GET_NSTYPE);
		if (type != CLONE_NEWPID || fstat(fd, &st)) {
			close(fd);
			snprintf(err, errlen, "PID namespace '%s': not a PID namespace "
				 "(want /proc/PID/ns/pid or an inode number)", o->pidns[i]);
			return -EINVAL;
		}
		f->pidns_fds[f->nfds++] = fd;
		f->pidns[f->npidns++] = (unsigned int)st.st_ino;
	}
	return 0;
}

int ctr_filters_resolve(struct ctr_filters *f, const struct opts *o, char *err, size_t errlen)
{
	struct cgv2 m;
	int ret;

	memset(f, 0, sizeof(*f));
	ret = cgv2_open(&m);
	f->have_v2 = ret == 0;
	if (ret && ret != -ENOENT) {
		snprintf(err, errlen, "finding the cgroup v2 mount: %s", strerror(-ret));
		return ret;
	}
	if (!f->have_v2 && (o->ncgroups || o->ncontainers)) {
		snprintf(err, errlen, "%s needs cgroup v2, and none is mounted",
			 o->ncgroups ? "--cgroup" : "--container");
		return -ENODEV;
	}
	if (!f->have_v2)
		snprintf(f->notice, sizeof(f->notice),
			 "no cgroup v2 mounted: cgroup paths and container ids are unknown");
	ret = check_cgroups(&m, o, err, errlen);
	if (!ret)
		ret = resolve_containers(f, &m, o, err, errlen);
	if (!ret)
		ret = resolve_pidns(f, o, err, errlen);
	cgv2_close(&m);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	return ret;
}

void ctr_filters_free(struct ctr_filters *f)
{
	size_t i;

	for (i = 0; i < f->ncontainers; i++)
		free(f->containers[i]);
	for (i = 0; i < f->nfds; i++)
		close(f->pidns_fds[i]);
	free(f->pidns_fds);
	free(f->containers);
	free(f->pidns);
	memset(f, 0, sizeof(*f));
}
