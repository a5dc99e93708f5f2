/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdioctl - send the mirror module's creation ioctl with exactly the values
 * given, bypassing mdctl's own checks, to test the kernel's.  Test-only.
 *
 *   mdioctl create MINOR LOWER META|- DATA_BYTES META_OFFSET BITMAP_BYTES [CHUNK_SHIFT]
 *   mdioctl destroy MINOR
 *   mdioctl setoos MINOR CHUNK   mark one chunk out of sync (persisted
 *                                before the ioctl returns)
 *
 * Prints "ok" or the error name; exits 0 on success, 1 on a refused ioctl,
 * 2 on bad usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "md_chan.h"

static int done(int rc)
{
	if (rc) {
		printf("%s\n", errno == EINVAL ? "EINVAL" : strerror(errno));
		return 1;
	}
	printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	int fd = open(MD_CTL_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		perror(MD_CTL_PATH);
		return 2;
	}
	if ((argc == 8 || argc == 9) && !strcmp(argv[1], "create")) {
		struct md_ioc_create c;

		memset(&c, 0, sizeof(c));
		c.minor = (uint32_t)strtoul(argv[2], NULL, 0);
		c.role = MD_ROLE_SECONDARY;
		snprintf(c.name, sizeof(c.name), "ioctl-test");
		snprintf(c.lower, sizeof(c.lower), "%s", argv[3]);
		if (strcmp(argv[4], "-"))
			snprintf(c.meta, sizeof(c.meta), "%s", argv[4]);
		c.data_bytes = strtoull(argv[5], NULL, 0);
		c.meta_offset = strtoull(argv[6], NULL, 0);
		c.bitmap_bytes = strtoull(argv[7], NULL, 0);
		if (argc == 9)
			c.chunk_shift = (uint32_t)strtoul(argv[8], NULL, 0);
		return done(ioctl(fd, MD_IOC_CREATE, &c));
	}
	if (argc == 3 && !strcmp(argv[1], "destroy")) {
		uint32_t minor = (uint32_t)strtoul(argv[2], NULL, 0);

		return done(ioctl(fd, MD_IOC_DESTROY, &minor));
	}
	if (argc == 4 && !strcmp(argv[1], "setoos")) {
		uint64_t chunk = strtoull(argv[3], NULL, 0), word = 1ull << (chunk % 64);
		struct md_ioc_oos o = {
			.minor = (uint32_t)strtoul(argv[2], NULL, 0),
			.start = chunk & ~63ull, .nbits = 64, .addr = (uintptr_t)&word,
		};

		return done(ioctl(fd, MD_IOC_SET_OOS, &o));
	}
	fprintf(stderr, "usage: mdioctl create MINOR LOWER META|- DATA META_OFFSET BITMAP [SHIFT] | destroy MINOR | setoos MINOR CHUNK\n");
	return 2;
}
