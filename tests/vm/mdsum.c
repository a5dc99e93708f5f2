/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdsum - the XXH3-128 digest of a file or device, in hex: what the VM
 * scenarios compare to tell that two disks hold the same bytes
 * (tests/vm/guest/lib.sh, digest).  Under TCG it is many times faster than
 * busybox's sha256sum behind a pipe, which made the digests of whole disks
 * a large share of each scenario's time; the comparison needs a digest
 * that any difference changes, not one an adversary cannot forge.
 *   mdsum [FILE [BYTES]]   FILE (default: standard input), its first BYTES
 *                          bytes if given; prints 32 hex digits and a
 *                          newline.  Exit 1 on an error or a short file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	uint64_t left = UINT64_MAX;
	XXH3_state_t *st = XXH3_createState();
	XXH128_hash_t h;
	int fd = 0;
	ssize_t n;

	if (argc > 3 || (argc == 3 && sscanf(argv[2], "%lu", &left) != 1)) {
		fprintf(stderr, "usage: mdsum [FILE [BYTES]]\n");
		return 2;
	}
	if (argc >= 2 && (fd = open(argv[1], O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "mdsum: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (!st || XXH3_128bits_reset(st) != XXH_OK) {
		fprintf(stderr, "mdsum: out of memory\n");
		return 1;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (left && (n = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "mdsum: read: %s\n", strerror(errno));
			return 1;
		}
		XXH3_128bits_update(st, buf, (size_t)n);
		left -= (uint64_t)n;
	}
	if (argc == 3 && left) {
		fprintf(stderr, "mdsum: %s ends %llu bytes short of %s\n", argv[1],
			(unsigned long long)left, argv[2]);
		return 1;
	}
	h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	printf("%016llx%016llx\n", (unsigned long long)h.high64, (unsigned long long)h.low64);
	return 0;
}
