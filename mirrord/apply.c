/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * apply.c - the secondary's side of the data path: DATA packets from the
 * peer go to the local disk, and each is acknowledged when it completed.
 *
 * A packet's payload is copied from the receive buffer into an aligned
 * arena slot (O_DIRECT needs an alignment a TCP stream cannot give), and
 * written with O_DIRECT: RWF_DSYNC for FUA, a preceding fdatasync for
 * PREFLUSH.  Writes that overlap one still in flight wait for it, in
 * arrival order, so that both disks apply overlapping writes in the same
 * order.  A barrier (MDW_DF_BARRIER: a flush or FUA write of mode =
 * async) starts only when every write received before it has completed,
 * and none received after it starts until it has, so that this disk holds
 * what the primary's application could have seen at any power cut here
 * (docs/design.md, "Asynchronous replication").  When the arena or the
 * slots run out, rx.c stops reading the
 * socket: TCP backpressure then bounds the primary.
 *
 * Disk-failure policy (DRBD's pass_on): a failed write is answered with an
 * error ACK, its range marked out of sync here, and this copy marked
 * inconsistent until a resync from the peer rewrote it; a failed flush
 * marks the copy for a full rebuild from the peer.
 *
 * Owns r->ap (a failed disk write and a stalled disk included).  csum.c borrows slots (apply_get,
 * apply_release) for reading chunks back to compare digests.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "repl.h"

static void apply_start(struct apply *a);
static bool overlaps_active(struct repl *r, const struct md_data_info *d);

static int arena_alloc(struct repl *r, unsigned npages)
{
	unsigned start = r->ap.hint, run = 0, i;

	for (i = 0; i < ARENA_PAGES + npages; i++) {
		unsigned p = (start + i) % ARENA_PAGES;

		if (p == 0)
			run = 0;	/* runs do not wrap around the end */
		if (r->ap.used[p]) {
			run = 0;
			continue;
		}
		if (++run == npages) {
			unsigned first = p + 1 - npages;

			memset(&r->ap.used[first], 1, npages);
			r->ap.hint = (p + 1) % ARENA_PAGES;
			return (int)first;
		}
	}
	return -1;
}

/*
 * May a received write start now, given those in flight?  Not while a
 * barrier (MDW_DF_BARRIER) is in flight; a barrier itself only once
 * nothing is; any other only when it overlaps none in flight.
 */
static bool may_start(struct repl *r, const struct md_data_info *d)
{
	if (r->ap.barrier)
		return false;
	if (d->flags & MDW_DF_BARRIER) {
		for (int i = 0; i < MAX_APPLY; i++)
			if (r->ap.slot[i].active)
				return false;
		return true;
	}
	return !overlaps_active(r, d);
}

static bool overlaps_active(struct repl *r, const struct md_data_info *d)
{
	if (!d->len)
		return false;
	for (int i = 0; i < MAX_APPLY; i++) {
		struct apply *a = &r->ap.slot[i];

		if (a->active && a->d.len && d->offset < a->d.offset + a->d.len &&
		    a->d.offset < d->offset + d->len)
			return true;
	}
	return false;
}


/*
 * Our disk failed a write from the peer.  The peer marks the range out of
 * sync when it gets the error; we mark it too, and the copy inconsistent,
 * so that this node can never be activated over the hole (the bitmap and
 * the state survive a restart) until a resync from the peer has rewritten
 * it.
 */
static void apply_failed(struct repl *r, const struct md_data_info *d)
{
	uint64_t c, last = (d->offset + d->len - 1) / r->dev.chunk_bytes;
	int rc;

	for (c = d->offset / r->dev.chunk_bytes; c <= last && c < r->dev.nchunks; c++)
		if ((rc = mark_chunk(r, c)) < 0)
			log_err("marking chunk %llu out of sync failed: %s",
				(unsigned long long)c, strerror(-rc));
	if (!r->ap.disk_failed) {
		r->ap.disk_failed = true;
		if (sb_update(r, md_tr_inconsistent, NULL) >= 0)
			log_err("%s: disk write failed; local copy marked inconsistent until a resync "
				"from %s rewrites the failed range", r->res->name, peer_name(r));
	}
}

/* A resync into this copy starts: the failed ranges are marked, and go
 * to the source with our bitmap; a failure from now on is a new one. */
void apply_failure_reported(struct repl *r)
{
	r->ap.disk_failed = false;
}

/* Our disk failed a flush: writes it acknowledged before may not be on it,
 * and which ones is unknown.  Inconsistent, and on the next connect the
 * peer copies everything to us (md_tr_flush_failed). */
void flush_failed(struct repl *r, int res)
{
	log_err("flush failed on %s: %s", r->res->nodes[r->me].disk, strerror(-res));
	if (sb_update(r, md_tr_flush_failed, NULL) >= 0)
		log_err("%s: writes acknowledged before the failed flush may be lost: local copy "
			"marked inconsistent; the next connect copies everything from %s "
			"(mdctl detach + attach once the disk works)", r->res->name, peer_name(r));
}

/*
 * A slot with room for len bytes in the arena, or NULL when either runs
 * out (the caller stalls the receive side; a finishing apply resumes it).
 */
struct apply *apply_get(struct repl *r, uint32_t len)
{
	unsigned npages = len ? (len + ARENA_PAGE - 1) / ARENA_PAGE : 0;
	struct apply *a;
	int page;

	if (!r->ap.free)
		return NULL;
	page = npages ? arena_alloc(r, npages) : 0;
	if (page < 0)
		return NULL;
	a = r->ap.free;
	r->ap.free = a->next;
	a->page0 = (unsigned)page;
	a->npages = npages;
	a->buf = r->ap.arena + (size_t)page * ARENA_PAGE;
	a->next = NULL;
	a->verify = false;
	a->resync = false;
	a->arrived_ns = now_ns();
	return a;
}

/*
 * Give the slot and its arena pages back, and start the waiting writes, in
 * order, until one may not start yet: a slot that ends (a write, or a
 * digest read of csum.c) may be what an overlap or a barrier waited for.
 * Not once the connection failed: nothing more reaches this disk then, and
 * what did is a prefix of what the peer sent.
 */
void apply_release(struct apply *a)
{
	struct repl *r = a->r;

	memset(&r->ap.used[a->page0], 0, a->npages);
	a->active = false;
	a->next = r->ap.free;
	r->ap.free = a;
	while (!r->conn.failing && r->ap.pending && may_start(r, &r->ap.pending->d)) {
		struct apply *p = r->ap.pending;

		r->ap.pending = p->next;
		if (!r->ap.pending)
			r->ap.pending_tail = NULL;
		apply_start(p);
	}
}

static void apply_finish(struct apply *a, int status)
{
	struct repl *r = a->r;

	if (!status && !a->resync && !a->verify && a->d.len) {
		r->ap.applied++;
		r->ap.apply_ns += now_ns() - a->arrived_ns;
	}
	tx_ack(r, a->d.id, status);
	if (status && a->d.len) {
		log_err("write of %u bytes at offset %llu failed on %s: %s", a->d.len,
			(unsigned long long)a->d.offset, r->res->nodes[r->me].disk,
			strerror(-status));
		apply_failed(r, &a->d);
	}
	/* After apply_failed: a resync that ends now sees the failure. */
	if (a->resync)
		rs_target_finished(r, a->d.offset, a->d.len, true);
	if (a->d.flags & MDW_DF_BARRIER)
		r->ap.barrier = false;
	apply_release(a);
	rx_resume(r);
}

static void apply_write_cb(struct io_op *op, int res)
{
	struct apply *a = op->ctx;

	if (res >= 0 && (uint32_t)res != a->d.len)
		res = -EIO;
	apply_finish(a, res < 0 ? res : 0);
}

static void apply_write(struct apply *a)
{
	a->op = (struct io_op){ .kind = IO_WRITE, .fd = a->r->dev.disk_fd, .buf = a->buf,
				.len = a->d.len, .off = a->d.offset,
				.rw_flags = a->d.flags & MDW_DF_FUA ? RWF_DSYNC : 0,
				.cb = apply_write_cb, .ctx = a };
	ioq_submit(a->r->io, &a->op);
}

static void apply_flush_cb(struct io_op *op, int res)
{
	struct apply *a = op->ctx;

	if (res < 0)
		flush_failed(a->r, res);
	if (res < 0 || !a->d.len)
		apply_finish(a, res < 0 ? res : 0);
	else
		apply_write(a);
}

static void apply_start(struct apply *a)
{
	a->active = true;
	if (a->d.flags & MDW_DF_BARRIER)
		a->r->ap.barrier = true;
	a->start_ms = now_ms();
	if (a->d.flags & MDW_DF_PREFLUSH) {
		a->op = (struct io_op){ .kind = IO_FSYNC, .fd = a->r->dev.disk_fd,
					.cb = apply_flush_cb, .ctx = a };
		ioq_submit(a->r->io, &a->op);
	} else {
		apply_write(a);
	}
}

int handle_data(struct repl *r, const char *body, uint32_t blen)
{
	struct md_data_info d;
	struct apply *a;
	bool resync;
	int rc;

	rc = mdw_data_decode(body, blen, &d);
	if (rc) {
		conn_fail(r, "malformed DATA packet from peer (%s)", strerror(-rc));
		return -1;
	}
	if (r->dev.role == MD_ROLE_PRIMARY) {
		conn_fail(r, "peer sent data but this node is primary");
		return -1;
	}
	resync = d.flags & MDW_DF_RESYNC;
	/* Only a primary writes; what a peer claims is checked against what
	 * it said it is (HELLO, STATE), not taken on trust. */
	if (!resync && r->hs.peer_role != MD_ROLE_PRIMARY) {
		conn_fail(r, "peer sent application data but is not primary");
		return -1;
	}
	if (d.offset > r->dev.size_bytes || d.len > r->dev.size_bytes - d.offset) {
		conn_fail(r, "peer wrote beyond the device end (offset %llu, %u bytes)",
			  (unsigned long long)d.offset, d.len);
		return -1;
	}
	if (resync && !rs_target_check(r, "resync data", d.offset, d.len, true))
		return -1;
	a = apply_get(r, d.len);
	if (!a)
		return 0;	/* offered again later: counted then */
	/* The payload into the arena: copied, or decoded (compress.c,
	 * lib/zdata.h: exactly one zstd frame of exactly d.len bytes).  A
	 * payload that is not is what a corrupted packet is: nothing of it
	 * is written or acknowledged, the link is reset, and the primary
	 * marks the write and resyncs it, as for a failed digest (rx.c). */
	rc = zc_unpack(r, &d, body + sizeof(struct mdw_data), a->buf);
	if (rc) {
		apply_release(a);
		conn_fail(r, "data integrity: a compressed DATA packet of %u bytes at offset %llu was "
			  "refused: %s", d.len, (unsigned long long)d.offset, mdw_zerror(rc));
		return -1;
	}
	if (resync) {
		rs_target_got(r, d.offset, d.len, true);
		d.flags = 0;
	}
	d.flags &= (uint16_t)~MDW_DF_ZSTD;
	a->d = d;
	a->resync = resync;
	if (r->ap.pending || !may_start(r, &d)) {
		if (r->ap.pending_tail)
			r->ap.pending_tail->next = a;
		else
			r->ap.pending = a;
		r->ap.pending_tail = a;
	} else {
		apply_start(a);
	}
	return 1;
}

/*
 * Is an I/O on our disk older than the progress bound?  The peer's own
 * progress timeout drops us then; this side says why in its status
 * (disk_stall_*) instead of looking healthy.  true when the answer
 * changed, so that the caller publishes it.
 */
bool apply_check_stall(struct repl *r, uint64_t now)
{
	uint64_t oldest = 0, offset = 0, was = r->ap.stall_ms;

	for (int i = 0; i < MAX_APPLY; i++) {
		struct apply *a = &r->ap.slot[i];

		if (a->active && (!oldest || a->start_ms < oldest)) {
			oldest = a->start_ms;
			offset = a->d.offset;
		}
	}
	if (oldest && now - oldest > progress_bound_ms(r)) {
		if (!was)
			log_err("local disk %s: I/O at offset %llu has not completed for %llu s",
				r->res->nodes[r->me].disk, (unsigned long long)offset,
				(unsigned long long)(now - oldest) / 1000);
		r->ap.stall_ms = now - oldest;
		r->ap.stall_offset = offset;
		return true;
	}
	r->ap.stall_ms = 0;
	if (was)
		log_info("local disk %s completes I/O again", r->res->nodes[r->me].disk);
	return was != 0;
}

/* The arena received data waits in, allocated and touched once (repl_init). */
int apply_init(struct repl *r)
{
	r->ap.arena = buf_alloc_touched(ARENA_SIZE);
	return r->ap.arena ? 0 : -ENOMEM;
}

void apply_fini(struct repl *r)
{
	free(r->ap.arena);
	r->ap.arena = NULL;
}

/* A connection starts or ended: every slot free, nothing pending, no stall. */
void apply_reset(struct repl *r)
{
	r->ap.stall_ms = r->ap.stall_offset = 0;
	memset(r->ap.used, 0, sizeof(r->ap.used));
	r->ap.free = NULL;
	for (int i = MAX_APPLY - 1; i >= 0; i--) {
		r->ap.slot[i].r = r;
		r->ap.slot[i].active = false;
		r->ap.slot[i].next = r->ap.free;
		r->ap.free = &r->ap.slot[i];
	}
	r->ap.pending = r->ap.pending_tail = NULL;
	r->ap.barrier = false;
}
