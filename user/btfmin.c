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

struct in {
	const uint8_t *types;
	uint32_t types_len;
	const char *strs;
	uint32_t strs_len;
	uint32_t *off;		/* type id -> offset in types */
	uint32_t n;		/* type ids 1..n-1 */
};

static const struct btf_type *type_at(const struct in *in, uint32_t id)
{
	return (const struct btf_type *)(in->types + in->off[id]);
}

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

static int index_types(struct in *in)
{
	uint32_t pos = 0, cap = 1024;
	long extra;

	in->off = calloc(cap, sizeof(*in->off));
	if (!in->off)
		return -ENOMEM;
	in->n = 1;	/* id 0 is void */
	while (pos < in->types_len) {
		const struct btf_type *t;

		if (in->types_len - pos < sizeof(*t))
			return -EINVAL;
		t = (const struct btf_type *)(in->types + pos);
		extra = extra_len(t);
		if (extra < 0 || in->types_len - pos - sizeof(*t) < (uint32_t)extra)
			return -EINVAL;
		if (in->n == cap) {
			uint32_t *n = realloc(in->off, (cap *= 2) * sizeof(*n));

			if (!n)
				return -ENOMEM;
			in->off = n;
		}
		in->off[in->n++] = pos;
		pos += sizeof(*t) + (uint32_t)extra;
	}
	return 0;
}

static bool is_modifier(uint32_t kind)
{
	return kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_CONST || kind == BTF_KIND_VOLATILE ||
	       kind == BTF_KIND_RESTRICT || kind == BTF_KIND_TYPE_TAG;
}

/* Does a pointer to id lead (through modifiers) to a root struct? */
static bool to_root(const struct in *in, const uint8_t *root, uint32_t id)
{
	int hops;

	for (hops = 0; hops < 32 && id && id < in->n; hops++) {
		const struct btf_type *t = type_at(in, id);

		if (!is_modifier(BTF_INFO_KIND(t->info)))
			return root[id];
		id = t->type;
	}
	return false;
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

static int str_new(struct strmap *m, const struct in *in, uint32_t old, uint32_t *new_off)
{
	size_t i;
	const char *s;

	if (!old) {
		*new_off = 0;
		return 0;
	}
	for (i = (old * 2654435761U) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == old) {
			*new_off = m->vals[i];
			return 0;
		}
	if (++m->used * 2 > m->cap)
		return -E2BIG;	/* more names than a minimal BTF should have */
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
	uint32_t *stack = NULL, *newid = NULL, sp = 0, id, i, next = 1, kind, vlen;
	uint8_t *keep = NULL, *root = NULL;
	struct in in = { 0 };
	int ret = -EINVAL;
	const char *const *r, *name;

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
	ret = index_types(&in);
	if (ret)
		goto cleanup;

	ret = -ENOMEM;
	keep = calloc(in.n, 1);
	root = calloc(in.n, 1);
	newid = calloc(in.n, sizeof(*newid));
	stack = malloc(in.n * sizeof(*stack));
	sm.cap = 1 << 14;
	sm.keys = calloc(sm.cap, sizeof(*sm.keys));
	sm.vals = calloc(sm.cap, sizeof(*sm.vals));
	if (!keep || !root || !newid || !stack || !sm.keys || !sm.vals)
		goto cleanup;

	for (id = 1; id < in.n; id++) {
		const struct btf_type *t = type_at(&in, id);

		kind = BTF_INFO_KIND(t->info);
		if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION)
			continue;
		name = name_of(&in, t->name_off);
		for (r = roots; *r; r++)
			if (name[0] == (*r)[0] && !strcmp(name, *r)) {
				root[id] = keep[id] = 1;
				stack[sp++] = id;
			}
	}
	/* the closure: embedded types whole, pointers only to roots */
	while (sp) {
		const struct btf_type *t = type_at(&in, stack[--sp]);
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
			for (i = 0; i < vlen; i++)
				if (m[i].type && m[i].type < in.n && !keep[m[i].type]) {
					keep[m[i].type] = 1;
					stack[sp++] = m[i].type;
				}
		} else if (kind == BTF_KIND_FUNC_PROTO) {
			refs[nrefs++] = t->type;
			for (i = 0; i < vlen; i++)
				if (p[i].type && p[i].type < in.n && !keep[p[i].type]) {
					keep[p[i].type] = 1;
					stack[sp++] = p[i].type;
				}
		}
		for (i = 0; i < nrefs; i++)
			if (refs[i] && refs[i] < in.n && !keep[refs[i]]) {
				keep[refs[i]] = 1;
				stack[sp++] = refs[i];
			}
	}
	for (id = 1; id < in.n; id++)
		if (keep[id])
			newid[id] = next++;

	ret = put(&sm.tab, "", 1);
	if (ret)
		goto cleanup;
	for (id = 1; id < in.n && !ret; id++) {
		const struct btf_type *src = type_at(&in, id);
		size_t start = types.len, n = sizeof(*src) + (size_t)extra_len(src);
		struct btf_type *t;
		struct btf_member *m;
		struct btf_param *p;
		struct btf_array *a;
		struct btf_enum *e;
		struct btf_enum64 *e64;

		if (!keep[id])
			continue;
		ret = put(&types, src, n);
		if (ret)
			break;
		t = (struct btf_type *)(types.buf + start);
		kind = BTF_INFO_KIND(t->info);
		vlen = BTF_INFO_VLEN(t->info);
		ret = str_new(&sm, &in, t->name_off, &t->name_off);
		switch (kind) {
		case BTF_KIND_PTR:
			t->type = to_root(&in, root, t->type) ? newid[t->type] : 0;
			break;
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			t->type = t->type < in.n ? newid[t->type] : 0;
			break;
		case BTF_KIND_ARRAY:
			a = (struct btf_array *)(t + 1);
			a->type = a->type < in.n ? newid[a->type] : 0;
			a->index_type = a->index_type < in.n ? newid[a->index_type] : 0;
			break;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
			m = (struct btf_member *)(t + 1);
			for (i = 0; i < vlen && !ret; i++) {
				m[i].type = m[i].type < in.n ? newid[m[i].type] : 0;
				ret = str_new(&sm, &in, m[i].name_off, &m[i].name_off);
			}
			break;
		case BTF_KIND_FUNC_PROTO:
			t->type = t->type < in.n ? newid[t->type] : 0;
			p = (struct btf_param *)(t + 1);
			for (i = 0; i < vlen && !ret; i++) {
				p[i].type = p[i].type < in.n ? newid[p[i].type] : 0;
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
	ret = (int)(next - 1);
cleanup:
	free(in.off);
	free(keep);
	free(root);
	free(newid);
	free(stack);
	free(sm.keys);
	free(sm.vals);
	free(sm.tab.buf);
	free(types.buf);
	free(all.buf);
	return ret;
}
