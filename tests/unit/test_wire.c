/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_wire.c - the peer protocol (proto/md_wire.h, lib/wire.c): golden
 * bytes, round trips, rejection of malformed input, and random input that
 * must never crash a decoder.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <cmocka.h>
#include "wire.h"
#include "md_meta.h"

static void hdr_golden(void **state)
{
	static const unsigned char want[16] = {
		0x4d, 0x44, 0x57, 0x31,	/* "MDW1" */
		0x03, 0x00,		/* MDW_DATA */
		0x00, 0x00,		/* flags */
		0x34, 0x12, 0x00, 0x00,	/* length */
		0x00, 0x00, 0x00, 0x00,
	};
	unsigned char buf[16];
	uint16_t type;
	uint32_t len;

	(void)state;
	mdw_hdr_encode(buf, MDW_DATA, 0x1234);
	assert_memory_equal(buf, want, 16);
	assert_int_equal(mdw_hdr_decode(buf, &type, &len), 0);
	assert_int_equal(type, MDW_DATA);
	assert_int_equal(len, 0x1234);
}

/* STATE's bytes: role, then the disk state (MDW_FEAT_DISK_STATE) where a
 * peer without the feature sends zero. */
static void state_golden(void **state)
{
	static const unsigned char want[8] = {
		0x01, 0x00, 0x00, 0x00,	/* role: MD_ROLE_SECONDARY */
		0x02, 0x00, 0x00, 0x00,	/* disk: MD_DISK_INCONSISTENT */
	};
	unsigned char buf[8];

	(void)state;
	assert_int_equal(MD_ROLE_SECONDARY, 1);
	mdw_state_encode(buf, MD_ROLE_SECONDARY, MD_DISK_INCONSISTENT);
	assert_memory_equal(buf, want, 8);
}

static void hdr_rejects(void **state)
{
	unsigned char buf[16];
	uint16_t type;
	uint32_t len;

	(void)state;
	mdw_hdr_encode(buf, MDW_PING, 0);
	buf[0] ^= 1;
	assert_int_equal(mdw_hdr_decode(buf, &type, &len), -EBADMSG);
	mdw_hdr_encode(buf, MDW_PING, 0);
	buf[6] = 1;	/* flags */
	assert_int_equal(mdw_hdr_decode(buf, &type, &len), -EBADMSG);
	mdw_hdr_encode(buf, MDW_PING, 0);
	buf[12] = 1;	/* reserved */
	assert_int_equal(mdw_hdr_decode(buf, &type, &len), -EBADMSG);
	mdw_hdr_encode(buf, 0, 0);
	assert_int_equal(mdw_hdr_decode(buf, &type, &len), -EPROTO);
	mdw_hdr_encode(buf, MDW_TYPE_MAX + 1, 0);
	assert_int_equal(mdw_hdr_decode(buf, &type, &len), -EPROTO);
	mdw_hdr_encode(buf, MDW_PING, 4);
	assert_int_equal(mdw_hdr_decode(buf, &type, &len), -EMSGSIZE);
	mdw_hdr_encode(buf, MDW_HELLO, sizeof(struct mdw_hello) - 1);
	assert_int_equal(mdw_hdr_decode(buf, &type, &len), -EMSGSIZE);
	mdw_hdr_encode(buf, MDW_DATA, MDW_MAX_BODY + 1);
	assert_int_equal(mdw_hdr_decode(buf, &type, &len), -EMSGSIZE);
	mdw_hdr_encode(buf, MDW_DATA, 8);
	assert_int_equal(mdw_hdr_decode(buf, &type, &len), -EMSGSIZE);
	mdw_hdr_encode(buf, MDW_ACK, 15);
	assert_int_equal(mdw_hdr_decode(buf, &type, &len), -EMSGSIZE);
}

static struct md_hello_info hello(const char *node, const char *peer, uint32_t role)
{
	struct md_hello_info h;

	memset(&h, 0, sizeof(h));
	h.proto_min = 1;
	h.proto_max = 1;
	h.features = MDW_FEATURES_SUPPORTED;
	h.size_bytes = 1 << 30;
	h.chunk_bytes = 65536;
	h.role = role;
	h.disk_state = MD_DISK_UPTODATE;
	h.gen_current = 0x1111;
	snprintf(h.resource, sizeof(h.resource), "r0");
	snprintf(h.node, sizeof(h.node), "%s", node);
	snprintf(h.peer, sizeof(h.peer), "%s", peer);
	return h;
}

static void hello_round_trip(void **state)
{
	struct md_hello_info in = hello("alpha", "beta", MD_ROLE_PRIMARY), out;
	unsigned char body[sizeof(struct mdw_hello)];

	(void)state;
	in.gen_bitmap = 0x2222;
	in.gen_history[1] = 0x3333;
	in.oos_chunks = 77;
	in.sb_flags = MD_SBF_PRIMARY;
	mdw_hello_encode(body, &in);
	assert_int_equal(mdw_hello_decode(body, sizeof(body), &out), 0);
	assert_memory_equal(&in, &out, sizeof(in));
}

/* A consistent copy (started alone) is a good copy to the decision: the
 * HELLO says up to date, in the values 1 to 3 older peers accept. */
static void hello_consistent_goes_as_up_to_date(void **state)
{
	struct md_hello_info in = hello("alpha", "beta", MD_ROLE_SECONDARY), out;
	unsigned char body[sizeof(struct mdw_hello)];

	(void)state;
	in.disk_state = MD_DISK_CONSISTENT;
	mdw_hello_encode(body, &in);
	assert_int_equal(mdw_hello_decode(body, sizeof(body), &out), 0);
	assert_int_equal(out.disk_state, MD_DISK_UPTODATE);
	in.disk_state = MD_DISK_OUTDATED;
	mdw_hello_encode(body, &in);
	assert_int_equal(mdw_hello_decode(body, sizeof(body), &out), 0);
	assert_int_equal(out.disk_state, MD_DISK_OUTDATED);
}

static void hello_rejects(void **state)
{
	struct md_hello_info in = hello("alpha", "beta", MD_ROLE_PRIMARY), out;
	unsigned char body[sizeof(struct mdw_hello)];

	(void)state;
	mdw_hello_encode(body, &in);
	assert_int_equal(mdw_hello_decode(body, sizeof(body) - 1, &out), -EMSGSIZE);
	/* name not NUL-terminated */
	mdw_hello_encode(body, &in);
	memset(body + offsetof(struct mdw_hello, node), 'x', MD_NAME_LEN);
	assert_int_equal(mdw_hello_decode(body, sizeof(body), &out), -EBADMSG);
	/* empty name */
	mdw_hello_encode(body, &in);
	body[offsetof(struct mdw_hello, resource)] = 0;
	assert_int_equal(mdw_hello_decode(body, sizeof(body), &out), -EBADMSG);
	/* garbage after the NUL */
	mdw_hello_encode(body, &in);
	body[offsetof(struct mdw_hello, peer) + 10] = 'z';
	assert_int_equal(mdw_hello_decode(body, sizeof(body), &out), -EBADMSG);
	/* reserved */
	mdw_hello_encode(body, &in);
	body[offsetof(struct mdw_hello, reserved)] = 1;
	assert_int_equal(mdw_hello_decode(body, sizeof(body), &out), -EBADMSG);
	/* versions */
	in.proto_min = 3; in.proto_max = 2;
	mdw_hello_encode(body, &in);
	assert_int_equal(mdw_hello_decode(body, sizeof(body), &out), -EBADMSG);
	in.proto_min = 0; in.proto_max = 2;
	mdw_hello_encode(body, &in);
	assert_int_equal(mdw_hello_decode(body, sizeof(body), &out), -EBADMSG);
	/* role and disk state */
	in = hello("alpha", "beta", 7);
	mdw_hello_encode(body, &in);
	assert_int_equal(mdw_hello_decode(body, sizeof(body), &out), -EBADMSG);
	in = hello("alpha", "beta", MD_ROLE_PRIMARY);
	in.disk_state = 0;
	mdw_hello_encode(body, &in);
	assert_int_equal(mdw_hello_decode(body, sizeof(body), &out), -EBADMSG);
}

static void hello_check_branches(void **state)
{
	struct md_hello_info a = hello("alpha", "beta", MD_ROLE_PRIMARY);
	struct md_hello_info b = hello("beta", "alpha", MD_ROLE_SECONDARY), x;
	char why[256];
	uint32_t v = 0;

	(void)state;
	assert_int_equal(mdw_hello_check(&a, &b, &v, why, sizeof(why)), 0);
	assert_int_equal(v, 1);
	x = b; x.proto_min = x.proto_max = 9;
	assert_int_equal(mdw_hello_check(&a, &x, &v, why, sizeof(why)), MDW_REJ_PROTO);
	assert_non_null(strstr(why, "no common protocol version"));
	x = b; x.proto_max = 5;
	a.proto_max = 3;
	assert_int_equal(mdw_hello_check(&a, &x, &v, why, sizeof(why)), 0);
	assert_int_equal(v, 3);
	a.proto_max = 1;
	x = b; snprintf(x.resource, sizeof(x.resource), "r1");
	assert_int_equal(mdw_hello_check(&a, &x, &v, why, sizeof(why)), MDW_REJ_RESOURCE);
	x = b; snprintf(x.node, sizeof(x.node), "gamma");
	assert_int_equal(mdw_hello_check(&a, &x, &v, why, sizeof(why)), MDW_REJ_NODE);
	x = b; snprintf(x.peer, sizeof(x.peer), "gamma");
	assert_int_equal(mdw_hello_check(&a, &x, &v, why, sizeof(why)), MDW_REJ_NODE);
	x = b; x.features = 0;
	assert_int_equal(mdw_hello_check(&a, &x, &v, why, sizeof(why)), MDW_REJ_FEATURES);
	x = b; x.size_bytes--;
	assert_int_equal(mdw_hello_check(&a, &x, &v, why, sizeof(why)), MDW_REJ_SIZE);
	assert_non_null(strstr(why, "device size mismatch"));
	x = b; x.chunk_bytes = 4096;
	assert_int_equal(mdw_hello_check(&a, &x, &v, why, sizeof(why)), MDW_REJ_CHUNK);
	x = b; x.role = MD_ROLE_PRIMARY;
	assert_int_equal(mdw_hello_check(&a, &x, &v, why, sizeof(why)), MDW_REJ_ROLE);
	x = a; a.role = MD_ROLE_SECONDARY;
	assert_int_equal(mdw_hello_check(&b, &a, &v, why, sizeof(why)), 0);
}

/* The one framing every DATA sender uses: a header the receiver's
 * decoders take as the packet and the DATA it says. */
static void data_frame_decodes(void **state)
{
	struct md_data_info in = { .id = 7, .offset = 8192, .len = 1024, .flags = MDW_DF_RESYNC,
				   .seq = 3 }, out;
	unsigned char frame[MDW_DATA_FRAME];
	uint16_t type;
	uint32_t len;

	(void)state;
	mdw_data_frame(frame, &in);
	assert_int_equal(mdw_hdr_decode(frame, &type, &len), 0);
	assert_int_equal(type, MDW_DATA);
	assert_int_equal(len, sizeof(struct mdw_data) + 1024);
	assert_int_equal(mdw_data_decode(frame + sizeof(struct mdw_hdr), len, &out), 0);
	assert_int_equal(out.id, in.id);
	assert_int_equal(out.offset, in.offset);
	assert_int_equal(out.len, in.len);
	assert_int_equal(out.plen, in.len);	/* not compressed: the payload is len bytes */
	assert_int_equal(out.flags, in.flags);
	assert_int_equal(out.seq, in.seq);
}

static void data_round_trip_and_rejects(void **state)
{
	struct md_data_info in = { .id = 5, .offset = 4096, .len = 4096, .flags = MDW_DF_FUA, .seq = 9 }, out;
	unsigned char body[sizeof(struct mdw_data)];

	(void)state;
	mdw_data_encode(body, &in);
	assert_int_equal(mdw_data_decode(body, sizeof(body) + 4096, &out), 0);
	assert_int_equal(out.id, 5);
	assert_int_equal(out.offset, 4096);
	assert_int_equal(out.len, 4096);
	assert_int_equal(out.flags, MDW_DF_FUA);
	assert_int_equal(out.seq, 9);
	assert_int_equal(mdw_data_decode(body, sizeof(body) + 512, &out), -EMSGSIZE);
	assert_int_equal(mdw_data_decode(body, 8, &out), -EMSGSIZE);
	in.offset = 100;
	mdw_data_encode(body, &in);
	assert_int_equal(mdw_data_decode(body, sizeof(body) + 4096, &out), -EBADMSG);
	in.offset = 0; in.flags = 0x80;
	mdw_data_encode(body, &in);
	assert_int_equal(mdw_data_decode(body, sizeof(body) + 4096, &out), -EBADMSG);
	in.flags = 0; in.len = 0;
	mdw_data_encode(body, &in);
	assert_int_equal(mdw_data_decode(body, sizeof(body), &out), -EBADMSG);
	in.flags = MDW_DF_PREFLUSH;	/* an empty flush is fine */
	mdw_data_encode(body, &in);
	assert_int_equal(mdw_data_decode(body, sizeof(body), &out), 0);
	in.flags = MDW_DF_RESYNC | MDW_DF_FUA; in.len = 4096;
	mdw_data_encode(body, &in);
	assert_int_equal(mdw_data_decode(body, sizeof(body) + 4096, &out), -EBADMSG);
	in.flags = 0; in.len = MD_MAX_IO_BYTES + 512;
	mdw_data_encode(body, &in);
	assert_int_equal(mdw_data_decode(body, sizeof(body) + in.len, &out), -EMSGSIZE);
	/* MDW_DF_ZSTD (issue 23): the payload is shorter than len, not empty;
	 * resync data may be compressed; the frame itself is lib/zdata.c's. */
	in.flags = MDW_DF_ZSTD | MDW_DF_FUA; in.len = 8192;
	mdw_data_encode(body, &in);
	assert_int_equal(mdw_data_decode(body, sizeof(body) + 100, &out), 0);
	assert_int_equal(out.len, 8192);
	assert_int_equal(out.plen, 100);
	assert_int_equal(mdw_data_decode(body, sizeof(body) + 8191, &out), 0);
	assert_int_equal(mdw_data_decode(body, sizeof(body) + 8192, &out), -EMSGSIZE);
	assert_int_equal(mdw_data_decode(body, sizeof(body), &out), -EMSGSIZE);
	in.flags = MDW_DF_ZSTD | MDW_DF_RESYNC;
	mdw_data_encode(body, &in);
	assert_int_equal(mdw_data_decode(body, sizeof(body) + 100, &out), 0);
	in.flags = MDW_DF_ZSTD | MDW_DF_RESYNC | MDW_DF_FUA;
	mdw_data_encode(body, &in);
	assert_int_equal(mdw_data_decode(body, sizeof(body) + 100, &out), -EBADMSG);
	in.flags = MDW_DF_ZSTD | MDW_DF_PREFLUSH; in.len = 0;
	mdw_data_encode(body, &in);
	assert_int_equal(mdw_data_decode(body, sizeof(body), &out), -EMSGSIZE);
	/* The frame a compressed header puts in front: its length on the wire. */
	{
		struct md_data_info z = { .len = 8192, .plen = 300, .flags = MDW_DF_ZSTD };
		unsigned char frame[MDW_DATA_FRAME];
		uint16_t type;
		uint32_t blen;

		mdw_data_frame(frame, &z);
		assert_int_equal(mdw_hdr_decode(frame, &type, &blen), 0);
		assert_int_equal(blen, sizeof(struct mdw_data) + 300);
	}
}

static void ack_reject_state_bitmap(void **state)
{
	unsigned char body[256];
	uint64_t id, start, words[2] = { 0x5, 0 };
	int32_t st;
	uint32_t code, role, disk, nbits;
	const unsigned char *w;
	char msg[200], longmsg[300];

	(void)state;
	mdw_ack_encode(body, 42, -EIO);
	assert_int_equal(mdw_ack_decode(body, 16, &id, &st), 0);
	assert_int_equal(id, 42);
	assert_int_equal(st, -EIO);
	mdw_ack_encode(body, 42, 5);
	assert_int_equal(mdw_ack_decode(body, 16, &id, &st), -EBADMSG);
	mdw_ack_encode(body, 42, -5000);
	assert_int_equal(mdw_ack_decode(body, 16, &id, &st), -EBADMSG);
	/* The whole packet: the header, then the body above, byte for byte. */
	{
		unsigned char frame[MDW_ACK_FRAME], hdr[sizeof(struct mdw_hdr)];
		uint16_t type;
		uint32_t len;

		mdw_ack_frame(frame, 42, -EIO);
		mdw_hdr_encode(hdr, MDW_ACK, 16);
		mdw_ack_encode(body, 42, -EIO);
		assert_memory_equal(frame, hdr, sizeof(hdr));
		assert_memory_equal(frame + sizeof(hdr), body, 16);
		assert_int_equal(mdw_hdr_decode(frame, &type, &len), 0);
		assert_int_equal(type, MDW_ACK);
		assert_int_equal(len, 16);
	}

	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = 0;
	mdw_reject_encode(body, MDW_REJ_SIZE, longmsg);
	assert_int_equal(mdw_reject_decode(body, 128, &code, msg, sizeof(msg)), 0);
	assert_int_equal(code, MDW_REJ_SIZE);
	assert_int_equal(strlen(msg), 119);
	assert_string_equal(mdw_reject_name(MDW_REJ_SPLIT_BRAIN), "split brain");
	assert_string_equal(mdw_reject_name(999), "unknown");

	mdw_state_encode(body, MD_ROLE_PRIMARY, 0);
	assert_int_equal(mdw_state_decode(body, 8, &role, &disk), 0);
	assert_int_equal(role, MD_ROLE_PRIMARY);
	assert_int_equal(disk, 0);
	mdw_state_encode(body, MD_ROLE_SECONDARY, MD_DISK_INCONSISTENT);
	assert_int_equal(mdw_state_decode(body, 8, &role, &disk), 0);
	assert_int_equal(role, MD_ROLE_SECONDARY);
	assert_int_equal(disk, MD_DISK_INCONSISTENT);
	mdw_state_encode(body, 3, 0);
	assert_int_equal(mdw_state_decode(body, 8, &role, &disk), -EBADMSG);
	/* Run-time-only states (failed, diskless) are never said. */
	mdw_state_encode(body, MD_ROLE_PRIMARY, MD_DISK_FAILED);
	assert_int_equal(mdw_state_decode(body, 8, &role, &disk), -EBADMSG);

	mdw_bitmap_encode(body, 64, 70, words);
	assert_int_equal(mdw_bitmap_decode(body, mdw_bitmap_body_len(70), 200, &start, &nbits, &w), 0);
	assert_int_equal(start, 64);
	assert_int_equal(nbits, 70);
	assert_int_equal(w[0], 5);
	assert_int_equal(mdw_bitmap_decode(body, mdw_bitmap_body_len(70), 100, &start, &nbits, &w), -ERANGE);
	assert_int_equal(mdw_bitmap_decode(body, mdw_bitmap_body_len(70) - 8, 200, &start, &nbits, &w), -EMSGSIZE);
	mdw_bitmap_encode(body, 3, 70, words);
	assert_int_equal(mdw_bitmap_decode(body, mdw_bitmap_body_len(70), 200, &start, &nbits, &w), -EBADMSG);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
	return rng;
}

static bool allowed(int rc)
{
	return rc == 0 || rc == -EBADMSG || rc == -EPROTO || rc == -EMSGSIZE || rc == -ERANGE;
}

/* Hostile input: random bytes into every decoder; only named errors come back. */
static void random_input_never_crashes(void **state)
{
	unsigned char buf[sizeof(struct mdw_hello) + 64];
	struct md_hello_info h;
	struct md_data_info d;
	uint64_t u1, u2, u3;
	uint32_t u4, u5;
	int32_t s;
	bool same;
	const unsigned char *w;
	char msg[128];

	(void)state;
	for (int i = 0; i < 100000; i++) {
		size_t len = next() % sizeof(buf);
		uint16_t type;
		uint32_t blen;

		for (size_t k = 0; k < sizeof(buf); k += 8) {
			uint64_t r = next();

			memcpy(buf + k, &r, sizeof(buf) - k < 8 ? sizeof(buf) - k : 8);
		}
		if (i % 4 == 0)
			memcpy(buf, "MDW1", 4);
		assert_true(allowed(mdw_hdr_decode(buf, &type, &blen)));
		assert_true(allowed(mdw_hello_decode(buf, len, &h)));
		assert_true(allowed(mdw_data_decode(buf, len, &d)));
		assert_true(allowed(mdw_ack_decode(buf, len, &u1, &s)));
		assert_true(allowed(mdw_reject_decode(buf, len, &u4, msg, sizeof(msg))));
		assert_true(allowed(mdw_state_decode(buf, len, &u4, &u5)));
		assert_true(allowed(mdw_bitmap_decode(buf, len, next() % 100000, &u1, &u5, &w)));
		assert_true(allowed(mdw_rs_done_decode(buf, len, &u1, &u2)));
		assert_true(allowed(mdw_rs_digest_decode(buf, len, &u1, &u2, &u4, &u3)));
		assert_true(allowed(mdw_rs_reply_decode(buf, len, &u1, &same)));
	}
}

static void digest_reply_round_trip(void **state)
{
	unsigned char body[32];
	uint64_t id, off, dg;
	uint32_t len;
	bool same;

	(void)state;
	mdw_rs_digest_encode(body, 1, 65536, 65536, 0xabcdef);
	assert_int_equal(mdw_rs_digest_decode(body, 32, &id, &off, &len, &dg), 0);
	assert_int_equal(dg, 0xabcdef);
	assert_int_equal(len, 65536);
	mdw_rs_digest_encode(body, 1, 65537, 65536, 0);
	assert_int_equal(mdw_rs_digest_decode(body, 32, &id, &off, &len, &dg), -EBADMSG);
	mdw_rs_reply_encode(body, 7, true);
	assert_int_equal(mdw_rs_reply_decode(body, 16, &id, &same), 0);
	assert_true(same);
	body[8] = 2;
	assert_int_equal(mdw_rs_reply_decode(body, 16, &id, &same), -EBADMSG);
}

/*
 * data-integrity: packets sealed as the send queue holds them (a DATA
 * header and mdw_data in one iovec, the payload in another; several
 * control packets in one buffer) verify on the receiving side, and any
 * flipped bit, in a header or a body, fails the check.
 */
static void sealed_packets_verify_and_catch_a_flipped_bit(void **state)
{
	char data[sizeof(struct mdw_hdr) + sizeof(struct mdw_data)], payload[4096];
	char ctl[2 * sizeof(struct mdw_hdr) + sizeof(struct mdw_ack)], flat[sizeof(data) + sizeof(payload)];
	struct md_data_info d = { .id = 9, .offset = 65536, .len = sizeof(payload), .seq = 3 };
	struct iovec iov[3];
	uint16_t type;
	uint32_t len;

	(void)state;
	memset(payload, 'p', sizeof(payload));
	mdw_hdr_encode(data, MDW_DATA, (uint32_t)(sizeof(struct mdw_data) + sizeof(payload)));
	mdw_data_encode(data + sizeof(struct mdw_hdr), &d);
	mdw_hdr_encode(ctl, MDW_PING, 0);
	mdw_hdr_encode(ctl + sizeof(struct mdw_hdr), MDW_ACK, sizeof(struct mdw_ack));
	mdw_ack_encode(ctl + 2 * sizeof(struct mdw_hdr), 9, 0);
	iov[0] = (struct iovec){ data, sizeof(data) };
	iov[1] = (struct iovec){ payload, sizeof(payload) };
	iov[2] = (struct iovec){ ctl, sizeof(ctl) };
	assert_int_equal(mdw_seal(iov, 3), 0);

	/* Unsealed decoding refuses a digest: it is no reserved zero. */
	assert_int_equal(mdw_hdr_decode(data, &type, &len), -EBADMSG);
	memcpy(flat, data, sizeof(data));
	memcpy(flat + sizeof(data), payload, sizeof(payload));
	assert_int_equal(mdw_hdr_decode_sealed(flat, flat + sizeof(struct mdw_hdr), &type, &len), 0);
	assert_int_equal(type, MDW_DATA);
	assert_int_equal(len, sizeof(struct mdw_data) + sizeof(payload));
	assert_int_equal(mdw_hdr_decode_sealed(ctl, ctl + sizeof(struct mdw_hdr), &type, &len), 0);
	assert_int_equal(type, MDW_PING);
	assert_int_equal(mdw_hdr_decode_sealed(ctl + sizeof(struct mdw_hdr), ctl + 2 * sizeof(struct mdw_hdr),
					       &type, &len), 0);
	assert_int_equal(type, MDW_ACK);

	flat[sizeof(data) + 1000] ^= 0x10;			/* the payload */
	assert_int_equal(mdw_hdr_decode_sealed(flat, flat + sizeof(struct mdw_hdr), &type, &len), -EILSEQ);
	flat[sizeof(data) + 1000] ^= 0x10;
	flat[sizeof(struct mdw_hdr) + 8] ^= 0x01;		/* the offset */
	assert_int_equal(mdw_hdr_decode_sealed(flat, flat + sizeof(struct mdw_hdr), &type, &len), -EILSEQ);
	flat[sizeof(struct mdw_hdr) + 8] ^= 0x01;
	flat[12] ^= 0x80;					/* the digest itself */
	assert_int_equal(mdw_hdr_decode_sealed(flat, flat + sizeof(struct mdw_hdr), &type, &len), -EILSEQ);
	/* A header split across iovecs is not a send item mirrord makes. */
	iov[0].iov_len = 8;
	iov[1] = (struct iovec){ data + 8, sizeof(data) - 8 };
	assert_int_equal(mdw_seal(iov, 2), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hdr_golden),
		cmocka_unit_test(hdr_rejects),
		cmocka_unit_test(state_golden),
		cmocka_unit_test(hello_round_trip),
		cmocka_unit_test(hello_consistent_goes_as_up_to_date),
		cmocka_unit_test(hello_rejects),
		cmocka_unit_test(hello_check_branches),
		cmocka_unit_test(data_frame_decodes),
		cmocka_unit_test(data_round_trip_and_rejects),
		cmocka_unit_test(ack_reject_state_bitmap),
		cmocka_unit_test(digest_reply_round_trip),
		cmocka_unit_test(random_input_never_crashes),
		cmocka_unit_test(sealed_packets_verify_and_catch_a_flipped_bit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
