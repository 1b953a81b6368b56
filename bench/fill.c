// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fill the newest BPF map named "targets" (a running exittrace's target
 * set) with N entries, as N live targets would be: the N PIDs just below
 * the last one allocated (wrapping from 300 to pid_max), which a load
 * started afterwards is not given; and set their bits in the newest map
 * named "pidbits", if any. The entries' start time (1 tick) is no
 * process's: a process that holds such a PID is not reported. The PID
 * exittrace watches keeps its own entry.
 *
 *   fill N
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>

#define RESERVED_PIDS 300

/* The newest map of this name (the running exittrace's), or -1. */
static int newest_map(const char *name, __u32 *max_entries)
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
			*max_entries = info.max_entries;
			continue;
		}
		close(fd);
	}
	return best_fd;
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

int main(int argc, char **argv)
{
	long last = read_long("/proc/sys/kernel/ns_last_pid");
	long pid_max = read_long("/proc/sys/kernel/pid_max");
	__u32 i, n, words = 0, dummy;
	__u64 ticks = 1, *bits = NULL;
	int fd, bfd;
	long pid;

	if (argc != 2)
		return 2;
	n = (__u32)strtoul(argv[1], NULL, 10);
	if (last < 0 || pid_max <= RESERVED_PIDS || n > pid_max / 2) {
		fprintf(stderr, "fill: %u PIDs: pid_max %ld too small\n", n, pid_max);
		return 1;
	}
	fd = newest_map("targets", &dummy);
	if (fd < 0) {
		fprintf(stderr, "fill: no map named targets\n");
		return 1;
	}
	bfd = newest_map("pidbits", &words);
	if (bfd >= 0) {
		bits = mmap(NULL, (size_t)words * sizeof(*bits), PROT_READ | PROT_WRITE,
			    MAP_SHARED, bfd, 0);
		if (bits == MAP_FAILED) {
			perror("fill: pidbits");
			return 1;
		}
	}
	pid = last;
	for (i = 0; i < n; i++, pid--) {
		__u32 key;

		if (pid < RESERVED_PIDS)
			pid = pid_max - 1;
		key = (__u32)pid;
		/* the bit first, as exittrace does */
		if (bits && key / 64 < words)
			__atomic_fetch_or(&bits[key / 64], 1ULL << (key % 64), __ATOMIC_SEQ_CST);
		if (bpf_map_update_elem(fd, &key, &ticks, BPF_NOEXIST) && errno != EEXIST) {
			fprintf(stderr, "fill: entry %u: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("%u entries added%s\n", n, bits ? " (and their bits)" : "");
	return 0;
}
