// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer: the command line. The input is argv, NUL-separated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[34], err[OPTS_ERR_LEN];
	unsigned int inum;
	struct opts o;
	uint64_t ns;
	size_t i, start = 0;
	int argc = 1, ret;
	pid_t pid;
	uid_t uid;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "exittrace";
	for (i = 0; i <= size && argc < 33; i++) {
		if (i == size || buf[i] == '\0') {
			buf[i] = '\0';
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	memset(&o, 0, sizeof(o));
	err[0] = '\0';
	ret = opts_parse(&o, argc, argv, 4194304, err, sizeof(err));
	/* an error is one line, NUL-terminated within the buffer */
	if (ret && (!memchr(err, '\0', sizeof(err)) || strchr(err, '\n')))
		abort();
	opts_free(&o);
	opts_parse_pid(buf, 4194304, &pid, err, sizeof(err));
	opts_parse_seconds(buf, &ns, err, sizeof(err));
	opts_parse_uid(buf, &uid, err, sizeof(err));
	opts_parse_pidns(buf, &inum, err, sizeof(err));
	free(buf);
	return 0;
}
