/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * csum.c - compare by digest instead of copying.
 *
 * Checksum resync (resync-checksum = yes): the source reads a chunk it
 * would send, keeps it (the stash) and sends only its xxh3 digest; the
 * target reads its own copy and answers "same" or "differs"; only a chunk
 * that differs is sent in full.  The answering side also serves online
 * verify's digests (verify.c asks, here we answer).
 *
 * Owns r->cs; counts through resync.c (rs_record_sent, rs_record_same); borrows apply slots from apply.c for
 * the reads, so digest reads and writes share one bound and one ordering.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "repl.h"

/* Source: keep the chunk, send its digest; the target's verdict decides. */
int rs_send_digest(struct repl *r, const struct md_chan_req *q, const char *data)
{
	struct rs_stash *st = NULL;
	void *body;

	for (int i = 0; i < RS_WINDOW; i++)
		if (!r->cs.stash[i].buf) {
			st = &r->cs.stash[i];
			break;
		}
	if (!st)
		return -ENOSPC;
	st->buf = malloc(q->len);
	if (!st->buf)
		return -ENOMEM;
	memcpy(st->buf, data, q->len);
	st->id = q->id;
	st->offset = q->offset;
	st->len = q->len;
	body = ctl_packet(r, MDW_RS_DIGEST, sizeof(struct mdw_rs_digest));
	if (!body)
		return -ENOBUFS;
	mdw_rs_digest_encode(body, q->id, q->offset, q->len, XXH3_64bits(data, q->len));
	rs_record_sent(r);
	ctl_kick(r);
	return 0;
}

void rs_stash_clear(struct repl *r)
{
	for (int i = 0; i < RS_WINDOW; i++) {
		free(r->cs.stash[i].buf);
		r->cs.stash[i].buf = NULL;
	}
}

/* Source: the target's verdict on one digest. */
int handle_rs_reply(struct repl *r, const char *body, uint32_t len)
{
	struct rs_stash *st = NULL;
	uint64_t id;
	bool same;

	if (mdw_rs_reply_decode(body, len, &id, &same) || !r->rs.active || !r->rs.source) {
		conn_fail(r, "unexpected or malformed RS_REPLY from peer");
		return -1;
	}
	for (int i = 0; i < RS_WINDOW; i++)
		if (r->cs.stash[i].buf && r->cs.stash[i].id == id)
			st = &r->cs.stash[i];
	if (!st) {
		conn_fail(r, "RS_REPLY for an unknown chunk");
		return -1;
	}
	if (same) {
		/* Identical: done without sending; the kernel clears the bit. */
		kack_add(r, id, 0);
		rs_acked(r, id, 0);
		rs_record_same(r);
		free(st->buf);
		st->buf = NULL;
		return 1;
	}
	{
		struct txitem *t = calloc(1, sizeof(*t));
		struct iovec *iov = calloc(2, sizeof(*iov));
		struct md_zenc *z = zc_encoder(r);
		/* The frame (lib/zdata.h) and the header in one buffer; this
		 * path allocates its item per chunk anyway. */
		char *hdr = malloc(MDW_DATA_FRAME + (z ? st->len : 0));
		struct md_data_info d = { .id = id, .offset = st->offset, .len = st->len,
					  .flags = MDW_DF_RESYNC };
		const void *payload;
		uint32_t plen;

		if (!t || !iov || !hdr) {
			free(t); free(iov); free(hdr);
			conn_fail(r, "out of memory");
			return -1;
		}
		payload = mdw_data_pack(z, hdr, &d, st->buf, z ? hdr + MDW_DATA_FRAME : NULL, &plen);
		iov[0] = (struct iovec){ hdr, MDW_DATA_FRAME };
		iov[1] = (struct iovec){ (void *)payload, plen };
		t->own[0] = hdr;
		t->own[1] = st->buf;	/* owned by the txitem now */
		st->buf = NULL;
		tx_queue(r, t, iov, 2, tx_heap_free);
		rs_record_sent(r);
	}
	return 1;
}

/* Target (or verify's peer): read our chunk, compare digests, answer. */
static void digest_read_cb(struct io_op *op, int res)
{
	struct apply *a = op->ctx;
	struct repl *r = a->r;
	void *body;
	bool same = res >= 0 && (uint32_t)res == a->d.len &&
		    XXH3_64bits(a->buf, a->d.len) == a->digest;

	if (!r->conn.failing && (body = ctl_packet(r, a->verify ? MDW_VF_REPLY : MDW_RS_REPLY,
						   sizeof(struct mdw_rs_reply)))) {
		mdw_rs_reply_encode(body, a->d.id, same);
		ctl_kick(r);
	}
	if (same && !a->verify)
		rs_record_same(r);
	/* A chunk that differs is not here yet: its DATA follows. */
	if (a->resync)
		rs_target_finished(r, a->d.offset, a->d.len, same);
	apply_release(a);
	rx_resume(r);
}

static int digest_compare(struct repl *r, const char *body, uint32_t len, bool verify)
{
	struct apply *a;
	uint64_t id, off, digest;
	uint32_t dlen;

	if (mdw_rs_digest_decode(body, len, &id, &off, &dlen, &digest) ||
	    off > r->dev.size_bytes || dlen > r->dev.size_bytes - off || dlen > MD_MAX_IO_BYTES) {
		conn_fail(r, "malformed %s from peer", verify ? "VF_DIGEST" : "RS_DIGEST");
		return -1;
	}
	if (!verify && !rs_target_check(r, "RS_DIGEST", off, dlen, false))
		return -1;
	a = apply_get(r, dlen);
	if (!a)
		return 0;	/* stall until an apply finishes */
	if (!verify)
		rs_target_got(r, off, dlen, false);
	a->d = (struct md_data_info){ .id = id, .offset = off, .len = dlen };
	a->digest = digest;
	a->verify = verify;
	a->resync = !verify;
	a->active = true;
	a->start_ms = now_ms();
	a->op = (struct io_op){ .kind = IO_READ, .fd = r->dev.disk_fd, .buf = a->buf, .len = dlen,
				.off = off, .cb = digest_read_cb, .ctx = a };
	ioq_submit(r->io, &a->op);
	return 1;
}

int handle_rs_digest(struct repl *r, const char *body, uint32_t len)
{
	return digest_compare(r, body, len, false);
}

int handle_vf_digest(struct repl *r, const char *body, uint32_t len)
{
	return digest_compare(r, body, len, true);
}
