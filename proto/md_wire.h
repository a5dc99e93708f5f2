/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * md_wire.h - the mirrord <-> mirrord protocol on TCP.
 *
 * Every packet is an mdw_hdr followed by hdr.len bytes of body.  All fields
 * are little-endian; structures have explicit padding and reserved fields
 * that must be zero.  Packet types are never reused; a receiver refuses an
 * unknown type, a wrong magic, a body longer than MDW_MAX_BODY, or a
 * non-zero reserved field (protocol error: the connection is dropped).
 *
 * Connection life: first MDW_AUTH in three steps (lib/auth.h): both sides
 * prove they hold the resource's secret, before anything else is said.
 * With MDW_AUTH_F_TLS (encryption = tls on both) a TLS handshake follows
 * on the same stream (lib/tls.h), and from then on every byte below is
 * inside TLS records, encrypted and authenticated by the kernel (kTLS).
 * Then each side sends MDW_HELLO.  Each checks the other's
 * (magic, protocol version overlap, features, resource, node names, device
 * size, roles) and either goes on or sends MDW_REJECT with a reason and
 * closes.  Then the primary sends MDW_DATA (application writes, flushes)
 * and the secondary answers each with MDW_ACK once the write completed on
 * its disk.  Either side sends MDW_PING when idle; MDW_PONG answers.
 * MDW_STATE tells the peer that the sender's role changed.
 *
 * Resync: both sides decide the direction from the generation identifiers
 * in the HELLOs (lib/meta.c md_gen_decide).  The target sends its bitmap
 * (MDW_BITMAP... MDW_BITMAP_END); the source merges it into its own and
 * sends every marked chunk as MDW_DATA with MDW_DF_RESYNC, each acknowledged
 * like a write; then MDW_RS_DONE.  Application writes flow meanwhile.
 * See docs/design.md for the full description.
 */
#ifndef MD_WIRE_H
#define MD_WIRE_H

#include "md_chan.h"

#define MDW_MAGIC		0x3157444du	/* "MDW1" as bytes on the wire */
/* 2: MDW_AUTH comes before HELLO.  A protocol-1 peer is refused at its
 * first packet (it would send HELLO), before anything is negotiated: both
 * nodes are upgraded together (docs/security.md).
 * 3: MDW_RS_DONE carries the count of resync packets sent.  A protocol-2
 * peer is refused by the HELLO's version check, with the reason.
 * 4: the resync decision reads the HELLO's disk_state (an inconsistent or
 * outdated copy is never a source; MDW_REJ_NO_GOOD_COPY).  A protocol-3
 * peer would decide differently from the same two HELLOs, so it is
 * refused at HELLO like a protocol-2 one.
 * Within protocol 4, by feature bit (no version change: a peer without
 * the bit sends and expects what it did): MDW_FEAT_DISK_STATE, the disk
 * state in STATE's second word, zero before; MDW_FEAT_ZSTD (compression,
 * offered only when configured and refused unless both offer it),
 * MDW_DATA with MDW_DF_ZSTD: its payload one zstd frame.  A peer of an
 * earlier release never offers the bit: with compression = none it
 * connects as before, with compression on either side the HELLO check
 * refuses the pair with the reason.  MDW_FEAT_ASYNC (offered by every
 * release that has it): the receiver honours MDW_DF_BARRIER; a primary
 * runs mode = async only with a peer that offered it, synchronously
 * otherwise (and says so).  MDW_FEAT_RS_RUN: the receiver takes a resync
 * DATA of a run of whole chunks (each counted as arrived; RS_DONE still
 * counts packets); a source sends runs only to a peer that offered it,
 * one chunk per packet otherwise, as before. */
#define MDW_PROTO_MIN		4
#define MDW_PROTO_MAX		4
#define MDW_DEFAULT_PORT	7790
#define MDW_MAX_BODY		(MD_MAX_IO_BYTES + 64u)

/* Packet types. Never reuse a number. */
#define MDW_HELLO		1
#define MDW_REJECT		2
#define MDW_DATA		3
#define MDW_ACK			4
#define MDW_PING		5
#define MDW_PONG		6
#define MDW_STATE		7	/* the sender's role changed */
#define MDW_BITMAP		8	/* resync target -> source: its bitmap */
#define MDW_BITMAP_END		9	/* ... all of it sent */
#define MDW_RS_DONE		10	/* resync source -> target: all copied */
#define MDW_RS_DIGEST		11	/* checksum resync: source's chunk digest */
#define MDW_RS_REPLY		12	/* ... target: same or differs */
#define MDW_VF_DIGEST		13	/* online verify: the asker's chunk digest (mdw_rs_digest) */
#define MDW_VF_REPLY		14	/* ... the peer: same or differs (mdw_rs_reply) */
#define MDW_AUTH		15	/* before HELLO: mutual proof of the secret */
#define MDW_TYPE_MAX		15

/*
 * Feature bits (mdw_hello.features).  A side offers what it supports; the
 * connection uses the intersection.  Bits a side does not know it ignores in
 * the offer of its peer, but it never sets them; "required" bits are those a
 * side cannot work without, and an offer lacking one is rejected.
 * Reserved for what comes next: peer authentication, several paths.
 */
#define MDW_FEAT_FLUSH		(1ull << 0)	/* PREFLUSH/FUA carried */
#define MDW_FEAT_ZSTD		(1ull << 1)	/* compression = zstd|auto: accepts (and
						 * may send) DATA with MDW_DF_ZSTD; offered
						 * only when configured, must match */
#define MDW_FEAT_XXH3		(1ull << 2)	/* data-integrity: every packet after the
						 * HELLOs carries mdw_hdr.digest; offered
						 * only when configured, must match */
#define MDW_FEAT_AUTH		(1ull << 3)	/* reserved */
#define MDW_FEAT_VERIFY		(1ull << 4)	/* answers MDW_VF_DIGEST */
#define MDW_FEAT_DISK_STATE	(1ull << 5)	/* MDW_STATE carries the disk state */
#define MDW_FEAT_ASYNC		(1ull << 6)	/* honours MDW_DF_BARRIER (mode = async) */
#define MDW_FEAT_RS_RUN		(1ull << 7)	/* takes resync DATA of several whole
						 * chunks (a run, up to MD_MAX_IO_BYTES) */
#define MDW_FEATURES_SUPPORTED	(MDW_FEAT_FLUSH | MDW_FEAT_VERIFY | MDW_FEAT_DISK_STATE | \
				 MDW_FEAT_ASYNC | MDW_FEAT_RS_RUN)
						/* + XXH3 when configured */
#define MDW_FEATURES_REQUIRED	(MDW_FEAT_FLUSH)

/* mdw_data.flags: the wire's own numbering (since channel v2 the MD_RF_*
 * bits of md_chan.h differ); mirrord's send.c translates one to the other. */
#define MDW_DF_FUA		(1u << 0)
#define MDW_DF_PREFLUSH		(1u << 1)
#define MDW_DF_RESYNC		(1u << 2)	/* resync data, not an application write */
/* The payload is exactly one zstd frame (no skippable or further frame)
 * that decodes to mdw_data.len bytes; the body then holds fewer payload
 * bytes than len.  Only where MDW_FEAT_ZSTD was negotiated (lib/zdata.h). */
#define MDW_DF_ZSTD		(1u << 3)
/* Only where MDW_FEAT_ASYNC was offered: the receiver starts this write
 * (its flush first, with PREFLUSH) only when every DATA received before it
 * has completed on its disk, and starts none received after it until it
 * has: what a flush or FUA write means on one disk, kept on the peer while
 * the application does not wait for it (mode = async). */
#define MDW_DF_BARRIER		(1u << 4)
#define MDW_DF_ALL		(MDW_DF_FUA | MDW_DF_PREFLUSH | MDW_DF_RESYNC | MDW_DF_ZSTD | \
				 MDW_DF_BARRIER)

/* mdw_auth: version, method, step (lib/auth.h) */
#define MDW_AUTH_VERSION	1
#define MDW_AUTH_NONE		0	/* auth = none on both sides: no proof */
#define MDW_AUTH_HMAC_SHA256	1	/* secret-file: HMAC-SHA256 challenge-response */
#define MDW_AUTH_NONCE		32
#define MDW_AUTH_MAC		32
/* mdw_auth.flags: what follows the exchange; both sides must say the same
 * (each checks the other's against its own configuration, so a stripped
 * bit only ends in a refusal).  Unknown bits are refused. */
#define MDW_AUTH_F_TLS		(1u << 0)	/* encryption = tls: TLS next */
#define MDW_AUTH_F_ALL		(MDW_AUTH_F_TLS)

/* mdw_reject.code */
#define MDW_REJ_PROTO		1	/* no common protocol version */
#define MDW_REJ_RESOURCE	2	/* different resource name */
#define MDW_REJ_NODE		3	/* unexpected node name */
#define MDW_REJ_SIZE		4	/* device sizes differ */
#define MDW_REJ_ROLE		5	/* both primary */
#define MDW_REJ_FEATURES	6	/* a required feature is missing */
/* 7 was BUSY, never sent by any release: reserved, never reuse */
#define MDW_REJ_CHUNK		8	/* bitmap chunk sizes differ */
#define MDW_REJ_SPLIT_BRAIN	9	/* both sides changed while apart */
#define MDW_REJ_UNRELATED	10	/* no common data history */
#define MDW_REJ_OLDER_PRIMARY	11	/* a primary would have to be overwritten */
#define MDW_REJ_DETACHED	12	/* the sender is detached by its administrator */
#define MDW_REJ_CONFLICT	13	/* both sides were told to yield, or both to win */
#define MDW_REJ_NO_GOOD_COPY	14	/* the only possible source knows its copy is wrong */
#define MDW_REJ_HANDLER		15	/* the sender's before-resync-target handler refused
					 * the resync, or still runs (the text says which) */
#define MDW_REJ_AHEAD		16	/* the sender pulled ahead under congestion and
					 * keeps the link down for a while (the text says
					 * until when); a new code, not a new format: an
					 * older peer shows the text as for any refusal */

struct mdw_hdr {
	__u32 magic;
	__u16 type;
	__u16 flags;		/* reserved, zero */
	__u32 len;		/* body bytes that follow */
	__u32 digest;		/* MDW_FEAT_XXH3 negotiated: the low half of the
				 * XXH3-64 of this header (digest zero) and the
				 * body; otherwise zero */
};

struct mdw_hello {
	__u32 proto_min;
	__u32 proto_max;
	__u64 features;
	__u64 size_bytes;
	__u32 chunk_bytes;
	__u32 role;		/* MD_ROLE_* */
	char resource[MD_NAME_LEN];
	char node[MD_NAME_LEN];	/* sender's node name */
	char peer[MD_NAME_LEN];	/* node name the sender expects to reach */
	/* What md_gen_decide() needs from the sender's metadata: */
	__u64 gen_current;
	__u64 gen_bitmap;
	__u64 gen_history[2];
	__u64 oos_chunks;	/* bits set in the sender's bitmap */
	__u32 sb_flags;		/* MD_SBF_* */
	__u32 disk_state;	/* MD_DISK_* */
	__u64 reserved[2];
};

struct mdw_reject {
	__u32 code;		/* MDW_REJ_* */
	__u32 reserved;
	char msg[120];		/* NUL-terminated, for the logs */
};

struct mdw_data {
	__u64 id;		/* echoed in the ACK */
	__u64 offset;		/* bytes */
	__u32 len;		/* bytes written: the payload after this struct,
				 * or what it decodes to with MDW_DF_ZSTD */
	__u16 flags;		/* MDW_DF_* */
	__u16 reserved;
	__u64 seq;
};

struct mdw_ack {
	__u64 id;
	__s32 status;		/* 0 or -errno */
	__u32 reserved;
};

/* MDW_BITMAP: bits [start, start + nbits) of the sender's bitmap, as 64-bit
 * little-endian words; start is a multiple of 64, nbits at most
 * MDW_BITMAP_MAX_BITS. */
#define MDW_BITMAP_MAX_BITS	65536u
struct mdw_bitmap {
	__u64 start;
	__u32 nbits;
	__u32 reserved;
	/* __u64 words[(nbits + 63) / 64] follow */
};

/* Checksum-based resync: instead of a chunk, its xxh3-64 digest; the target
 * answers whether its own chunk has the same digest.  Only differing chunks
 * then cross the wire as DATA|RESYNC. */
struct mdw_rs_digest {
	__u64 id;
	__u64 offset;
	__u32 len;
	__u32 reserved;
	__u64 digest;		/* XXH3_64bits, seed 0 */
};

struct mdw_rs_reply {
	__u64 id;
	__u32 same;		/* 1: identical, 0: send the data */
	__u32 reserved;
};

/*
 * The target refuses an RS_DONE (and stays inconsistent) unless "sent"
 * equals what arrived in this resync and every chunk of the bitmap it
 * sent came as resync DATA or RS_DIGEST (docs/design.md, "Resync").
 */
struct mdw_rs_done {
	__u64 gen_current;	/* the source's; the target takes it */
	__u64 sent;		/* resync packets the source sent: DATA with
				 * MDW_DF_RESYNC and RS_DIGEST, this resync */
	__u64 reserved;		/* zero; ignored on receipt */
};

/*
 * MDW_AUTH.  Step 1 (connector): nonce, mac zero.  Step 2 (listener):
 * nonce and mac.  Step 3 (connector): mac, nonce zero.  Method "none":
 * macs zero.
 */
struct mdw_auth {
	__u32 version;		/* MDW_AUTH_VERSION */
	__u16 method;		/* MDW_AUTH_* */
	__u16 step;		/* 1, 2, 3 */
	__u8 nonce[MDW_AUTH_NONCE];
	__u8 mac[MDW_AUTH_MAC];
	__u32 flags;		/* MDW_AUTH_F_*, the same in every step */
	__u32 reserved0;
	__u64 reserved1;
};

/* The sender's role changed, or (MDW_FEAT_DISK_STATE negotiated) its disk
 * state did while connected.  disk is 0 unless the feature was agreed on:
 * a peer without it sends, and expects, zero there. */
struct mdw_state {
	__u32 role;		/* MD_ROLE_* */
	__u32 disk;		/* MD_DISK_* (1..MD_DISK_STORED_MAX), or 0: not said */
};

_Static_assert(sizeof(struct mdw_state) == 8, "mdw_state size");
_Static_assert(sizeof(struct mdw_bitmap) == 16, "mdw_bitmap size");
_Static_assert(sizeof(struct mdw_rs_done) == 24, "mdw_rs_done size");
_Static_assert(sizeof(struct mdw_auth) == 88, "mdw_auth size");
_Static_assert(sizeof(struct mdw_rs_digest) == 32, "mdw_rs_digest size");
_Static_assert(sizeof(struct mdw_rs_reply) == 16, "mdw_rs_reply size");
_Static_assert(sizeof(struct mdw_hdr) == 16, "mdw_hdr size");
_Static_assert(sizeof(struct mdw_hello) == 32 + 3 * MD_NAME_LEN + 64, "mdw_hello size");
_Static_assert(sizeof(struct mdw_reject) == 128, "mdw_reject size");
_Static_assert(sizeof(struct mdw_data) == 32, "mdw_data size");
_Static_assert(sizeof(struct mdw_ack) == 16, "mdw_ack size");

#endif /* MD_WIRE_H */
