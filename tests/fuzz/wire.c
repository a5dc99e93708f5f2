/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wire.c - fuzz target: the peer protocol decoders of lib/wire.c, which
 * take what mirrord reads from its peer's TCP connection.
 *
 * Input: one packet as it crosses the wire, the 16-byte mdw_hdr and then
 * the body.  The header goes to mdw_hdr_decode; the body goes to the
 * decoder of the type the header names (modulo the number of types),
 * whether or not the header was valid, so that a mutated magic does not
 * hide the body decoders from the fuzzer.  Inputs shorter than a header
 * are a body of length 0.
 *
 * Checked beyond "no crash, no leak, no UB": every accepted message
 * encodes back to the same bytes (the formats have no redundancy, so
 * decode(x) == d implies encode(d) == x), a header that accepts a length
 * makes a fixed-size body decoder accept it too, a decoded HELLO goes
 * through the handshake's whole verdict (md_hello_decide: compatibility,
 * features, md_gen_decide) against a few local HELLOs from both ends, and
 * the two verdicts agree: decide(a, b) mirrors decide(b, a).
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "md_meta.h"
#include "decide.h"
#include "wire.h"

#define HDR	sizeof(struct mdw_hdr)

/* Local HELLOs the peer's is checked against: a primary that has moved on
 * from the peer's generation, a fresh secondary, and one marked to yield. */
static const struct md_hello_info locals[] = {
	{
		.proto_min = MDW_PROTO_MIN, .proto_max = MDW_PROTO_MAX,
		.features = MDW_FEATURES_SUPPORTED, .size_bytes = 1ull << 30,
		.chunk_bytes = 1u << 16, .role = MD_ROLE_PRIMARY,
		.resource = "r0", .node = "alpha", .peer = "beta",
		.gen_current = 0x1111111111111111ull, .gen_bitmap = 0x2222222222222222ull,
		.gen_history = { 0x3333333333333333ull, 0 }, .oos_chunks = 3,
		.sb_flags = MD_SBF_PRIMARY, .disk_state = MD_DISK_UPTODATE,
	},
	{
		.proto_min = MDW_PROTO_MIN, .proto_max = MDW_PROTO_MAX,
		.features = MDW_FEAT_FLUSH, .size_bytes = 1ull << 30,
		.chunk_bytes = 1u << 16, .role = MD_ROLE_SECONDARY,
		.resource = "r0", .node = "beta", .peer = "alpha",
		.gen_current = MD_GEN_BLANK, .disk_state = MD_DISK_INCONSISTENT,
	},
	{
		.proto_min = 1, .proto_max = 7,
		.features = MDW_FEATURES_SUPPORTED, .size_bytes = 4096,
		.chunk_bytes = 4096, .role = MD_ROLE_SECONDARY,
		.resource = "db", .node = "n1", .peer = "n2",
		.gen_current = 0x2222222222222222ull, .gen_bitmap = 0x3333333333333333ull,
		.sb_flags = MD_SBF_DISCARD | MD_SBF_FULL, .disk_state = MD_DISK_OUTDATED,
	},
};

static bool name_terminated(const char *s)
{
	size_t n = strnlen(s, MD_NAME_LEN);

	return n > 0 && n < MD_NAME_LEN;
}

/* A refusal that comes from the decision on two compatible HELLOs. */
static bool decision_refusal(uint32_t code)
{
	return code == MDW_REJ_SPLIT_BRAIN || code == MDW_REJ_UNRELATED ||
	       code == MDW_REJ_OLDER_PRIMARY || code == MDW_REJ_CONFLICT ||
	       code == MDW_REJ_NO_GOOD_COPY;
}

/*
 * The handshake's verdict (lib/decide.c) as both daemons reach it: l is
 * node 0, the peer's h node 1.  Every local offers the required features,
 * so when l accepts h, h accepts l: the same protocol, mirrored
 * directions; a refusal the decision made is made by both.
 */
static void verdicts_agree(const struct md_hello_info *l, const struct md_hello_info *h)
{
	enum md_sync_decision d1, d2;
	uint32_t v1 = 0, v2 = 0, c1, c2;
	char w1[256], w2[256];

	c1 = md_hello_decide(l, h, 0, &v1, &d1, w1, sizeof(w1));
	c2 = md_hello_decide(h, l, 1, &v2, &d2, w2, sizeof(w2));
	FUZZ_CHECK(strcmp(md_sync_decision_name(d1), "unknown") != 0);
	if (c1 == 0) {
		FUZZ_CHECK(c2 == 0 && v1 == v2 && d2 == fuzz_mirror(d1));
	} else {
		FUZZ_CHECK(strcmp(mdw_reject_name(c1), "unknown") != 0 && strlen(w1) < sizeof(w1));
		if (decision_refusal(c1))
			FUZZ_CHECK(c2 == c1 && d2 == fuzz_mirror(d1));
	}
}

static void hello(const uint8_t *body, size_t len)
{
	unsigned char again[sizeof(struct mdw_hello)];
	struct md_hello_info h;

	if (mdw_hello_decode(body, len, &h))
		return;
	mdw_hello_encode(again, &h);
	FUZZ_CHECK(memcmp(again, body, len) == 0);
	FUZZ_CHECK(name_terminated(h.resource) && name_terminated(h.node) &&
		   name_terminated(h.peer));
	FUZZ_CHECK(h.proto_min >= 1 && h.proto_min <= h.proto_max);

	for (size_t i = 0; i < sizeof(locals) / sizeof(locals[0]); i++) {
		const struct md_hello_info *l = &locals[i];
		uint32_t version = 0;
		char why[256], *tiny;
		int code;

		code = mdw_hello_check(l, &h, &version, why, sizeof(why));
		FUZZ_CHECK(code >= 0);
		if (code == 0) {
			FUZZ_CHECK(version >= l->proto_min && version >= h.proto_min);
			FUZZ_CHECK(version <= l->proto_max && version <= h.proto_max);
		} else {
			FUZZ_CHECK(strlen(why) < sizeof(why));
			FUZZ_CHECK(strcmp(mdw_reject_name((uint32_t)code), "unknown") != 0);
			/* The reason fits any buffer, however small (on the heap,
			 * where ASan sees one byte too many). */
			tiny = malloc(8);
			FUZZ_CHECK(tiny);
			FUZZ_CHECK(mdw_hello_check(l, &h, &version, tiny, 8) == code);
			FUZZ_CHECK(strlen(tiny) < 8);
			free(tiny);
		}
		fuzz_check_gen_mirror(md_hello_view(l, 0), md_hello_view(&h, 1));
		verdicts_agree(l, &h);
	}
}

static void reject(const uint8_t *body, size_t len)
{
	unsigned char again[sizeof(struct mdw_reject)];
	char msg[128], msg2[128], *small;
	uint32_t code, code2;
	size_t smallen = 1 + (len ? body[len - 1] % 32 : 0);

	if (mdw_reject_decode(body, len, &code, msg, sizeof(msg)))
		return;
	FUZZ_CHECK(strlen(msg) < sizeof(msg));
	(void)mdw_reject_name(code);
	/* Bytes after the message's NUL are not part of it: no exact
	 * round trip, but decode(encode(decode(x))) == decode(x). */
	mdw_reject_encode(again, code, msg);
	FUZZ_CHECK(mdw_reject_decode(again, sizeof(again), &code2, msg2, sizeof(msg2)) == 0);
	FUZZ_CHECK(code2 == code && strcmp(msg, msg2) == 0);
	/* A short buffer gets a prefix of the message, NUL-terminated. */
	small = malloc(smallen);
	FUZZ_CHECK(small);
	FUZZ_CHECK(mdw_reject_decode(body, len, &code2, small, smallen) == 0);
	FUZZ_CHECK(strlen(small) < smallen && strncmp(small, msg, strlen(small)) == 0);
	free(small);
}

static void data(const uint8_t *body, size_t len)
{
	unsigned char again[sizeof(struct mdw_data)];
	struct md_data_info d;

	if (mdw_data_decode(body, len, &d))
		return;
	FUZZ_CHECK(d.plen == len - sizeof(struct mdw_data) && d.len <= MD_MAX_IO_BYTES);
	/* A compressed payload stands for more bytes than it has, never none
	 * (tests/fuzz/zdata.c fuzzes what it decodes to). */
	FUZZ_CHECK(d.flags & MDW_DF_ZSTD ? d.plen > 0 && d.plen < d.len : d.plen == d.len);
	FUZZ_CHECK(d.offset % 512 == 0 && d.len % 512 == 0 && !(d.flags & ~MDW_DF_ALL));
	mdw_data_encode(again, &d);
	FUZZ_CHECK(memcmp(again, body, sizeof(again)) == 0);
}

static void ack(const uint8_t *body, size_t len)
{
	unsigned char again[sizeof(struct mdw_ack)];
	uint64_t id;
	int32_t status;

	if (mdw_ack_decode(body, len, &id, &status))
		return;
	FUZZ_CHECK(status <= 0 && status >= -4095);
	mdw_ack_encode(again, id, status);
	FUZZ_CHECK(memcmp(again, body, len) == 0);
}

static void state(const uint8_t *body, size_t len)
{
	unsigned char again[sizeof(struct mdw_state)];
	uint32_t role, disk;

	if (mdw_state_decode(body, len, &role, &disk))
		return;
	FUZZ_CHECK(role == MD_ROLE_PRIMARY || role == MD_ROLE_SECONDARY);
	FUZZ_CHECK(disk <= MD_DISK_STORED_MAX);
	mdw_state_encode(again, role, disk);
	FUZZ_CHECK(memcmp(again, body, len) == 0);
}

/* The bitmap's bounds depend on the receiver's device; try a few. */
static void bitmap(const uint8_t *body, size_t len)
{
	static const uint64_t nchunks[] = { 0, 64, 65536 + 64, 1ull << 32, UINT64_MAX };
	static uint64_t words[MDW_BITMAP_MAX_BITS / 64];
	static unsigned char again[sizeof(struct mdw_bitmap) + MDW_BITMAP_MAX_BITS / 8];

	for (size_t i = 0; i < sizeof(nchunks) / sizeof(nchunks[0]); i++) {
		const unsigned char *w;
		uint64_t start;
		uint32_t nbits, nwords;
		int rc;

		rc = mdw_bitmap_decode(body, len, nchunks[i], &start, &nbits, &w);
		FUZZ_CHECK(rc == 0 || rc == -EMSGSIZE || rc == -EBADMSG || rc == -ERANGE);
		if (rc)
			continue;
		FUZZ_CHECK(nbits && nbits <= MDW_BITMAP_MAX_BITS && start % 64 == 0);
		FUZZ_CHECK(start <= nchunks[i] && nbits <= nchunks[i] - start);
		FUZZ_CHECK(w == body + sizeof(struct mdw_bitmap));
		FUZZ_CHECK(len == mdw_bitmap_body_len(nbits));
		/* Read the words as mirrord's handle_bitmap does: ASan
		 * catches any that lie outside the body. */
		nwords = (nbits + 63) / 64;
		for (uint32_t j = 0; j < nwords; j++) {
			memcpy(&words[j], w + j * 8, 8);
			words[j] = le64toh(words[j]);
		}
		mdw_bitmap_encode(again, start, nbits, words);
		FUZZ_CHECK(memcmp(again, body, len) == 0);
	}
}

static void rs_done(const uint8_t *body, size_t len)
{
	unsigned char again[sizeof(struct mdw_rs_done)];
	uint64_t gen, sent;

	if (mdw_rs_done_decode(body, len, &gen, &sent))
		return;
	mdw_rs_done_encode(again, gen, sent);
	/* reserved is ignored on receipt and zero when sent */
	FUZZ_CHECK(memcmp(again, body, offsetof(struct mdw_rs_done, reserved)) == 0);
}

static void rs_digest(const uint8_t *body, size_t len)
{
	unsigned char again[sizeof(struct mdw_rs_digest)];
	uint64_t id, offset, digest;
	uint32_t dlen;

	if (mdw_rs_digest_decode(body, len, &id, &offset, &dlen, &digest))
		return;
	FUZZ_CHECK(dlen && dlen <= MD_MAX_IO_BYTES && dlen % 512 == 0 && offset % 512 == 0);
	mdw_rs_digest_encode(again, id, offset, dlen, digest);
	FUZZ_CHECK(memcmp(again, body, len) == 0);
}

static void rs_reply(const uint8_t *body, size_t len)
{
	unsigned char again[sizeof(struct mdw_rs_reply)];
	uint64_t id;
	bool same;

	if (mdw_rs_reply_decode(body, len, &id, &same))
		return;
	mdw_rs_reply_encode(again, id, same);
	FUZZ_CHECK(memcmp(again, body, len) == 0);
}

/* An accepted AUTH re-encodes to the same bytes (a step leaves the fields
 * it does not use zero; decode refuses them otherwise). */
static void auth(const uint8_t *body, size_t len)
{
	unsigned char again[sizeof(struct mdw_auth)];
	struct md_auth_msg m;

	if (mdw_auth_decode(body, len, &m))
		return;
	FUZZ_CHECK(m.step >= 1 && m.step <= 3 && m.method <= MDW_AUTH_HMAC_SHA256);
	mdw_auth_encode(again, &m);
	FUZZ_CHECK(memcmp(again, body, len) == 0);
}

/* The body decoder for each type, and the body size of those that have
 * one size only (0: none, or a range). */
static const struct {
	void (*decode)(const uint8_t *body, size_t len);
	size_t fixed;
} types[MDW_TYPE_MAX + 1] = {
	[MDW_HELLO]	= { hello, sizeof(struct mdw_hello) },
	[MDW_REJECT]	= { reject, sizeof(struct mdw_reject) },
	[MDW_DATA]	= { data, 0 },
	[MDW_ACK]	= { ack, sizeof(struct mdw_ack) },
	[MDW_STATE]	= { state, sizeof(struct mdw_state) },
	[MDW_BITMAP]	= { bitmap, 0 },
	[MDW_RS_DONE]	= { rs_done, sizeof(struct mdw_rs_done) },
	[MDW_RS_DIGEST]	= { rs_digest, sizeof(struct mdw_rs_digest) },
	[MDW_RS_REPLY]	= { rs_reply, sizeof(struct mdw_rs_reply) },
	[MDW_VF_DIGEST]	= { rs_digest, sizeof(struct mdw_rs_digest) },
	[MDW_VF_REPLY]	= { rs_reply, sizeof(struct mdw_rs_reply) },
	[MDW_AUTH]	= { auth, sizeof(struct mdw_auth) },
};

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	size_t hlen = size < HDR ? size : HDR, blen = size - hlen;
	const uint8_t *body = in + hlen;
	uint16_t raw = size >= 6 ? fuzz_le16(in + 4) : 0, type;
	uint32_t len;
	unsigned t = raw % (MDW_TYPE_MAX + 1);

	FUZZ_CHECK(mdw_type_name(raw) != NULL);
	if (size >= HDR) {
		int rc = mdw_hdr_decode(in, &type, &len);

		FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EPROTO || rc == -EMSGSIZE);
		if (rc == 0) {
			unsigned char again[HDR];

			FUZZ_CHECK(type >= 1 && type <= MDW_TYPE_MAX && type == raw);
			FUZZ_CHECK(len <= MDW_MAX_BODY);
			FUZZ_CHECK(strcmp(mdw_type_name(type), "unknown") != 0);
			mdw_hdr_encode(again, type, len);
			FUZZ_CHECK(memcmp(again, in, HDR) == 0);
			/* What the header lets through, a fixed-size decoder
			 * must not refuse for its length. */
			if (types[type].fixed)
				FUZZ_CHECK(len == types[type].fixed);
		}
	}
	if (size >= HDR) {
		/* data-integrity: a header whose only fault is its digest,
		 * with its whole body present, is accepted or -EILSEQ. */
		struct mdw_hdr h;

		memcpy(&h, in, HDR);
		h.digest = 0;
		if (!mdw_hdr_decode(&h, &type, &len) && len <= blen) {
			int rc = mdw_hdr_decode_sealed(in, body, &type, &len);

			FUZZ_CHECK(rc == 0 || rc == -EILSEQ);
		}
	}
	if (types[t].decode)
		types[t].decode(body, blen);
	return 0;
}
