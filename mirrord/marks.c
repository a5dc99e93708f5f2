/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * marks.c - the kernel's out-of-sync bitmap as mirrord changes it.  The
 * kernel persists a set bit before MD_IOC_SET_OOS returns, so a mark made
 * here survives a crash of either program.  Every function returns 0 or
 * -errno.
 */
#include <string.h>
#include "kctl.h"
#include "repl.h"

#define MARKS_STEP	(64u * 1024)	/* chunks per ioctl */

/* Apply cmd (MD_IOC_SET_OOS / CLEAR_OOS) to the chunks set in words, or
 * to every chunk when words is NULL. */
static int marks_apply(struct repl *r, unsigned long cmd, const uint64_t *words)
{
	static uint64_t ones[MARKS_STEP / 64];
	int rc = 0;

	if (!words && !ones[0])
		memset(ones, 0xff, sizeof(ones));
	for (uint64_t start = 0; start < r->dev.nchunks && !rc; start += MARKS_STEP) {
		uint64_t n = r->dev.nchunks - start < MARKS_STEP ? r->dev.nchunks - start : MARKS_STEP;

		rc = kctl_oos(r->dev.ctl_fd, cmd, (uint32_t)r->res->minor, start, n,
			      words ? (uint64_t *)(words + start / 64) : ones);
	}
	return rc;
}

/* Apply 'cmd' (MD_IOC_SET_OOS / CLEAR_OOS) to every chunk. */
int marks_all(struct repl *r, unsigned long cmd)
{
	return marks_apply(r, cmd, NULL);
}

/* Clear the chunks set in words (one bit per chunk, nchunks bits). */
int marks_clear(struct repl *r, const uint64_t *words)
{
	return marks_apply(r, MD_IOC_CLEAR_OOS, words);
}

/* Mark one chunk out of sync (persisted by the kernel before it returns). */
int mark_chunk(struct repl *r, uint64_t c)
{
	uint64_t start = c & ~63ull, n = r->dev.nchunks - start < 64 ? r->dev.nchunks - start : 64;
	uint64_t word = 1ull << (c % 64);

	return kctl_oos(r->dev.ctl_fd, MD_IOC_SET_OOS, (uint32_t)r->res->minor, start, n, &word);
}
