// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fill the newest BPF maps named "targets" and "bloom" (a running
 * exittrace's target set) with N entries whose keys no process can have (above PID_MAX_LIMIT),
 * so that the per-exit cost can be measured with a large target set.
 *
 *   fill N
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#define PID_MAX_LIMIT (4U * 1024 * 1024)

/* The newest map of this name (the running exittrace's), or -1. */
static int newest_map(const char *name)
{
	struct bpf_map_info info;
	__u32 id = 0, best = 0, len;
	int fd, best_fd = -1;

	while (!bpf_map_get_next_id(id, &id)) {
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && !strcmp(info.name, name) &&
		    id > best) {
			if (best_fd >= 0)
				close(best_fd);
			best = id;
			best_fd = fd;
			continue;
		}
		close(fd);
	}
	return best_fd;
}

int main(int argc, char **argv)
{
	int fd, bloom;
	__u64 ticks = 1;
	__u32 i, n;

	if (argc != 2)
		return 2;
	n = (__u32)strtoul(argv[1], NULL, 10);
	fd = newest_map("targets");
	bloom = newest_map("bloom");	/* absent before 5.16 */
	if (fd < 0) {
		fprintf(stderr, "fill: no map named targets\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		__u32 key = PID_MAX_LIMIT + 1 + i;

		if ((bloom >= 0 && bpf_map_update_elem(bloom, NULL, &key, BPF_ANY)) ||
		    bpf_map_update_elem(fd, &key, &ticks, BPF_ANY)) {
			fprintf(stderr, "fill: entry %u: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("%u entries added%s\n", n, bloom >= 0 ? " (and to the bloom filter)" : "");
	return 0;
}
