/*
 * mdwrite - acknowledged-write log for the crash test.
 *
 *   mdwrite write DEV COUNT    write 4 KiB blocks 0..COUNT-1 (O_DIRECT),
 *                              printing each block's number once its write
 *                              has completed (been acknowledged)
 *   mdwrite check DEV FILE     every block number listed in FILE holds its
 *                              pattern on DEV; exit 1 at the first that does not
 *
 * A block is "MDWRITE!" + its number + a filler derived from the number, so
 * a stale or torn block is told from a good one.  Test-only.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BS 4096

static void fill(unsigned char *b, uint64_t n)
{
	uint64_t x = n * 0x9E3779B97F4A7C15ull + 1;

	memcpy(b, "MDWRITE!", 8);
	memcpy(b + 8, &n, 8);
	for (int i = 16; i < BS; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		b[i] = (unsigned char)x;
	}
}

int main(int argc, char **argv)
{
	unsigned char *buf, *want;
	int fd;

	if (argc != 4 || (strcmp(argv[1], "write") && strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: mdwrite write DEV COUNT | mdwrite check DEV FILE\n");
		return 2;
	}
	if (posix_memalign((void **)&buf, BS, BS) || posix_memalign((void **)&want, BS, BS))
		return 2;
	fd = open(argv[2], (argv[1][0] == 'w' ? O_WRONLY : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		perror(argv[2]);
		return 2;
	}
	if (argv[1][0] == 'w') {
		uint64_t count = strtoull(argv[3], NULL, 10);

		for (uint64_t n = 0; n < count; n++) {
			fill(buf, n);
			if (pwrite(fd, buf, BS, (off_t)(n * BS)) != BS) {
				perror("pwrite");
				return 1;
			}
			printf("%llu\n", (unsigned long long)n);
			fflush(stdout);
		}
		return 0;
	} else {
		FILE *f = fopen(argv[3], "r");
		unsigned long long n, good = 0;

		if (!f) {
			perror(argv[3]);
			return 2;
		}
		while (fscanf(f, "%llu", &n) == 1) {
			fill(want, n);
			if (pread(fd, buf, BS, (off_t)(n * BS)) != BS || memcmp(buf, want, BS)) {
				printf("block %llu: acknowledged but not on %s\n", n, argv[2]);
				return 1;
			}
			good++;
		}
		printf("%llu acknowledged blocks present on %s\n", good, argv[2]);
		return 0;
	}
}
