// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer: records as text and JSON lines, from arbitrary bytes: a struct
 * et_exit, then a cgroup path. Every line must fit, end in one newline, hold
 * no control byte, and each JSON line must be one valid object in UTF-8.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "format.h"

static char line[FMT_LINE_MAX];

static void check_line(int n, bool json)
{
	json_tokener *tok;
	json_object *o;
	int i;

	if (n <= 0 || n >= FMT_LINE_MAX || line[n - 1] != '\n' || line[n] != '\0')
		abort();
	for (i = 0; i < n - 1; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			abort();
	if (!json)
		return;
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, line, n - 1);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(o, json_type_object))
		abort();
	json_object_put(o);
	json_tokener_free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmt_ctx ctx = { .utc = true };
	struct et_exit ex;
	struct fmt_cg cg = { 0 };
	char *path = NULL, cid[65];
	struct summary sum;
	size_t rest;

	memset(&ex, 0, sizeof(ex));
	memcpy(&ex, data, size < sizeof(ex) ? size : sizeof(ex));
	rest = size > sizeof(ex) ? size - sizeof(ex) : 0;
	if (rest) {
		path = malloc(rest + 1);
		if (!path)
			return 0;
		memcpy(path, data + sizeof(ex), rest);
		path[rest] = '\0';
		cg.path = path;
		snprintf(cid, sizeof(cid), "%s", path);
		cg.container_id = cid;
	}
	ctx.threads = ex.flags & 1;
	ctx.rusage = ex.flags & 2;
	ctx.containers = ex.flags & 4;
	ctx.boot_to_real_ns = (int64_t)ex.start_ns;
	check_line(fmt_text(line, sizeof(line), &ex, rest ? &cg : NULL, &ctx), false);
	check_line(fmt_json(line, sizeof(line), &ex, rest ? &cg : NULL, &ctx), true);
	check_line(fmt_text_header(line, sizeof(line), &ctx), false);
	fmt_failure(line, sizeof(line), &ex, true, true);
	fmt_failure(line, sizeof(line), &ex, false, false);
	memset(&sum, 0, sizeof(sum));
	summary_count(&sum, &ex);
	fmt_summary(line, sizeof(line), &sum, true);
	free(path);
	return 0;
}
