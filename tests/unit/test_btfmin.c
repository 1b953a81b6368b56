// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The minimal BTF builder on a small BTF made with libbpf's writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include "btfmin.h"

/*
 * struct inner { int a; };
 * struct other { int z; };
 * struct root { struct inner in; struct root *self; struct other *o;
 *               const struct root *c; int name[4]; };
 * struct unrelated { long x; };
 */
static struct btf *sample(void)
{
	struct btf *b = btf__new_empty();
	int i_int, i_char, inner, other, root, p_root, p_other, c_root, p_croot, arr, i_long;

	i_int = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	i_char = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	i_long = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	inner = btf__add_struct(b, "inner", 4);
	btf__add_field(b, "a", i_int, 0, 0);
	other = btf__add_struct(b, "other", 4);
	btf__add_field(b, "z", i_int, 0, 0);
	/* ids 6..10, then root is 11: deduplicated BTF points at it directly */
	p_root = btf__add_ptr(b, 11);
	p_other = btf__add_ptr(b, other);
	c_root = btf__add_const(b, 11);
	p_croot = btf__add_ptr(b, c_root);
	arr = btf__add_array(b, i_int, i_char, 4);
	root = btf__add_struct(b, "root", 36);
	assert_int_equal(root, 11);
	btf__add_field(b, "in", inner, 0, 0);
	btf__add_field(b, "self", p_root, 64, 0);
	btf__add_field(b, "o", p_other, 128, 0);
	btf__add_field(b, "c", p_croot, 192, 0);
	btf__add_field(b, "name", arr, 256, 0);
	btf__add_struct(b, "unrelated", 8);
	btf__add_field(b, "x", i_long, 0, 0);
	(void)root;
	return b;
}

static const struct btf_member *member(const struct btf *b, int sid, const char *name)
{
	const struct btf_type *t = btf__type_by_id(b, sid);
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(b, m[i].name_off), name))
			return &m[i];
	return NULL;
}

static void test_closure(void **state)
{
	const char *const roots[] = { "root", NULL };
	struct btf *in = sample(), *out;
	const struct btf_type *t;
	const struct btf_member *m;
	const void *raw;
	__u32 raw_len;
	size_t len;
	void *buf;
	int n, rid;

	raw = btf__raw_data(in, &raw_len);
	assert_non_null(raw);
	n = btfmin_build(raw, raw_len, roots, &buf, &len);
	assert_true(n > 0);
	out = btf__new(buf, len);
	assert_non_null(out);
	assert_int_equal(btf__type_cnt(out) - 1, n);

	rid = btf__find_by_name_kind(out, "root", BTF_KIND_STRUCT);
	assert_true(rid > 0);
	t = btf__type_by_id(out, rid);
	assert_int_equal(t->size, 36);
	assert_int_equal(btf_vlen(t), 5);
	/* embedded: kept whole, same offsets */
	m = member(out, rid, "in");
	assert_non_null(m);
	assert_int_equal(btf__resolve_type(out, m->type), btf__find_by_name_kind(out, "inner",
										 BTF_KIND_STRUCT));
	m = member(out, rid, "name");
	assert_int_equal(m->offset, 256);
	assert_true(btf_is_array(btf__type_by_id(out, m->type)));
	/* a pointer to a root stays, to anything else becomes void */
	m = member(out, rid, "self");
	assert_int_equal(btf__type_by_id(out, m->type)->type, rid);
	m = member(out, rid, "o");
	assert_int_equal(btf__type_by_id(out, m->type)->type, 0);
	assert_true(btf__find_by_name_kind(out, "other", BTF_KIND_STRUCT) < 0);
	assert_true(btf__find_by_name_kind(out, "unrelated", BTF_KIND_STRUCT) < 0);
	m = member(out, rid, "c");
	t = btf__type_by_id(out, m->type);
	assert_true(btf_is_ptr(t));
	assert_true(btf_is_const(btf__type_by_id(out, t->type)));

	btf__free(out);
	free(buf);
	btf__free(in);
}

static void test_bad_input(void **state)
{
	const char *const roots[] = { "root", NULL };
	struct btf *in = sample();
	unsigned char junk[64] = { 0x9f, 0xeb };
	const void *raw;
	__u32 raw_len;
	size_t len, cut;
	void *buf;
	unsigned char *copy;

	assert_int_equal(btfmin_build(junk, sizeof(junk), roots, &buf, &len), -EINVAL);
	assert_int_equal(btfmin_build(junk, 3, roots, &buf, &len), -EINVAL);
	raw = btf__raw_data(in, &raw_len);
	/* every truncation is refused, never read past */
	for (cut = 0; cut < raw_len; cut++) {
		copy = malloc(cut ? cut : 1);
		memcpy(copy, raw, cut);
		assert_true(btfmin_build(copy, cut, roots, &buf, &len) < 0);
		free(copy);
	}
	btf__free(in);
}

/* A void member (type 0) is no type to follow; never read as one. */
static void test_void_member(void **state)
{
	const char *const roots[] = { "root", NULL };
	struct btf *in = btf__new_empty();
	const void *raw;
	__u32 raw_len;
	size_t len;
	void *buf;
	int i_int;

	i_int = btf__add_int(in, "int", 4, BTF_INT_SIGNED);
	btf__add_struct(in, "root", 8);
	btf__add_field(in, "v", 0, 0, 0);
	btf__add_field(in, "a", i_int, 32, 0);
	raw = btf__raw_data(in, &raw_len);
	assert_int_equal(btfmin_build(raw, raw_len, roots, &buf, &len), 2);
	free(buf);
	btf__free(in);
}

static void test_no_root(void **state)
{
	const char *const roots[] = { "absent", NULL };
	struct btf *in = sample();
	const void *raw;
	__u32 raw_len;
	size_t len;
	void *buf;

	raw = btf__raw_data(in, &raw_len);
	assert_int_equal(btfmin_build(raw, raw_len, roots, &buf, &len), 0);
	free(buf);
	btf__free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_closure),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_void_member),
		cmocka_unit_test(test_no_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
