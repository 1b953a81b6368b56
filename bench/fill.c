// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fill the target set of the exittrace process PID (its BPF map named
 * "targets") with N entries, as N live targets would be: the N PIDs just
 * below the last one allocated (wrapping from 300 to pid_max), which a
 * load started afterwards is not given; and set their bits in its map
 * named "pidbits", if it has one. The entries' start time (1 tick) is no
 * process's: a process that holds such a PID is not reported. The PID
 * exittrace watches keeps its own entry.
 *
 *   fill PID N
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>

#define RESERVED_PIDS 300

/* The map of this name that process pid holds (from its fds' fdinfo), or
 * -1; its size in *max_entries. */
static int map_of(long pid, const char *name, __u32 *max_entries)
{
	char path[320], line[128];
	struct bpf_map_info info;
	struct dirent *d;
	unsigned int id;
	int fd = -1;
	__u32 len;
	DIR *dir;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/fdinfo", pid);
	dir = opendir(path);
	if (!dir)
		return -1;
	while (fd < 0 && (d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/%ld/fdinfo/%s", pid, d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fd < 0 && fgets(line, sizeof(line), f)) {
			if (sscanf(line, "map_id: %u", &id) != 1)
				continue;
			fd = bpf_map_get_fd_by_id(id);
			memset(&info, 0, sizeof(info));
			len = sizeof(info);
			if (fd >= 0 && (bpf_obj_get_info_by_fd(fd, &info, &len) ||
					strcmp(info.name, name))) {
				close(fd);
				fd = -1;
			}
		}
		fclose(f);
	}
	closedir(dir);
	if (fd >= 0)
		*max_entries = info.max_entries;
	return fd;
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
	__u32 i, n, added = 0, words = 0, dummy;
	__u64 ticks = 1, *bits = NULL;
	long et, pid;
	int fd, bfd;

	if (argc != 3)
		return 2;
	et = strtol(argv[1], NULL, 10);
	n = (__u32)strtoul(argv[2], NULL, 10);
	if (last < 0) {
		fprintf(stderr, "fill: /proc/sys/kernel/ns_last_pid: unreadable\n");
		return 1;
	}
	/* room for them, and for a load of as many PIDs again */
	if (pid_max <= RESERVED_PIDS || n > (pid_max - RESERVED_PIDS) / 2) {
		fprintf(stderr, "fill: %u PIDs: too many for pid_max %ld\n", n, pid_max);
		return 1;
	}
	fd = map_of(et, "targets", &dummy);
	if (fd < 0) {
		fprintf(stderr, "fill: process %ld has no map named targets\n", et);
		return 1;
	}
	bfd = map_of(et, "pidbits", &words);
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
		if (!bpf_map_update_elem(fd, &key, &ticks, BPF_NOEXIST)) {
			added++;
		} else if (errno != EEXIST) {
			fprintf(stderr, "fill: entry %u: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("%u entries added%s\n", added, bits ? " (and their bits)" : "");
	return 0;
}
