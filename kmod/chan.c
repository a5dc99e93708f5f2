// SPDX-License-Identifier: GPL-2.0-only
/*
 * chan.c - the channel between the module and mirrord: binding a daemon
 * to a device (MD_IOC_BIND), the connection state it reports
 * (MD_IOC_SET_CONN), and the read()/write() batches of requests and acks.
 *
 * Why read()/write() batches on a file, and not a shared ring or ublk-style
 * URING_CMD: see docs/design.md, "The kernel/daemon channel".  In short, the
 * same file serves io_uring (IORING_OP_READ/WRITE, poll-armed) and the
 * epoll fallback unchanged, the payload is copied exactly once (bio pages
 * to the daemon's buffer, no kernel bounce buffer), and one read moves as
 * many requests as fit, so the steady state costs one system call per
 * batch, not per write.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include "mirrordisk.h"

static struct md_dev *md_chan_dev(struct file *f)
{
	return f->private_data;
}

static inline u64 md_req_id(struct md_dev *md, struct md_req *req)
{
	return ((u64)req->gen << 32) | (u64)(req - md->reqs);
}

/* Complete the remote part of every request on victims with status. */
static void md_complete_remote(struct list_head *victims, int status)
{
	struct md_req *req, *tmp;

	list_for_each_entry_safe(req, tmp, victims, list) {
		list_del_init(&req->list);
		req->state = MD_RS_REMOTE_DONE;
		req->remote_status = status;
		md_req_put(req);
	}
}

/*
 * Complete the remote part of every request the daemon holds or has not yet
 * read, and of every held one, as not replicated.  Called when the link
 * goes down, the daemon unbinds, or the daemon dies (without a hold), or
 * a hold ends.  Takes chan_mutex so that no read() is in the middle of
 * copying one of them.
 */
void md_chan_fail_all(struct md_dev *md, int status)
{
	struct md_req *req;
	LIST_HEAD(victims);

	mutex_lock(&md->chan_mutex);
	spin_lock_irq(&md->lock);
	list_splice_tail_init(&md->held, &victims);
	list_splice_tail_init(&md->queued, &victims);
	list_splice_tail_init(&md->sent, &victims);
	list_for_each_entry(req, &victims, list)
		req->state = MD_RS_REMOTE_DONE;
	spin_unlock_irq(&md->lock);
	mutex_unlock(&md->chan_mutex);

	md_complete_remote(&victims, status);
}

/*
 * Enter MD_CONN_HELD (fencing, see md_chan.h): what the daemon held or
 * had not read yet is held too, none of it completes; new writes are held
 * by md_dispatch.  Under chan_mutex, so that a read() copying a batch has
 * put it on md->sent first.  What no epoch covered becomes out of sync
 * as at any link loss (durability rule 3, md_bm_link_lost).
 */
void md_chan_hold(struct md_dev *md)
{
	struct md_req *req;
	bool was;

	mutex_lock(&md->chan_mutex);
	spin_lock_irq(&md->lock);
	was = md->conn == MD_CONN_HELD && !md->hold_unannounced;
	if (md->conn != MD_CONN_HELD)
		md_chan_held_locked(md);
	md->hold_unannounced = false;
	list_splice_tail_init(&md->queued, &md->held);
	list_splice_tail_init(&md->sent, &md->held);
	list_for_each_entry(req, &md->held, list)
		req->state = MD_RS_HELD;
	spin_unlock_irq(&md->lock);
	mutex_unlock(&md->chan_mutex);
	md_bm_link_lost(md);
	if (!was)
		pr_warn("%s: link lost: writes held until the peer is fenced (or resume-io)\n",
			md->name);
}

/* The device enters MD_CONN_HELD (md->lock held); md_chan_hold, which
 * must follow, holds what the daemon had and says so. */
void md_chan_held_locked(struct md_dev *md)
{
	md->conn = MD_CONN_HELD;
	md->held_since = jiffies;
	md->hold_unannounced = true;
}

/*
 * End a hold (MD_IOC_RESUME_IO): the held writes complete as not
 * replicated, marked; the device is standalone.  -EALREADY when not held.
 */
int md_chan_resume_io(struct md_dev *md)
{
	unsigned long since;
	LIST_HEAD(victims);

	spin_lock_irq(&md->lock);
	if (md->conn != MD_CONN_HELD) {
		spin_unlock_irq(&md->lock);
		return -EALREADY;
	}
	md->conn = MD_CONN_STANDALONE;
	since = md->held_since;
	list_splice_tail_init(&md->held, &victims);
	spin_unlock_irq(&md->lock);
	md_complete_remote(&victims, -ENOTCONN);
	pr_info("%s: held writes released after %u ms: they complete as not replicated\n",
		md->name, jiffies_to_msecs(jiffies - since));
	return 0;
}

/* Payload bytes that follow the header: none for a failed resync read. */
static u32 md_req_payload(const struct md_req *req)
{
	return req->flags & MD_RF_READ_ERROR ? 0 : req->len;
}

static int md_copy_req(struct md_dev *md, struct md_req *req, char __user *dst)
{
	struct md_chan_req hdr = {
		.id = md_req_id(md, req),
		.offset = req->offset,
		.len = md_req_payload(req),
		.op = req->op,
		.flags = req->flags,
		.seq = req->seq,
	};
	struct bvec_iter iter;
	struct bio_vec bv;
	struct iov_iter to;

	if (copy_to_user(dst, &hdr, sizeof(hdr)))
		return -EFAULT;
	dst += sizeof(hdr);
	if (!hdr.len)
		return 0;
	/*
	 * The payload by page, not by copy_to_user from a kernel address: a
	 * write's data may live in a slab object (jbd2 freezes a 1 KiB
	 * journal block in its own kmem_cache on a 1 KiB-block ext4), and
	 * hardened usercopy (Debian's kernels) kills the copying task for a
	 * copy_to_user out of a slab object that is not whitelisted for it,
	 * which here was the daemon's io_uring worker in the middle of a
	 * batch.  copy_page_to_iter is the page cache's own way out to user
	 * space and has no such check: the bytes are the write's, whatever
	 * allocated them.
	 */
	iov_iter_ubuf(&to, ITER_DEST, dst, hdr.len);
	__bio_for_each_segment(bv, req->bio, iter, req->iter) {
		if (copy_page_to_iter(bv.bv_page, bv.bv_offset, bv.bv_len, &to) != bv.bv_len)
			return -EFAULT;
	}
	return 0;
}

static ssize_t md_chan_read(struct file *f, char __user *buf, size_t count,
			    loff_t *ppos)
{
	struct md_dev *md = md_chan_dev(f);
	struct md_req *req, *tmp;
	LIST_HEAD(batch);
	LIST_HEAD(async_done);
	size_t used = 0;
	int ret = 0;
	u64 now;

	if (!md)
		return -ENOTCONN;
	if (count < MD_CHAN_MIN_READ)
		return -EINVAL;

	for (;;) {
		if (list_empty_careful(&md->queued)) {
			if (f->f_flags & O_NONBLOCK)
				return -EAGAIN;
			if (wait_event_interruptible(md->chan_wait,
					!list_empty_careful(&md->queued)))
				return -ERESTARTSYS;
		}
		mutex_lock(&md->chan_mutex);
		spin_lock_irq(&md->lock);
		list_for_each_entry_safe(req, tmp, &md->queued, list) {
			size_t need = sizeof(struct md_chan_req) + md_req_payload(req);

			if (used + need > count)
				break;
			used += need;
			req->state = MD_RS_COPYING;
			/* mode = async: completes once read (md_chan.h). */
			if (md->async && !req->clean_epoch && !req->unrecorded &&
			    (req->op == MD_OP_WRITE || req->op == MD_OP_FLUSH))
				req->flags |= MD_RF_ASYNC;
			list_move_tail(&req->list, &batch);
		}
		spin_unlock_irq(&md->lock);
		if (!list_empty(&batch))
			break;
		mutex_unlock(&md->chan_mutex);
	}

	used = 0;
	list_for_each_entry(req, &batch, list) {
		ret = md_copy_req(md, req, buf + used);
		if (ret)
			break;
		used += sizeof(struct md_chan_req) + md_req_payload(req);
	}

	now = ktime_get_ns();
	spin_lock_irq(&md->lock);
	list_for_each_entry_safe(req, tmp, &batch, list) {
		req->state = ret ? MD_RS_QUEUED : MD_RS_SENT;
		req->taken_at = jiffies;
		req->t_taken = now;
		if (ret) {
			req->flags &= ~MD_RF_ASYNC;	/* decided again when read */
		} else if (req->flags & MD_RF_ASYNC) {
			/* The daemon holds it: its remote part is done. */
			req->state = MD_RS_REMOTE_DONE;
			req->remote_status = 0;
			list_move_tail(&req->list, &async_done);
		}
	}
	if (ret) {
		list_splice_init(&batch, &md->queued);
	} else {
		md->last_take = jiffies;
		list_splice_tail_init(&batch, &md->sent);
	}
	spin_unlock_irq(&md->lock);
	mutex_unlock(&md->chan_mutex);
	list_for_each_entry_safe(req, tmp, &async_done, list) {
		list_del_init(&req->list);
		md_req_put(req);
	}

	return ret ? ret : used;
}

static ssize_t md_chan_write(struct file *f, const char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct md_dev *md = md_chan_dev(f);
	struct md_chan_ack acks[32];
	size_t done = 0;
	unsigned int bad = 0;
	u64 now = ktime_get_ns();	/* the acks' stage time (md_count_replicated) */

	if (!md)
		return -ENOTCONN;
	if (!count || count % sizeof(struct md_chan_ack))
		return -EINVAL;

	while (done < count) {
		size_t n = min(count - done, sizeof(acks)) / sizeof(acks[0]);
		size_t i;

		if (copy_from_user(acks, buf + done, n * sizeof(acks[0])))
			return done ? done : -EFAULT;
		for (i = 0; i < n; i++) {
			u32 slot = lower_32_bits(acks[i].id);
			u32 gen = upper_32_bits(acks[i].id);
			struct md_req *req = NULL;

			if (acks[i].id == MD_CHAN_ACK_PROGRESS && !acks[i].status &&
			    !acks[i].reserved) {
				WRITE_ONCE(md->last_progress, jiffies);	/* deadline.c */
				continue;
			}
			spin_lock_irq(&md->lock);
			if (slot < MD_MAX_INFLIGHT && !acks[i].reserved &&
			    md->reqs[slot].state == MD_RS_SENT &&
			    md->reqs[slot].gen == gen) {
				req = &md->reqs[slot];
				list_del_init(&req->list);
				req->state = MD_RS_REMOTE_DONE;
				req->remote_status = acks[i].status > 0 ?
						     -EIO : acks[i].status;
				req->t_acked = now;
			}
			spin_unlock_irq(&md->lock);
			if (req)
				md_req_put(req);
			else
				bad++;
		}
		done += n * sizeof(acks[0]);
	}
	if (bad) {
		pr_warn_ratelimited("%s: daemon acknowledged %u unknown request(s)\n",
				    md->name, bad);
		return -EBADMSG;
	}
	return done;
}

static __poll_t md_chan_poll(struct file *f, poll_table *wait)
{
	struct md_dev *md = md_chan_dev(f);
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	if (!md)
		return EPOLLERR;
	poll_wait(f, &md->chan_wait, wait);
	if (!list_empty_careful(&md->queued))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static int md_ctl_open(struct inode *inode, struct file *f)
{
	f->private_data = NULL;
	return nonseekable_open(inode, f);
}

static int md_ctl_release(struct inode *inode, struct file *f)
{
	struct md_dev *md = md_chan_dev(f);
	bool hold;

	if (!md)
		return 0;
	spin_lock_irq(&md->lock);
	hold = md->conn == MD_CONN_HELD ||
	       (md->conn == MD_CONN_CONNECTED && md->hold_on_loss && md->role == MD_ROLE_PRIMARY);
	/* The new state with the unbind, in one step: MD_IOC_DESTROY, which
	 * needs no channel and refuses a held device, must not find this
	 * one unbound and still CONNECTED, to see it held a moment later
	 * and wait for its writes for good (neither would the deadline's
	 * work, which watches only a connected device). */
	if (hold && md->conn != MD_CONN_HELD)
		md_chan_held_locked(md);
	else if (!hold)
		md->conn = MD_CONN_STANDALONE;
	md->chan_file = NULL;
	spin_unlock_irq(&md->lock);
	if (hold) {
		/* Fencing: a dead daemon fenced nobody; the writes stay held
		 * for a new daemon's fence-peer or MD_IOC_RESUME_IO. */
		md_chan_hold(md);
	} else {
		md_bm_link_lost(md);
		md_chan_fail_all(md, -ENOTCONN);
	}
	pr_info("%s: daemon detached from the channel%s\n", md->name,
		hold ? ": writes stay held" : "");
	/* Our reference (taken at bind) keeps MD_IOC_DESTROY from freeing the
	 * device until the unbind is done. */
	md_put(md);
	return 0;
}

int md_chan_bind(struct file *f, struct md_ioc_bind *b)
{
	struct md_dev *md;

	if (b->reserved[0] || b->reserved[1])
		return -EINVAL;
	if (b->version != MD_CHAN_VERSION)
		return -EPROTO;
	if (f->private_data)
		return -EALREADY;
	md = md_get(b->minor);
	if (!md)
		return -ENODEV;
	spin_lock_irq(&md->lock);
	if (md->chan_file) {
		spin_unlock_irq(&md->lock);
		md_put(md);
		return -EBUSY;
	}
	md->chan_file = f;
	if (md->conn != MD_CONN_HELD)	/* held: stays so for this daemon to decide */
		md->conn = MD_CONN_STANDALONE;
	md->hold_on_loss = false;
	md->async = false;
	spin_unlock_irq(&md->lock);
	f->private_data = md;		/* keeps the reference until release */
	pr_info("%s: daemon attached to the channel\n", md->name);
	return 0;
}

int md_chan_set_conn(struct file *f, struct md_ioc_conn *c)
{
	struct md_dev *md = f->private_data;
	LIST_HEAD(victims);
	bool was_held;

	if (!md)
		return -ENOTCONN;
	if ((c->state != MD_CONN_STANDALONE && c->state != MD_CONN_CONNECTED &&
	     c->state != MD_CONN_HELD) || c->reserved ||
	    (c->state != MD_CONN_CONNECTED && (c->deadline_s || c->flags)) ||
	    (c->flags & ~(MD_CONNF_HOLD | MD_CONNF_ASYNC)) || c->deadline_s > MD_DEADLINE_MAX_S)
		return -EINVAL;
	if (c->state == MD_CONN_HELD) {
		md_chan_hold(md);
		return 0;
	}
	spin_lock_irq(&md->lock);
	/* A hold ends with any other state: its writes complete as not
	 * replicated (marked), before the new state takes new writes. */
	was_held = md->conn == MD_CONN_HELD;
	list_splice_tail_init(&md->held, &victims);
	/* A new connection: resync reads asked by an older one are dropped
	 * when they complete (md_rs_endio). */
	if (c->state == MD_CONN_CONNECTED && md->conn != MD_CONN_CONNECTED)
		md->conn_gen++;
	md->conn = c->state;
	md->hold_on_loss = c->state == MD_CONN_CONNECTED && (c->flags & MD_CONNF_HOLD);
	md->async = c->state == MD_CONN_CONNECTED && (c->flags & MD_CONNF_ASYNC);
	if (c->state == MD_CONN_CONNECTED)
		md_deadline_start_locked(md, c->deadline_s);
	spin_unlock_irq(&md->lock);
	md_complete_remote(&victims, -ENOTCONN);
	if (was_held)
		pr_info("%s: held writes released (%s): they complete as not replicated\n",
			md->name, c->state == MD_CONN_CONNECTED ? "the link is back" : "by the daemon");
	if (c->state == MD_CONN_STANDALONE) {
		md_bm_link_lost(md);
		md_chan_fail_all(md, -ENOTCONN);
	}
	return 0;
}

const struct file_operations md_ctl_fops = {
	.owner = THIS_MODULE,
	.open = md_ctl_open,
	.release = md_ctl_release,
	.read = md_chan_read,
	.write = md_chan_write,
	.poll = md_chan_poll,
	.unlocked_ioctl = md_ctl_ioctl_dev,
	.compat_ioctl = compat_ptr_ioctl,
};
