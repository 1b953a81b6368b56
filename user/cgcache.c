// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Paths for cgroup ids. Three sources, best first: the kernel's own
 * cgroup_mkdir records (a cgroup made while tracing is known before any of
 * its processes can end, however soon the cgroup is removed), a walk of the
 * tree at start, and open_by_handle_at() for what neither saw (while the
 * cgroup exists). Removed cgroups are forgotten in batches.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cgcache.h"

/* Removed cgroups kept before a purge frees them. */
#define PURGE_AT 1024

int cgcache_init(struct cgcache *c)
{
	memset(c, 0, sizeof(*c));
	return cgv2_open(&c->m);
}

void cgcache_free(struct cgcache *c)
{
	size_t i;

	for (i = 0; i < c->nslots; i++)
		free(c->tab[i].path);
	free(c->tab);
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
	for (i = slot_of(id, c->nslots); c->tab[i].id; i = (i + 1) & (c->nslots - 1))
		if (c->tab[i].id == id)
			return &c->tab[i];
	return NULL;
}

/* Rebuild the table with nslots slots, leaving out the dead if asked. */
static int rehash(struct cgcache *c, size_t nslots, bool drop_dead)
{
	struct cgentry *tab = calloc(nslots, sizeof(*tab)), *e;
	size_t i, j;

	if (!tab)
		return -ENOMEM;
	c->n = c->ndead = 0;
	for (i = 0; i < c->nslots; i++) {
		e = &c->tab[i];
		if (!e->id)
			continue;
		if (drop_dead && e->dead) {
			free(e->path);
			continue;
		}
		for (j = slot_of(e->id, nslots); tab[j].id; j = (j + 1) & (nslots - 1))
			;
		tab[j] = *e;
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
	/* at most half full */
	if ((c->n + 1) * 2 > c->nslots && rehash(c, c->nslots ? c->nslots * 2 : 64, false))
		return NULL;
	for (i = slot_of(id, c->nslots); c->tab[i].id; i = (i + 1) & (c->nslots - 1))
		;
	e = &c->tab[i];
	memset(e, 0, sizeof(*e));
	e->id = id;
	c->n++;
	return e;
}

static void set_path(struct cgentry *e, char *path)
{
	free(e->path);
	e->path = path;
	e->has_cid = path && cgpath_container_id(path, e->cid);
}

int cgcache_add(struct cgcache *c, uint64_t id, const char *path)
{
	struct cgentry *e;
	char *p;

	if (!id)
		return 0;
	p = strdup(path[0] ? path : "/");
	e = p ? insert(c, id) : NULL;
	if (!e) {
		free(p);
		return -ENOMEM;
	}
	if (e->dead) {		/* ids are not reused; be safe anyway */
		e->dead = false;
		c->ndead--;
	}
	set_path(e, p);
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
	return cgcache_add(c, id, path);
}

int cgcache_walk(struct cgcache *c)
{
	return cgv2_walk(&c->m, walk_one, c);
}

const struct cgentry *cgcache_get(struct cgcache *c, uint64_t id)
{
	struct cgentry *e;
	char path[4096];

	if (!id || c->m.fd < 0)
		return NULL;
	e = find(c, id);
	if (e)
		return e;
	e = insert(c, id);
	if (!e)
		return NULL;
	if (cgv2_path(&c->m, id, path, sizeof(path)))
		e->dead = true;		/* unknown: forgotten at the next purge */
	else
		set_path(e, strdup(path));
	c->ndead += e->dead;
	return e;
}

void cgcache_purge(struct cgcache *c)
{
	size_t nslots = c->nslots;

	if (c->ndead < PURGE_AT)
		return;
	while (nslots > 64 && (c->n - c->ndead) * 4 < nslots)
		nslots /= 2;
	rehash(c, nslots, true);
}
