// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "output.h"

void output_init(struct output *o, int fd)
{
	o->fd = fd;
	o->err = 0;
	o->used = 0;
}

static int write_all(struct output *o, const char *p, size_t len)
{
	ssize_t n;

	while (len && !o->err) {
		n = write(o->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			o->err = n < 0 ? -errno : -EIO;
			break;
		}
		p += n;
		len -= (size_t)n;
	}
	return o->err;
}

int output_flush(struct output *o)
{
	write_all(o, o->buf, o->used);
	o->used = 0;
	return o->err;
}

int output_write(struct output *o, const char *s, size_t len)
{
	if (o->err)
		return o->err;
	if (o->used + len > sizeof(o->buf) && output_flush(o))
		return o->err;
	if (len > sizeof(o->buf))
		return write_all(o, s, len);
	memcpy(o->buf + o->used, s, len);
	o->used += len;
	return 0;
}
