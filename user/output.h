/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Buffered output to a file descriptor, flushed before every blocking wait. */
#ifndef ET_OUTPUT_H
#define ET_OUTPUT_H

#include <stddef.h>

struct output {
	int fd;
	int err;		/* first write error (-errno), sticky */
	size_t used;
	char buf[1 << 16];
};

void output_init(struct output *o, int fd);
/* Append; flushes when the buffer fills. Returns o->err. */
int output_write(struct output *o, const char *s, size_t len);
/* Write out everything buffered. Returns o->err. */
int output_flush(struct output *o);

#endif /* ET_OUTPUT_H */
