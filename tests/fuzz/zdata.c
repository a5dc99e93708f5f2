/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * zdata.c - fuzz target: the DATA codec of lib/zdata.c, the decoder of
 * what a peer sends as compressed (or raw) writes.
 *
 * Input: a DATA body as it crosses the wire (the mdw_data header, then the
 * payload).  mdw_data_decode judges the header; an accepted one has its
 * payload decoded by mdw_data_unpack into a heap buffer of exactly the
 * header's len bytes, where AddressSanitizer sees one byte too many.
 *
 * Checked beyond "no crash, no leak, no UB": only the documented errors
 * come back; a payload accepted as compressed is exactly one zstd frame
 * of the whole payload announcing len bytes; without negotiation a
 * compressed payload is refused and a raw one copied; and the input's
 * bytes, sent as a write's data through mdw_data_pack at a level the
 * input picks, come back byte for byte (compressed or not).
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "fuzz.h"
#include "zdata.h"

static struct md_zdec zd;
static struct md_zenc ze[3];
static const int levels[3] = { -5, 1, 3 };

static void decode(const uint8_t *data, size_t size)
{
	const uint8_t *payload = data + sizeof(struct mdw_data);
	struct md_data_info d;
	unsigned char *dst;
	int rc;

	if (mdw_data_decode(data, size, &d))
		return;
	dst = malloc(d.len ? d.len : 1);
	FUZZ_CHECK(dst);
	rc = mdw_data_unpack(&zd, &d, payload, dst);
	FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -EMSGSIZE || rc == -EILSEQ);
	FUZZ_CHECK(rc == 0 || (d.flags & MDW_DF_ZSTD));
	if (!rc && (d.flags & MDW_DF_ZSTD)) {
		FUZZ_CHECK(ZSTD_findFrameCompressedSize(payload, d.plen) == d.plen);
		FUZZ_CHECK(ZSTD_getFrameContentSize(payload, d.plen) == d.len);
		FUZZ_CHECK(!ZSTD_isSkippableFrame(payload, d.plen));
	}
	if (!rc && !(d.flags & MDW_DF_ZSTD))
		FUZZ_CHECK(memcmp(dst, payload, d.len) == 0);
	/* The same packet on a connection that did not negotiate compression. */
	rc = mdw_data_unpack(NULL, &d, payload, dst);
	FUZZ_CHECK(d.flags & MDW_DF_ZSTD ? rc == -EPROTO : rc == 0);
	free(dst);
}

/* The input as a write's data (whole sectors), framed and parsed back. */
static void round_trip(const uint8_t *data, size_t size)
{
	uint32_t n = (uint32_t)(size > MD_MAX_IO_BYTES ? MD_MAX_IO_BYTES : size) & ~511u;
	struct md_zenc *z = &ze[size ? data[0] % 3 : 0];
	struct md_data_info d = { .id = 1, .offset = 512, .len = n, .flags = MDW_DF_RESYNC }, got;
	unsigned char frame[MDW_DATA_FRAME], *out, *body, *dst;
	const void *p;
	uint32_t plen;

	if (!n)
		return;
	z->fails = z->backoff = z->skip = 0;	/* each input on its own */
	out = malloc(n);
	body = malloc(sizeof(struct mdw_data) + n);
	dst = malloc(n);
	FUZZ_CHECK(out && body && dst);
	p = mdw_data_pack(z, frame, &d, data, out, &plen);
	FUZZ_CHECK(plen == d.plen && (d.flags & MDW_DF_ZSTD ? plen <= n - n / 8 : plen == n));
	memcpy(body, frame + sizeof(struct mdw_hdr), sizeof(struct mdw_data));
	memcpy(body + sizeof(struct mdw_data), p, plen);
	FUZZ_CHECK(mdw_data_decode(body, sizeof(struct mdw_data) + plen, &got) == 0);
	FUZZ_CHECK(mdw_data_unpack(&zd, &got, body + sizeof(struct mdw_data), dst) == 0);
	FUZZ_CHECK(memcmp(dst, data, n) == 0);
	free(out);
	free(body);
	free(dst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		FUZZ_CHECK(md_zdec_init(&zd) == 0);
		for (int i = 0; i < 3; i++)
			FUZZ_CHECK(md_zenc_init(&ze[i], levels[i]) == 0);
		ready = true;
	}
	decode(data, size);
	round_trip(data, size);
	return 0;
}
