/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * compress.c - zstd compression of DATA payloads (compression = zstd or
 * auto; docs/design.md, "Compression"): the contexts, which messages the
 * setting compresses, and the counts status shows.  The codec itself is
 * lib/zdata.c; every DATA packet is framed with it (send.c for writes and
 * resync, csum.c for checksum resync's differing chunks) and parsed with
 * it (apply.c), so compression happens in one place, before the packet is
 * sealed (data-integrity) and encrypted (kTLS, below the socket).
 *
 * The connection compresses at all only when both HELLOs offered
 * MDW_FEAT_ZSTD (r->hs.zstd, decided by the handshake; a mismatch is
 * refused there).  Within it, what this node sends follows its setting
 * now: zstd compresses every message worth it, auto only while the send
 * queue is backed up (the link, not this CPU, bounds the throughput: then
 * cycles spent compressing buy bandwidth), none (set at run time) stops.
 * What the peer sends is decoded whatever our setting says.
 *
 * The contexts are allocated once (zc_init at start, or zc_set when the
 * administrator turns compression on or changes the level), never per
 * message; their counts live as long as the daemon.
 *
 * Owns r->zc.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "log.h"
#include "repl.h"

/* The encoder for the current level, the decoder: 0 or -errno. */
static int zc_prepare(struct repl *r)
{
	int rc = 0;

	if (r->res->compression == MD_COMP_NONE)
		return 0;
	if (!r->zc.enc.cctx || r->zc.enc.level != r->res->compression_level)
		rc = md_zenc_init(&r->zc.enc, r->res->compression_level);
	if (!rc)
		rc = md_zdec_init(&r->zc.dec);
	if (rc)
		log_err("compression: no memory for the zstd contexts (level %d): %s",
			r->res->compression_level, strerror(-rc));
	return rc;
}

int zc_init(struct repl *r)
{
	return zc_prepare(r);
}

void zc_fini(struct repl *r)
{
	md_zenc_fini(&r->zc.enc);
	md_zdec_fini(&r->zc.dec);
}

/* A connection starts: the back-off and the auto history of the last one
 * do not carry over (the counts do). */
void zc_connected(struct repl *r)
{
	r->zc.backlog = 0;
	r->zc.enc.fails = r->zc.enc.backoff = r->zc.enc.skip = 0;
	r->zc.enc.paused = false;
	if (r->hs.zstd && !r->zc.dec.dctx && md_zdec_init(&r->zc.dec))
		log_err("compression: no memory to decode the peer's compressed data");
}

/*
 * The encoder for the DATA about to be framed (a batch, or one message),
 * or NULL: send raw and count nothing (not negotiated, or no context).
 * auto: the encoder pauses (everything raw, counted as such) unless at
 * least half of the last 8 batches found the send queue backed up: one
 * busy moment does not switch compression on, one idle one not off.
 */
struct md_zenc *zc_encoder(struct repl *r)
{
	if (!r->hs.zstd || !r->zc.enc.cctx)
		return NULL;
	r->zc.backlog = (uint8_t)(r->zc.backlog << 1 | tx_backlog(r));
	switch (r->res->compression) {
	case MD_COMP_ZSTD:
		r->zc.enc.paused = false;
		break;
	case MD_COMP_AUTO:
		r->zc.enc.paused = __builtin_popcount(r->zc.backlog) < 4;
		break;
	default:
		r->zc.enc.paused = true;	/* none, set at run time */
		break;
	}
	return &r->zc.enc;
}

/* A received DATA payload into dst (lib/zdata.h, mdw_data_unpack). */
int zc_unpack(struct repl *r, const struct md_data_info *d, const void *payload, void *dst)
{
	return mdw_data_unpack(r->hs.zstd && r->zc.dec.dctx ? &r->zc.dec : NULL, d, payload, dst);
}

/* The counts moved since they were last published, a second or more ago:
 * the connected loop then writes the state file (status shows them while
 * data flows, which writes no state of its own), at most once a second. */
bool zc_publish_due(struct repl *r, uint64_t now)
{
	if ((r->zc.enc.st.in_bytes == r->zc.pub_sent && r->zc.dec.st.in_bytes == r->zc.pub_recv) ||
	    now - r->zc.pub_ms < 1000)
		return false;
	r->zc.pub_sent = r->zc.enc.st.in_bytes;
	r->zc.pub_recv = r->zc.dec.st.in_bytes;
	r->zc.pub_ms = now;
	return true;
}

/*
 * mdctl set compression / compression-level, mdctl adjust: the new mode
 * (MD_COMP_*, -1: unchanged) and level (INT_MIN: unchanged).  What the
 * connection negotiated stays: turning compression on or off here takes
 * the HELLO's part at the next connection (and the peer must say the
 * same then); turning it off stops our compressing at once.  0 with what
 * happens in msg, or -errno (no memory: nothing changed).
 */
int zc_set(struct repl *r, int mode, int level, char *msg, size_t len)
{
	int old_mode = r->res->compression, old_level = r->res->compression_level, rc;

	if (mode >= 0)
		r->res->compression = mode;
	if (level >= MDZ_LEVEL_MIN)
		r->res->compression_level = level;
	rc = zc_prepare(r);
	if (rc) {
		r->res->compression = old_mode;
		r->res->compression_level = old_level;
		snprintf(msg, len, "no memory for the zstd contexts: %s", strerror(-rc));
		return rc;
	}
	if (mode >= 0 && mode != old_mode)
		log_info("compression now %s", md_compression_name(mode));
	if (level >= MDZ_LEVEL_MIN && level != old_level)
		log_info("compression level now %d", level);
	snprintf(msg, len, "compression %s, level %d%s", md_compression_name(r->res->compression),
		 r->res->compression_level,
		 r->adm.link != MD_LINK_CONNECTED ? "" :
		 !r->hs.zstd && r->res->compression != MD_COMP_NONE ?
		 "; this connection negotiated none: compressing starts at the next connection, "
		 "when the peer says the same" :
		 r->hs.zstd && r->res->compression == MD_COMP_NONE ?
		 "; this node stops compressing now, the peer's compressed data is still taken "
		 "until the next connection" : "");
	return 0;
}
