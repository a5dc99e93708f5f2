/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runfile.c - fuzz target: the runtime-file readers and writers of
 * lib/runfile.c.  NAME.state is written by mirrord and read by mdctl; it
 * may be half-written by a crash, edited by hand, or written by a newer or
 * older release.
 *
 * Input: a mode byte, then the rest.  mode % 2:
 *   0  the rest is a state file: md_state_read, then md_state_write of
 *      what was read and md_state_read again, which must give the same.
 *   1  the rest is a struct md_state's bytes, whatever they are:
 *      md_state_write, then md_state_read, which must give what the
 *      writer's contract in runfile.h says (strings cut at their field,
 *      '\n' as ' ', at most MD_VF_FIRST_MAX offsets).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "fuzz.h"
#include "runfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size);

static char out_path[128];

static const char *out(void)
{
	if (!out_path[0])
		snprintf(out_path, sizeof(out_path), "%s/out", fuzz_dir_get());
	return out_path;
}

/* A string field as a reader of the writer's file sees it. */
static void str_norm(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size);

	if (n == size)
		n = size - 1;
	memset(dst, 0, size);
	for (size_t i = 0; i < n; i++)
		dst[i] = src[i] == '\n' ? ' ' : src[i];
}

#define STR_SAME(a, b, f)	FUZZ_CHECK(strcmp((a)->f, (b)->f) == 0)
#define NUM_SAME(a, b, f)	FUZZ_CHECK((a)->f == (b)->f)

static void check_same_state(const struct md_state *a, const struct md_state *b)
{
	NUM_SAME(a, b, pid); NUM_SAME(a, b, link); NUM_SAME(a, b, since);
	STR_SAME(a, b, peer); STR_SAME(a, b, peer_role); STR_SAME(a, b, io);
	STR_SAME(a, b, last_error); STR_SAME(a, b, verify);
	NUM_SAME(a, b, verify_token); NUM_SAME(a, b, verify_done);
	NUM_SAME(a, b, verify_total); NUM_SAME(a, b, verify_differ);
	NUM_SAME(a, b, verify_errors); NUM_SAME(a, b, verify_nfirst);
	for (unsigned i = 0; i < a->verify_nfirst; i++)
		NUM_SAME(a, b, verify_first[i]);
	NUM_SAME(a, b, sync_same); NUM_SAME(a, b, detached); NUM_SAME(a, b, paused);
	NUM_SAME(a, b, resync_rate); STR_SAME(a, b, sync); STR_SAME(a, b, sync_role);
	NUM_SAME(a, b, sync_done); NUM_SAME(a, b, sync_total); NUM_SAME(a, b, sync_rate);
}

static bool strings_terminated(const struct md_state *s)
{
	return strnlen(s->peer, sizeof(s->peer)) < sizeof(s->peer) &&
	       strnlen(s->peer_role, sizeof(s->peer_role)) < sizeof(s->peer_role) &&
	       strnlen(s->io, sizeof(s->io)) < sizeof(s->io) &&
	       strnlen(s->last_error, sizeof(s->last_error)) < sizeof(s->last_error) &&
	       strnlen(s->verify, sizeof(s->verify)) < sizeof(s->verify) &&
	       strnlen(s->sync, sizeof(s->sync)) < sizeof(s->sync) &&
	       strnlen(s->sync_role, sizeof(s->sync_role)) < sizeof(s->sync_role);
}

/* Write s, read it back into *back; the writer refuses only a link
 * out of range or MD_LINK_NO_DAEMON. */
static bool write_read(const struct md_state *s, struct md_state *back)
{
	int rc = md_state_write(out(), s);

	if (s->link == MD_LINK_NO_DAEMON || (unsigned)s->link >= MD_LINK_COUNT) {
		FUZZ_CHECK(rc == -EINVAL);
		return false;
	}
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(md_state_read(out(), back) == 0);
	return true;
}

static void state_text(const uint8_t *in, size_t size)
{
	static struct md_state s, back;
	int rc = md_state_read(fuzz_file("in", in, size), &s);

	FUZZ_CHECK(rc == 0 || rc == -EBADMSG);
	FUZZ_CHECK(strings_terminated(&s));
	FUZZ_CHECK((unsigned)s.link < MD_LINK_COUNT && s.verify_nfirst <= MD_VF_FIRST_MAX);
	if (write_read(&s, &back))
		check_same_state(&s, &back);
}

static void state_struct(const uint8_t *in, size_t size)
{
	static struct md_state s, want, back;

	memset(&s, 0, sizeof(s));
	memcpy(&s, in, size < sizeof(s) ? size : sizeof(s));
	if (!write_read(&s, &back))
		return;
	want = s;
	str_norm(want.peer, s.peer, sizeof(s.peer));
	str_norm(want.peer_role, s.peer_role, sizeof(s.peer_role));
	str_norm(want.io, s.io, sizeof(s.io));
	str_norm(want.last_error, s.last_error, sizeof(s.last_error));
	str_norm(want.verify, s.verify, sizeof(s.verify));
	str_norm(want.sync, s.sync, sizeof(s.sync));
	str_norm(want.sync_role, s.sync_role, sizeof(s.sync_role));
	if (want.verify_nfirst > MD_VF_FIRST_MAX)
		want.verify_nfirst = MD_VF_FIRST_MAX;
	check_same_state(&want, &back);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	if (size < 1)
		return 0;
	if (in[0] % 2)
		state_struct(in + 1, size - 1);
	else
		state_text(in + 1, size - 1);
	return 0;
}
