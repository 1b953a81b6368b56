// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The library's cgroup id -> path cache, without a cgroup v2 mount (the
 * file system lookups are the integration tests'): entries stay where they
 * are while the table grows, removed ones go at a purge, paths from the
 * kernel are put under their parent's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgcache.h"

#define ID "3f2a9c0e5b1d4a7f8c6e2b9d0a1f3c5e7b9d2f4a6c8e0b1d3f5a7c9e1b2d4f6a"

static char mi[] = "/tmp/et-mountinfo-v1-XXXXXX";

static int no_v2(void **state)
{
	FILE *f;
	int fd = mkstemp(mi);

	if (fd < 0 || !(f = fdopen(fd, "w")))
		return -1;
	fputs("41 35 0:38 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n", f);
	fclose(f);
	setenv("EXITTRACE_TEST_MOUNTINFO", mi, 1);
	return 0;
}

static int gone(void **state)
{
	unlink(mi);
	return 0;
}

static void init(struct cgcache *c)
{
	assert_int_equal(cgcache_init(c), -ENOENT);
	assert_int_equal(c->m.fd, -1);
}

/* The cache alone (cgcache_get() would look in the file system) */
static const struct cgentry *find(struct cgcache *c, uint64_t id)
{
	size_t i;

	for (i = 0; i < c->nslots; i++)
		if (c->tab[i] && c->tab[i]->id == id)
			return c->tab[i];
	return NULL;
}

static void test_entries_stay_put(void **state)
{
	struct cgcache c;
	const struct cgentry *e;
	const char *cid, *path;
	char p[64];
	uint64_t i;

	init(&c);
	assert_int_equal(cgcache_add(&c, 7, 0, "/docker/" ID), 0);
	e = find(&c, 7);
	assert_non_null(e);
	assert_true(e->has_cid);
	cid = e->cid;
	path = e->path;
	/* many more: the table grows several times */
	for (i = 100; i < 5000; i++) {
		snprintf(p, sizeof(p), "/c%llu", (unsigned long long)i);
		assert_int_equal(cgcache_add(&c, i, 0, p), 0);
	}
	assert_true(c.nslots >= 8192);
	assert_ptr_equal(find(&c, 7), e);
	assert_string_equal(cid, ID);
	assert_string_equal(path, "/docker/" ID);
	cgcache_free(&c);
}

static void test_purge(void **state)
{
	struct cgcache c;
	char p[64];
	uint64_t i;

	init(&c);
	for (i = 1; i <= 3000; i++) {
		snprintf(p, sizeof(p), "/c%llu", (unsigned long long)i);
		assert_int_equal(cgcache_add(&c, i, 0, p), 0);
	}
	/* a few removed: kept (records still queued may name them) */
	for (i = 1; i <= 10; i++)
		cgcache_removed(&c, i);
	cgcache_removed(&c, 999999);	/* unknown: nothing */
	cgcache_purge(&c);
	assert_int_equal(c.n, 3000);
	assert_non_null(find(&c, 1));
	/* many: gone at the purge, the table shrinks */
	for (i = 1; i <= 2900; i++)
		cgcache_removed(&c, i);
	assert_int_equal(c.ndead, 2900);
	cgcache_purge(&c);
	assert_int_equal(c.n, 100);
	assert_int_equal(c.ndead, 0);
	assert_null(find(&c, 1));
	assert_string_equal(find(&c, 2901)->path, "/c2901");
	assert_true(c.nslots <= 512);
	/* made again after removal (ids are not reused, but): alive */
	assert_int_equal(cgcache_add(&c, 2901, 0, "/again"), 0);
	assert_string_equal(find(&c, 2901)->path, "/again");
	cgcache_free(&c);
}

/* The kernel's path of a new cgroup is from the hierarchy's root; under a
 * known parent it becomes the parent's path as this process sees it (in a
 * cgroup namespace, the namespace's: kernel_paths false). */
static void test_under_parent(void **state)
{
	struct cgcache c;

	init(&c);
	c.m.kernel_paths = false;
	/* the walk saw the namespace's root as "/" and /a in it */
	assert_int_equal(cgcache_add(&c, 10, 0, "/"), 0);
	assert_int_equal(cgcache_add(&c, 11, 0, "/a"), 0);
	assert_int_equal(cgcache_add(&c, 12, 11, "/kubepods/ns-root/a/b"), 0);
	assert_string_equal(find(&c, 12)->path, "/a/b");
	assert_int_equal(cgcache_add(&c, 13, 10, "/kubepods/ns-root/c"), 0);
	assert_string_equal(find(&c, 13)->path, "/c");
	/* unknown parent (and none to look up here): not the kernel's path,
	 * which is not ours; left to be looked up */
	assert_int_equal(cgcache_add(&c, 14, 99, "/x/y"), 0);
	assert_null(find(&c, 14));
	/* no parent (the root itself), an empty path */
	assert_int_equal(cgcache_add(&c, 15, 0, ""), 0);
	assert_string_equal(find(&c, 15)->path, "/");
	/* the container id follows the path */
	assert_int_equal(cgcache_add(&c, 16, 11, "/abs/a/docker-" ID ".scope"), 0);
	assert_string_equal(find(&c, 16)->path, "/a/docker-" ID ".scope");
	assert_true(find(&c, 16)->has_cid);
	assert_false(find(&c, 13)->has_cid);
	cgcache_free(&c);

	/* on the host, the kernel's path is ours: kept with a parent unknown */
	init(&c);
	c.m.kernel_paths = true;
	assert_int_equal(cgcache_add(&c, 14, 99, "/x/y"), 0);
	assert_string_equal(find(&c, 14)->path, "/x/y");
	cgcache_free(&c);
}

/* A path handed out stays valid until the next purge, even when the same
 * cgroup is added again (the walk after a lookup, say). */
static void test_paths_survive_until_purge(void **state)
{
	struct cgcache c;
	const char *path;
	uint64_t i;

	init(&c);
	c.m.kernel_paths = true;
	assert_int_equal(cgcache_add(&c, 5, 0, "/one"), 0);
	path = find(&c, 5)->path;
	assert_int_equal(cgcache_add(&c, 5, 0, "/one"), 0);	/* the same: kept */
	assert_ptr_equal(find(&c, 5)->path, path);
	assert_int_equal(cgcache_add(&c, 5, 0, "/other"), 0);	/* replaced */
	assert_string_equal(path, "/one");
	assert_string_equal(find(&c, 5)->path, "/other");
	for (i = 0; i < 1100; i++) {	/* enough to purge */
		assert_int_equal(cgcache_add(&c, 5, 0, i % 2 ? "/a" : "/b"), 0);
	}
	assert_true(c.nretired >= 1024);
	cgcache_purge(&c);
	assert_int_equal(c.nretired, 0);
	cgcache_free(&c);
}

static void test_no_mount_knows_nothing_else(void **state)
{
	struct cgcache c;

	init(&c);
	assert_null(cgcache_get(&c, 1));
	assert_int_equal(cgcache_walk(&c), -ENOENT);
	cgcache_purge(&c);
	cgcache_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries_stay_put),
		cmocka_unit_test(test_purge),
		cmocka_unit_test(test_under_parent),
		cmocka_unit_test(test_paths_survive_until_purge),
		cmocka_unit_test(test_no_mount_knows_nothing_else),
	};

	return cmocka_run_group_tests(tests, no_v2, gone);
}
