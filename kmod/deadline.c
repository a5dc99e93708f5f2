// SPDX-License-Identifier: GPL-2.0-only
/*
 * deadline.c - the kernel's deadline for the daemon.
 *
 * While the link is up, an application write waits for mirrord twice: to
 * take it (read() on the channel) and to acknowledge it once the peer has
 * it.  mirrord bounds the second wait itself (its progress timeout), but a
 * daemon that is stopped (SIGSTOP, a debugger, a system call that never
 * returns) can bound nothing.  So the module keeps its own clock: every
 * request records when it was queued for the daemon, and while CONNECTED
 * a delayed work looks at the oldest one of md->queued and md->sent (both
 * lists are in queueing order: read() and acks only take from them).  Past
 * the deadline the module does what the daemon's MD_CONN_STANDALONE would
 * do: every request the daemon holds completes as not replicated and is
 * marked out of sync, and new writes stay local.  MD_SF_DAEMON_LATE tells
 * the daemon, when it runs again, why it finds the device standalone; it
 * then reconnects and resyncs like after any break.
 *
 * The deadline comes with MD_CONN_CONNECTED (mirrord passes its progress
 * timeout plus one link timeout, so that it normally acts first), or is
 * the module parameter daemon_timeout_s.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include "mirrordisk.h"

static unsigned int md_daemon_timeout_s = 30;
module_param_named(daemon_timeout_s, md_daemon_timeout_s, uint, 0644);
MODULE_PARM_DESC(daemon_timeout_s,
		 "Seconds a write may wait for mirrord before the device goes standalone, when the daemon sets none (default 30)");

#define MD_DEADLINE_TICK	(HZ / 4)

static struct md_req *md_oldest_locked(struct md_dev *md)
{
	struct md_req *q = list_first_entry_or_null(&md->queued, struct md_req, list);
	struct md_req *s = list_first_entry_or_null(&md->sent, struct md_req, list);

	if (!q)
		return s;
	if (!s)
		return q;
	return time_before(q->queued_at, s->queued_at) ? q : s;
}

static void md_deadline_work(struct work_struct *work)
{
	struct md_dev *md = container_of(to_delayed_work(work), struct md_dev, deadline_work);
	struct md_req *req;
	unsigned long waited = 0;
	u64 offset = 0;
	bool taken = false;

	spin_lock_irq(&md->lock);
	if (md->conn != MD_CONN_CONNECTED) {
		spin_unlock_irq(&md->lock);
		return;
	}
	req = md_oldest_locked(md);
	if (req && time_after(jiffies, req->queued_at + md->deadline)) {
		waited = jiffies - req->queued_at;
		offset = req->offset;
		taken = req->state == MD_RS_SENT;
		md->conn = MD_CONN_STANDALONE;
		md->daemon_late = true;
		md->late_offset = offset;
		md->daemon_misses++;
	}
	spin_unlock_irq(&md->lock);

	if (!waited) {
		queue_delayed_work(md_wq, &md->deadline_work, MD_DEADLINE_TICK);
		return;
	}
	pr_warn("%s: mirrord has not %s the request at offset %llu for %u ms: going standalone\n",
		md->name, taken ? "acknowledged" : "taken", offset, jiffies_to_msecs(waited));
	md_bm_link_lost(md);
	md_chan_fail_all(md, -ETIMEDOUT);
}

void md_deadline_init(struct md_dev *md)
{
	INIT_DELAYED_WORK(&md->deadline_work, md_deadline_work);
}

/* The link is up: watch the daemon with a deadline of deadline_s seconds
 * (0: the module parameter).  Called with md->lock held. */
void md_deadline_start_locked(struct md_dev *md, u32 deadline_s)
{
	md->deadline = (deadline_s ? deadline_s : max(READ_ONCE(md_daemon_timeout_s), 1u)) * HZ;
	md->daemon_late = false;
	mod_delayed_work(md_wq, &md->deadline_work, MD_DEADLINE_TICK);
}

/* The device goes away: no work may run after this. */
void md_deadline_stop(struct md_dev *md)
{
	cancel_delayed_work_sync(&md->deadline_work);
}

/* Age in ms of the oldest active request (status), 0 when none. */
u64 md_oldest_ms_locked(struct md_dev *md)
{
	unsigned long oldest = jiffies;
	unsigned int slot;
	bool any = false;

	for_each_set_bit(slot, md->slot_map, MD_MAX_INFLIGHT) {
		if (time_before(md->reqs[slot].started, oldest))
			oldest = md->reqs[slot].started;
		any = true;
	}
	return any ? jiffies_to_msecs(jiffies - oldest) : 0;
}
