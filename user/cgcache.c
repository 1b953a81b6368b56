// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Paths for cgroup ids. Three sources, best first: the kernel's own
 * cgroup_mkdir records (a cgroup made while tracing is known before any of
 * its processes can end, however soon the cgroup is removed), a walk of the
 * tree at start, and open_by_handle_at() for what neither saw (while the
 * cgroup exists). Removed cgroups are forgotten in batches; entries live on
 * the heap, so what was handed out stays put until then.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cgcache.h"

/* Removed cgroups kept before a purge frees them. */
#define PURGE_AT 1024
/* Entries at most, well above what the walk reads (65536): beyond, all are
 * dropped at the next purge and looked up again (a bound for when rmdir
 * records are off or lost). */
#define CACHE_MAX 262144

int cgcache_init(struct cgcache *c)
{
	memset(c, 0, sizeof(*c));
	return cgv2_open(&c->m);
}

static void entry_free(struct cgentry *e)
{
	if (e) {
		free(e->path);
		free(e);
	}
}

static void free_retired(struct cgcache *c)
{
	size_t i;

	for (i = 0; i < c->nretired; i++)
		free(c->retired[i]);
	free(c->retired);
	c->retired = NULL;
	c->nretired = 0;
}

void cgcache_free(struct cgcache *c)
{
	size_t i;

	for (i = 0; i < c->nslots; i++)
		entry_free(c->tab[i]);
	free(c->tab);
	free_retired(c);
	cgv2_close(&c->m);
	c->tab = NULL;
	c->nslots = c->n = c->ndead = 0;
}

static size_t slot_of(uint64_t id, size_t nslots)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 20) & (nslots - 1);
}

static struct cgentry *find(const struct cgcache *c, uint64_t id)
{
	size_t i;

	if (!c->nslots)
		return NULL;
	for (i = slot_of(id, c->nslots); c->tab[i]; i = (i + 1) & (c->nslots - 1))
		if (c->tab[i]->id == id)
			return c->tab[i];
	return NULL;
}

/* Rebuild the table with nslots slots, freeing the dead if asked. */
static int rehash(struct cgcache *c, size_t nslots, bool drop_dead)
{
	struct cgentry **tab = calloc(nslots, sizeof(*tab)), *e;
	size_t i, j;

	if (!tab)
		return -ENOMEM;
	c->n = c->ndead = 0;
	for (i = 0; i < c->nslots; i++) {
		e = c->tab[i];
		if (!e)
			continue;
		if (drop_dead && e->dead) {
			entry_free(e);
			continue;
		}
		for (j = slot_of(e->id, nslots); tab[j]; j = (j + 1) & (nslots - 1))
			;
		tab[j] = e;
		c->n++;
		c->ndead += e->dead;
	}
	free(c->tab);
	c->tab = tab;
	c->nslots = nslots;
	return 0;
}

static struct cgentry *insert(struct cgcache *c, uint64_t id)
{
	struct cgentry *e = find(c, id);
	size_t i;

	if (e)
		return e;
	if (c->n - c->ndead >= CACHE_MAX) {
		/* too many: forget them all at the next purge */
		for (i = 0; i < c->nslots; i++)
			if (c->tab[i] && !c->tab[i]->dead) {
				c->tab[i]->dead = true;
				c->ndead++;
			}
	}
	/* at most half full */
	if ((c->n + 1) * 2 > c->nslots && rehash(c, c->nslots ? c->nslots * 2 : 64, false))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->id = id;
	for (i = slot_of(id, c->nslots); c->tab[i]; i = (i + 1) & (c->nslots - 1))
		;
	c->tab[i] = e;
	c->n++;
	return e;
}

/* A path given out stays valid until the next purge: a replaced one is
 * retired, not freed (the same path is kept as it is). */
static void set_path(struct cgcache *c, struct cgentry *e, char *path)
{
	char **r;

	if (e->path && path && !strcmp(e->path, path)) {
		free(path);
		return;
	}
	if (e->path) {
		r = realloc(c->retired, (c->nretired + 1) * sizeof(*r));
		if (r) {
			c->retired = r;
			c->retired[c->nretired++] = e->path;
		}	/* else: leak it rather than free it under a user */
	}
	e->path = path;
	e->has_cid = path && cgpath_container_id(path, e->cid);
}

/* The path as this process sees the hierarchy: under its parent's (in a
 * cgroup namespace, the kernel's paths start above the namespace's root;
 * the walk's and lookups' start at it). A parent not known yet is looked
 * up (it exists while its child does). NULL without a parent's path, when
 * the kernel's path is not ours. */
static char *local_path(struct cgcache *c, uint64_t parent_id, const char *path)
{
	const struct cgentry *p = parent_id ? find(c, parent_id) : NULL;
	const char *base = strrchr(path, '/');
	size_t plen, blen;
	char *out;

	if (parent_id && !p && !c->m.kernel_paths)
		p = cgcache_get(c, parent_id);
	if (!p || !p->path || !base || !base[1])
		return c->m.kernel_paths || !parent_id ? strdup(path[0] ? path : "/") : NULL;
	base++;
	plen = strcmp(p->path, "/") ? strlen(p->path) : 0;
	blen = strlen(base);
	out = malloc(plen + 1 + blen + 1);
	if (out) {
		memcpy(out, p->path, plen);
		out[plen] = '/';
		memcpy(out + plen + 1, base, blen + 1);
	}
	return out;
}

int cgcache_add(struct cgcache *c, uint64_t id, uint64_t parent_id, const char *path)
{
	struct cgentry *e;
	char *p;

	if (!id)
		return 0;
	p = local_path(c, parent_id, path);
	if (!p)
		return parent_id && !c->m.kernel_paths ? 0 : -ENOMEM;	/* looked up later */
	e = insert(c, id);
	if (!e) {
		free(p);
		return -ENOMEM;
	}
	if (e->dead) {		/* ids are not reused; be safe anyway */
		e->dead = false;
		c->ndead--;
	}
	set_path(c, e, p);
	return 0;
}

void cgcache_removed(struct cgcache *c, uint64_t id)
{
	struct cgentry *e = find(c, id);

	if (e && !e->dead) {
		e->dead = true;
		c->ndead++;
	}
}

static int walk_one(void *arg, uint64_t id, const char *path)
{
	struct cgcache *c = arg;

	/* what a mkdir record already said stays */
	if (find(c, id))
		return 0;
	return cgcache_add(c, id, 0, path);
}

int cgcache_walk(struct cgcache *c)
{
	return cgv2_walk(&c->m, walk_one, c);
}

const struct cgentry *cgcache_get(struct cgcache *c, uint64_t id)
{
	struct cgentry *e;
	char path[4096];
	int ret;

	if (!id || c->m.fd < 0)
		return NULL;
	e = find(c, id);
	if (e)
		return e;
	ret = cgv2_path(&c->m, id, path, sizeof(path));
	/* a failure that may pass (no memory, no fds) is not remembered */
	if (ret && ret != -ESTALE && ret != -ENOENT && ret != -EXDEV)
		return NULL;
	e = insert(c, id);
	if (!e)
		return NULL;
	if (ret == -EXDEV) {
		/* outside what is mounted here (a cgroup namespace's view):
		 * no path, and none to look for again */
	} else if (ret) {
		e->dead = true;		/* gone: forgotten at the next purge */
		c->ndead++;
	} else {
		set_path(c, e, strdup(path));
	}
	return e;
}

void cgcache_purge(struct cgcache *c)
{
	size_t nslots = c->nslots;

	if (c->ndead < PURGE_AT && c->nretired < PURGE_AT)
		return;
	free_retired(c);
	while (nslots > 64 && (c->n - c->ndead) * 4 < nslots)
		nslots /= 2;
	rehash(c, nslots, true);
}
