/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * resync.c - bringing an out-of-date copy up to date, chunk by chunk.
 *
 * After the handshake decided a direction (sync_begin):
 *   target: marks its copy inconsistent, sends its bitmap (the chunks it
 *           changed or lacks), then receives DATA with MDW_DF_RESYNC
 *           (applied by apply.c like any write) until RS_DONE; once every
 *           resync write taken has completed, it judges RS_DONE, flushes
 *           and records the copy up to date.
 *   source: merges the target's bitmap into the kernel's, takes a
 *           snapshot, and asks the kernel for each marked chunk
 *           (MD_IOC_RESYNC): the kernel reads it, ordered against
 *           application writes, and hands it over the channel like a
 *           write (send.c); the peer's ACK clears the bit in the kernel.
 *           When a fresh snapshot is empty, RS_DONE carries our generation.
 * A window of RS_WINDOW requests and RS_WINDOW_BYTES (RS_WINDOW_BUSY
 * requests of one chunk while the application writes) and an optional
 * token-bucket rate bound the resync's share.
 *
 * Owns r->rs; the data path hands it resync records (rs_take), csum.c
 * its counts (rs_record_sent, rs_record_same), apply.c the chunks that
 * arrived (rs_target_got, rs_target_finished).
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kctl.h"
#include "log.h"
#include "repl.h"


/* Source: end the resync without RS_DONE, for the reason already in
 * r->conn.fail_reason (shown by mdctl status). */
static void rs_end_incomplete(struct repl *r)
{
	log_err("%s", r->conn.fail_reason);
	r->rs.active = false;
	rs_free(r);
	handshake_resync_over(r);
	state_write(r, MD_LINK_CONNECTED);
}

/*
 * Source: every marked chunk was copied and acknowledged.  Our own disk is
 * flushed first (rs_finish), then RS_DONE goes out and the superblock says
 * the resync is over (rs_finished): nothing says "in sync" before the data
 * it speaks of is durable.  The target does the same on its side.
 */
static void rs_finished(struct io_op *op, int res)
{
	struct repl *r = op->ctx;
	struct md_super sb;
	void *body;
	int rc;

	r->rs.flushing = false;
	if (res < 0) {
		log_err("resync to %s: flushing %s failed: %s; the resync is not complete",
			peer_name(r), r->res->nodes[r->me].disk, strerror(-res));
		conn_fail(r, "flush failed at the end of the resync: %s", strerror(-res));
		return;
	}
	if (r->conn.failing)
		return;		/* RS_DONE cannot go out: the next connect resyncs again */
	/*
	 * RS_DONE carries our generation, which the target adopts: without a
	 * superblock to read it from, none goes out.  The resync ends
	 * incomplete, as when a chunk could not be read (rs_incomplete), rather
	 * than failing the connection: it is our disk that failed, the peer
	 * and the link are fine, and new writes keep being mirrored while the
	 * target stays inconsistent.  A broken connection would only come back
	 * to the same unreadable superblock in the handshake, and replicate
	 * nothing meanwhile.  The next connect resyncs again.
	 */
	rc = md_meta_read(r->dev.meta_fd, r->dev.meta_area, &sb, NULL);
	if (rc) {
		conn_set_reason(r, "resync incomplete: reading the metadata on %s failed (%s), so RS_DONE "
			 "cannot carry our generation; %s stays inconsistent until a resync "
			 "succeeds", r->res->nodes[r->me].disk, strerror(-rc), peer_name(r));
		rs_end_incomplete(r);
		return;
	}
	body = ctl_packet(r, MDW_RS_DONE, sizeof(struct mdw_rs_done));
	if (!body)
		return;
	mdw_rs_done_encode(body, sb.gen_current, r->rs.sent);
	ctl_kick(r);
	sb_update(r, md_tr_source_done, &(struct md_tr){ .full = r->hs.decision == MD_SYNC_SOURCE_FULL });
	log_info("resync to %s finished: %llu chunks (%llu MiB) in %.1f s, %llu found identical "
		 "by checksum", peer_name(r), (unsigned long long)r->rs.done,
		 (unsigned long long)(r->rs.done * r->dev.chunk_bytes >> 20),
		 (double)(now_ms() - r->rs.start_ms) / 1000.0, (unsigned long long)r->rs.same);
	r->rs.active = false;
	r->rs.peer_behind_since = 0;
	as_caught_up(r);
	rs_free(r);
	handshake_resync_over(r);
	if (r->res->fencing != MD_FENCING_NONE)
		handler_event(r, MD_H_UNFENCE_PEER);	/* the peer is up to date again */
	state_write(r, MD_LINK_CONNECTED);
}

static void rs_finish(struct repl *r)
{
	r->rs.flushing = true;
	r->rs.flush_op = (struct io_op){ .kind = IO_FSYNC, .fd = r->dev.disk_fd,
					 .cb = rs_finished, .ctx = r };
	ioq_submit(r->io, &r->rs.flush_op);
}

static int rs_snapshot(struct repl *r)
{
	uint64_t nwords = (r->dev.nchunks + 63) / 64, set = 0;
	int rc = kctl_oos(r->dev.ctl_fd, MD_IOC_GET_OOS, (uint32_t)r->res->minor, 0,
			  r->dev.nchunks, r->rs.snap);

	if (rc)
		return rc;
	for (uint64_t i = 0; i < nwords; i++) {
		if (r->rs.bad)
			r->rs.snap[i] &= ~r->rs.bad[i];	/* not again in this resync */
		set += (uint64_t)__builtin_popcountll(r->rs.snap[i]);
	}
	r->rs.cursor = 0;
	return (int)(set > INT32_MAX ? INT32_MAX : set);
}

/*
 * Every chunk was tried, and some could not be read from our disk.  The
 * target stays inconsistent (no RS_DONE), their bits stay set here, and
 * replication goes on; the next resync (a reconnect, or detach + attach
 * once the disk is repaired) tries them again.
 */
static void rs_incomplete(struct repl *r)
{
	conn_set_reason(r, "resync incomplete: %llu chunk(s) could not be read from %s; %s stays "
		 "inconsistent until a resync succeeds", (unsigned long long)r->rs.failed,
		 r->res->nodes[r->me].disk, peer_name(r));
	rs_end_incomplete(r);
}

/* The chunks of the run the kernel read at off, as rs_kick asked for it
 * (a failed read's record has no payload to measure), forgotten now. */
static uint32_t rs_run_taken(struct repl *r, uint64_t off)
{
	uint64_t c = off / r->dev.chunk_bytes;

	for (unsigned i = 0; i < r->rs.issued; i++) {
		uint32_t n = r->rs.asked[i].n;

		if (r->rs.asked[i].chunk != c)
			continue;
		r->rs.asked[i] = r->rs.asked[--r->rs.issued];
		return n;
	}
	return 1;
}

/* Set or clear the snapshot's bits of chunks [c, c + n). */
static void rs_snap_set(struct repl *r, uint64_t c, uint32_t n, bool set)
{
	for (uint64_t i = c; i < c + n && i < r->dev.nchunks; i++) {
		if (set)
			r->rs.snap[i / 64] |= 1ull << (i % 64);
		else
			r->rs.snap[i / 64] &= ~(1ull << (i % 64));
	}
}

/*
 * The kernel could not read a resync run: ack it with the error (its bits
 * stay set).  A run of several chunks is asked for again one chunk at a
 * time (rs_run), so that one bad sector costs its own chunk, not the 1 MiB
 * around it; a single chunk is left out of this resync.
 */
static void rs_read_failed(struct repl *r, const struct md_chan_req *q, uint32_t n)
{
	uint64_t c = q->offset / r->dev.chunk_bytes;

	kack_add(r, q->id, -EIO);
	flush_kacks(r);		/* rare: free the kernel's slot now */
	if (n > 1) {
		log_warn("resync: reading chunks %llu-%llu (offset %llu) from %s failed; trying them "
			 "one by one", (unsigned long long)c, (unsigned long long)(c + n - 1),
			 (unsigned long long)q->offset, r->res->nodes[r->me].disk);
		rs_snap_set(r, c, n, true);
		if (r->rs.cursor > c)
			r->rs.cursor = c;
		if (r->rs.solo_end < c + n)
			r->rs.solo_end = c + n;
		return;
	}
	if (r->rs.bad && c < r->dev.nchunks)
		r->rs.bad[c / 64] |= 1ull << (c % 64);
	if (r->rs.failed++ < 8)
		log_err("resync: reading chunk %llu (offset %llu) from %s failed; it stays out of "
			"sync", (unsigned long long)c, (unsigned long long)q->offset,
			r->res->nodes[r->me].disk);
}

/*
 * Source: a resync record the kernel read for us, as the data path (send.c)
 * takes it from the channel.  1: send it as DATA|RESYNC; 0: taken care of
 * here (a read error, or a digest sent instead: checksum resync); -1: the
 * connection failed.
 */
int rs_take(struct repl *r, const struct md_chan_req *q, const char *data)
{
	uint32_t n = rs_run_taken(r, q->offset);

	if (q->flags & MD_RF_READ_ERROR) {
		rs_read_failed(r, q, n);
		return 0;
	}
	if (r->rs.nids < RS_WINDOW) {
		r->rs.ids[r->rs.nids] = q->id;
		r->rs.nch[r->rs.nids++] = n;
	}
	/* A run asked for before checksum-resync was turned on (mdctl
	 * adjust) goes as data: a digest answers one chunk. */
	if (r->res->checksum_resync && n == 1) {
		int rc = rs_send_digest(r, q, data);

		if (rc) {
			conn_fail(r, "checksum resync: %s", strerror(-rc));
			return -1;
		}
		return 0;
	}
	rs_record_sent(r);
	return 1;
}

/* An application write went out: resync and verify slow down for it. */
void rs_note_app_write(struct repl *r)
{
	r->rs.last_app_ms = now_ms();
}

/* Source: a resync packet (DATA or a digest) went out; RS_DONE counts them. */
void rs_record_sent(struct repl *r)
{
	r->rs.sent++;
}

/* Either side: a chunk checksum resync found identical on both. */
void rs_record_same(struct repl *r)
{
	r->rs.same++;
}

/*
 * The run to ask the kernel for from chunk c, set in the snapshot: the
 * chunks set after it, up to RS_RUN_BYTES, with a peer that takes runs
 * (MDW_FEAT_RS_RUN).  One chunk while the application writes (a run in
 * the channel and on the link would hold its writes behind it), in
 * checksum resync (a digest answers one chunk) and for what the rate's
 * tokens do not cover.  A run costs one system call, bio, record, packet
 * and ack for up to 1 MiB: at 64 KiB chunks, those fixed costs per chunk
 * bounded the resync on a busy CPU (docs/design.md section 8).  One chunk
 * too below solo_end, where a run could not be read (rs_read_failed).
 */
static uint32_t rs_run(const struct repl *r, uint64_t c, bool busy, uint64_t rate)
{
	uint64_t max = RS_RUN_BYTES / r->dev.chunk_bytes, n = 1;

	if (busy || r->res->checksum_resync || !(r->hs.peer_features & MDW_FEAT_RS_RUN) ||
	    c < r->rs.solo_end)
		return 1;
	if (rate && r->rs.tokens < (double)max * (double)r->dev.chunk_bytes)
		max = (uint64_t)(r->rs.tokens / (double)r->dev.chunk_bytes);
	while (n < max && c + n < r->dev.nchunks && (r->rs.snap[(c + n) / 64] >> ((c + n) % 64) & 1))
		n++;
	return (uint32_t)n;
}

/* Chunks asked for and not acknowledged yet: requests whose record has
 * not come, and records sent that wait for their ack. */
static uint64_t rs_inflight_chunks(const struct repl *r)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < r->rs.issued; i++)
		n += r->rs.asked[i].n;
	for (unsigned i = 0; i < r->rs.nids; i++)
		n += r->rs.nch[i];
	return n;
}

/* Start as many chunk copies as the window and the rate allow. */
void rs_kick(struct repl *r)
{
	uint64_t now = now_ms(), rate = r->res->resync_rate, inflight = rs_inflight_chunks(r);
	uint64_t max_chunks = RS_WINDOW_BYTES / r->dev.chunk_bytes;
	unsigned window;
	bool refreshed = false;

	if (!r->rs.active || !r->rs.source || !r->rs.bitmap_in || r->rs.flushing ||
	    r->conn.failing)
		return;
	if (r->adm.paused) {
		r->rs.last_tick_ms = now;
		return;
	}
	/*
	 * The bucket fills at the rate, up to a burst of 4 chunks + 1/5 s.
	 * Without a rate nothing is charged and the bucket is kept empty, so
	 * that a rate set mid-resync (mdctl set) starts from zero: neither in
	 * debt for what went unlimited, nor with credit saved up meanwhile.
	 */
	if (rate) {
		r->rs.tokens += (double)rate * (double)(now - r->rs.last_tick_ms) / 1000.0;
		if (r->rs.tokens > 4.0 * r->dev.chunk_bytes + (double)rate / 5)
			r->rs.tokens = 4.0 * r->dev.chunk_bytes + (double)rate / 5;
	} else {
		r->rs.tokens = 0;
	}
	r->rs.last_tick_ms = now;
	/* Yield to the application: a narrow window while it writes. */
	window = now - r->rs.last_app_ms < 100 ? RS_WINDOW_BUSY : RS_WINDOW;
	if (max_chunks < RS_WINDOW)
		max_chunks = RS_WINDOW;
	while (r->rs.issued + r->rs.nids < window && inflight < max_chunks) {
		uint64_t c = r->rs.cursor, w;
		uint32_t n;
		int rc;

		if (rate && r->rs.tokens < r->dev.chunk_bytes)
			return;
		while (c < r->dev.nchunks && !(r->rs.snap[c / 64] >> (c % 64) & 1)) {
			w = r->rs.snap[c / 64] >> (c % 64);
			c = w ? c + 1 : (c / 64 + 1) * 64;
		}
		if (c >= r->dev.nchunks) {
			if (r->rs.issued + r->rs.nids || refreshed)
				return;
			rc = rs_snapshot(r);
			refreshed = true;
			if (rc < 0) {
				conn_fail(r, "reading the bitmap failed: %s", strerror(-rc));
				return;
			}
			if (rc == 0) {
				if (r->rs.failed)
					rs_incomplete(r);
				else
					rs_finish(r);
				return;
			}
			continue;
		}
		n = rs_run(r, c, window == RS_WINDOW_BUSY, rate);
		if (n > max_chunks - inflight)
			n = (uint32_t)(max_chunks - inflight);
		r->rs.cursor = c + 1;
		rc = kctl_resync(r->dev.ctl_fd, c, n);
		if (rc == -EBUSY)
			continue;	/* already in sync */
		if (rc) {
			conn_fail(r, "resync of chunk %llu failed: %s", (unsigned long long)c,
				  strerror(-rc));
			return;
		}
		/* Asked for: out of the snapshot, so that a failed run's
		 * rewind (rs_read_failed) asks for nothing twice. */
		rs_snap_set(r, c, n, false);
		r->rs.cursor = c + n;
		r->rs.asked[r->rs.issued].chunk = c;	/* issued < window <= RS_WINDOW */
		r->rs.asked[r->rs.issued++].n = n;
		inflight += n;
		if (rate)
			r->rs.tokens -= (double)n * (double)r->dev.chunk_bytes;
	}
}

/* An ack for id arrived: was it a resync chunk? */
void rs_acked(struct repl *r, uint64_t id, int32_t status)
{
	for (unsigned i = 0; i < r->rs.nids; i++) {
		if (r->rs.ids[i] != id)
			continue;
		if (!status)
			r->rs.done += r->rs.nch[i];
		r->rs.nids--;
		r->rs.ids[i] = r->rs.ids[r->rs.nids];
		r->rs.nch[i] = r->rs.nch[r->rs.nids];
		return;
	}
}

/* A connection starts or ended: no resync runs, no data awaits a verdict. */
/* The resync's bitmaps (3 bits per chunk, 6 MiB per TiB at 64 KiB chunks)
 * are held only while it runs: freed when it ends, however it ends. */
void rs_free(struct repl *r)
{
	free(r->rs.snap);
	free(r->rs.bad);
	free(r->rs.got);
	r->rs.snap = r->rs.bad = r->rs.got = NULL;
}

void rs_reset(struct repl *r)
{
	r->rs.active = false;
	rs_stash_clear(r);
	rs_free(r);
}

static void rs_start(struct repl *r, bool source)
{
	size_t nwords = (r->dev.nchunks + 63) / 64;

	long long behind = r->rs.peer_behind_since;

	rs_free(r);
	memset(&r->rs, 0, sizeof(r->rs));
	/* A resync to the peer makes it inconsistent from now until one
	 * completes; an earlier one that broke off made it so already. */
	r->rs.peer_behind_since = source ? (behind ? behind : (long long)time(NULL)) : 0;
	r->rs.active = true;
	r->rs.source = source;
	r->rs.start_ms = r->rs.last_tick_ms = now_ms();
	r->rs.snap = calloc(nwords, 8);
	if (source)
		r->rs.bad = calloc(nwords, 8);
	else
		r->rs.got = calloc(nwords, 8);
	if (!source)
		apply_failure_reported(r);	/* its marks go out with our bitmap */
}

/* Target: send our bitmap, then wait for the data and MDW_RS_DONE. */
static int target_send_bitmap(struct repl *r)
{
	uint64_t npk = (r->dev.nchunks + MDW_BITMAP_MAX_BITS - 1) / MDW_BITMAP_MAX_BITS;
	size_t len = npk * (sizeof(struct mdw_hdr) + mdw_bitmap_body_len(MDW_BITMAP_MAX_BITS)) +
		     sizeof(struct mdw_hdr);
	uint64_t *bits = r->rs.snap;	/* kept: RS_DONE clears exactly these marks */
	char *buf = malloc(len), *p;
	struct txitem *t = calloc(1, sizeof(*t));
	struct iovec *iov = calloc(1, sizeof(*iov));
	int rc;

	if (!bits || !r->rs.got || !buf || !t || !iov) {
		free(buf); free(t); free(iov);
		return -ENOMEM;
	}
	rc = kctl_oos(r->dev.ctl_fd, MD_IOC_GET_OOS, (uint32_t)r->res->minor, 0, r->dev.nchunks, bits);
	if (rc) {
		free(buf); free(t); free(iov);
		return rc;
	}
	/* Our own marks go to the source and are rewritten with its data:
	 * after a crash as primary (mode = async: writes the peer never
	 * acknowledged) that gives up changes of ours, so it is said, not done
	 * silently (before-resync-target ran already: the place for a copy). */
	{
		uint64_t own = 0;

		for (uint64_t i = 0; i < (r->dev.nchunks + 63) / 64; i++)
			own += (uint64_t)__builtin_popcountll(bits[i]);
		if (own)
			log_info("resync from %s: %llu chunks marked here (changes of this copy the "
				 "peer may lack, or holes) are rewritten with %s's data", peer_name(r),
				 (unsigned long long)own, peer_name(r));
	}
	p = buf;
	for (uint64_t start = 0; start < r->dev.nchunks; start += MDW_BITMAP_MAX_BITS) {
		uint32_t n = (uint32_t)(r->dev.nchunks - start < MDW_BITMAP_MAX_BITS ?
					r->dev.nchunks - start : MDW_BITMAP_MAX_BITS);
		size_t blen = mdw_bitmap_body_len(n);

		mdw_hdr_encode(p, MDW_BITMAP, (uint32_t)blen);
		mdw_bitmap_encode(p + sizeof(struct mdw_hdr), start, n, bits + start / 64);
		p += sizeof(struct mdw_hdr) + blen;
	}
	mdw_hdr_encode(p, MDW_BITMAP_END, 0);
	p += sizeof(struct mdw_hdr);
	iov->iov_base = buf;
	iov->iov_len = (size_t)(p - buf);
	t->own[0] = buf;
	tx_queue(r, t, iov, 1, tx_heap_free);
	return 0;
}

int handle_bitmap(struct repl *r, const char *body, uint32_t len)
{
	const unsigned char *words;
	uint64_t start, buf[MDW_BITMAP_MAX_BITS / 64];
	uint32_t nbits;
	int rc;

	if (!r->rs.active || !r->rs.source || r->rs.bitmap_in) {
		conn_fail(r, "unexpected BITMAP from peer");
		return -1;
	}
	rc = mdw_bitmap_decode(body, len, r->dev.nchunks, &start, &nbits, &words);
	if (rc) {
		conn_fail(r, "malformed BITMAP from peer (%s)", strerror(-rc));
		return -1;
	}
	for (uint32_t i = 0; i < (nbits + 63) / 64; i++) {
		memcpy(&buf[i], words + i * 8, 8);
		buf[i] = le64toh(buf[i]);
	}
	rc = kctl_oos(r->dev.ctl_fd, MD_IOC_SET_OOS, (uint32_t)r->res->minor, start, nbits, buf);
	if (rc) {
		conn_fail(r, "merging the peer's bitmap failed: %s", strerror(-rc));
		return -1;
	}
	return 1;
}

/*
 * Target: our disk is flushed; now the copy may say so.  The marks cleared
 * are the ones we sent (r->rs.snap), not all: a mark set since is not
 * repaired by this resync.  A write that failed on our disk during the
 * resync (apply.c, disk_failed) keeps the copy inconsistent and every mark.
 */
static void rs_done_flushed(struct io_op *op, int res)
{
	struct repl *r = op->ctx;
	int rc;

	r->rs.flushing = false;
	r->rs.active = false;
	if (res < 0) {
		flush_failed(r, res);
	} else if (r->ap.disk_failed) {
		log_err("resync from %s finished, but a write to %s failed during it: the copy "
			"stays inconsistent and the failed range marked", peer_name(r),
			r->res->nodes[r->me].disk);
	} else {
		rc = sb_update(r, md_tr_target_done,
			       &(struct md_tr){ .peer_gen = r->rs.done_gen,
						.full = r->hs.decision == MD_SYNC_TARGET_FULL });
		if (rc >= 0)
			rc = marks_clear(r, r->rs.snap);
		if (rc < 0)
			log_err("resync from %s finished, but recording it failed: %s; the next "
				"connect resyncs again", peer_name(r), strerror(-rc));
		else
			log_info("resync from %s finished: %llu chunks received in %.1f s",
				 peer_name(r), (unsigned long long)r->rs.done,
				 (double)(now_ms() - r->rs.start_ms) / 1000.0);
		if (rc >= 0)
			handler_event(r, MD_H_AFTER_RESYNC_TARGET);
	}
	rs_free(r);
	handshake_resync_over(r);	/* after the target_done transition, which read it */
	if (!r->conn.failing)
		state_write(r, MD_LINK_CONNECTED);
}

/*
 * Target: a resync packet (DATA with MDW_DF_RESYNC, or RS_DIGEST) comes
 * only while we are the target, and carries whole chunks, as the source's
 * kernel reads them (MD_IOC_RESYNC): one, or with run (resync DATA; we
 * offer MDW_FEAT_RS_RUN) a run of them up to MD_MAX_IO_BYTES.  The last
 * chunk of the device may be short.  What RS_DONE is checked against
 * counts chunks.  false (the connection failed) otherwise.
 */
bool rs_target_check(struct repl *r, const char *what, uint64_t off, uint32_t len, bool run)
{
	uint64_t cb = r->dev.chunk_bytes, max = run ? MD_MAX_IO_BYTES : cb;

	if (!r->rs.active || r->rs.source || r->rs.flushing) {
		conn_fail(r, "unexpected %s from peer: no resync from it is running", what);
		return false;
	}
	if (off % cb || off >= r->dev.size_bytes || !len || len > max || len > r->dev.size_bytes - off ||
	    (len % cb && off + len != r->dev.size_bytes)) {
		conn_fail(r, "malformed %s from peer: %u bytes at offset %llu is not %s", what, len,
			  (unsigned long long)off, run ? "a run of whole chunks" : "one whole chunk");
		return false;
	}
	return true;
}

/* Target: a resync packet rs_target_check passed was taken (once, not
 * each time it is offered while the apply slots are full): data (DATA,
 * its chunks counted as done) or a digest.  Its write or digest read is
 * under way until rs_target_finished. */
void rs_target_got(struct repl *r, uint64_t off, uint32_t len, bool data)
{
	uint64_t c = off / r->dev.chunk_bytes, end = (off + len - 1) / r->dev.chunk_bytes;

	for (; c <= end; c++) {
		if (data)
			r->rs.done++;
		r->rs.got[c / 64] |= 1ull << (c % 64);
	}
	r->rs.sent++;
	r->rs.applying++;
}

/*
 * Target: RS_DONE ends the resync only if everything the source says it
 * sent arrived, and every chunk our bitmap asked for was among it.  A
 * peer that ends early (a bug, or a forged end) fails the connection: our
 * copy stays inconsistent with its marks, and the next connect resyncs.
 */
static bool rs_done_complete(struct repl *r, uint64_t sent)
{
	uint64_t nwords = (r->dev.nchunks + 63) / 64;

	if (sent != r->rs.sent) {
		conn_fail(r, "RS_DONE from peer counts %llu resync packets, but %llu arrived; "
			  "the copy stays inconsistent", (unsigned long long)sent,
			  (unsigned long long)r->rs.sent);
		return false;
	}
	for (uint64_t i = 0; i < nwords; i++) {
		uint64_t missing = r->rs.snap[i] & ~r->rs.got[i];

		if (missing) {
			conn_fail(r, "RS_DONE from peer, but chunk %llu of our bitmap never arrived; "
				  "the copy stays inconsistent",
				  (unsigned long long)(i * 64 + (uint64_t)__builtin_ctzll(missing)));
			return false;
		}
	}
	return true;
}

/*
 * Target: RS_DONE is in and every resync write and digest read it counts
 * has finished.  Judge it (rs_done_complete), then flush: a flush covers
 * only writes that completed, so it comes after the last of them, and the
 * copy says up to date only after the flush (rs_done_flushed).  false
 * when RS_DONE was refused (the connection failed).
 */
static bool rs_target_end(struct repl *r)
{
	if (!rs_done_complete(r, r->rs.done_sent))
		return false;
	r->rs.flush_op = (struct io_op){ .kind = IO_FSYNC, .fd = r->dev.disk_fd,
					 .cb = rs_done_flushed, .ctx = r };
	ioq_submit(r->io, &r->rs.flush_op);
	return true;
}

/*
 * Target: the write (or digest read) of a packet rs_target_got counted
 * has finished.  whole: the chunk on our disk is now the source's, or
 * failed to be (apply.c's disk_failed keeps the copy inconsistent then);
 * false for a digest our copy does not match, whose chunk counts as
 * arrived only once its DATA did.  The last one to finish after RS_DONE
 * ends the resync.
 */
void rs_target_finished(struct repl *r, uint64_t off, uint32_t len, bool whole)
{
	uint64_t c = off / r->dev.chunk_bytes, end = (off + len - 1) / r->dev.chunk_bytes;

	for (; !whole && c <= end; c++)
		r->rs.got[c / 64] &= ~(1ull << (c % 64));
	if (--r->rs.applying || !r->rs.flushing)
		return;
	if (r->conn.failing) {
		log_warn("resync from %s: the connection failed while its last writes completed; "
			 "the copy stays inconsistent, the next connect resyncs", peer_name(r));
		return;
	}
	rs_target_end(r);
}

int handle_rs_done(struct repl *r, const char *body, uint32_t len)
{
	uint64_t gen, sent;

	if (!r->rs.active || r->rs.source || r->rs.flushing ||
	    mdw_rs_done_decode(body, len, &gen, &sent)) {
		conn_fail(r, "unexpected RS_DONE from peer");
		return -1;
	}
	/*
	 * The source sends RS_DONE once we acknowledged every resync write,
	 * that is once they completed; but what arrived is ours to check, not
	 * its to promise.  From here no resync packet is taken (flushing);
	 * those still being written or compared are waited for.
	 */
	r->rs.done_gen = gen;
	r->rs.done_sent = sent;
	r->rs.flushing = true;
	if (r->rs.applying) {
		log_debug("RS_DONE from %s: waiting for %u resync writes or reads", peer_name(r),
			  r->rs.applying);
		return 1;
	}
	return rs_target_end(r) ? 1 : -1;
}

/* Right after the handshake: act on the decision. */
int sync_begin(struct repl *r)
{
	int rc;

	switch (r->hs.decision) {
	case MD_SYNC_SOURCE_FULL:
		rc = marks_all(r, MD_IOC_SET_OOS);
		if (rc)
			return rc;
		/* fall through */
	case MD_SYNC_SOURCE_BITMAP:
		rs_start(r, true);
		log_info("resync to %s starts (%s)", peer_name(r), md_sync_decision_name(r->hs.decision));
		return r->rs.snap && r->rs.bad ? 0 : -ENOMEM;
	case MD_SYNC_TARGET_FULL:
	case MD_SYNC_TARGET_BITMAP:
		rs_start(r, false);
		rc = sb_update(r, md_tr_inconsistent, NULL);
		if (rc < 0)
			return rc;
		log_info("resync from %s starts (%s)", peer_name(r), md_sync_decision_name(r->hs.decision));
		return target_send_bitmap(r);
	default:
		if (r->hs.decision == MD_SYNC_NONE) {
			r->rs.peer_behind_since = 0;	/* the peer holds what we hold */
			as_caught_up(r);
		}
		return 0;
	}
}


/* Source: the target's bitmap is all in; count what there is to copy. */
int handle_bitmap_end(struct repl *r, const char *body, uint32_t len)
{
	int rc;

	(void)body;
	(void)len;
	if (!r->rs.active || !r->rs.source || r->rs.bitmap_in) {
		conn_fail(r, "unexpected BITMAP_END from peer");
		return -1;
	}
	r->rs.bitmap_in = true;
	rc = rs_snapshot(r);
	if (rc < 0) {
		conn_fail(r, "reading the bitmap failed: %s", strerror(-rc));
		return -1;
	}
	r->rs.total = 0;
	for (uint64_t i = 0; i < (r->dev.nchunks + 63) / 64; i++)
		r->rs.total += (uint64_t)__builtin_popcountll(r->rs.snap[i]);
	state_write(r, MD_LINK_CONNECTED);
	return 1;
}
