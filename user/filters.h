/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The CLI's container filters, checked against the system: --cgroup,
 * --container, --pidns. */
#ifndef ET_FILTERS_H
#define ET_FILTERS_H

#include <stdbool.h>
#include <stddef.h>
#include "opts.h"

struct ctr_filters {
	bool have_v2;		/* a cgroup v2 is mounted */
	char **containers;	/* lowercase: a whole id when the prefix named one
				 * running container, else the prefix */
	size_t ncontainers;
	unsigned int *pidns;	/* inode numbers */
	size_t npidns;
	int *pidns_fds;		/* those given as paths, held open: a namespace
				 * whose inode number is watched cannot end and
				 * pass it on to a new one */
	size_t nfds;
	char notice[256];	/* for stderr, once: "" or what the user should know */
};

/*
 * Check and resolve o's --cgroup (each must be a cgroup v2 directory),
 * --container (a prefix must not name two running containers) and --pidns
 * (a number, or a path to a PID namespace). 0; or -errno with a one-line
 * message naming the culprit in err.
 */
int ctr_filters_resolve(struct ctr_filters *f, const struct opts *o, char *err, size_t errlen);
void ctr_filters_free(struct ctr_filters *f);

#endif /* ET_FILTERS_H */
