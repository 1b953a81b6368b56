// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "cgpath.h"

#define ID  "3f2a9c0e5b1d4a7f8c6e2b9d0a1f3c5e7b9d2f4a6c8e0b1d3f5a7c9e1b2d4f6a"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void expect_id(const char *path, const char *want)
{
	char id[CGPATH_ID_LEN + 1] = "untouched";

	if (!want) {
		if (cgpath_container_id(path, id))
			fail_msg("%s: matched %s", path, id);
		return;
	}
	if (!cgpath_container_id(path, id))
		fail_msg("%s: no match", path);
	assert_string_equal(id, want);
}

/* One sample path per runtime and cgroup driver. */
static void test_runtimes(void **state)
{
	/* docker, cgroupfs driver; runc's cgroupsPath in our tests */
	expect_id("/docker/" ID, ID);
	/* docker, systemd driver */
	expect_id("/system.slice/docker-" ID ".scope", ID);
	/* containerd (ctr, nerdctl), cgroupfs: /<namespace>/<id> */
	expect_id("/default/" ID, ID);
	/* kubernetes, containerd CRI, systemd driver */
	expect_id("/kubepods.slice/kubepods-besteffort.slice/"
		  "kubepods-besteffort-pod0d4c2a8e_1f3b_4c5d_9e7f_0a1b2c3d4e5f.slice/"
		  "cri-containerd-" ID ".scope", ID);
	/* kubernetes, cgroupfs driver */
	expect_id("/kubepods/burstable/pod0d4c2a8e-1f3b-4c5d-9e7f-0a1b2c3d4e5f/" ID, ID);
	/* CRI-O */
	expect_id("/kubepods.slice/kubepods-pod1.slice/crio-" ID ".scope", ID);
	/* podman, systemd and cgroupfs */
	expect_id("/machine.slice/libpod-" ID ".scope", ID);
	expect_id("/libpod_parent/libpod-" ID, ID);
	/* a process cgroup inside the container's own (systemd in a container) */
	expect_id("/system.slice/docker-" ID ".scope/init.scope", ID);
	/* without the leading slash, and with a trailing one */
	expect_id("docker/" ID "/", ID);
}

/* docker in docker: the innermost container. */
static void test_nested(void **state)
{
	expect_id("/docker/" ID "/docker/" ID2, ID2);
	expect_id("/system.slice/docker-" ID2 ".scope/docker/" ID, ID);
}

static void test_no_match(void **state)
{
	expect_id("/", NULL);
	expect_id("", NULL);
	expect_id("/user.slice/user-0.slice/session-3.scope", NULL);
	expect_id("/system.slice/docker.service", NULL);
	expect_id("/init.scope", NULL);
	/* a pod is not a container */
	expect_id("/kubepods.slice/kubepods-besteffort.slice/"
		  "kubepods-besteffort-pod0d4c2a8e_1f3b_4c5d_9e7f_0a1b2c3d4e5f.slice", NULL);
	/* the runtimes' monitors sit beside the container, not in it */
	expect_id("/machine.slice/libpod-conmon-" ID ".scope", NULL);
	expect_id("/kubepods.slice/crio-conmon-" ID ".scope", NULL);
	/* 63 and 65 digits, upper case, not hex, embedded in a longer name */
	expect_id("/docker/" "3f2a9c0e5b1d4a7f8c6e2b9d0a1f3c5e7b9d2f4a6c8e0b1d3f5a7c9e1b2d4f6", NULL);
	expect_id("/docker/" ID "0", NULL);
	expect_id("/docker/3F2A9C0E5B1D4A7F8C6E2B9D0A1F3C5E7B9D2F4A6C8E0B1D3F5A7C9E1B2D4F6A", NULL);
	expect_id("/docker/g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL);
	expect_id("/docker/x" ID, NULL);
	expect_id("/docker/" ID ".service", NULL);
	expect_id("/docker/" ID ".scope.bak", NULL);
	expect_id("/unknown-" ID ".scope", NULL);
	expect_id("/docker-" ID ".slice", NULL);
}

static void test_id_arg(void **state)
{
	char out[CGPATH_ID_LEN + 1];

	assert_int_equal(cgpath_id_arg("3F2a9C", out), 0);
	assert_string_equal(out, "3f2a9c");
	assert_int_equal(cgpath_id_arg(ID, out), 0);
	assert_string_equal(out, ID);
	assert_int_equal(cgpath_id_arg("", out), -EINVAL);
	assert_int_equal(cgpath_id_arg(ID "0", out), -EINVAL);
	assert_int_equal(cgpath_id_arg("3f2g", out), -EINVAL);
	assert_int_equal(cgpath_id_arg("docker-3f2a", out), -EINVAL);
}

static void test_mountinfo(void **state)
{
	/* this machine's: hybrid, v1 controllers and v2 at .../unified */
	static const char hybrid[] =
		"25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
		"35 25 0:30 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
		"40 35 0:37 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - "
		"cgroup2 cgroup2 rw,nsdelegate\n"
		"41 35 0:38 / /sys/fs/cgroup/memory rw,nosuid shared:11 - cgroup cgroup rw,memory\n";
	/* v2 only, no optional fields */
	static const char unified[] = "30 1 0:26 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw";
	/* a subtree first (a bind mount in a container), the whole one later;
	 * a space in the mount point */
	static const char two[] =
		"50 1 0:26 /docker/abc /mnt/cg rw - cgroup2 cgroup2 rw\n"
		"51 1 0:26 / /mnt/my\\040cgroup rw shared:1 master:2 - cgroup2 none rw\n";
	static const char sub[] = "50 1 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
	/* v1 only; and a tricky line whose mount point is named cgroup2 */
	static const char v1[] =
		"41 35 0:38 / /sys/fs/cgroup/memory rw shared:11 - cgroup cgroup rw,memory\n"
		"42 35 0:39 / /cgroup2 rw - tmpfs cgroup2 rw\n";
	char mnt[64], root[64];

	assert_int_equal(cgpath_v2_mount(hybrid, mnt, sizeof(mnt), root, sizeof(root)), 0);
	assert_string_equal(mnt, "/sys/fs/cgroup/unified");
	assert_string_equal(root, "/");
	assert_int_equal(cgpath_v2_mount(unified, mnt, sizeof(mnt), root, sizeof(root)), 0);
	assert_string_equal(mnt, "/sys/fs/cgroup");
	assert_int_equal(cgpath_v2_mount(two, mnt, sizeof(mnt), root, sizeof(root)), 0);
	assert_string_equal(mnt, "/mnt/my cgroup");
	assert_string_equal(root, "/");
	assert_int_equal(cgpath_v2_mount(sub, mnt, sizeof(mnt), root, sizeof(root)), 0);
	assert_string_equal(mnt, "/sys/fs/cgroup");
	assert_string_equal(root, "/docker/abc");
	assert_int_equal(cgpath_v2_mount(v1, mnt, sizeof(mnt), root, sizeof(root)), -ENOENT);
	assert_int_equal(cgpath_v2_mount("", mnt, sizeof(mnt), root, sizeof(root)), -ENOENT);
	assert_int_equal(cgpath_v2_mount("garbage\n\n - cgroup2\n", mnt, sizeof(mnt), root,
					 sizeof(root)), -ENOENT);
	assert_int_equal(cgpath_v2_mount(hybrid, mnt, 8, root, sizeof(root)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runtimes),  cmocka_unit_test(test_nested),
		cmocka_unit_test(test_no_match),  cmocka_unit_test(test_id_arg),
		cmocka_unit_test(test_mountinfo),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
