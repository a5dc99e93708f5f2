/* SPDX-License-Identifier: GPL-2.0-or-later */
/* zdata.c - see zdata.h. */
#define ZSTD_STATIC_LINKING_ONLY	/* static contexts: no allocation per message */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include "md_chan.h"
#include "zdata.h"

/*
 * The workspace a level needs for any message up to MD_MAX_IO_BYTES: zstd
 * picks its parameters by the source size, so the largest of the tiers it
 * distinguishes.  ZSTD_estimateCCtxSize(level) would size for an unknown
 * size, up to a 128 MiB window at level 19: far more than a message needs.
 */
static size_t cctx_size(int level)
{
	static const size_t tiers[] = { 1u << 10, 4u << 10, 16u << 10, 128u << 10, 256u << 10,
					MD_MAX_IO_BYTES };
	size_t max = 0;

	for (size_t i = 0; i < sizeof(tiers) / sizeof(tiers[0]); i++) {
		size_t s = ZSTD_estimateCCtxSize_usingCParams(ZSTD_getCParams(level, tiers[i], 0));

		if (s > max)
			max = s;
	}
	return max;
}

int md_zenc_init(struct md_zenc *z, int level)
{
	size_t size;
	void *ws;

	if (level < MDZ_LEVEL_MIN || level > MDZ_LEVEL_MAX)
		return -EINVAL;
	size = cctx_size(level);
	if (z->ws && z->ws_size >= size) {
		ws = z->ws;
		size = z->ws_size;
	} else {
		ws = malloc(size);
		if (!ws)
			return -ENOMEM;
		free(z->ws);
	}
	z->ws = ws;
	z->ws_size = size;
	z->cctx = ZSTD_initStaticCCtx(ws, size);
	z->level = level;
	z->fails = z->backoff = z->skip = 0;
	if (!z->cctx)
		return -ENOMEM;
	/* Set once, kept by every ZSTD_compress2: the level, the size in
	 * the frame header (the receiver requires it), and zstd's checksum
	 * of the content, so that a frame changed on the way fails to
	 * decode instead of turning into other data. */
	if (ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_contentSizeFlag, 1)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_checksumFlag, 1))) {
		z->cctx = NULL;
		return -EINVAL;
	}
	return 0;
}

void md_zenc_fini(struct md_zenc *z)
{
	free(z->ws);
	z->ws = z->cctx = NULL;
	z->ws_size = 0;
}

int md_zdec_init(struct md_zdec *z)
{
	size_t size = ZSTD_estimateDCtxSize();

	if (z->dctx)
		return 0;
	z->ws = malloc(size);
	if (!z->ws)
		return -ENOMEM;
	z->dctx = ZSTD_initStaticDCtx(z->ws, size);
	if (!z->dctx) {
		md_zdec_fini(z);
		return -ENOMEM;
	}
	/* No frame may ask for a window larger than the largest message. */
	ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, __builtin_ctz(MD_MAX_IO_BYTES));
	return 0;
}

void md_zdec_fini(struct md_zdec *z)
{
	free(z->ws);
	z->ws = z->dctx = NULL;
}

/* The frame's length in out, or 0: send raw (and the back-off's turn). */
static size_t try_compress(struct md_zenc *z, const struct md_data_info *d, const void *data,
			   void *out)
{
	unsigned units = (d->len + MDZ_UNIT_BYTES - 1) / MDZ_UNIT_BYTES;
	size_t n;

	if (!out || !z->cctx || z->paused || d->len < MDZ_MIN_BYTES)
		return 0;
	if (z->skip) {
		z->skip = z->skip > units ? z->skip - units : 0;
		return 0;
	}
	/* Room for a frame that saves an eighth, no more: zstd gives up
	 * (dstSize_tooSmall) as soon as it cannot fit. */
	n = ZSTD_compress2(z->cctx, out, d->len - d->len / 8, data, d->len);
	if (!ZSTD_isError(n)) {
		z->fails = z->backoff = 0;
		return n;
	}
	z->fails += units;
	if (z->backoff || z->fails >= MDZ_FAILS) {
		/* Backing off: the pause doubles with each failed retry. */
		z->backoff = !z->backoff ? MDZ_BACKOFF_MIN :
			     z->backoff >= MDZ_BACKOFF_MAX / 2 ? MDZ_BACKOFF_MAX : z->backoff * 2;
		z->skip = z->backoff;
		z->fails = 0;
	}
	return 0;
}

const void *mdw_data_pack(struct md_zenc *z, void *frame, struct md_data_info *d,
			  const void *data, void *out, uint32_t *plen)
{
	const void *p = data;

	d->flags &= (uint16_t)~MDW_DF_ZSTD;
	d->plen = d->len;
	if (z && d->len) {
		size_t n = try_compress(z, d, data, out);

		if (n) {
			d->flags |= MDW_DF_ZSTD;
			d->plen = (uint32_t)n;
			p = out;
		} else {
			z->st.raw_msgs++;
			z->st.raw_bytes += d->len;
		}
		z->st.msgs++;
		z->st.in_bytes += d->len;
		z->st.out_bytes += d->plen;
	}
	mdw_data_frame(frame, d);
	*plen = d->plen;
	return p;
}

int mdw_data_unpack(struct md_zdec *z, const struct md_data_info *d, const void *payload,
		    void *dst)
{
	const unsigned char *p = payload;
	unsigned long long fcs;
	size_t n;

	if (!(d->flags & MDW_DF_ZSTD)) {
		if (d->len)
			memcpy(dst, payload, d->len);
		if (z && d->len) {
			z->st.msgs++;
			z->st.raw_msgs++;
			z->st.in_bytes += d->len;
			z->st.out_bytes += d->len;
			z->st.raw_bytes += d->len;
		}
		return 0;
	}
	if (!z || !z->dctx)
		return -EPROTO;
	/* A zstd frame's own magic, not a skippable frame's (0x184D2A5?)
	 * nor a legacy format's: exactly what our encoder writes. */
	if (d->plen < 4 || (p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24) != ZSTD_MAGICNUMBER)
		return -EBADMSG;
	/* One frame, and it is the whole payload: an error code is never
	 * equal to a payload length (both are size_t; errors are near -1). */
	if (ZSTD_findFrameCompressedSize(payload, d->plen) != d->plen)
		return -EBADMSG;
	/* The frame must announce the size (unknown and errors differ from
	 * any len), and it must be what the DATA header says. */
	fcs = ZSTD_getFrameContentSize(payload, d->plen);
	if (fcs != d->len)
		return -EMSGSIZE;
	/* dst holds exactly len bytes: a frame that decodes to more fails
	 * here (dstSize_tooSmall), one that decodes to less is caught by
	 * zstd against the announced size, and checked again below. */
	n = ZSTD_decompressDCtx(z->dctx, dst, d->len, payload, d->plen);
	if (ZSTD_isError(n) || n != d->len)
		return -EILSEQ;
	z->st.msgs++;
	z->st.in_bytes += d->len;
	z->st.out_bytes += d->plen;
	return 0;
}

const char *mdw_zerror(int rc)
{
	switch (rc) {
	case 0:
		return "no error";
	case -EPROTO:
		return "compressed, but compression was not negotiated";
	case -EBADMSG:
		return "the payload is not exactly one zstd frame";
	case -EMSGSIZE:
		return "the zstd frame does not announce the length the DATA header says";
	case -EILSEQ:
		return "the zstd frame does not decode to the length the DATA header says";
	}
	return "unknown error";
}
