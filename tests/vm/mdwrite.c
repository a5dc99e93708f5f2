/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdwrite - acknowledged-write log for the crash test.
 *
 *   mdwrite write DEV COUNT [WORST [RATE]]
 *                              write 4 KiB blocks 0..COUNT-1 (O_DIRECT),
 *                              printing each block's number once its write
 *                              has completed (been acknowledged); with
 *                              WORST, keep the longest write's latency in
 *                              that file ("MS BLOCK", rewritten at each new
 *                              maximum, so it survives a kill); with RATE,
 *                              at most RATE writes per second
 *   mdwrite check DEV FILE     every block number listed in FILE holds its
 *                              pattern on DEV; exit 1 at the first that does not
 *   mdwrite prefix DEV COUNT   the blocks of DEV holding their pattern form a
 *                              prefix 0..K-1 of 0..COUNT-1: prints K; exit 1
 *                              (naming it) at a block past K that holds its
 *                              pattern, a gap in the history (mode = async)
 *
 * A block is "MDWRITE!" + its number + a filler derived from the number, so
 * a stale or torn block is told from a good one.  Test-only.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void record_worst(const char *path, uint64_t ms, uint64_t n)
{
	FILE *f;

	if (!path || !(f = fopen(path, "w")))
		return;
	fprintf(f, "%llu %llu\n", (unsigned long long)ms, (unsigned long long)n);
	fclose(f);
}

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

	if (argc < 4 || argc > 6 || (strcmp(argv[1], "write") && strcmp(argv[1], "check") &&
				     strcmp(argv[1], "prefix"))) {
		fprintf(stderr, "usage: mdwrite write DEV COUNT [WORST [RATE]] | mdwrite check DEV FILE"
			" | mdwrite prefix DEV COUNT\n");
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
		uint64_t count = strtoull(argv[3], NULL, 10), worst = 0, start = now_ms();
		uint64_t rate = argc > 5 ? strtoull(argv[5], NULL, 10) : 0;

		record_worst(argc > 4 ? argv[4] : NULL, 0, 0);
		for (uint64_t n = 0; n < count; n++) {
			uint64_t t0 = now_ms(), ms;

			if (rate && t0 < start + n * 1000 / rate) {
				usleep((useconds_t)(start + n * 1000 / rate - t0) * 1000);
				t0 = now_ms();
			}
			fill(buf, n);
			if (pwrite(fd, buf, BS, (off_t)(n * BS)) != BS) {
				perror("pwrite");
				return 1;
			}
			ms = now_ms() - t0;
			if (ms > worst)
				record_worst(argc > 4 ? argv[4] : NULL, worst = ms, n);
			printf("%llu\n", (unsigned long long)n);
			fflush(stdout);
		}
		return 0;
	} else if (argv[1][0] == 'p') {
		uint64_t count = strtoull(argv[3], NULL, 10), k = 0, n;

		for (n = 0; n < count; n++) {
			bool has;

			fill(want, n);
			if (pread(fd, buf, BS, (off_t)(n * BS)) != BS) {
				perror("pread");
				return 2;
			}
			has = !memcmp(buf, want, BS);
			if (has && k < n) {
				printf("block %llu is on %s but block %llu is not: not a prefix\n",
				       (unsigned long long)n, argv[2], (unsigned long long)k);
				return 1;
			}
			if (has)
				k = n + 1;
		}
		printf("%llu\n", (unsigned long long)k);
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
