/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_zdata.c - the DATA codec (lib/zdata.c): what the sender compresses
 * and what it sends raw (threshold, the eighth it must save, the back-off
 * on incompressible data and its retries), round trips up to the largest
 * message at the extreme levels with the static contexts, and the
 * receiver's refusals: compressed without negotiation, empty, truncated,
 * a frame that decodes larger or smaller than announced, no announced
 * size, two frames, a skippable frame, trailing bytes.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zstd.h>
#include "zdata.h"

#define MAX	MD_MAX_IO_BYTES

static unsigned char *src, *out, *dst, *body;

static int setup(void **state)
{
	(void)state;
	src = malloc(MAX);
	out = malloc(MAX);
	dst = malloc(MAX);
	body = malloc(sizeof(struct mdw_data) + MAX);
	return src && out && dst && body ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(src); free(out); free(dst); free(body);
	return 0;
}

/* Block data that compresses about 3-4x, like a file system's: lines of
 * words and numbers, the words repeating (matches even the fastest level
 * finds), the numbers varying. */
static void fill_compressible(unsigned char *p, size_t n, unsigned seed)
{
	static const char *const words[] = { "mirror ", "disk ", "chunk ", "bitmap ", "resync ",
					     "write ", "/var/lib/postgresql ", "INSERT INTO " };
	size_t i = 0;

	while (i < n) {
		char tmp[64];
		int k;

		seed = seed * 1103515245u + 12345u;
		k = snprintf(tmp, sizeof(tmp), "%s%u%s", words[(seed >> 16) % 8], (seed >> 20) % 100,
			     (seed >> 27) % 4 ? " " : "\n");
		for (int j = 0; j < k && i < n; j++)
			p[i++] = (unsigned char)tmp[j];
	}
}

static void fill_random(unsigned char *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
		p[i] = (unsigned char)seed;
	}
}

/* Pack len bytes of src, then decode the packet as the receiver does:
 * header through mdw_data_decode, payload through mdw_data_unpack. */
static int pack_unpack(struct md_zenc *z, struct md_zdec *zd, uint32_t len, uint16_t flags,
		       struct md_data_info *got)
{
	unsigned char frame[MDW_DATA_FRAME];
	struct md_data_info d = { .id = 1, .offset = 8192, .len = len, .flags = flags, .seq = 2 };
	uint16_t type;
	uint32_t blen, plen;
	const void *p = mdw_data_pack(z, frame, &d, src, out, &plen);
	int rc;

	assert_int_equal(plen, d.plen);
	assert_ptr_equal(p, d.flags & MDW_DF_ZSTD ? (void *)out : (void *)src);
	assert_int_equal(mdw_hdr_decode(frame, &type, &blen), 0);
	assert_int_equal(blen, sizeof(struct mdw_data) + plen);
	memcpy(body, frame + sizeof(struct mdw_hdr), sizeof(struct mdw_data));
	memcpy(body + sizeof(struct mdw_data), p, plen);
	assert_int_equal(mdw_data_decode(body, blen, got), 0);
	assert_int_equal(got->len, len);
	assert_int_equal(got->plen, plen);
	memset(dst, 0xee, MAX);
	rc = mdw_data_unpack(zd, got, body + sizeof(struct mdw_data), dst);
	if (!rc)
		assert_memory_equal(dst, src, len);
	return rc;
}

/* Compressible data from 1 KiB to the largest message goes compressed,
 * saves at least an eighth, and comes back byte for byte; at the fastest
 * and the slowest level the static workspace is large enough for every
 * size (zstd would fail with memory_allocation, and the message go raw). */
static void round_trip_every_size_and_level(void **state)
{
	static const int levels[] = { MDZ_LEVEL_MIN, -5, 1, 3, 9, MDZ_LEVEL_MAX };
	static const uint32_t sizes[] = { 1024, 4096, 65536, 131072 + 512, 262144, MAX };
	struct md_zdec zd = { 0 };
	struct md_data_info d;

	(void)state;
	assert_int_equal(md_zdec_init(&zd), 0);
	for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
		struct md_zenc z = { 0 };

		assert_int_equal(md_zenc_init(&z, levels[l]), 0);
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			size_t n;

			fill_compressible(src, sizes[i], (unsigned)(i + l));
			/* The static workspace suffices at this level and size:
			 * with room to spare, no error at all (memory_allocation
			 * would be one). */
			n = ZSTD_compress2(z.cctx, out, MAX, src, sizes[i]);
			if (ZSTD_isError(n))
				fail_msg("level %d, %u bytes: %s", levels[l], sizes[i], ZSTD_getErrorName(n));
			/* zstd's fastest levels give up ratio on small messages
			 * (-50 saves 7% at 4 KiB, 54% at 64 KiB): at the
			 * lowest, from 64 KiB on. */
			if (levels[l] == MDZ_LEVEL_MIN && sizes[i] < 65536)
				continue;
			assert_int_equal(pack_unpack(&z, &zd, sizes[i], MDW_DF_FUA, &d), 0);
			if (!(d.flags & MDW_DF_ZSTD))
				fail_msg("level %d, %u bytes went raw", levels[l], sizes[i]);
			assert_true(d.plen <= sizes[i] - sizes[i] / 8);
			assert_int_equal(d.flags, MDW_DF_FUA | MDW_DF_ZSTD);
		}
		assert_int_equal(z.st.msgs, levels[l] == MDZ_LEVEL_MIN ? 4 : 6);
		assert_int_equal(z.st.raw_msgs, 0);
		assert_true(z.st.in_bytes > 2 * z.st.out_bytes);
		md_zenc_fini(&z);
	}
	/* The decoder counted what it decoded. */
	assert_int_equal(zd.st.msgs, 34);
	assert_int_equal(zd.st.raw_msgs, 0);
	md_zdec_fini(&zd);
}

/* Resync data is compressed too; an empty flush and a small write go raw;
 * without an encoder (not negotiated) nothing is compressed or counted. */
static void small_empty_and_uncounted_go_raw(void **state)
{
	struct md_zenc z = { 0 };
	struct md_zdec zd = { 0 };
	struct md_data_info d;

	(void)state;
	assert_int_equal(md_zenc_init(&z, 1), 0);
	assert_int_equal(md_zdec_init(&zd), 0);
	memset(src, 'a', MAX);
	assert_int_equal(pack_unpack(&z, &zd, 4096, MDW_DF_RESYNC, &d), 0);
	assert_int_equal(d.flags, MDW_DF_RESYNC | MDW_DF_ZSTD);
	assert_int_equal(pack_unpack(&z, &zd, MDZ_MIN_BYTES - 512, 0, &d), 0);
	assert_int_equal(d.flags, 0);
	assert_int_equal(d.plen, MDZ_MIN_BYTES - 512);
	assert_int_equal(pack_unpack(&z, &zd, 0, MDW_DF_PREFLUSH, &d), 0);
	assert_int_equal(d.flags, MDW_DF_PREFLUSH);
	assert_int_equal(z.st.msgs, 2);		/* the flush has no payload */
	assert_int_equal(z.st.raw_msgs, 1);
	assert_int_equal(z.st.raw_bytes, MDZ_MIN_BYTES - 512);
	assert_int_equal(pack_unpack(NULL, NULL, 4096, 0, &d), 0);
	assert_int_equal(d.flags, 0);
	assert_int_equal(z.st.msgs, 2);
	/* A paused encoder (auto, link not the bottleneck): raw, counted. */
	z.paused = true;
	assert_int_equal(pack_unpack(&z, &zd, 4096, 0, &d), 0);
	assert_int_equal(d.flags, 0);
	assert_int_equal(z.st.raw_msgs, 2);
	md_zenc_fini(&z);
	md_zdec_fini(&zd);
}

/* Incompressible data: raw; after MDZ_FAILS in a row the encoder stops
 * trying for MDZ_BACKOFF_MIN messages, retries one, doubles the pause on
 * failure up to MDZ_BACKOFF_MAX, and compresses again at once on success.
 * A message that saves less than an eighth counts as incompressible. */
static void backoff_and_retry(void **state)
{
	struct md_zenc z = { 0 };
	struct md_zdec zd = { 0 };
	struct md_data_info d;
	unsigned tries = 0, i;

	(void)state;
	assert_int_equal(md_zenc_init(&z, 1), 0);
	assert_int_equal(md_zdec_init(&zd), 0);
	fill_random(src, 65536, 42);
	for (i = 0; i < MDZ_FAILS; i++) {
		pack_unpack(&z, &zd, 65536, 0, &d);
		assert_int_equal(d.flags, 0);
	}
	assert_int_equal(z.backoff, MDZ_BACKOFF_MIN);
	assert_int_equal(z.skip, MDZ_BACKOFF_MIN);
	/* Count the attempts over many messages: the skips are not attempts. */
	for (i = 0; i < 4000; i++) {
		unsigned before = z.skip;

		pack_unpack(&z, &zd, 65536, 0, &d);
		assert_int_equal(d.flags, 0);
		tries += before == 0;
	}
	assert_int_equal(z.backoff, MDZ_BACKOFF_MAX);
	assert_true(tries >= 6 && tries <= 10);	/* 16+32+...+1024, then every 1024 */
	assert_int_equal(z.st.raw_msgs, MDZ_FAILS + 4000);
	/* Compressible again: compressed at the next try, the back-off over. */
	fill_compressible(src, 65536, 7);
	for (i = 0; i < MDZ_BACKOFF_MAX + 1; i++) {
		pack_unpack(&z, &zd, 65536, 0, &d);
		if (d.flags & MDW_DF_ZSTD)
			break;
	}
	assert_true(i <= MDZ_BACKOFF_MAX);
	assert_int_equal(z.backoff, 0);
	pack_unpack(&z, &zd, 65536, 0, &d);
	assert_int_equal(d.flags, MDW_DF_ZSTD);
	/* A message counts by its 64 KiB units: one incompressible 1 MiB
	 * message is 16 failures (back-off), and the pause of 16 units is
	 * one 1 MiB message, as 16 chunks sent one by one were. */
	fill_random(src, MAX, 11);
	pack_unpack(&z, &zd, MAX, 0, &d);
	assert_int_equal(d.flags, 0);
	assert_int_equal(z.backoff, MDZ_BACKOFF_MIN);
	assert_int_equal(z.skip, MDZ_BACKOFF_MIN);
	fill_compressible(src, MAX, 12);
	pack_unpack(&z, &zd, MAX, 0, &d);
	assert_int_equal(d.flags, 0);		/* skipped */
	assert_int_equal(z.skip, 0);
	pack_unpack(&z, &zd, MAX, 0, &d);
	assert_int_equal(d.flags, MDW_DF_ZSTD);	/* tried, and it pays */
	assert_int_equal(z.backoff, 0);
	/* Saving less than an eighth: half the bytes random, half repeated,
	 * compresses to a little over half; 15/16 random does not pay. */
	fill_random(src, 65536, 9);
	memset(src, 0, 4096);
	pack_unpack(&z, &zd, 65536, 0, &d);
	assert_int_equal(d.flags, 0);
	assert_int_equal(z.fails, 1);
	memset(src, 0, 32768);
	pack_unpack(&z, &zd, 65536, 0, &d);
	assert_int_equal(d.flags, MDW_DF_ZSTD);
	assert_int_equal(z.fails, 0);
	md_zenc_fini(&z);
	md_zdec_fini(&zd);
}

/* A DATA body with MDW_DF_ZSTD, len (what it decodes to) and payload. */
static size_t zbody(uint32_t len, const void *payload, size_t plen, struct md_data_info *d)
{
	struct md_data_info in = { .id = 3, .offset = 4096, .len = len, .flags = MDW_DF_ZSTD };

	mdw_data_encode(body, &in);
	memcpy(body + sizeof(struct mdw_data), payload, plen);
	memset(d, 0, sizeof(*d));
	return sizeof(struct mdw_data) + plen;
}

/* Decode a crafted compressed body: mdw_data_decode's verdict, else
 * mdw_data_unpack's. */
static int decode(struct md_zdec *zd, uint32_t len, const void *payload, size_t plen)
{
	struct md_data_info d;
	size_t blen = zbody(len, payload, plen, &d);
	int rc = mdw_data_decode(body, blen, &d);

	return rc ? rc : mdw_data_unpack(zd, &d, body + sizeof(struct mdw_data), dst);
}

/* A frame of src's first n bytes (content size announced) into buf. */
static size_t frame_of(void *buf, size_t cap, size_t n)
{
	size_t z = ZSTD_compress(buf, cap, src, n, 1);

	assert_false(ZSTD_isError(z));
	return z;
}

static void receiver_refuses_what_is_not_one_frame(void **state)
{
	struct md_zdec zd = { 0 };
	unsigned char *two = malloc(2 * MAX), skip[16];
	size_t f, g;

	(void)state;
	assert_non_null(two);
	assert_int_equal(md_zdec_init(&zd), 0);
	fill_compressible(src, MAX, 3);
	f = frame_of(out, MAX, 8192);
	/* The good frame, for contrast. */
	assert_int_equal(decode(&zd, 8192, out, f), 0);
	assert_memory_equal(dst, src, 8192);
	/* Compressed, but the connection did not negotiate compression. */
	assert_int_equal(decode(NULL, 8192, out, f), -EPROTO);
	/* Empty: a compressed payload of no bytes, and a compressed flush. */
	assert_int_equal(decode(&zd, 8192, out, 0), -EMSGSIZE);
	assert_int_equal(decode(&zd, 0, out, 0), -EMSGSIZE);
	/* Not smaller than what it stands for. */
	memset(two, 0, 4096);
	assert_int_equal(decode(&zd, 4096, two, 4096), -EMSGSIZE);
	/* Maximum: one frame of MD_MAX_IO_BYTES decodes; one more sector is
	 * refused by the header's bound before any decoding. */
	g = frame_of(two, 2 * MAX, MAX);
	assert_int_equal(decode(&zd, MAX, two, g), 0);
	assert_memory_equal(dst, src, MAX);
	assert_int_equal(decode(&zd, MAX + 512, two, g), -EMSGSIZE);
	/* Truncated: the frame's last byte, or all but its header, missing. */
	assert_int_equal(decode(&zd, 8192, out, f - 1), -EBADMSG);
	assert_int_equal(decode(&zd, 8192, out, 6), -EBADMSG);
	assert_int_equal(decode(&zd, 8192, out, 3), -EBADMSG);
	/* Announced larger or smaller than the DATA header says. */
	assert_int_equal(decode(&zd, 4096, out, f), -EMSGSIZE);
	g = frame_of(two, 2 * MAX, 16384);
	assert_int_equal(decode(&zd, 8192, two, g), -EMSGSIZE);
	/* A frame without an announced size (decodes to 16 KiB): refused
	 * whatever the header claims, though its output would fit. */
	{
		ZSTD_CCtx *c = ZSTD_createCCtx();
		size_t in_pos = 0;

		assert_non_null(c);
		ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
		g = 0;
		assert_int_equal(ZSTD_compressStream2_simpleArgs(c, two, 2 * MAX, &g, src, 16384,
								 &in_pos, ZSTD_e_end), 0);
		assert_int_equal(ZSTD_getFrameContentSize(two, g), ZSTD_CONTENTSIZE_UNKNOWN);
		assert_int_equal(decode(&zd, 16384, two, g), -EMSGSIZE);
		assert_int_equal(decode(&zd, 8192, two, g), -EMSGSIZE);
		ZSTD_freeCCtx(c);
	}
	/* A frame that announces the header's len but decodes larger: its
	 * content-size field rewritten to announce 8192 while it holds
	 * 16384; then one that decodes smaller (announces 32768). */
	{
		size_t n = frame_of(two, 2 * MAX, 16384);
		unsigned char fhd = two[4];

		/* Frame header descriptor: single segment (0x20, no window
		 * byte), content size in the 2-byte field (fhd >> 6 == 1)
		 * right after it, stored as size - 256. */
		assert_int_equal(fhd >> 6, 1);
		assert_true(fhd & 0x20);
		two[5] = 0x00; two[6] = 0x1f;		/* 8192 - 256 */
		assert_int_equal(ZSTD_getFrameContentSize(two, n), 8192);
		assert_int_equal(decode(&zd, 8192, two, n), -EILSEQ);
		two[5] = 0x00; two[6] = 0x7f;		/* 32768 - 256 */
		assert_int_equal(ZSTD_getFrameContentSize(two, n), 32768);
		assert_int_equal(decode(&zd, 32768, two, n), -EILSEQ);
	}
	/* Two frames, each fine alone, covering the payload together. */
	g = frame_of(two, MAX, 4096);
	memcpy(two + g, two, g);
	assert_int_equal(decode(&zd, 4096, two, 2 * g), -EBADMSG);
	assert_int_equal(decode(&zd, 8192, two, 2 * g), -EBADMSG);
	/* A skippable frame: alone, and in front of a good frame. */
	g = ZSTD_writeSkippableFrame(skip, sizeof(skip), "12345678", 8, 0);
	assert_int_equal(g, 16);
	assert_int_equal(decode(&zd, 4096, skip, g), -EBADMSG);
	memcpy(two, skip, g);
	memcpy(two + g, out, f);
	assert_int_equal(decode(&zd, 8192, two, g + f), -EBADMSG);
	/* Trailing bytes after a good frame. */
	memcpy(two, out, f);
	memset(two + f, 0, 3);
	assert_int_equal(decode(&zd, 8192, two, f + 3), -EBADMSG);
	/* A corrupted frame, as our encoder writes it (with zstd's content
	 * checksum): every single flipped bit, wherever in the frame, is
	 * refused, or (a bit the decoder does not read) decodes to the very
	 * data; none decodes to other data. */
	{
		struct md_zenc z = { 0 };
		struct md_data_info d = { .len = 8192 };
		unsigned char frame[MDW_DATA_FRAME];
		unsigned accepted = 0;
		uint32_t plen;

		assert_int_equal(md_zenc_init(&z, 1), 0);
		assert_ptr_equal(mdw_data_pack(&z, frame, &d, src, out, &plen), out);
		assert_true(plen < 8192);
		for (size_t i = 0; i < plen * 8; i++) {
			int rc;

			memcpy(two, out, plen);
			two[i / 8] ^= (unsigned char)(1u << (i % 8));
			rc = decode(&zd, 8192, two, plen);
			if (!rc && !memcmp(dst, src, 8192)) {
				accepted++;
				continue;
			}
			if (rc != -EILSEQ && rc != -EBADMSG && rc != -EMSGSIZE)
				fail_msg("bit %zu of %u flipped: %d", i, plen, rc);
		}
		/* Bits the decoder does not read (the header's unused bit,
		 * padding of a bit stream) change nothing: a few at most. */
		assert_true(accepted < plen / 16);
		md_zenc_fini(&z);
	}
	assert_string_equal(mdw_zerror(-EBADMSG), "the payload is not exactly one zstd frame");
	free(two);
	md_zdec_fini(&zd);
}

/* A level change re-initialises the encoder (its workspace reused or
 * replaced), keeps the counts; levels out of range are refused. */
static void level_change_and_limits(void **state)
{
	struct md_zenc z = { 0 };
	struct md_zdec zd = { 0 };
	struct md_data_info d;

	(void)state;
	assert_int_equal(md_zenc_init(&z, MDZ_LEVEL_MAX + 1), -EINVAL);
	assert_int_equal(md_zenc_init(&z, MDZ_LEVEL_MIN - 1), -EINVAL);
	assert_int_equal(md_zenc_init(&z, 19), 0);
	assert_int_equal(md_zdec_init(&zd), 0);
	fill_compressible(src, 65536, 1);
	assert_int_equal(pack_unpack(&z, &zd, 65536, 0, &d), 0);
	assert_int_equal(md_zenc_init(&z, -10), 0);
	assert_int_equal(z.level, -10);
	assert_int_equal(pack_unpack(&z, &zd, 65536, 0, &d), 0);
	assert_int_equal(d.flags, MDW_DF_ZSTD);
	assert_int_equal(z.st.msgs, 2);
	md_zenc_fini(&z);
	md_zdec_fini(&zd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_every_size_and_level),
		cmocka_unit_test(small_empty_and_uncounted_go_raw),
		cmocka_unit_test(backoff_and_retry),
		cmocka_unit_test(receiver_refuses_what_is_not_one_frame),
		cmocka_unit_test(level_change_and_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
