// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer: wait status decoding and the CPU time split, on any value. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "format.h"
#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t v[3] = { 0 }, ut, st_;
	struct et_status st;
	char buf[64], name[32];
	int status = 0, sig;

	memcpy(&status, data, size < sizeof(status) ? size : sizeof(status));
	status_decode(status, &st);
	status_si_code(&st);
	status_si_status(&st);
	/* a shell's status, or -1 exactly when unknown */
	sig = status_shell(&st);
	if (sig < -1 || sig > 255 || (sig == -1) != (st.code == ET_CODE_UNKNOWN))
		abort();
	status_code_name(st.code);
	if (fmt_status(buf, sizeof(buf), status) < 0)
		abort();
	signal_name(status & 0xff);
	snprintf(name, sizeof(name), "%.*s", (int)(size < 31 ? size : 31), (const char *)data);
	signal_parse(name);
	if (size > sizeof(status))
		memcpy(v, data + sizeof(status),
		       size - sizeof(status) < sizeof(v) ? size - sizeof(status) : sizeof(v));
	status_cputime_adjust(v[0], v[1], v[2], &ut, &st_);
	/* the split adds up to the exact total */
	if (ut + st_ != v[2])
		abort();
	return 0;
}
