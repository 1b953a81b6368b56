// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A minimal copy of the kernel's BTF for CO-RE: the named root structs and
 * every type embedded in them, with pointers to anything but a root turned
 * into void pointers. libbpf 1.1 parses the whole 5+ MB vmlinux BTF (read
 * 4 KiB at a time from sysfs) in ~40 ms; relocating against this copy of a
 * few hundred types instead is what keeps exittrace's start-up fast. Offsets
 * and sizes are the running kernel's own, so relocations come out the same.
 * Pure: bytes in, bytes out.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/btf.h>
#include "btfmin.h"

/*
 * On this VM a first touch of a fresh anonymous page costs ~15 us, of a
 * page of the mapped kernel BTF ~1 us: what the build costs is the memory
 * it touches, not its instructions. So no table with an entry per type
 * (127 000 of them): an offset every STRIDE ids, from which a type is
 * found by stepping over its predecessors; sets of ids are bitmaps.
 */
#define STRIDE 64

struct in {
	const uint8_t *types;
	uint32_t types_len;
	const char *strs;
	uint32_t strs_len;
	uint32_t *chk;		/* chk[k]: offset of type id 1 + k * STRIDE */
	uint32_t n;		/* type ids 1..n-1 */
};

static const char *name_of(const struct in *in, uint32_t name_off)
{
	return name_off < in->strs_len ? in->strs + name_off : "";
}

/* Bytes that follow the common struct btf_type, or -1 for an unknown kind. */
static long extra_len(const struct btf_type *t)
{
	uint32_t vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
		return sizeof(uint32_t);
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return (long)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(struct btf_decl_tag);
	case BTF_KIND_ENUM64:
		return (long)vlen * sizeof(struct btf_enum64);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

static uint32_t type_size(const struct btf_type *t)
{
	return (uint32_t)(sizeof(*t) + (size_t)extra_len(t));	/* checked by index_types() */
}

static const struct btf_type *src_at(const struct in *in, uint32_t pos)
{
	return (const struct btf_type *)(in->types + pos);
}

/* The offset of type id, from that of type from at pos (from <= id). */
static uint32_t step_to(const struct in *in, uint32_t from, uint32_t pos, uint32_t id)
{
	for (; from < id; from++)
		pos += type_size(src_at(in, pos));
	return pos;
}

/* id in 1..n-1 */
static const struct btf_type *type_at(const struct in *in, uint32_t id)
{
	uint32_t k = (id - 1) / STRIDE;

	return src_at(in, step_to(in, 1 + k * STRIDE, in->chk[k], id));
}

static bool test_bit(const uint64_t *b, uint32_t i)
{
	return b[i / 64] >> (i % 64) & 1;
}

static void set_bit(uint64_t *b, uint32_t i)
{
	b[i / 64] |= 1ULL << (i % 64);
}

/* A stack of ids to visit; each id is pushed once (marked in keep). */
struct stack {
	uint32_t *v;
	uint32_t n, cap;
};

static int push(struct stack *s, uint64_t *keep, uint32_t id)
{
	if (test_bit(keep, id))
		return 0;
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 1024;
		uint32_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	set_bit(keep, id);
	s->v[s->n++] = id;
	return 0;
}

static bool is_root_name(const char *name, const char *const *roots)
{
	const char *const *r;

	for (r = roots; *r; r++)
		if (name[0] == (*r)[0] && !strcmp(name, *r))
			return true;
	return false;
}

/*
 * One pass over the types: every one's extent checked, an offset every
 * STRIDE ids, and the roots (which go on the stack, kept). The bitmaps
 * are sized for the most types the section could hold (12 bytes each).
 */
static int index_types(struct in *in, const char *const *roots, uint64_t **root,
		       uint64_t **keep, struct stack *st)
{
	uint32_t pos = 0, len = in->types_len, id = 1, kind;
	size_t most = len / sizeof(struct btf_type) + 2;
	long extra;

	in->chk = malloc((most / STRIDE + 1) * sizeof(*in->chk));
	*root = calloc(most / 64 + 1, sizeof(**root));
	*keep = calloc(most / 64 + 1, sizeof(**keep));
	if (!in->chk || !*root || !*keep)
		return -ENOMEM;
	while (pos < len) {
		const struct btf_type *t;

		if (len - pos < sizeof(*t))
			return -EINVAL;
		t = src_at(in, pos);
		extra = extra_len(t);
		if (extra < 0 || len - pos - sizeof(*t) < (uint32_t)extra)
			return -EINVAL;
		if ((id - 1) % STRIDE == 0)
			in->chk[(id - 1) / STRIDE] = pos;
		kind = BTF_INFO_KIND(t->info);
		if ((kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION) &&
		    is_root_name(name_of(in, t->name_off), roots)) {
			set_bit(*root, id);
			if (push(st, *keep, id))
				return -ENOMEM;
		}
		pos += sizeof(*t) + (uint32_t)extra;
		id++;
	}
	in->n = id;
	return 0;
}

static bool is_modifier(uint32_t kind)
{
	return kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_CONST || kind == BTF_KIND_VOLATILE ||
	       kind == BTF_KIND_RESTRICT || kind == BTF_KIND_TYPE_TAG;
}

/* Does a pointer to id lead (through modifiers) to a root struct? */
static bool to_root(const struct in *in, const uint64_t *root, uint32_t id)
{
	int hops;

	for (hops = 0; hops < 32 && id && id < in->n; hops++) {
		const struct btf_type *t = type_at(in, id);

		if (!is_modifier(BTF_INFO_KIND(t->info)))
			return test_bit(root, id);
		id = t->type;
	}
	return false;
}

/* New ids: kept types in their old order, from 1; rank[w] counts the kept
 * ids in the words before w. */
static uint32_t new_id(const struct in *in, const uint64_t *keep, const uint32_t *rank,
		       uint32_t id)
{
	if (!id || id >= in->n || !test_bit(keep, id))
		return 0;
	return 1 + rank[id / 64] +
	       (uint32_t)__builtin_popcountll(keep[id / 64] & ((1ULL << (id % 64)) - 1));
}

struct out {
	uint8_t *buf;
	size_t len, cap;
};

static int put(struct out *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 65536;
		uint8_t *b;

		while (cap < o->len + n)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (!b)
			return -ENOMEM;
		o->buf = b;
		o->cap = cap;
	}
	if (n)		/* p may be NULL for nothing */
		memcpy(o->buf + o->len, p, n);
	o->len += n;
	return 0;
}

/* Strings: each old offset copied once; the map is old offset -> new. */
struct strmap {
	uint32_t *keys, *vals;
	size_t cap, used;
	struct out tab;
};

static size_t str_slot(const struct strmap *m, uint32_t old)
{
	size_t i;

	for (i = (old * 2654435761U) & (m->cap - 1); m->keys[i] && m->keys[i] != old;
	     i = (i + 1) & (m->cap - 1))
		;
	return i;
}

/* Twice the slots (1024 at first): a table for the ~900 names of the
 * minimal BTF of 6.18, not for every name in the kernel's. */
static int str_grow(struct strmap *m)
{
	struct strmap old = *m;
	size_t i, j;

	m->cap = old.cap ? old.cap * 2 : 1024;
	m->keys = calloc(m->cap, sizeof(*m->keys));
	m->vals = calloc(m->cap, sizeof(*m->vals));
	if (!m->keys || !m->vals) {
		free(m->keys);
		free(m->vals);
		m->keys = old.keys;
		m->vals = old.vals;
		m->cap = old.cap;
		return -ENOMEM;
	}
	for (i = 0; i < old.cap; i++)
		if (old.keys[i]) {
			j = str_slot(m, old.keys[i]);
			m->keys[j] = old.keys[i];
			m->vals[j] = old.vals[i];
		}
	free(old.keys);
	free(old.vals);
	return 0;
}

static int str_new(struct strmap *m, const struct in *in, uint32_t old, uint32_t *new_off)
{
	size_t i;
	const char *s;
	int ret;

	if (!old) {
		*new_off = 0;
		return 0;
	}
	if ((m->used + 1) * 2 > m->cap) {
		ret = str_grow(m);
		if (ret)
			return ret;
	}
	i = str_slot(m, old);
	if (m->keys[i] == old) {
		*new_off = m->vals[i];
		return 0;
	}
	m->used++;
	s = name_of(in, old);
	m->keys[i] = old;
	m->vals[i] = (uint32_t)m->tab.len;
	*new_off = m->vals[i];
	return put(&m->tab, s, strlen(s) + 1);
}

int btfmin_build(const void *data, size_t size, const char *const *roots, void **out,
		 size_t *out_len)
{
	const struct btf_header *hdr = data;
	struct strmap sm = { 0 };
	struct out types = { 0 }, all = { 0 };
	struct btf_header oh;
	struct stack st = { 0 };
	uint32_t *rank = NULL, id, cid, i, w, nkept = 0, kind, vlen, pos;
	uint64_t *keep = NULL, *root = NULL;
	struct in in = { 0 };
	int ret = -EINVAL;

	if (size < sizeof(*hdr) || hdr->magic != BTF_MAGIC || hdr->hdr_len < sizeof(*hdr) ||
	    hdr->hdr_len > size || (hdr->type_off | hdr->type_len | hdr->str_off) % 4 ||
	    (uint64_t)hdr->hdr_len + hdr->type_off + hdr->type_len > size ||
	    (uint64_t)hdr->hdr_len + hdr->str_off + hdr->str_len > size)
		return -EINVAL;
	in.types = (const uint8_t *)data + hdr->hdr_len + hdr->type_off;
	in.types_len = hdr->type_len;
	in.strs = (const char *)data + hdr->hdr_len + hdr->str_off;
	in.strs_len = hdr->str_len;
	if (!in.strs_len || in.strs[in.strs_len - 1])
		return -EINVAL;
	ret = index_types(&in, roots, &root, &keep, &st);
	if (ret)
		goto cleanup;

	/* the closure: embedded types whole, pointers only to roots */
	while (st.n && !ret) {
		const struct btf_type *t = type_at(&in, st.v[--st.n]);
		const struct btf_member *m = (const void *)(t + 1);
		const struct btf_param *p = (const void *)(t + 1);
		const struct btf_array *a = (const void *)(t + 1);
		uint32_t refs[2], nrefs = 0;

		kind = BTF_INFO_KIND(t->info);
		vlen = BTF_INFO_VLEN(t->info);
		if (kind == BTF_KIND_PTR) {
			if (to_root(&in, root, t->type))
				refs[nrefs++] = t->type;
		} else if (is_modifier(kind)) {
			refs[nrefs++] = t->type;
		} else if (kind == BTF_KIND_ARRAY) {
			refs[nrefs++] = a->type;
			refs[nrefs++] = a->index_type;
		} else if (kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION) {
			for (i = 0; i < vlen && !ret; i++)
				if (m[i].type && m[i].type < in.n)
					ret = push(&st, keep, m[i].type);
		} else if (kind == BTF_KIND_FUNC_PROTO) {
			refs[nrefs++] = t->type;
			for (i = 0; i < vlen && !ret; i++)
				if (p[i].type && p[i].type < in.n)
					ret = push(&st, keep, p[i].type);
		}
		for (i = 0; i < nrefs && !ret; i++)
			if (refs[i] && refs[i] < in.n)
				ret = push(&st, keep, refs[i]);
	}
	if (ret)
		goto cleanup;
	ret = -ENOMEM;
	rank = malloc((in.n / 64 + 1) * sizeof(*rank));
	if (!rank)
		goto cleanup;
	for (w = 0; w <= in.n / 64; w++) {
		rank[w] = nkept;
		nkept += (uint32_t)__builtin_popcountll(keep[w]);
	}

	ret = put(&sm.tab, "", 1);
	if (ret)
		goto cleanup;
	/* the kept types in order: from one to the next, or from the offset
	 * of the next's stride when nearer, not through all 127 000 */
	for (id = 1, cid = 1, pos = 0; id < in.n && !ret; id++) {
		const struct btf_type *src;
		size_t start = types.len, n;
		struct btf_type *t;
		struct btf_member *m;
		struct btf_param *p;
		struct btf_array *a;
		struct btf_enum *e;
		struct btf_enum64 *e64;

		if (!keep[id / 64] && id % 64 == 0) {
			id += 63;	/* a word of no kept id */
			continue;
		}
		if (!test_bit(keep, id))
			continue;
		if ((id - 1) / STRIDE != (cid - 1) / STRIDE) {
			cid = 1 + (id - 1) / STRIDE * STRIDE;
			pos = in.chk[(id - 1) / STRIDE];
		}
		pos = step_to(&in, cid, pos, id);
		cid = id;
		src = src_at(&in, pos);
		n = type_size(src);
		ret = put(&types, src, n);
		if (ret)
			break;
		t = (struct btf_type *)(types.buf + start);
		kind = BTF_INFO_KIND(t->info);
		vlen = BTF_INFO_VLEN(t->info);
		ret = str_new(&sm, &in, t->name_off, &t->name_off);
		switch (kind) {
		case BTF_KIND_PTR:
			t->type = to_root(&in, root, t->type) ? new_id(&in, keep, rank, t->type) : 0;
			break;
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			t->type = new_id(&in, keep, rank, t->type);
			break;
		case BTF_KIND_ARRAY:
			a = (struct btf_array *)(t + 1);
			a->type = new_id(&in, keep, rank, a->type);
			a->index_type = new_id(&in, keep, rank, a->index_type);
			break;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			m = (struct btf_member *)(t + 1);
			for (i = 0; i < vlen && !ret; i++) {
				m[i].type = new_id(&in, keep, rank, m[i].type);
				ret = str_new(&sm, &in, m[i].name_off, &m[i].name_off);
			}
			break;
		case BTF_KIND_FUNC_PROTO:
			t->type = new_id(&in, keep, rank, t->type);
			p = (struct btf_param *)(t + 1);
			for (i = 0; i < vlen && !ret; i++) {
				p[i].type = new_id(&in, keep, rank, p[i].type);
				ret = str_new(&sm, &in, p[i].name_off, &p[i].name_off);
			}
			break;
		case BTF_KIND_ENUM:
			e = (struct btf_enum *)(t + 1);
			for (i = 0; i < vlen && !ret; i++)
				ret = str_new(&sm, &in, e[i].name_off, &e[i].name_off);
			break;
		case BTF_KIND_ENUM64:
			e64 = (struct btf_enum64 *)(t + 1);
			for (i = 0; i < vlen && !ret; i++)
				ret = str_new(&sm, &in, e64[i].name_off, &e64[i].name_off);
			break;
		default:
			break;
		}
	}
	if (ret)
		goto cleanup;

	memset(&oh, 0, sizeof(oh));
	oh.magic = BTF_MAGIC;
	oh.version = BTF_VERSION;
	oh.hdr_len = sizeof(oh);
	oh.type_off = 0;
	oh.type_len = (uint32_t)types.len;
	oh.str_off = (uint32_t)types.len;
	oh.str_len = (uint32_t)sm.tab.len;
	ret = put(&all, &oh, sizeof(oh));
	if (!ret)
		ret = put(&all, types.buf, types.len);
	if (!ret)
		ret = put(&all, sm.tab.buf, sm.tab.len);
	if (ret)
		goto cleanup;
	*out = all.buf;
	*out_len = all.len;
	all.buf = NULL;
	ret = (int)nkept;
cleanup:
	free(in.chk);
	free(keep);
	free(root);
	free(rank);
	free(st.v);
	free(sm.keys);
	free(sm.vals);
	free(sm.tab.buf);
	free(types.buf);
	free(all.buf);
	return ret;
}
