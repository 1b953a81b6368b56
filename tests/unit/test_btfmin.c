// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The minimal BTF builder on a small BTF made with libbpf's writer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
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

/*
 * Types are found from an offset every 64 ids and ids are remapped from
 * bitmaps: a BTF of 1 000 types, kept ones in several strides, in the
 * first and last id of a word, a whole word of none, a pointer back to a
 * root across strides, and a second root of the same name (nothing
 * requires names to be unique).
 */
static void test_many_types(void **state)
{
	const char *const roots[] = { "root", NULL };
	struct btf *in = btf__new_empty(), *out;
	const struct btf_member *m;
	const void *raw;
	__u32 raw_len;
	size_t len;
	void *buf;
	char name[16];
	int i_int, inner = 0, late = 0, root = 0, root2 = 0, p_root = 0, id, n, rid, i;

	i_int = btf__add_int(in, "int", 4, BTF_INT_SIGNED);	/* 1 */
	for (id = 2; id < 1000; id++) {
		if (id == 63) {		/* last id of word 0 */
			inner = btf__add_struct(in, "inner", 4);
			btf__add_field(in, "a", i_int, 0, 0);
		} else if (id == 128) {	/* first id of word 2 */
			late = btf__add_struct(in, "late", 4);
			btf__add_field(in, "b", i_int, 0, 0);
		} else if (id == 500) {
			p_root = btf__add_ptr(in, 700);
		} else if (id == 700) {
			root = btf__add_struct(in, "root", 24);
			btf__add_field(in, "in", inner, 0, 0);
			btf__add_field(in, "up", p_root, 64, 0);
			btf__add_field(in, "late", late, 128, 0);
		} else if (id == 999) {
			root2 = btf__add_struct(in, "root", 4);
			btf__add_field(in, "x", i_int, 0, 0);
		} else {
			snprintf(name, sizeof(name), "f%d", id);
			btf__add_struct(in, name, 4);	/* never kept */
		}
	}
	assert_int_equal(inner, 63);
	assert_int_equal(late, 128);
	assert_int_equal(p_root, 500);
	assert_int_equal(root, 700);
	assert_int_equal(root2, 999);
	raw = btf__raw_data(in, &raw_len);
	n = btfmin_build(raw, raw_len, roots, &buf, &len);
	/* int, inner, late, the pointer, both roots, in their old order */
	assert_int_equal(n, 6);
	out = btf__new(buf, len);
	assert_non_null(out);
	assert_string_equal(btf__name_by_offset(out, btf__type_by_id(out, 1)->name_off), "int");
	assert_int_equal(btf__find_by_name_kind(out, "inner", BTF_KIND_STRUCT), 2);
	assert_int_equal(btf__find_by_name_kind(out, "late", BTF_KIND_STRUCT), 3);
	assert_true(btf_is_ptr(btf__type_by_id(out, 4)));
	rid = 5;
	assert_int_equal(btf__type_by_id(out, rid)->size, 24);
	assert_int_equal(btf__type_by_id(out, 4)->type, rid);
	m = member(out, rid, "in");
	assert_int_equal(m->type, 2);
	m = member(out, rid, "up");
	assert_int_equal(m->type, 4);
	m = member(out, rid, "late");
	assert_int_equal(m->type, 3);
	assert_int_equal(btf__type_by_id(out, 6)->size, 4);
	assert_int_equal(member(out, 6, "x")->type, 1);
	for (i = 1; i <= n; i++)
		assert_int_not_equal(btf__name_by_offset(out, btf__type_by_id(out, i)->name_off)[0],
				     'f');
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
		cmocka_unit_test(test_many_types),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_void_member),
		cmocka_unit_test(test_no_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
