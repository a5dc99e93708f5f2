/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * verify.c - online verify, the asking side: read every chunk, send its
 * xxh3 digest, and let the peer (csum.c there) answer whether its copy is
 * the same.  A chunk that differs twice (an application write may pass
 * between the two reads once) is marked out of sync, so the next resync
 * repairs it.  Requested through NAME.ctl (mdctl verify), reported in the
 * state file.
 *
 * Owns r->vf.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include "log.h"
#include "repl.h"

/* A verify was asked for while not connected: it needs the peer. */
void vf_refuse_unconnected(struct repl *r)
{
	if (r->adm.vf_request == r->vf.token)
		return;
	r->vf.token = r->adm.vf_request;
	r->vf.result = "aborted";
}

/* A connection starts or ended: a verify that ran on it is aborted. */
void vf_reset(struct repl *r)
{
	if (r->vf.active)
		vf_finish(r, "aborted");
}

void vf_finish(struct repl *r, const char *result)
{
	for (int i = 0; i < VF_WINDOW; i++) {
		free(r->vf.slot[i].buf);
		r->vf.slot[i].buf = NULL;
		r->vf.slot[i].busy = false;
	}
	if (r->vf.active)
		log_info("verify %s: %llu of %llu chunks compared, %llu differ, %llu read errors, "
			 "%.1f s", result, (unsigned long long)r->vf.done,
			 (unsigned long long)r->dev.nchunks, (unsigned long long)r->vf.differ,
			 (unsigned long long)r->vf.errors, (double)(now_ms() - r->vf.start_ms) / 1000.0);
	if (r->vf.active && r->vf.differ)
		handler_event(r, MD_H_OUT_OF_SYNC);
	r->vf.active = false;
	r->vf.result = result;
}

static void vf_send(struct repl *r, struct vf_slot *sl)
{
	void *body = ctl_packet(r, MDW_VF_DIGEST, sizeof(struct mdw_rs_digest));

	sl->unsent = !body;
	if (!body)
		return;		/* the control buffers are full: next tick */
	mdw_rs_digest_encode(body, (uint64_t)(sl - r->vf.slot),
			     sl->chunk * r->dev.chunk_bytes, sl->len, sl->digest);
	ctl_kick(r);
}

static void vf_read_cb(struct io_op *op, int res)
{
	struct vf_slot *sl = op->ctx;
	struct repl *r = sl->r;

	if (!r->vf.active || r->conn.failing) {
		sl->busy = false;
		return;
	}
	if (res != (int)sl->len) {
		log_err("verify: reading chunk %llu failed: %s", (unsigned long long)sl->chunk,
			strerror(res < 0 ? -res : EIO));
		r->vf.errors++;
		r->vf.done++;
		sl->busy = false;
		vf_kick(r);
		return;
	}
	sl->digest = XXH3_64bits(sl->buf, sl->len);
	vf_send(r, sl);
}

static void vf_read(struct repl *r, struct vf_slot *sl)
{
	uint64_t off = sl->chunk * r->dev.chunk_bytes;

	sl->len = (uint32_t)(r->dev.size_bytes - off < r->dev.chunk_bytes ? r->dev.size_bytes - off : r->dev.chunk_bytes);
	sl->busy = true;
	sl->op = (struct io_op){ .kind = IO_READ, .fd = r->dev.disk_fd, .buf = sl->buf, .len = sl->len,
				 .off = off, .cb = vf_read_cb, .ctx = sl };
	ioq_submit(r->io, &sl->op);
}

void vf_start(struct repl *r)
{
	r->vf.token = r->adm.vf_request;
	if (!(r->hs.peer_features & MDW_FEAT_VERIFY)) {
		log_warn("verify: peer %s does not support it", peer_name(r));
		r->vf.result = "unsupported";
		return;
	}
	memset(r->vf.slot, 0, sizeof(r->vf.slot));
	for (int i = 0; i < VF_WINDOW; i++) {
		r->vf.slot[i].r = r;
		if (posix_memalign((void **)&r->vf.slot[i].buf, 4096, r->dev.chunk_bytes)) {
			r->vf.slot[i].buf = NULL;
			r->vf.active = true;
			vf_finish(r, "aborted");
			return;
		}
	}
	r->vf.active = true;
	r->vf.result = "running";
	r->vf.cursor = r->vf.done = r->vf.differ = r->vf.errors = 0;
	r->vf.nfirst = 0;
	r->vf.start_ms = now_ms();
	log_info("verify with %s starts: %llu chunks", peer_name(r), (unsigned long long)r->dev.nchunks);
	vf_kick(r);
}

/* Keep the window full; fewer chunks while the application writes. */
void vf_kick(struct repl *r)
{
	unsigned busy = 0, window = now_ms() - r->rs.last_app_ms < 100 ? 2 : VF_WINDOW;

	if (!r->vf.active || r->conn.failing)
		return;
	for (int i = 0; i < VF_WINDOW; i++) {
		if (r->vf.slot[i].busy && r->vf.slot[i].unsent)
			vf_send(r, &r->vf.slot[i]);
		busy += r->vf.slot[i].busy;
	}
	for (int i = 0; i < VF_WINDOW && busy < window && r->vf.cursor < r->dev.nchunks; i++) {
		if (r->vf.slot[i].busy)
			continue;
		r->vf.slot[i].chunk = r->vf.cursor++;
		r->vf.slot[i].retried = false;
		vf_read(r, &r->vf.slot[i]);
		busy++;
	}
	if (!busy && r->vf.cursor >= r->dev.nchunks) {
		vf_finish(r, "done");
		state_write(r, MD_LINK_CONNECTED);
	}
}

/*
 * The primary's copy is the reference: on a secondary whose peer is
 * primary, a difference means this copy lacks what the primary holds, so
 * the copy is marked inconsistent (never a resync source, never activated
 * over the difference) until a resync from the primary rewrites it.  With
 * no primary, the node verify runs on is the reference and its marks mean
 * "the peer lacks this", as on a primary (lib/meta.c, md_gen_decide).
 */
static void vf_mark_wrong_copy(struct repl *r)	/* at the first difference of a run */
{
	if (r->dev.role == MD_ROLE_PRIMARY || r->hs.peer_role != MD_ROLE_PRIMARY)
		return;
	if (sb_update(r, md_tr_inconsistent, NULL) >= 0)
		log_err("%s: verify found this copy differs from primary %s: marked inconsistent "
			"until a resync from %s rewrites the differing chunks", r->res->name,
			peer_name(r), peer_name(r));
}

int handle_vf_reply(struct repl *r, const char *body, uint32_t len)
{
	struct vf_slot *sl;
	uint64_t id;
	bool same;

	/* A slot still reading its chunk sent no digest yet: taking a reply
	 * for it would submit its read again while the first is in flight. */
	if (mdw_rs_reply_decode(body, len, &id, &same) || !r->vf.active || id >= VF_WINDOW ||
	    !r->vf.slot[id].busy || r->vf.slot[id].unsent || r->vf.slot[id].op.busy) {
		conn_fail(r, "unexpected or malformed VF_REPLY from peer");
		return -1;
	}
	sl = &r->vf.slot[id];
	if (!same && !sl->retried) {
		/* An application write may have passed between the two reads:
		 * ask once more before calling it a difference. */
		sl->retried = true;
		vf_read(r, sl);
		return 1;
	}
	if (!same) {
		int rc = mark_chunk(r, sl->chunk);

		log_warn("verify: chunk %llu (bytes %llu..%llu) differs from %s; %s",
			 (unsigned long long)sl->chunk,
			 (unsigned long long)(sl->chunk * r->dev.chunk_bytes),
			 (unsigned long long)(sl->chunk * r->dev.chunk_bytes + sl->len - 1), peer_name(r),
			 rc ? "marking it failed" : "marked out of sync");
		if (!r->vf.differ)
			vf_mark_wrong_copy(r);
		if (r->vf.nfirst < VF_FIRST)
			r->vf.first[r->vf.nfirst++] = sl->chunk * r->dev.chunk_bytes;
		r->vf.differ++;
	}
	r->vf.done++;
	sl->busy = false;
	vf_kick(r);
	return 1;
}
