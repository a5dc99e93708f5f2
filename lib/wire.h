/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wire.h - encoding and checking of the peer protocol (proto/md_wire.h).
 * Decoders take untrusted bytes and return 0 or a negative errno; they never
 * read past the length they are given.
 */
#ifndef MD_LIB_WIRE_H
#define MD_LIB_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "md_wire.h"

struct md_hello_info {
	uint32_t proto_min, proto_max;
	uint64_t features;
	uint64_t size_bytes;
	uint32_t chunk_bytes;
	uint32_t role;
	char resource[MD_NAME_LEN];
	char node[MD_NAME_LEN];
	char peer[MD_NAME_LEN];
	uint64_t gen_current, gen_bitmap, gen_history[2];
	uint64_t oos_chunks;
	uint32_t sb_flags, disk_state;
};

struct md_data_info {
	uint64_t id, offset, seq;
	uint32_t len;		/* bytes written */
	uint32_t plen;		/* payload bytes on the wire: len, or with
				 * MDW_DF_ZSTD the frame's (lib/zdata.h) */
	uint16_t flags;
};

/* Header: returns 0, -EBADMSG (magic or reserved bits), -EPROTO (unknown
 * type), -EMSGSIZE (body length impossible for the type). */
void mdw_hdr_encode(void *buf, uint16_t type, uint32_t len);
int mdw_hdr_decode(const void *buf, uint16_t *type, uint32_t *len);

void mdw_hello_encode(void *body, const struct md_hello_info *h);
int mdw_hello_decode(const void *body, size_t len, struct md_hello_info *h);
/* 0 when the peer may connect, else an MDW_REJ_* code and a message. */
int mdw_hello_check(const struct md_hello_info *local,
		    const struct md_hello_info *remote, uint32_t *version,
		    char *why, size_t whylen);

/* MDW_AUTH (lib/auth.h runs the exchange).  decode refuses another
 * version, an unknown method or step, and bytes a step must leave zero. */
struct md_auth_msg {
	uint16_t method, step;
	uint32_t flags;			/* MDW_AUTH_F_* */
	uint8_t nonce[MDW_AUTH_NONCE];
	uint8_t mac[MDW_AUTH_MAC];
};
void mdw_auth_encode(void *body, const struct md_auth_msg *m);
int mdw_auth_decode(const void *body, size_t len, struct md_auth_msg *m);

/* data-integrity: seal every packet of an iovec list in place (whole
 * packets, each header in one iovec); check one received packet: the
 * header's usual checks, then -EILSEQ if the digest does not match.  The
 * body must be complete (len bytes at body). */
struct iovec;
int mdw_seal(struct iovec *iov, int niov);
int mdw_hdr_decode_sealed(const void *buf, const void *body, uint16_t *type, uint32_t *len);

void mdw_reject_encode(void *body, uint32_t code, const char *msg);
int mdw_reject_decode(const void *body, size_t len, uint32_t *code,
		      char *msg, size_t msglen);

void mdw_data_encode(void *body, const struct md_data_info *d);
/* The bytes in front of a DATA packet's payload: its packet header and
 * DATA header, which every sender (application writes, resync, checksum
 * resync) frames with mdw_data_pack (lib/zdata.h: the payload compressed
 * or not), which calls mdw_data_frame; the payload follows. */
#define MDW_DATA_FRAME	(sizeof(struct mdw_hdr) + sizeof(struct mdw_data))
void mdw_data_frame(void *frame, const struct md_data_info *d);
/* body_len is the whole body: the mdw_data header plus the payload.
 * d->plen is the payload's length: d->len, or with MDW_DF_ZSTD fewer
 * bytes (at least one), which mdw_data_unpack checks further. */
int mdw_data_decode(const void *body, size_t body_len, struct md_data_info *d);

void mdw_ack_encode(void *body, uint64_t id, int32_t status);
/* A whole ACK packet (header and body): MDW_ACK_FRAME bytes. */
#define MDW_ACK_FRAME	(sizeof(struct mdw_hdr) + sizeof(struct mdw_ack))
void mdw_ack_frame(void *frame, uint64_t id, int32_t status);
int mdw_ack_decode(const void *body, size_t len, uint64_t *id, int32_t *status);

/* MDW_BITMAP body: header + words.  decode checks the length and bounds
 * (start + nbits <= nchunks) and points *words into body. */
size_t mdw_bitmap_body_len(uint32_t nbits);
void mdw_bitmap_encode(void *body, uint64_t start, uint32_t nbits, const uint64_t *words);
int mdw_bitmap_decode(const void *body, size_t len, uint64_t nchunks, uint64_t *start,
		      uint32_t *nbits, const unsigned char **words);
void mdw_rs_done_encode(void *body, uint64_t gen, uint64_t sent);
int mdw_rs_done_decode(const void *body, size_t len, uint64_t *gen, uint64_t *sent);

void mdw_rs_digest_encode(void *body, uint64_t id, uint64_t offset, uint32_t len, uint64_t digest);
int mdw_rs_digest_decode(const void *body, size_t len, uint64_t *id, uint64_t *offset,
			 uint32_t *dlen, uint64_t *digest);
void mdw_rs_reply_encode(void *body, uint64_t id, bool same);
int mdw_rs_reply_decode(const void *body, size_t len, uint64_t *id, bool *same);

/* disk: MD_DISK_* when MDW_FEAT_DISK_STATE was negotiated, else 0. */
void mdw_state_encode(void *body, uint32_t role, uint32_t disk);
int mdw_state_decode(const void *body, size_t len, uint32_t *role, uint32_t *disk);

const char *mdw_reject_name(uint32_t code);
/* "DATA", "ACK", ... for logs; "unknown" for a number not in md_wire.h. */
const char *mdw_type_name(uint16_t type);

#endif
