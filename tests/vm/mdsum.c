/*
 * mdsum - the XXH3-128 digest of standard input, in hex: what the VM
 * scenarios compare to tell that two disks hold the same bytes
 * (tests/vm/guest/lib.sh, digest).  Under TCG it is many times faster than
 * sha256sum, which made the digests of whole disks a large share of each
 * scenario's time; the comparison needs a digest that any difference
 * changes, not one an adversary cannot forge.
 *   mdsum < FILE      prints 32 hex digits and a newline; exit 1 on a
 *                     read error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

int main(void)
{
	static char buf[1 << 20];
	XXH3_state_t *st = XXH3_createState();
	XXH128_hash_t h;
	ssize_t n;

	if (!st || XXH3_128bits_reset(st) != XXH_OK) {
		fprintf(stderr, "mdsum: out of memory\n");
		return 1;
	}
	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "mdsum: read: %s\n", strerror(errno));
			return 1;
		}
		XXH3_128bits_update(st, buf, (size_t)n);
	}
	h = XXH3_128bits_digest(st);
	XXH3_freeState(st);
	printf("%016llx%016llx\n", (unsigned long long)h.high64, (unsigned long long)h.low64);
	return 0;
}
