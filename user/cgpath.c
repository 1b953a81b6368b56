// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include "cgpath.h"

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Does component [s, s + n) name a container? Its id then starts at *id. */
static bool component_id(const char *s, size_t n, const char **id)
{
	static const char *const prefixes[] = {
		"", "docker-", "cri-containerd-", "crio-", "libpod-",
	};
	static const char scope[] = ".scope";
	size_t i, j, plen;

	if (n > sizeof(scope) - 1 && !memcmp(s + n - (sizeof(scope) - 1), scope, sizeof(scope) - 1))
		n -= sizeof(scope) - 1;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		plen = strlen(prefixes[i]);
		if (n != plen + CGPATH_ID_LEN || memcmp(s, prefixes[i], plen))
			continue;
		for (j = plen; j < n && is_lower_hex(s[j]); j++)
			;
		if (j == n) {
			*id = s + plen;
			return true;
		}
	}
	return false;
}

bool cgpath_container_id(const char *path, char id[CGPATH_ID_LEN + 1])
{
	const char *p = path, *end, *found = NULL, *cand;

	while (*p) {
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		if (end > p && component_id(p, (size_t)(end - p), &cand))
			found = cand;
		p = *end ? end + 1 : end;
	}
	if (!found)
		return false;
	memcpy(id, found, CGPATH_ID_LEN);
	id[CGPATH_ID_LEN] = '\0';
	return true;
}

int cgpath_id_arg(const char *arg, char out[CGPATH_ID_LEN + 1])
{
	size_t i, n = strlen(arg);

	if (!n || n > CGPATH_ID_LEN)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		char c = arg[i];

		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!is_lower_hex(c))
			return -EINVAL;
		out[i] = c;
	}
	out[n] = '\0';
	return 0;
}

/* Copy a mountinfo field [s, s + n), undoing its \ooo escapes. */
static int unescape(char *dst, size_t len, const char *s, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= len)
			return -ENAMETOOLONG;
		dst[o++] = c;
	}
	dst[o] = '\0';
	return 0;
}

/* The n-th space-separated field of line [s, eol): start and length. */
static bool field(const char *s, const char *eol, int n, const char **f, size_t *flen)
{
	const char *p = s, *e;
	int i;

	for (i = 0;; i++) {
		while (p < eol && *p == ' ')
			p++;
		if (p >= eol)
			return false;
		for (e = p; e < eol && *e != ' '; e++)
			;
		if (i == n) {
			*f = p;
			*flen = (size_t)(e - p);
			return true;
		}
		p = e;
	}
}

int cgpath_v2_mount(const char *mountinfo, char *mnt, size_t mntlen, char *root, size_t rootlen)
{
	const char *line = mountinfo, *eol, *f = NULL, *sep;
	const char *best = NULL, *best_eol = NULL;
	size_t flen = 0;
	int i, ret;

	for (; *line; line = *eol ? eol + 1 : eol) {
		eol = strchr(line, '\n');
		if (!eol)
			eol = line + strlen(line);
		/* optional fields end at a lone "-"; the file system type follows */
		sep = NULL;
		for (i = 6; field(line, eol, i, &f, &flen); i++) {
			if (flen == 1 && *f == '-') {
				sep = f;
				break;
			}
		}
		if (!sep || !field(sep, eol, 1, &f, &flen) || flen != 7 || memcmp(f, "cgroup2", 7))
			continue;
		if (!field(line, eol, 3, &f, &flen))
			continue;
		if (!best || (flen == 1 && *f == '/')) {
			best = line;
			best_eol = eol;
			if (flen == 1 && *f == '/')
				break;
		}
	}
	if (!best)
		return -ENOENT;
	field(best, best_eol, 3, &f, &flen);
	ret = unescape(root, rootlen, f, flen);
	if (ret)
		return ret;
	field(best, best_eol, 4, &f, &flen);
	return unescape(mnt, mntlen, f, flen);
}
