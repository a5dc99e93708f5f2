// SPDX-License-Identifier: GPL-2.0-only
/*
 * bitmap.c - the write-intent bitmap: in memory and on disk.
 *
 * Bitmaps of one bit per chunk:
 *   ondisk   the bits as they are (or are about to be) on disk, in the
 *            on-disk byte order (little-endian bit numbering, *_le helpers);
 *   oos      chunks the peer lacks (set when a write is not replicated, by a
 *            bitmap loaded at start, or by mdctl/mirrord for a resync);
 * and of one bit per group of 32 chunks (MD_BM_GROUP_SHIFT, md_grp()):
 *   touched  groups written (or resynced) since the cleaner's last pass;
 *   bm_cand  on the primary, the groups of the epoch in flight (below);
 *   bm_pending, bm_writing  groups with a bit set but maybe not durable.
 *
 * Why groups (issue 25, memory per TiB): the exact bitmaps are what a
 * resync copies and what the disk holds; the others only say which set
 * bits may not be relied on yet, and a group is a safe over-statement of
 * its chunks: a chunk of a touched group is uncovered, one of a pending
 * group waits for the page write.  What it costs: a lost link resyncs
 * the set chunks of an uncovered group, not only the uncovered chunks
 * (2 MiB around a write at most, at 64 KiB chunks), a pass leaves a group
 * touched while any of its chunks is being written, and a write to a set
 * chunk waits when another chunk of its group was set an instant before.
 * What it saves: five bits per chunk became two and an eighth, 10.1 MiB
 * per TiB of device 4.3 (vmalloc, measured by make bench's bench_sparse).
 *
 * The rule that makes recovery differential: a write may reach either disk
 * only after the bit of every chunk it touches is persisted.  A write to a
 * chunk whose bit is durable goes straight through; one that needs a new
 * bit, or whose bit is set but not yet durable (its page dirty or being
 * written by an earlier request's pass), waits on md->bm_wait while
 * bm_work writes the changed bitmap pages (FUA; up to MD_BM_BATCH of them
 * at once, md_bm_write_round), batching every bit set meanwhile into the
 * same page writes.  "Set" is not "durable": bm_pending holds the groups
 * of bits set since their page's last snapshot; the snapshot moves them to
 * bm_writing (bm_cover), and only the completed page write clears them
 * there (a failed one makes them pending again).
 *
 * Bits are cleared lazily, and on the primary only once the peer holds
 * the chunk durably.  The peer acknowledges a write when its O_DIRECT
 * write completed, which may still sit in a volatile disk cache; so the
 * cleaner works in epochs.  Every md_bm_clean_ms a pass (md_bm_pass_locked)
 * moves the groups written since the last pass none of whose chunks is
 * being written (touched) into the epoch (bm_cand), and sends one empty
 * PREFLUSH through the request path (md_flush_both: the lower device's
 * cache is flushed, and the peer runs fdatasync before it acknowledges).
 * Their writes completed before the flush was sent, so when both parts
 * succeeded the flush covers them: bm_cand is emptied (md_bm_epoch_work);
 * when it failed, they are touched again.  So a chunk whose bit is set
 * and whose group is neither touched nor in bm_cand is *covered*: the
 * peer holds it durably.  The same pass clears covered bits that the peer holds (not
 * in oos) and that no active request touches: all of them with age alone,
 * so a hot chunk costs one bitmap write, not one per write, and a crash
 * leaves at most an interval or two of extra resync; with
 * bitmap_hot_chunks only as many as the set bits exceed that budget.
 * Resync is the other way data reaches the peer: a chunk whose oos bit is
 * cleared makes its group touched, uncovered until an epoch flushes it.
 *
 * When the link is lost (md_bm_link_lost) the set chunks of a primary's
 * uncovered groups (touched or in bm_cand) become out of sync, and the next resync
 * copies them; covered ones are on the peer's media already, which is
 * what lets bits stay set under the budget without being resynced after
 * every disconnect.  A secondary's bits are its own marks (oos), cleared
 * by its daemon after it flushed its disk; its cleaner clears without an
 * epoch.  Except after a demotion while connected: the bits the primary
 * set for writes the peer acknowledged are not marks, and a secondary
 * cannot run an epoch (only a primary sends writes and flushes), so they
 * stay (md_bm_role_locked) until a promotion, whose epochs cover them, or
 * the link's loss, which on a secondary makes every set bit out of sync.
 *
 * Also here: the bitmap transfer ioctls (GET/SET/CLEAR_OOS) through which
 * mirrord reads and changes the out-of-sync bits for a resync.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/vmalloc.h>
#include "mirrordisk.h"

static unsigned int md_bm_clean_ms = 5000;
module_param_named(bitmap_clean_ms, md_bm_clean_ms, uint, 0644);
MODULE_PARM_DESC(bitmap_clean_ms,
		 "Interval of the lazy clearing of write-intent bits, in ms (default 5000)");

/*
 * A capacity budget, like DRBD's activity log (issue 25, measured by make
 * bench side by side with 0): the primary's cleaner keeps up to this many
 * bits set and clears only the excess, among the covered chunks not
 * written during the last interval.  A write to a chunk whose bit is set
 * costs no bitmap write, so random writes over more chunks than an
 * interval's worth stop paying one page write per cold chunk.  Its price
 * is resync after a crash of the primary: every set bit is copied, so at
 * most this many chunks (16384: 1 GiB at the default 64 KiB chunk; DRBD's
 * default activity log spans 4.8 GiB).  A lost link copies only the
 * uncovered chunks, budget or not (md_bm_link_lost).  0: age alone.
 */
static unsigned int md_bm_hot_chunks = 16384;
module_param_named(bitmap_hot_chunks, md_bm_hot_chunks, uint, 0644);
MODULE_PARM_DESC(bitmap_hot_chunks,
		 "Write-intent bits the primary keeps set; beyond, covered chunks not written lately are cleared round robin (default 16384; 0: age alone)");

/*
 * How many dirty bitmap pages bm_work writes at once (1 to MD_BM_BATCH;
 * 1: one behind the other, as before issue 25): make bench measures the
 * two side by side on random writes over a large device.
 */
static unsigned int md_bm_batch = MD_BM_BATCH;
module_param_named(bitmap_write_batch, md_bm_batch, uint, 0644);
MODULE_PARM_DESC(bitmap_write_batch,
		 "Bitmap pages written together in one round, 1 to 16 (default 16)");

static struct bio *md_bm_bio(struct md_dev *md, u64 page, enum req_op op, struct page *buf)
{
	struct bio *bio;

	bio = bio_alloc(md->meta_bdev, 1, op | REQ_SYNC | (op == REQ_OP_WRITE ? REQ_FUA : 0),
			GFP_NOIO);
	bio->bi_iter.bi_sector = (md->bm_pos + page * MD_BM_PAGE) >> SECTOR_SHIFT;
	__bio_add_page(bio, buf, MD_BM_PAGE, 0);
	return bio;
}

/* One bitmap page write of a bm_work round (md_bm_write_round). */
struct md_bm_slot {
	atomic_t *left;
	struct completion *done;
	u64 page;
	unsigned long *pending;		/* the page's slice of bm_pending */
	unsigned long *writing;		/* ... and of bm_writing */
	unsigned long *cover;		/* the pending groups this write makes durable */
	unsigned int nbits;		/* groups of the page (0: past the last) */
	blk_status_t status;
};

static void md_bm_endio(struct bio *bio)
{
	struct md_bm_slot *s = bio->bi_private;

	s->status = bio->bi_status;
	bio_put(bio);
	if (atomic_dec_and_test(s->left))
		complete(s->done);
}

/* A chunk of group g may have its bit set but not durable: set since the
 * last snapshot of its page (bm_pending) or in a page write in flight
 * (bm_writing).  Per group, so a write to a durable chunk of a group
 * another chunk of which was just set waits for that page write too. */
static bool md_grp_pending(struct md_dev *md, unsigned long g)
{
	return test_bit(g, md->bm_pending) || test_bit(g, md->bm_writing);
}

/*
 * Set the bits of [first, last].  True when any of them is not durable yet
 * (new now, or set by an earlier request whose page write has not
 * completed): the caller must wait for a bm_work pass that starts after
 * this call.  Called with md->lock held.
 */
bool md_bm_set_locked(struct md_dev *md, u64 first, u64 last, bool touch)
{
	bool wait = false;

	for (; first <= last && first < md->nchunks; first++) {
		if (touch)
			__set_bit(md_grp(first), md->touched);
		if (test_bit_le(first, md->ondisk)) {
			/* Set, but maybe not durable yet. */
			if (md_grp_pending(md, md_grp(first)))
				wait = true;
			continue;
		}
		__set_bit_le(first, md->ondisk);
		__set_bit(md_grp(first), md->bm_pending);
		__set_bit(first / (MD_BM_PAGE * 8), md->bm_dirty);
		wait = true;
	}
	return wait;
}

/* The peer now holds chunk c (a resync copied it), but maybe only in its
 * cache: touched, so that an epoch covers it before its bit may clear or
 * a lost link may forget it.  Called with md->lock held. */
void md_bm_oos_clear_locked(struct md_dev *md, u64 c)
{
	clear_bit(c, md->oos);
	if (test_bit_le(c, md->ondisk))
		__set_bit(md_grp(c), md->touched);
}

/* True while any bit of [first, last] may be set but not durable (SET_OOS). */
bool md_bm_pending(struct md_dev *md, u64 first, u64 last)
{
	unsigned long g = md_grp(first), end = md_grp(last) + 1;
	bool any;

	spin_lock_irq(&md->lock);
	any = find_next_bit(md->bm_pending, end, g) < end ||
	      find_next_bit(md->bm_writing, end, g) < end;
	spin_unlock_irq(&md->lock);
	return any;
}

/* The groups of bitmap page 'page' in a per-group bitmap: a long-aligned
 * slice; *nbits: how many (0 past the last group). */
static unsigned long *md_bm_page_groups(struct md_dev *md, unsigned long *map, u64 page,
					unsigned int *nbits)
{
	u64 first = page * MD_BM_PAGE_GROUPS;

	*nbits = first < md->ngroups ?
		 (unsigned int)min_t(u64, MD_BM_PAGE_GROUPS, md->ngroups - first) : 0;
	return map + first / BITS_PER_LONG;
}

static bool md_chunk_active(struct md_dev *md, u64 chunk)
{
	return md_overlaps_active(md, chunk << md->chunk_shift, 1U << md->chunk_shift);
}

static bool md_group_active(struct md_dev *md, unsigned long g)
{
	u32 shift = md->chunk_shift + MD_BM_GROUP_SHIFT;

	return md_overlaps_active(md, (u64)g << shift, 1U << shift);
}

/* Neither touched nor in the epoch in flight: the peer holds chunk c on
 * its media (when its bit is set and not in oos; see the top). */
static bool md_chunk_covered(struct md_dev *md, unsigned long c)
{
	return !test_bit(md_grp(c), md->touched) && !test_bit(md_grp(c), md->bm_cand);
}

/* Clear the bits the peer no longer needs; all of them with 'final'.
 * Never a chunk of an epoch in flight: a primary demoted between a link's
 * loss and md_bm_link_lost (which runs after the state changed, without
 * the lock in between) would forget a write the peer may lack. */
static bool md_bm_clean_locked(struct md_dev *md, bool final)
{
	bool dirty = false;
	unsigned long c;

	for (c = find_next_bit_le(md->ondisk, md->nchunks, 0); c < md->nchunks;
	     c = find_next_bit_le(md->ondisk, md->nchunks, c + 1)) {
		if (test_bit(md_grp(c), md->touched) && !final)
			continue;
		if (test_bit(c, md->oos) || test_bit(md_grp(c), md->bm_cand) ||
		    md_chunk_active(md, c))
			continue;
		__clear_bit_le(c, md->ondisk);
		__set_bit(c / (MD_BM_PAGE * 8), md->bm_dirty);
		dirty = true;
	}
	bitmap_zero(md->touched, md->ngroups);	/* skipped once: next time */
	return dirty;
}

/* Clear the covered bits of chunks [from, to) (see the top of this
 * file) that the peer holds and no request touches, at most *room of
 * them; *last: the last one cleared.  True when any was. */
static bool md_bm_clear_range(struct md_dev *md, unsigned long from, unsigned long to,
			      unsigned long *room, unsigned long *last)
{
	bool any = false;
	unsigned long c;

	for (c = find_next_bit_le(md->ondisk, to, from); c < to && *room;
	     c = find_next_bit_le(md->ondisk, to, c + 1)) {
		if (!md_chunk_covered(md, c) || test_bit(c, md->oos) || md_chunk_active(md, c))
			continue;
		__clear_bit_le(c, md->ondisk);
		__set_bit(c / (MD_BM_PAGE * 8), md->bm_dirty);
		(*room)--;
		*last = c;
		any = true;
	}
	return any;
}

/*
 * Primary, connected, no epoch in flight: one cleaning pass.  The chunks
 * written since the last pass whose writes have all completed join the
 * epoch (touched -> bm_cand; *epoch: the caller sends its flush); a group
 * with a chunk still being written stays touched for the next pass.  Then covered bits
 * are cleared: all with age alone; with bitmap_hot_chunks, only as many
 * as the set bits the peer holds exceed it, round robin from where the
 * last pass stopped (a clock hand: the same low chunks are not cleared
 * again and again while high ones stay set for ever).  True when a bit
 * was cleared (pages to write).
 */
static bool md_bm_pass_locked(struct md_dev *md, bool *epoch)
{
	unsigned int hot = READ_ONCE(md_bm_hot_chunks);
	unsigned long c, set = 0, room = ULONG_MAX, start = 0, last = 0;
	bool dirty;

	*epoch = false;
	for_each_set_bit(c, md->touched, md->ngroups) {
		if (md_group_active(md, c))
			continue;
		__clear_bit(c, md->touched);
		__set_bit(c, md->bm_cand);
		*epoch = true;
	}
	for (c = find_next_bit_le(md->ondisk, md->nchunks, 0); c < md->nchunks;
	     c = find_next_bit_le(md->ondisk, md->nchunks, c + 1))
		set += !test_bit(c, md->oos);
	if (hot) {
		room = set > hot ? set - hot : 0;
		start = md->bm_hand < md->nchunks ? md->bm_hand : 0;
	}
	dirty = md_bm_clear_range(md, start, md->nchunks, &room, &last);
	dirty |= md_bm_clear_range(md, 0, start, &room, &last);
	if (hot && dirty)
		md->bm_hand = last + 1;
	return dirty;
}

/* bi_end_io of the epoch flush: md_req_put has already judged it. */
void md_bm_epoch_endio(struct bio *bio)
{
	bio_put(bio);
}

/*
 * The epoch flush completed (ok: on both disks).  Called from md_req_put,
 * which may run in interrupt context: the scan of the picked bits, which
 * grows with the device, runs in md_bm_epoch_work.
 */
void md_bm_epoch_done(struct md_dev *md, bool ok)
{
	WRITE_ONCE(md->bm_epoch_ok, ok);
	queue_work(md_wq, &md->epoch_work);
}

/* The epoch's chunks are covered if its flush succeeded (the next pass
 * may clear them); if it failed they are touched again, for the next. */
static void md_bm_epoch_work(struct work_struct *work)
{
	struct md_dev *md = container_of(work, struct md_dev, epoch_work);
	bool ok = READ_ONCE(md->bm_epoch_ok);
	unsigned long c;

	spin_lock_irq(&md->lock);
	for_each_set_bit(c, md->bm_cand, md->ngroups) {
		__clear_bit(c, md->bm_cand);
		if (!ok)
			__set_bit(c, md->touched);
	}
	md->bm_epoch_busy = false;
	spin_unlock_irq(&md->lock);
}

/*
 * The link to the peer is gone (the daemon said so, or left): whatever it
 * acknowledged and no completed epoch covered may be in its lost cache.
 * A primary's uncovered chunks (touched, or in the epoch in flight)
 * become out of sync; on a secondary every set bit does (its bits are
 * marks, or a demoted primary's that no epoch may have covered).
 */
void md_bm_link_lost(struct md_dev *md)
{
	bool primary;
	unsigned long c;

	spin_lock_irq(&md->lock);
	primary = md->role == MD_ROLE_PRIMARY && !md->bm_demoted;
	for (c = find_next_bit_le(md->ondisk, md->nchunks, 0); c < md->nchunks;
	     c = find_next_bit_le(md->ondisk, md->nchunks, c + 1))
		if (!primary || !md_chunk_covered(md, c))
			__set_bit(c, md->oos);
	md->bm_demoted = false;		/* every bit left is covered or a mark now */
	spin_unlock_irq(&md->lock);
}

/*
 * The role changes to 'role' (md_set_role, with md->lock held).  A primary
 * demoted while connected may hold bits whose writes the peer acknowledged
 * and no epoch flushed yet (in its cache they can still be lost): the
 * secondary's cleaner must not take them for cleared marks.
 */
void md_bm_role_locked(struct md_dev *md, u32 role)
{
	if (role == MD_ROLE_PRIMARY)
		md->bm_demoted = false;		/* epochs cover them again */
	else if (md->role == MD_ROLE_PRIMARY && md->conn == MD_CONN_CONNECTED)
		md->bm_demoted = true;
}

static void md_bm_clean_work(struct work_struct *work)
{
	struct md_dev *md = container_of(to_delayed_work(work), struct md_dev, clean_work);
	bool dirty = false, epoch = false;

	spin_lock_irq(&md->lock);
	if (md->role != MD_ROLE_PRIMARY)
		dirty = !md->bm_demoted && !md->bm_epoch_busy && md_bm_clean_locked(md, false);
	else if (!md->bm_epoch_busy && md->conn == MD_CONN_CONNECTED && md->chan_file) {
		dirty = md_bm_pass_locked(md, &epoch);
		md->bm_epoch_busy = epoch;
	}
	spin_unlock_irq(&md->lock);
	if (dirty)
		queue_work(md_wq, &md->bm_work);
	if (epoch)
		atomic64_inc(&md->epochs);
	if (epoch && md_flush_both(md, md_bm_epoch_endio))
		md_bm_epoch_done(md, false);
	queue_delayed_work(md_wq, &md->clean_work, msecs_to_jiffies(md_bm_clean_ms));
}

/*
 * Write up to MD_BM_BATCH (bitmap_write_batch) dirty pages together: each
 * is snapshotted (its bytes and the pending bits they cover) under the
 * lock, taken once per page so that writers setting bits wait no longer
 * than before, then all go to the disk at once, FUA each, and the round
 * waits for all of them.  So a pass over N dirty pages costs about one page write's latency per
 * MD_BM_BATCH pages, not N of them one behind the other: random writes
 * over a large device dirty many pages per pass (issue 25).  The pages are
 * independent: no order among them is needed, only that each covered bit
 * is durable before its writes go on.  Returns how many pages it wrote
 * (0: none was dirty), or -EIO when any failed: those are dirty again,
 * for the next pass.
 */
static int md_bm_write_round(struct md_dev *md)
{
	struct md_bm_slot slot[MD_BM_BATCH];
	DECLARE_COMPLETION_ONSTACK(done);
	atomic_t left;
	unsigned int batch = clamp_t(unsigned int, READ_ONCE(md_bm_batch), 1, MD_BM_BATCH);
	u64 page = 0;
	int i, n = 0, failed = 0;

	for (; n < batch; page++) {
		struct md_bm_slot *s = &slot[n];

		spin_lock_irq(&md->lock);
		page = find_next_bit(md->bm_dirty, md->bm_npages, page);
		if (page >= md->bm_npages) {
			spin_unlock_irq(&md->lock);
			break;
		}
		__clear_bit(page, md->bm_dirty);
		memcpy(page_address(md->bm_bounce[n]), md->ondisk + page * MD_BM_PAGE, MD_BM_PAGE);
		s->page = page;
		s->cover = md->bm_cover + n * (MD_BM_PAGE_GROUPS / BITS_PER_LONG);
		/*
		 * The groups this write makes durable: those pending now, all
		 * of whose set bits are in the snapshot.  They move to
		 * bm_writing; a chunk of one set after the snapshot makes its
		 * group pending again, for the next write of the page.
		 */
		s->pending = md_bm_page_groups(md, md->bm_pending, page, &s->nbits);
		s->writing = md_bm_page_groups(md, md->bm_writing, page, &s->nbits);
		if (s->nbits) {
			bitmap_copy(s->cover, s->pending, s->nbits);
			bitmap_or(s->writing, s->writing, s->pending, s->nbits);
			bitmap_clear(s->pending, 0, s->nbits);
		}
		spin_unlock_irq(&md->lock);
		n++;
	}
	if (!n)
		return 0;

	atomic_set(&left, n);
	for (i = 0; i < n; i++) {
		struct bio *bio = md_bm_bio(md, slot[i].page, REQ_OP_WRITE, md->bm_bounce[i]);

		slot[i].left = &left;
		slot[i].done = &done;
		bio->bi_private = &slot[i];
		bio->bi_end_io = md_bm_endio;
		submit_bio(bio);
	}
	wait_for_completion_io(&done);
	atomic64_inc(&md->bm_rounds);

	spin_lock_irq(&md->lock);
	for (i = 0; i < n; i++) {
		struct md_bm_slot *s = &slot[i];

		if (s->nbits)
			bitmap_andnot(s->writing, s->writing, s->cover, s->nbits);
		if (s->status) {
			/* Not durable: pending again, retried by the next pass. */
			if (s->nbits)
				bitmap_or(s->pending, s->pending, s->cover, s->nbits);
			__set_bit(s->page, md->bm_dirty);
			md->meta_failed = true;
			failed++;
			continue;
		}
		atomic64_inc(&md->bm_page_writes);
	}
	spin_unlock_irq(&md->lock);
	for (i = 0; i < n; i++)
		if (slot[i].status)
			pr_err_ratelimited("%s: writing bitmap page %llu failed: metadata failed, "
					   "writes must replicate to complete\n", md->name, slot[i].page);
	return failed ? -EIO : n;
}

/*
 * Write the dirty bitmap pages, then dispatch the requests that waited for
 * them.  When the metadata device failed a page write, the bits it should
 * hold are not durable, so no write may rely on them.  Policy: while the
 * peer is connected, such a write still goes to both disks and completes
 * only if the peer took it (req->unrecorded: md_req_put fails it
 * otherwise); with no peer it fails at once.  md_dispatch decides between
 * the two under md->lock, with the dispatch itself: a link drop between a
 * decision here and the dispatch would send the write to the local disk
 * alone.  A write never completes on one disk alone without a durable
 * record.  Status reports MD_SF_META_FAILED until the device is destroyed:
 * after a crash the bitmap is not to be trusted, and a full resync is
 * needed (docs/design.md).
 */
void md_bm_work(struct work_struct *work)
{
	struct md_dev *md = container_of(work, struct md_dev, bm_work);
	struct md_req *req, *tmp;
	LIST_HEAD(ready);
	u64 gen;
	int err = 0, n;

	spin_lock_irq(&md->lock);
	gen = ++md->bm_snap_gen;
	spin_unlock_irq(&md->lock);

	while ((n = md_bm_write_round(md)) > 0)
		;
	if (n < 0)
		err = n;

	spin_lock_irq(&md->lock);
	list_for_each_entry_safe(req, tmp, &md->bm_wait, list)
		if (req->bm_gen <= gen)
			list_move_tail(&req->list, &ready);
	if (!list_empty(&md->bm_wait))
		queue_work(md_wq, &md->bm_work);
	spin_unlock_irq(&md->lock);

	list_for_each_entry_safe(req, tmp, &ready, list) {
		list_del_init(&req->list);
		req->unrecorded = err != 0;	/* see the comment above */
		md_dispatch(req);
	}
}

int md_bm_init(struct md_dev *md)
{
	u64 page, c;
	int i;

	md->bm_npages = md->bm_bytes / MD_BM_PAGE;
	md->ondisk = vzalloc(md->bm_bytes);
	/* Groups tile bitmap pages and page slices of longs; a group's
	 * byte range fits md_group_active's u32. */
	BUILD_BUG_ON((MD_BM_PAGE * 8) % (1U << MD_BM_GROUP_SHIFT));
	BUILD_BUG_ON(MD_BM_PAGE_GROUPS % BITS_PER_LONG);
	BUILD_BUG_ON(MD_CHUNK_SHIFT_MAX + MD_BM_GROUP_SHIFT > 31);
	md->ngroups = DIV_ROUND_UP_ULL(md->nchunks, 1U << MD_BM_GROUP_SHIFT);
	md->oos = vzalloc(BITS_TO_LONGS(md->nchunks) * sizeof(long));
	md->touched = vzalloc(BITS_TO_LONGS(md->ngroups) * sizeof(long));
	md->bm_dirty = vzalloc(BITS_TO_LONGS(md->bm_npages) * sizeof(long));
	md->bm_pending = vzalloc(BITS_TO_LONGS(md->ngroups) * sizeof(long));
	md->bm_writing = vzalloc(BITS_TO_LONGS(md->ngroups) * sizeof(long));
	md->bm_cover = vzalloc(MD_BM_BATCH * MD_BM_PAGE_GROUPS / 8);
	md->bm_cand = vzalloc(BITS_TO_LONGS(md->ngroups) * sizeof(long));
	if (!md->ondisk || !md->oos || !md->touched || !md->bm_dirty || !md->bm_pending || !md->bm_writing ||
	    !md->bm_cover || !md->bm_cand)
		return -ENOMEM;
	for (i = 0; i < MD_BM_BATCH; i++) {
		md->bm_bounce[i] = alloc_page(GFP_KERNEL);
		if (!md->bm_bounce[i])
			return -ENOMEM;
	}
	INIT_LIST_HEAD(&md->bm_wait);
	INIT_WORK(&md->bm_work, md_bm_work);
	INIT_WORK(&md->epoch_work, md_bm_epoch_work);
	INIT_DELAYED_WORK(&md->clean_work, md_bm_clean_work);

	for (page = 0; page < md->bm_npages; page++) {
		struct bio *bio = md_bm_bio(md, page, REQ_OP_READ, md->bm_bounce[0]);
		int ret = submit_bio_wait(bio);

		bio_put(bio);
		if (ret) {
			pr_err("%s: reading bitmap page %llu failed: %d\n", md->name, page, ret);
			return ret;
		}
		memcpy(md->ondisk + page * MD_BM_PAGE, page_address(md->bm_bounce[0]), MD_BM_PAGE);
	}
	/* Bits past the last chunk mean nothing; every other set bit is work. */
	for (c = md->nchunks; c < md->bm_bytes * 8; c++)
		__clear_bit_le(c, md->ondisk);
	for (c = find_next_bit_le(md->ondisk, md->nchunks, 0); c < md->nchunks;
	     c = find_next_bit_le(md->ondisk, md->nchunks, c + 1))
		__set_bit(c, md->oos);
	return 0;
}

void md_bm_start(struct md_dev *md)
{
	queue_delayed_work(md_wq, &md->clean_work, msecs_to_jiffies(md_bm_clean_ms));
}

/* At destroy, first: no new epoch flush (md_bm_clean_work starts them). */
void md_bm_quiesce(struct md_dev *md)
{
	cancel_delayed_work_sync(&md->clean_work);
}

/* At destroy, with no request left: write the final, clean bitmap. */
void md_bm_stop(struct md_dev *md)
{
	cancel_delayed_work_sync(&md->clean_work);
	flush_work(&md->epoch_work);
	spin_lock_irq(&md->lock);
	md_bm_clean_locked(md, true);
	spin_unlock_irq(&md->lock);
	queue_work(md_wq, &md->bm_work);
	flush_work(&md->bm_work);
}

void md_bm_free(struct md_dev *md)
{
	int i;

	for (i = 0; i < MD_BM_BATCH; i++)
		if (md->bm_bounce[i])
			__free_page(md->bm_bounce[i]);
	vfree(md->bm_cand);
	vfree(md->bm_cover);
	vfree(md->bm_writing);
	vfree(md->bm_pending);
	vfree(md->bm_dirty);
	vfree(md->touched);
	vfree(md->oos);
	vfree(md->ondisk);
}

/*
 * Bitmap transfer for resync.  The user buffer holds nbits bits as 64-bit
 * little-endian words; start must be a multiple of 64.
 */
int md_bm_oos_xfer(struct md_dev *md, struct md_ioc_oos *o, unsigned int cmd)
{
	u64 __user *ubuf = u64_to_user_ptr(o->addr);
	u64 w, i, word;
	bool dirty = false;

	if (o->reserved || o->start % 64 || o->start > md->nchunks ||
	    o->nbits > md->nchunks - o->start)
		return -EINVAL;
	for (w = 0; w < DIV_ROUND_UP(o->nbits, 64); w++) {
		u64 base = o->start + w * 64;
		u64 n = min_t(u64, 64, o->nbits - w * 64);

		if (cmd == MD_IOC_GET_OOS) {
			word = 0;
			for (i = 0; i < n; i++)
				if (test_bit(base + i, md->oos))
					word |= 1ULL << i;
			if (put_user(word, ubuf + w))
				return -EFAULT;
			continue;
		}
		if (get_user(word, ubuf + w))
			return -EFAULT;
		spin_lock_irq(&md->lock);
		for (i = 0; i < n; i++) {
			if (!(word & (1ULL << i)))
				continue;
			if (cmd == MD_IOC_SET_OOS) {
				/* Persisted like a write's intent: a crash keeps it. */
				set_bit(base + i, md->oos);
				dirty |= md_bm_set_locked(md, base + i, base + i, false);
			} else {
				md_bm_oos_clear_locked(md, base + i);
			}
		}
		spin_unlock_irq(&md->lock);
	}
	if (dirty) {
		queue_work(md_wq, &md->bm_work);
		flush_work(&md->bm_work);
		/* The caller relies on the marks being on disk: say if not. */
		if (md_bm_pending(md, o->start, o->start + o->nbits - 1))
			return -EIO;
	}
	return 0;
}
