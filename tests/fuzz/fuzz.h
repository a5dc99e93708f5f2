/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz/ share: a check that
 * stops the run with a message (libFuzzer keeps the input that caused it),
 * scratch files for the parsers that take a path, and the mirror rule of
 * md_gen_decide.  Header-only: each target is one translation unit linked
 * with lib/, nothing else.
 */
#ifndef MD_FUZZ_H
#define MD_FUZZ_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "meta.h"

/* A broken property is a crash: abort() lets libFuzzer save the input. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n",		\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

static inline uint16_t fuzz_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t fuzz_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * A private directory for the files a target needs (the parsers under test
 * take a path, and the runtime-file writers rename PATH.tmp over PATH).
 * Made once per process and removed at exit, files and all.
 */
static char fuzz_dir[64];

static void fuzz_dir_cleanup(void)
{
	static const char *const names[] = { "in", "out", "out.tmp", "ctl", "ctl.tmp" };
	char p[128];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", fuzz_dir, names[i]);
		unlink(p);
	}
	rmdir(fuzz_dir);
}

static inline const char *fuzz_dir_get(void)
{
	if (!fuzz_dir[0]) {
		/* $TMPDIR if set, else tmpfs when there is one: the parsers
		 * open, write and rename files at every input, ten times
		 * faster in memory than on a disk. */
		const char *t = getenv("TMPDIR");
		const char *const dirs[] = { t && *t == '/' && strlen(t) < 40 ? t : "/dev/shm",
					     "/tmp" };

		for (size_t i = 0; i < 2; i++) {
			snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/mdfuzz.XXXXXX", dirs[i]);
			if (mkdtemp(fuzz_dir))
				break;
			FUZZ_CHECK(i == 0);
		}
		atexit(fuzz_dir_cleanup);
	}
	return fuzz_dir;
}

/* fuzz_dir/name with exactly these bytes; returns the path (static). */
static inline const char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir_get(), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
	close(fd);
	return path;
}

/* What decide(b, a) must be when decide(a, b) is d (meta.h: "always mirror
 * each other"). */
static inline enum md_sync_decision fuzz_mirror(enum md_sync_decision d)
{
	switch (d) {
	case MD_SYNC_SOURCE_BITMAP: return MD_SYNC_TARGET_BITMAP;
	case MD_SYNC_TARGET_BITMAP: return MD_SYNC_SOURCE_BITMAP;
	case MD_SYNC_SOURCE_FULL: return MD_SYNC_TARGET_FULL;
	case MD_SYNC_TARGET_FULL: return MD_SYNC_SOURCE_FULL;
	default: return d;
	}
}

/* decide(a, b) and decide(b, a) mirror each other; a and b are nodes 0
 * and 1 (node_index is set here). */
static inline void fuzz_check_gen_mirror(struct md_gen_view a, struct md_gen_view b)
{
	enum md_sync_decision ab, ba;

	a.node_index = 0;
	b.node_index = 1;
	ab = md_gen_decide(&a, &b);
	ba = md_gen_decide(&b, &a);
	FUZZ_CHECK(strcmp(md_sync_decision_name(ab), "unknown") != 0);
	FUZZ_CHECK(ba == fuzz_mirror(ab));
}

#endif
