/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A minimal copy of a raw BTF blob for CO-RE relocation. Pure. */
#ifndef ET_BTFMIN_H
#define ET_BTFMIN_H

#include <stddef.h>

/*
 * From raw BTF (e.g. /sys/kernel/btf/vmlinux), build raw BTF holding the
 * structs and unions named in roots (NULL-terminated) and every type they
 * embed; pointers to anything but a root become void pointers. On success
 * returns the number of types and sets *out (malloc'ed) and *out_len; else
 * a negative errno (-EINVAL: not BTF, or malformed).
 */
int btfmin_build(const void *data, size_t size, const char *const *roots, void **out,
		 size_t *out_len);

#endif /* ET_BTFMIN_H */
