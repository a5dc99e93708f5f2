/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zdata.h - the DATA codec: one DATA packet framed with its payload
 * compressed by zstd or raw (mdw_data_pack, for every sender: application
 * writes, resync, checksum resync), and a received payload checked and
 * decoded into the buffer it is written from (mdw_data_unpack).
 *
 * Sender: a message goes compressed (MDW_DF_ZSTD, the payload one zstd
 * frame) only when it is at least MDZ_MIN_BYTES and its frame saves at
 * least an eighth (the frame must fit in len - len/8 bytes); otherwise it
 * goes raw, flag clear, exactly as without compression.  After
 * MDZ_FAILS incompressible messages in a row the encoder stops trying for
 * MDZ_BACKOFF_MIN messages, then tries one: a failure doubles the pause
 * (up to MDZ_BACKOFF_MAX), a success ends it.  Random or encrypted data
 * then costs one attempt in up to a thousand messages.  Both count a
 * message by its MDZ_UNIT_BYTES (at least one): a 1 MiB resync run
 * weighs what its 16 chunks sent one by one did, so that a pause is as
 * many bytes whatever the messages' size (a run after random data does
 * not go raw for 16 MiB where 1 MiB of chunks did).
 *
 * Memory: both contexts live in a workspace allocated once (md_zenc_init,
 * md_zdec_init: zstd's static contexts), so that no message allocates,
 * and a daemon locked in memory (mlockall) never faults on the data path.
 * The encoder's workspace is sized for its level and the largest message
 * (MD_MAX_IO_BYTES); a level change re-initialises it (not per message).
 *
 * The frames carry zstd's content checksum (4 bytes, XXH64 of what they
 * decode to): a frame corrupted on the way, which the length checks below
 * cannot see and decompression would spread over the whole message, fails
 * to decode and is refused like any other broken payload, whether or not
 * data-integrity digests the packets.
 *
 * Receiver: it trusts nothing.  A compressed payload must be exactly one
 * zstd frame (the zstd magic: no skippable frame, no legacy format)
 * whose size is the whole payload (no second frame, no trailing bytes),
 * whose header announces exactly the DATA header's len (which
 * mdw_data_decode bounded by MD_MAX_IO_BYTES), and which decodes to
 * exactly that many bytes into a buffer of exactly that size.
 */
#ifndef MD_LIB_ZDATA_H
#define MD_LIB_ZDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire.h"

#define MDZ_MIN_BYTES		1024u	/* smaller messages go raw */
#define MDZ_FAILS		8u	/* incompressible in a row before backing off */
#define MDZ_BACKOFF_MIN		16u	/* messages sent raw without trying, first */
#define MDZ_BACKOFF_MAX		1024u	/* ... at most */
#define MDZ_UNIT_BYTES		65536u	/* what one message counts for, at most */
/* compression-level: zstd's fast (negative) levels up to 19; 20-22 need
 * windows larger than any message. */
#define MDZ_LEVEL_MIN		(-50)
#define MDZ_LEVEL_MAX		19
#define MDZ_LEVEL_DEFAULT	1

/* What the sender did, in payload bytes (the DATA headers not counted). */
struct md_zstats {
	uint64_t msgs;		/* DATA with a payload, framed by the encoder */
	uint64_t raw_msgs;	/* ... of them sent raw (small, incompressible,
				 * backing off, or paused) */
	uint64_t in_bytes;	/* payload before compression */
	uint64_t out_bytes;	/* ... as sent */
	uint64_t raw_bytes;	/* of in_bytes, those sent raw */
};

struct md_zenc {
	void *ws;		/* the static context's workspace */
	size_t ws_size;
	void *cctx;		/* ZSTD_CCtx in ws */
	int level;
	bool paused;		/* compression = auto, link not the bottleneck:
				 * everything raw, counted, no back-off change */
	unsigned fails;		/* incompressible in a row */
	unsigned backoff;	/* the current pause, 0: none */
	unsigned skip;		/* messages (units) left to send raw in it */
	struct md_zstats st;
};

struct md_zdec {
	void *ws;
	void *dctx;		/* ZSTD_DCtx in ws */
	struct md_zstats st;	/* received: in_bytes decoded, out_bytes on the wire */
};

/* 0 or -ENOMEM / -EINVAL (level out of range).  Re-initialising with
 * another level keeps the statistics. */
int md_zenc_init(struct md_zenc *z, int level);
void md_zenc_fini(struct md_zenc *z);
int md_zdec_init(struct md_zdec *z);
void md_zdec_fini(struct md_zdec *z);

/*
 * Frame one DATA packet into frame (MDW_DATA_FRAME bytes) and return its
 * payload, *plen bytes: the d->len bytes at data as they are, or their
 * frame in out (room for d->len bytes; NULL: raw), in which case d->flags
 * gains MDW_DF_ZSTD and d->plen is set.  z NULL (compression not
 * negotiated, or not configured): always raw, nothing counted.
 */
const void *mdw_data_pack(struct md_zenc *z, void *frame, struct md_data_info *d,
			  const void *data, void *out, uint32_t *plen);

/*
 * The payload of a DATA packet mdw_data_decode accepted (d) into dst,
 * which holds d->len bytes: copied, or with MDW_DF_ZSTD decoded under the
 * checks above.  z NULL: compression was not negotiated, so a compressed
 * payload is refused.  0, or: -EPROTO compressed but not negotiated,
 * -EBADMSG not exactly one zstd frame covering the payload, -EMSGSIZE its
 * header does not announce d->len bytes, -EILSEQ it does not decode to
 * exactly d->len bytes.
 */
int mdw_data_unpack(struct md_zdec *z, const struct md_data_info *d, const void *payload,
		    void *dst);
/* The reason for a log line: "not one zstd frame covering the payload"... */
const char *mdw_zerror(int rc);

#endif
