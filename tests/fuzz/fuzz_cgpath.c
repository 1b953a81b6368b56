// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer: container ids in cgroup paths, mountinfo, id arguments. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cgpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), id[CGPATH_ID_LEN + 1], mnt[256], root[256];
	size_t i;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (cgpath_container_id(s, id)) {
		/* 64 lowercase hex digits, found in the path */
		if (strlen(id) != CGPATH_ID_LEN || !strstr(s, id))
			abort();
		for (i = 0; i < CGPATH_ID_LEN; i++)
			if (!strchr("0123456789abcdef", id[i]))
				abort();
	}
	if (cgpath_id_arg(s, id) == 0 && (strlen(id) != strlen(s) || !*id))
		abort();
	if (cgpath_v2_mount(s, mnt, sizeof(mnt), root, sizeof(root)) == 0 &&
	    (!memchr(mnt, '\0', sizeof(mnt)) || !memchr(root, '\0', sizeof(root))))
		abort();
	free(s);
	return 0;
}
