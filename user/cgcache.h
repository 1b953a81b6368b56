/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* cgroup id -> path and container id, cached (libexittrace). */
#ifndef ET_CGCACHE_H
#define ET_CGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgpath.h"
#include "cgroup.h"

struct cgentry {
	uint64_t id;
	char *path;		/* NULL: could not be resolved, or outside the
				 * part of the hierarchy mounted here */
	bool dead;		/* removed: dropped at the next purge */
	bool has_cid;
	char cid[CGPATH_ID_LEN + 1];
};

struct cgcache {
	struct cgv2 m;		/* m.fd -1: no cgroup v2 mounted */
	struct cgentry **tab;	/* open addressing by id, linear probing */
	size_t nslots;		/* a power of 2, or 0 */
	size_t n, ndead;
	char **retired;		/* paths replaced, freed at the next purge */
	size_t nretired;
};

/* Find the v2 mount: 0, or -ENOENT without one (the cache then knows
 * nothing), or -errno. */
int cgcache_init(struct cgcache *c);
void cgcache_free(struct cgcache *c);

/* A cgroup made (with its parent's id and its path from the hierarchy's
 * root, as the kernel says them) or found (parent_id 0, its path as the
 * file system shows it). */
int cgcache_add(struct cgcache *c, uint64_t id, uint64_t parent_id, const char *path);
/* A cgroup removed: still answered until the next cgcache_purge(). */
void cgcache_removed(struct cgcache *c, uint64_t id);
/* Every cgroup there is now. */
int cgcache_walk(struct cgcache *c);
/* The entry for id, resolved from the file system when not cached (a
 * failure is cached too); NULL without a v2 mount or memory. */
const struct cgentry *cgcache_get(struct cgcache *c, uint64_t id);
/* Forget removed cgroups once many are kept: entries given out before may
 * then be freed. */
void cgcache_purge(struct cgcache *c);

#endif /* ET_CGCACHE_H */
