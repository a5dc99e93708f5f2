// SPDX-License-Identifier: GPL-2.0
/*
 * bitmap.c - the write-intent bitmap: in memory and on disk.
 *
 * Three bitmaps per device, one bit per chunk:
 *   ondisk   the bits as they are (or are about to be) on disk, in the
 *            on-disk byte order (little-endian bit numbering, *_le helpers);
 *   oos      chunks the peer lacks (set when a write is not replicated, by a
 *            bitmap loaded at start, or by mdctl/mirrord for a resync);
 *   touched  chunks written since the cleaner last looked.
 *
 * The rule that makes recovery differential: a write may reach either disk
 * only after the bit of every chunk it touches is persisted.  A write to a
 * chunk whose bit is already on disk goes straight through; one that needs
 * a new bit waits on md->bm_wait while bm_work writes the changed bitmap
 * pages (FUA), batching every bit set meanwhile into the same page writes.
 *
 * Bits are cleared lazily: every md_bm_clean_ms the cleaner clears the
 * bits of chunks that the peer holds (not in oos), that no active request
 * touches, and that were not written during the last interval, then writes
 * those pages.  So a hot chunk costs one bitmap write, not one per write,
 * and a crash leaves at most an interval's worth of extra resync.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/vmalloc.h>
#include "mirrordisk.h"

static unsigned int md_bm_clean_ms = 5000;
module_param_named(bitmap_clean_ms, md_bm_clean_ms, uint, 0644);
MODULE_PARM_DESC(bitmap_clean_ms,
		 "Interval of the lazy clearing of write-intent bits, in ms (default 5000)");

static int md_bm_io(struct md_dev *md, u64 page, enum req_op op)
{
	struct bio *bio;
	int ret;

	bio = bio_alloc(md->meta_bdev, 1, op | REQ_SYNC | (op == REQ_OP_WRITE ? REQ_FUA : 0),
			GFP_NOIO);
	bio->bi_iter.bi_sector = (md->bm_pos + page * MD_BM_PAGE) >> SECTOR_SHIFT;
	__bio_add_page(bio, md->bm_bounce, MD_BM_PAGE, 0);
	ret = submit_bio_wait(bio);
	bio_put(bio);
	return ret;
}

/* Set the bits of [first, last]; true when any was new (a page must go out).
 * Called with md->lock held. */
bool md_bm_set_locked(struct md_dev *md, u64 first, u64 last, bool touch)
{
	bool new = false;

	for (; first <= last && first < md->nchunks; first++) {
		if (touch)
			__set_bit(first, md->touched);
		if (test_bit_le(first, md->ondisk))
			continue;
		__set_bit_le(first, md->ondisk);
		__set_bit(first / (MD_BM_PAGE * 8), md->bm_dirty);
		new = true;
	}
	return new;
}

static bool md_chunk_active(struct md_dev *md, u64 chunk)
{
	u64 start = chunk << md->chunk_shift, end = start + (1ULL << md->chunk_shift);
	unsigned int slot;

	for_each_set_bit(slot, md->slot_map, MD_MAX_INFLIGHT) {
		struct md_req *r = &md->reqs[slot];

		if (r->len && r->offset < end && start < r->offset + r->len)
			return true;
	}
	return false;
}

/* Clear the bits the peer no longer needs; all of them with 'final'. */
static bool md_bm_clean_locked(struct md_dev *md, bool final)
{
	bool dirty = false;
	unsigned long c;

	for (c = find_next_bit_le(md->ondisk, md->nchunks, 0); c < md->nchunks;
	     c = find_next_bit_le(md->ondisk, md->nchunks, c + 1)) {
		if (__test_and_clear_bit(c, md->touched) && !final)
			continue;
		if (test_bit(c, md->oos) || md_chunk_active(md, c))
			continue;
		__clear_bit_le(c, md->ondisk);
		__set_bit(c / (MD_BM_PAGE * 8), md->bm_dirty);
		dirty = true;
	}
	return dirty;
}

static void md_bm_clean_work(struct work_struct *work)
{
	struct md_dev *md = container_of(to_delayed_work(work), struct md_dev, clean_work);
	bool dirty;

	spin_lock_irq(&md->lock);
	dirty = md_bm_clean_locked(md, false);
	spin_unlock_irq(&md->lock);
	if (dirty)
		queue_work(md_wq, &md->bm_work);
	queue_delayed_work(md_wq, &md->clean_work, msecs_to_jiffies(md_bm_clean_ms));
}

void md_bm_work(struct work_struct *work)
{
	struct md_dev *md = container_of(work, struct md_dev, bm_work);
	struct md_req *req, *tmp;
	LIST_HEAD(ready);
	u64 gen, page;
	int err = 0;

	spin_lock_irq(&md->lock);
	gen = ++md->bm_snap_gen;
	spin_unlock_irq(&md->lock);

	for (;;) {
		spin_lock_irq(&md->lock);
		page = find_first_bit(md->bm_dirty, md->bm_npages);
		if (page >= md->bm_npages) {
			spin_unlock_irq(&md->lock);
			break;
		}
		__clear_bit(page, md->bm_dirty);
		memcpy(page_address(md->bm_bounce), md->ondisk + page * MD_BM_PAGE, MD_BM_PAGE);
		spin_unlock_irq(&md->lock);
		if (md_bm_io(md, page, REQ_OP_WRITE)) {
			pr_err_ratelimited("%s: writing bitmap page %llu failed\n", md->name, page);
			err = -EIO;
			spin_lock_irq(&md->lock);
			__set_bit(page, md->bm_dirty);	/* retried by the next pass */
			spin_unlock_irq(&md->lock);
			break;
		}
	}

	spin_lock_irq(&md->lock);
	list_for_each_entry_safe(req, tmp, &md->bm_wait, list)
		if (req->bm_gen <= gen)
			list_move_tail(&req->list, &ready);
	if (!list_empty(&md->bm_wait))
		queue_work(md_wq, &md->bm_work);
	spin_unlock_irq(&md->lock);

	list_for_each_entry_safe(req, tmp, &ready, list) {
		list_del_init(&req->list);
		if (err) {
			/* No write-intent record: refuse the write rather than risk it. */
			req->local_status = BLK_STS_IOERR;
			md_req_put(req);
		} else {
			md_dispatch(req);
		}
	}
}

int md_bm_init(struct md_dev *md)
{
	u64 page, c;

	md->bm_npages = md->bm_bytes / MD_BM_PAGE;
	md->ondisk = vzalloc(md->bm_bytes);
	md->oos = vzalloc(BITS_TO_LONGS(md->nchunks) * sizeof(long));
	md->touched = vzalloc(BITS_TO_LONGS(md->nchunks) * sizeof(long));
	md->bm_dirty = vzalloc(BITS_TO_LONGS(md->bm_npages) * sizeof(long));
	md->bm_bounce = alloc_page(GFP_KERNEL);
	if (!md->ondisk || !md->oos || !md->touched || !md->bm_dirty || !md->bm_bounce)
		return -ENOMEM;
	INIT_LIST_HEAD(&md->bm_wait);
	INIT_WORK(&md->bm_work, md_bm_work);
	INIT_DELAYED_WORK(&md->clean_work, md_bm_clean_work);

	for (page = 0; page < md->bm_npages; page++) {
		int ret = md_bm_io(md, page, REQ_OP_READ);

		if (ret) {
			pr_err("%s: reading bitmap page %llu failed: %d\n", md->name, page, ret);
			return ret;
		}
		memcpy(md->ondisk + page * MD_BM_PAGE, page_address(md->bm_bounce), MD_BM_PAGE);
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

/* At destroy, with no request left: write the final, clean bitmap. */
void md_bm_stop(struct md_dev *md)
{
	cancel_delayed_work_sync(&md->clean_work);
	spin_lock_irq(&md->lock);
	md_bm_clean_locked(md, true);
	spin_unlock_irq(&md->lock);
	queue_work(md_wq, &md->bm_work);
	flush_work(&md->bm_work);
}

void md_bm_free(struct md_dev *md)
{
	if (md->bm_bounce)
		__free_page(md->bm_bounce);
	vfree(md->bm_dirty);
	vfree(md->touched);
	vfree(md->oos);
	vfree(md->ondisk);
}
