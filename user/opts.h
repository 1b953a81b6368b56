/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Command line parsing. Pure: no syscalls, errors come back as text. */
#ifndef ET_OPTS_H
#define ET_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct opts {
	pid_t *pids;		/* -p targets, in command line order, no repeats */
	size_t npids;
	bool threads;		/* -T */
	bool failed;		/* -x */
	bool json;		/* -j */
	bool verbose;		/* -v */
	bool help;		/* -h */
	bool version;		/* -V */
	uint64_t timeout_ns;	/* --timeout, 0: none */
	unsigned int ringbuf_kib; /* --ringbuf-size, or the default for -j / -r */
	unsigned int max_targets; /* --max-targets, 0: default */
	unsigned int coalesce_us; /* --coalesce-us */
	unsigned int attach;	/* --attach: ET_ATTACH_* */
	bool follow;		/* -f */
	bool any;		/* --any */
	bool summary;		/* --summary */
	bool realtime;		/* --realtime */
	bool rusage;		/* -r */
	uint64_t count;		/* -n, 0: no limit */
	const char *output;	/* -o FILE, NULL: default */
	const char **comms;	/* --comm, into argv */
	size_t ncomms;
	const char **users;	/* -u, into argv: numbers or names (resolved later) */
	size_t nusers;
	const char **cgroups;	/* --cgroup, into argv (resolved later) */
	size_t ncgroups;
	const char **containers; /* --container, into argv: hex, checked */
	size_t ncontainers;
	const char **pidns;	/* --pidns, into argv: inode numbers or paths */
	size_t npidns;
	char *const *cmd;	/* command mode: CMD [ARGS...], NULL-terminated; or NULL */
};

#define OPTS_ERR_LEN 256

#define OPTS_COALESCE_US 1000
/* The ring's default size: JSON and -r send rusage, in records 3.5 times
 * larger; the ring holds as many of them, as long a stall, as of text's. */
#define OPTS_RINGBUF_KIB 512
#define OPTS_RINGBUF_EXT_KIB 2048

/*
 * Parse argv into o (which the caller zeroes; defaults are set here). pid_max bounds -p. Returns 0,
 * or -EINVAL with a one-line message in err, or -ENOMEM.
 */
int opts_parse(struct opts *o, int argc, char *const argv[], long pid_max, char *err,
	       size_t errlen);

/* Parse one PID: 0 and *pid set, or -EINVAL / -ERANGE with a message. */
int opts_parse_pid(const char *s, long pid_max, pid_t *pid, char *err, size_t errlen);

/* Parse seconds ("2", "0.25"): 0 and *ns set, or -EINVAL with a message. */
int opts_parse_seconds(const char *s, uint64_t *ns, char *err, size_t errlen);

/* A -u argument: 0 and *uid set for a number, -ENOENT for something that
 * may be a user name, -EINVAL with a message when neither. */
int opts_parse_uid(const char *s, uid_t *uid, char *err, size_t errlen);

/* A --pidns argument: 0 and *inum for a number, -ENOENT for what may be a
 * path (/proc/PID/ns/pid), -EINVAL with a message when neither. */
int opts_parse_pidns(const char *s, unsigned int *inum, char *err, size_t errlen);

void opts_free(struct opts *o);

/* The --help text. */
extern const char opts_usage[];

#endif /* ET_OPTS_H */
