// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "procstat.h"

int procstat_parse(const char *buf, struct proc_stat *ps)
{
	const char *open, *close, *p;
	unsigned long long v;
	size_t n;
	char *end;
	int field;

	memset(ps, 0, sizeof(*ps));
	ps->exit_code = -1;
	open = strchr(buf, '(');
	close = strrchr(buf, ')');
	if (!open || !close || close < open || close[1] != ' ')
		return -EINVAL;
	n = (size_t)(close - open - 1);
	if (n >= sizeof(ps->comm))
		n = sizeof(ps->comm) - 1;
	memcpy(ps->comm, open + 1, n);
	ps->comm[n] = '\0';

	p = close + 2;
	if (!*p || *p == ' ')
		return -EINVAL;
	ps->state = *p++;
	/* fields 4.. are numbers separated by single spaces */
	for (field = 4; *p == ' '; field++) {
		p++;
		errno = 0;
		if (*p == '-')
			v = (unsigned long long)strtoll(p, &end, 10);
		else
			v = strtoull(p, &end, 10);
		if (end == p || errno)
			return -EINVAL;
		p = end;
		if (field == 4)
			ps->ppid = (pid_t)v;
		else if (field == 22)
			ps->start_ticks = v;
		else if (field == 52)
			ps->exit_code = (int)v;
	}
	if (field <= 22 || (*p && *p != '\n'))
		return -EINVAL;
	return 0;
}

static int status_field(const char *buf, const char *key, unsigned long *val)
{
	size_t klen = strlen(key);
	const char *p = buf;
	char *end;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0) {
			p += klen;
			p += strspn(p, " \t");
			errno = 0;
			*val = strtoul(p, &end, 10);
			if (end == p || errno)
				return -EINVAL;
			return 0;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -EINVAL;
}

int procstatus_uid(const char *buf, uid_t *uid)
{
	unsigned long v;
	int ret = status_field(buf, "Uid:", &v);

	if (!ret)
		*uid = (uid_t)v;
	return ret;
}

int procstatus_tgid(const char *buf, pid_t *tgid)
{
	unsigned long v;
	int ret = status_field(buf, "Tgid:", &v);

	if (!ret)
		*tgid = (pid_t)v;
	return ret;
}
