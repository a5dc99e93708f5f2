// SPDX-License-Identifier: GPL-2.0-only
/*
 * req.c - the request path of the mirror device.
 *
 * A bio's life on the primary:
 *
 *  - Reads are remapped to the lower device and never stop here.
 *  - Writes (and empty flushes) take a request slot (struct md_req).  A slot
 *    is refused while all MD_MAX_INFLIGHT slots are busy, or while another
 *    active write overlaps the bio's range: two overlapping writes in flight
 *    at once could land in different orders on the two disks, so the second
 *    waits for the first.  A refused bio goes to md->deferred and the
 *    workqueue retries it, in order, when a slot completes; once anything
 *    is deferred, new bios queue behind it.  We never sleep in
 *    ->submit_bio: a stacked caller may hold bios on current->bio_list that
 *    our own completions depend on.
 *  - With a slot, the request is in state LOCAL (peer not connected: its
 *    chunks are marked out of sync at once) or QUEUED (connected: it is put
 *    on md->queued for the daemon).  A clone of the bio is submitted to the
 *    lower device in both cases, so the local write and the network round
 *    trip overlap.
 *  - The daemon's read() moves QUEUED requests through COPYING (data copied
 *    once, from the bio's pages into the daemon's buffer) to SENT.  The
 *    daemon's ack, or a failure of the link or the daemon (md_chan_fail_all),
 *    moves a request to REMOTE_DONE.
 *  - Fencing (MD_CONN_HELD, chan.c): after a link loss with hold, the
 *    requests the daemon held and every new write go to md->held (HELD),
 *    their local write done or under way, their remote part waiting, so
 *    no write completes until the hold ends; then they complete as not
 *    replicated and are marked, as on any link loss.
 *  - req->pending counts the outstanding parts (local, remote).  When both
 *    are done the bio completes: with the local status, because the local
 *    disk is the one that serves reads; a write the peer did not take is
 *    marked out of sync first, so a completed write is always either on
 *    both disks or recorded in the bitmap.
 *  - Special requests: bitmap.c's epoch flush (an
 *    empty PREFLUSH, req->clean_epoch; md_req_put hands its outcome to the
 *    cleaner), and, after a failed bitmap write, a write that could not be
 *    recorded (req->unrecorded): md_dispatch fails it before either disk
 *    unless it ships it to a connected peer, and it completes only if the
 *    peer took it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include "mirrordisk.h"

void md_mark_oos(struct md_dev *md, u64 offset, u64 len)
{
	u64 first, last;

	if (!len)
		return;
	first = offset >> md->chunk_shift;
	last = (offset + len - 1) >> md->chunk_shift;
	if (last >= md->nchunks)
		last = md->nchunks - 1;
	for (; first <= last; first++)
		set_bit(first, md->oos);
}

/* Does [off, off + len) meet a request in flight?  Called with md->lock
 * held; the one definition the request path and the bitmap's cleaner use. */
bool md_overlaps_active(struct md_dev *md, u64 off, u32 len)
{
	unsigned int slot;

	if (!len)
		return false;
	for_each_set_bit(slot, md->slot_map, MD_MAX_INFLIGHT) {
		struct md_req *r = &md->reqs[slot];

		if (r->len && off < r->offset + r->len && r->offset < off + len)
			return true;
	}
	return false;
}

/*
 * Called with md->lock held.  Returns a started request or NULL.  A request
 * whose chunks need new write-intent bits comes back in state BM_WAIT and
 * must not be dispatched: bm_work dispatches it once the bits are on disk.
 */
static struct md_req *md_try_start(struct md_dev *md, struct bio *bio)
{
	u64 off = (u64)bio->bi_iter.bi_sector << SECTOR_SHIFT;
	u32 len = bio->bi_iter.bi_size;
	unsigned int slot;
	struct md_req *req;

	slot = find_first_zero_bit(md->slot_map, MD_MAX_INFLIGHT);
	if (slot >= MD_MAX_INFLIGHT || md_overlaps_active(md, off, len))
		return NULL;

	__set_bit(slot, md->slot_map);
	md->nr_active++;
	req = &md->reqs[slot];
	req->md = md;
	req->bio = bio;
	req->offset = off;
	req->len = len;
	req->iter = bio->bi_iter;
	req->op = bio_op(bio) == REQ_OP_READ ? MD_OP_RESYNC : len ? MD_OP_WRITE : MD_OP_FLUSH;
	req->flags = 0;
	if (bio->bi_opf & REQ_FUA)
		req->flags |= MD_RF_FUA;
	if (bio->bi_opf & REQ_PREFLUSH)
		req->flags |= MD_RF_PREFLUSH;
	req->seq = md->next_seq++;
	req->started = jiffies;
	req->t_start = ktime_get_ns();
	req->t_taken = req->t_acked = req->t_local = req->t_start;
	if (!++req->gen)
		req->gen = 1;	/* id 0 is MD_CHAN_ACK_PROGRESS */
	req->local_status = BLK_STS_OK;
	req->local_done = false;
	req->clean_epoch = bio->bi_end_io == md_bm_epoch_endio;
	/* Until it has a slot, a resync bio's bi_private carries the
	 * connection it was asked for (md_resync_chunks). */
	if (req->op == MD_OP_RESYNC)
		req->conn_gen = (u32)(uintptr_t)bio->bi_private;
	req->unrecorded = false;
	req->state = MD_RS_LOCAL;
	if (req->op == MD_OP_WRITE && md_bm_set_locked(md, off >> md->chunk_shift,
				     (off + len - 1) >> md->chunk_shift, true)) {
		req->state = MD_RS_BM_WAIT;
		req->bm_gen = md->bm_snap_gen + 1;
		req->remote_status = -ENOTCONN;
		atomic_set(&req->pending, 1);	/* for a failed bitmap write */
		list_add_tail(&req->list, &md->bm_wait);
		atomic64_inc(&md->bm_waits);
	}
	return req;
}

static void md_submit_local(struct md_req *req, bool nowait);

/* The local write again, from md_wq, where it may wait (md_submit_local). */
static void md_local_work(struct work_struct *work)
{
	md_submit_local(container_of(work, struct md_req, local_work), false);
}

/* Each slot's work item, initialised once at create: a slot's previous
 * request may still be returning from md_local_work when the next one
 * queues it again (nothing there touches the request after its submit). */
void md_reqs_init(struct md_dev *md)
{
	unsigned int i;

	for (i = 0; i < MD_MAX_INFLIGHT; i++)
		INIT_WORK(&md->reqs[i].local_work, md_local_work);
}

static void md_local_requeue(struct md_req *req)
{
	atomic64_inc(&req->md->nowait_requeues);
	queue_work(md_wq, &req->local_work);
}

static void md_local_endio(struct bio *clone)
{
	struct md_req *req = clone->bi_private;

	/* Refused unstarted under REQ_NOWAIT (no tag free; or the lower
	 * device stopped taking REQ_NOWAIT, a device-mapper table swap):
	 * not an error, the write is submitted again where it may wait.
	 * Its remote part may be on its way already, so it must not fail. */
	if ((clone->bi_opf & REQ_NOWAIT) &&
	    (clone->bi_status == BLK_STS_AGAIN || clone->bi_status == BLK_STS_NOTSUPP)) {
		bio_put(clone);
		md_local_requeue(req);
		return;
	}
	req->local_status = clone->bi_status;
	req->t_local = ktime_get_ns();
	WRITE_ONCE(req->local_done, true);
	bio_put(clone);
	md_req_put(req);
}

/*
 * The local part of a started request: a clone of its bio to the lower
 * device.  nowait: the submitter must not sleep (an io_uring task issuing
 * a REQ_NOWAIT bio inline, md->nowait): the clone is allocated without
 * waiting and keeps REQ_NOWAIT, and whatever would wait (no clone, a lower
 * device without REQ_NOWAIT now, no tag there: md_local_endio) goes to
 * md_wq instead, which submits it again with waiting allowed.  The
 * request's slot is held meanwhile, so overlapping writes keep waiting.
 */
static void md_submit_local(struct md_req *req, bool nowait)
{
	struct md_dev *md = req->md;
	struct bio *clone;

	if (nowait && !bdev_nowait(md->lower.bdev)) {
		md_local_requeue(req);
		return;
	}
	clone = bio_alloc_clone(md->lower.bdev, req->bio, nowait ? GFP_NOWAIT : GFP_NOIO, &md->bs);
	if (!clone && nowait) {
		md_local_requeue(req);
		return;
	}
	if (!clone) {
		req->local_status = BLK_STS_RESOURCE;
		WRITE_ONCE(req->local_done, true);
		md_req_put(req);
		return;
	}
	if (!nowait)
		clone->bi_opf &= ~REQ_NOWAIT;
	clone->bi_private = req;
	clone->bi_end_io = md_local_endio;
	submit_bio_noacct(clone);
}

/* Send a started request on its way: to the daemon (if the link is up)
 * and to the lower device. */
void md_dispatch(struct md_req *req)
{
	struct md_dev *md = req->md;

	if (req->op == MD_OP_RESYNC) {
		/* Read first; md_rs_endio hands the data to the daemon. */
		req->shipped = true;
		req->remote_status = 0;
		atomic_set(&req->pending, 2);
		req->bio->bi_private = req;
		submit_bio_noacct(req->bio);
		return;
	}

	spin_lock_irq(&md->lock);
	req->shipped = md->conn == MD_CONN_CONNECTED && md->chan_file;
	if (md->conn == MD_CONN_HELD && !req->unrecorded) {
		/*
		 * Fencing: the link is lost and the peer not fenced yet.  The
		 * local write goes on; the remote part waits on md->held
		 * until the hold ends (chan.c), so the bio does not complete.
		 */
		req->state = MD_RS_HELD;
		req->remote_status = 0;
		atomic_set(&req->pending, 2);
		list_add_tail(&req->list, &md->held);
		spin_unlock_irq(&md->lock);
		goto local;
	}
	if (req->unrecorded && !(req->shipped && md->role == MD_ROLE_PRIMARY)) {
		/*
		 * Its bit could not be persisted and no peer takes it: fail it
		 * before it touches either disk (docs/design.md, "Metadata
		 * failure").  Decided here, under the lock that also orders
		 * the link's state changes, so that the link state that
		 * permits an unrecorded write is the one it is dispatched
		 * under: a link drop is either seen here or fails it from
		 * md->queued.
		 */
		spin_unlock_irq(&md->lock);
		req->state = MD_RS_LOCAL;
		req->local_status = BLK_STS_IOERR;
		req->remote_status = -ENOTCONN;
		atomic_set(&req->pending, 1);
		md_req_put(req);
		return;
	}
	if (req->shipped) {
		req->state = MD_RS_QUEUED;
		req->remote_status = 0;
		req->queued_at = jiffies;
		atomic_set(&req->pending, 2);
		list_add_tail(&req->list, &md->queued);
	} else {
		req->state = MD_RS_LOCAL;
		req->remote_status = -ENOTCONN;
		atomic_set(&req->pending, 1);
	}
	spin_unlock_irq(&md->lock);

	if (!req->shipped)
		md_mark_oos(md, req->offset, req->len);
	else
		wake_up(&md->chan_wait);

local:
	md_submit_local(req, req->bio->bi_opf & REQ_NOWAIT);
}

static void md_rs_free_bio(struct bio *bio)
{
	struct bio_vec *bv;
	struct bvec_iter_all iter;

	bio_for_each_segment_all(bv, bio, iter)
		__free_page(bv->bv_page);
	bio_put(bio);
}

/* A write the peer acknowledged: counted, with where its time went. */
static void md_count_replicated(struct md_dev *md, const struct md_req *req)
{
	atomic64_inc(&md->writes_replicated);
	atomic64_add(req->t_taken - req->t_start, &md->ns_to_daemon);
	atomic64_add(req->t_acked - req->t_taken, &md->ns_remote);
	atomic64_add(req->t_local - req->t_start, &md->ns_local);
}

void md_req_put(struct md_req *req)
{
	struct md_dev *md = req->md;
	struct bio *bio = req->bio;
	bool rs = req->op == MD_OP_RESYNC;
	unsigned long flags;

	if (!atomic_dec_and_test(&req->pending))
		return;

	/* A resync run is counted below, by its chunks, where its bits clear. */
	if (req->clean_epoch) {
		md_bm_epoch_done(md, !req->remote_status && !req->local_status);
		bio->bi_status = req->local_status;
	} else if (!rs) {
		if (req->remote_status || req->local_status)
			md_mark_oos(md, req->offset, req->len);
		else if (!(req->flags & MD_RF_ASYNC))	/* the peer may still lack it */
			md_count_replicated(md, req);
		atomic64_inc(&md->writes);
		bio->bi_status = req->local_status;
		/* No durable record of it, and the peer lacks it: not done. */
		if (req->unrecorded && req->remote_status && !bio->bi_status)
			bio->bi_status = BLK_STS_IOERR;
	}

	spin_lock_irqsave(&md->lock, flags);
	/* A resync run: the peer holds it as it is now (no write ran
	 * meanwhile), in its cache at least (bitmap.c).  Before the slot
	 * frees: until then the cleaner sees the chunks active. */
	if (rs && !req->remote_status && !req->local_status) {
		u64 c = req->offset >> md->chunk_shift;
		u64 end = (req->offset + req->len - 1) >> md->chunk_shift;

		for (; c <= end; c++)
			md_bm_oos_clear_locked(md, c);
		atomic64_add(end - (req->offset >> md->chunk_shift) + 1, &md->resynced);
	}
	req->state = MD_RS_FREE;
	req->bio = NULL;
	__clear_bit(req - md->reqs, md->slot_map);
	/* Under the lock, so that md_destroy, which takes it to see the
	 * device quiet, finds the deferred work queued (it flushes it) and
	 * md untouched after: the bio below is not md's. */
	if (!bio_list_empty(&md->deferred))
		queue_work(md_wq, &md->defer_work);
	if (--md->nr_active == 0)
		wake_up(&md->idle_wait);
	spin_unlock_irqrestore(&md->lock, flags);

	if (rs)
		md_rs_free_bio(bio);
	else
		bio_endio(bio);
}

void md_defer_work(struct work_struct *work)
{
	struct md_dev *md = container_of(work, struct md_dev, defer_work);
	struct md_req *req;
	struct bio *bio;

	for (;;) {
		spin_lock_irq(&md->lock);
		bio = bio_list_peek(&md->deferred);
		req = bio ? md_try_start(md, bio) : NULL;
		if (req)
			bio_list_pop(&md->deferred);
		spin_unlock_irq(&md->lock);
		if (!req)
			return;
		if (req->state == MD_RS_BM_WAIT)
			queue_work(md_wq, &md->bm_work);
		else
			md_dispatch(req);
	}
}

/* Start a write or resync bio now, or queue it behind the deferred ones. */
static void md_start_or_defer(struct md_dev *md, struct bio *bio)
{
	struct md_req *req = NULL;

	spin_lock_irq(&md->lock);
	if (bio_list_empty(&md->deferred))
		req = md_try_start(md, bio);
	if (!req)
		bio_list_add(&md->deferred, bio);
	spin_unlock_irq(&md->lock);

	if (!req)
		return;
	if (req->state == MD_RS_BM_WAIT)
		queue_work(md_wq, &md->bm_work);
	else
		md_dispatch(req);
}

static void md_rs_endio(struct bio *bio)
{
	struct md_req *req = bio->bi_private;
	struct md_dev *md = req->md;
	unsigned long flags;
	bool queued = false;

	req->local_status = bio->bi_status;
	WRITE_ONCE(req->local_done, true);
	if (bio->bi_status) {
		/* The daemon still hears of it, so that its resync window does
		 * not wait for this chunk: the bit stays set. */
		pr_err_ratelimited("%s: resync read of chunks %llu-%llu failed: %d\n", md->name,
				   req->offset >> md->chunk_shift,
				   (req->offset + req->len - 1) >> md->chunk_shift,
				   blk_status_to_errno(bio->bi_status));
		req->flags |= MD_RF_READ_ERROR;
	}
	/*
	 * Only to the connection that asked for it: after a reconnect the
	 * new one did not (its daemon would count the record against its own
	 * resync window, and send the chunk once more, or to a peer that
	 * expects none).  Dropped, the bit stays set; the new connection's
	 * resync, which reads the chunk again, brings it over.
	 */
	spin_lock_irqsave(&md->lock, flags);
	if (md->conn == MD_CONN_CONNECTED && md->chan_file && req->conn_gen == md->conn_gen) {
		req->state = MD_RS_QUEUED;
		req->queued_at = jiffies;
		list_add_tail(&req->list, &md->queued);
		queued = true;
	}
	spin_unlock_irqrestore(&md->lock, flags);
	if (queued) {
		wake_up(&md->chan_wait);
	} else {
		req->remote_status = bio->bi_status ? -EIO : -ENOTCONN;
		md_req_put(req);	/* the remote part will not come */
	}
	md_req_put(req);		/* the read */
}

/*
 * Queue the resync read of a run of count chunks from chunk (MD_IOC_RESYNC).
 * The read bio takes a request slot like a write, so it waits for
 * overlapping writes and they wait for it: what the peer receives is the
 * run as it stands between them.  It belongs to the connection it was asked
 * under (md->conn_gen): if the link came back meanwhile, md_rs_endio drops
 * it.  A chunk of the run whose bit is already clear is read and sent too:
 * the peer gets what it holds already, and clearing a clear bit is nothing.
 */
int md_resync_chunks(struct md_dev *md, u64 chunk, u32 count)
{
	u64 off = chunk << md->chunk_shift;
	u32 len, done, conn_gen;
	struct bio *bio;
	bool connected;

	/* chunks are at most MD_MAX_IO_BYTES (MD_CHUNK_SHIFT_MAX) */
	if (chunk >= md->nchunks || !count || count > (MD_MAX_IO_BYTES >> md->chunk_shift))
		return -EINVAL;
	if (!test_bit(chunk, md->oos))
		return -EBUSY;
	spin_lock_irq(&md->lock);
	conn_gen = md->conn_gen;
	connected = md->conn == MD_CONN_CONNECTED;
	spin_unlock_irq(&md->lock);
	if (!connected)
		return -ENOTCONN;
	len = min_t(u64, (u64)count << md->chunk_shift, md->size_bytes - off);
	bio = bio_alloc(md->lower.bdev, DIV_ROUND_UP(len, PAGE_SIZE), REQ_OP_READ, GFP_KERNEL);
	if (!bio)
		return -ENOMEM;
	bio->bi_iter.bi_sector = off >> SECTOR_SHIFT;
	bio->bi_end_io = md_rs_endio;
	bio->bi_private = (void *)(uintptr_t)conn_gen;	/* see md_try_start */
	for (done = 0; done < len; done += PAGE_SIZE) {
		struct page *page = alloc_page(GFP_KERNEL);

		if (!page) {
			md_rs_free_bio(bio);
			return -ENOMEM;
		}
		__bio_add_page(bio, page, min_t(u32, PAGE_SIZE, len - done), 0);
	}

	md_start_or_defer(md, bio);
	return 0;
}

/*
 * An empty PREFLUSH through the request path, as if the application had
 * sent it: it goes to the lower device and, when connected, to the peer,
 * whose daemon runs fdatasync before it acknowledges.  Completes through
 * endio (bitmap.c's epoch) with both parts' outcome seen by md_req_put.
 */
int md_flush_both(struct md_dev *md, bio_end_io_t *endio)
{
	struct bio *bio = bio_alloc(md->lower.bdev, 0, REQ_OP_WRITE | REQ_PREFLUSH, GFP_NOIO);

	if (!bio)
		return -ENOMEM;
	bio->bi_end_io = endio;
	md_start_or_defer(md, bio);
	return 0;
}

static void md_submit_bio(struct bio *bio)
{
	struct md_dev *md = bio->bi_bdev->bd_disk->private_data;

	if (READ_ONCE(md->role) != MD_ROLE_PRIMARY) {
		bio_io_error(bio);
		return;
	}
	bio = bio_split_to_limits(bio);
	if (!bio)
		return;

	switch (bio_op(bio)) {
	case REQ_OP_READ:
		bio_set_dev(bio, md->lower.bdev);
		submit_bio_noacct(bio);
		return;
	case REQ_OP_WRITE:
		if (READ_ONCE(md->readonly) && bio_sectors(bio)) {
			bio_io_error(bio);	/* read-only grant */
			return;
		}
		break;
	default:
		/*
		 * Discard, write-zeroes and secure erase are not advertised
		 * (their limits are zero), so the block layer turns zeroing
		 * into plain writes and refuses discards before they get here.
		 */
		bio->bi_status = BLK_STS_NOTSUPP;
		bio_endio(bio);
		return;
	}

	md_start_or_defer(md, bio);
}

static int md_open(MD_BDOPS_OPEN_ARGS)
{
	struct md_dev *md = MD_BDOPS_OPEN_DISK->private_data;
	int ret = 0;

	spin_lock_irq(&md->lock);
	if (md->dying)
		ret = -ENXIO;		/* md_destroy checked openers already */
	else if (md->role != MD_ROLE_PRIMARY)
		/*
		 * A non-blocking read-only open is a probe (systemd-udevd
		 * locks every disk so before it runs the rules, blkid): "no
		 * medium" (ENXIO, which udev takes for absent and goes on),
		 * so that /dev/mirror/NAME and the device unit exist on a
		 * secondary too.  Any other open: EMEDIUMTYPE, as always.
		 */
		ret = MD_OPEN_NDELAY && !MD_OPEN_WRITE ? -ENXIO : -EMEDIUMTYPE;
	else if (md->readonly && MD_OPEN_WRITE)
		ret = -EROFS;
	else
		md->openers++;
	spin_unlock_irq(&md->lock);
	if (ret == -EMEDIUMTYPE)
		pr_info_ratelimited("%s: open refused: this node is secondary\n",
				    md->name);
	return ret;
}

static void md_release(MD_BDOPS_RELEASE_ARGS)
{
	struct md_dev *md = disk->private_data;

	spin_lock_irq(&md->lock);
	md->openers--;
	spin_unlock_irq(&md->lock);
}

const struct block_device_operations md_bdops = {
	.owner = THIS_MODULE,
	.submit_bio = md_submit_bio,
	.open = md_open,
	.release = md_release,
};
