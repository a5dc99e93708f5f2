// SPDX-License-Identifier: GPL-2.0-only
/*
 * deadline.c - the kernel's deadline for the daemon.
 *
 * While the link is up, an application write waits for mirrord twice: to
 * take it (read() on the channel) and to acknowledge it once the peer has
 * it.  mirrord bounds the second wait itself (its progress timeout), but a
 * daemon that is stopped (SIGSTOP, a debugger, a system call that never
 * returns) can bound nothing.  So the module keeps its own clock, and
 * measures what the daemon controls: while CONNECTED a delayed work looks
 * at the head of md->queued, waiting since it was queued or since the
 * daemon last took a request, whichever is later, and at the head of
 * md->sent, waiting since the daemon took it (both lists are in queueing
 * order: read() and acks only take from them).  A daemon that takes
 * requests as fast as a slow link lets it is alive: requests waiting
 * behind it in the kernel are the link's doing, and the daemon bounds its
 * own wait for the peer (send.c, from when it took each request).  So the
 * kernel never steps in before a live daemon would.  mode = async: the
 * requests the kernel still waits for (an epoch flush, a write after a
 * switch back to sync) queue behind a backlog the kernel does not see;
 * the daemon reports that backlog moving (MD_CHAN_ACK_PROGRESS) and both
 * clocks then run from its last report, so a slow link's long drain is
 * not taken for a stopped daemon.  Past the deadline the
 * module does what the daemon's MD_CONN_STANDALONE would do: every request the daemon holds completes as not replicated and is
 * marked out of sync, and new writes stay local.  MD_SF_DAEMON_LATE tells
 * the daemon, when it runs again, why it finds the device standalone; it
 * then reconnects and resyncs like after any break.
 *
 * With MD_CONNF_HOLD (fencing = resource-and-stonith) the deadline holds
 * the writes instead (MD_CONN_HELD): a stopped daemon fenced nobody.  A
 * held device is not watched at all (the work runs only while CONNECTED):
 * the hold is the administrator's choice, bounded by fence-peer's result
 * or by resume-io, never failed into errors by this clock.
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

/*
 * The request the daemon has kept waiting longest, and since when: the
 * oldest not taken, from when it was queued or the daemon last took one;
 * the oldest not acknowledged, from when it was taken.
 */
static struct md_req *md_longest_wait_locked(struct md_dev *md, unsigned long *since)
{
	struct md_req *q = list_first_entry_or_null(&md->queued, struct md_req, list);
	struct md_req *s = list_first_entry_or_null(&md->sent, struct md_req, list);
	unsigned long qs = 0, ss = 0;

	if (q) {
		qs = time_after(md->last_take, q->queued_at) ? md->last_take : q->queued_at;
		if (time_after(md->last_progress, qs))
			qs = md->last_progress;
	}
	if (s)
		ss = time_after(md->last_progress, s->taken_at) ? md->last_progress : s->taken_at;
	if (s && (!q || time_before(ss, qs))) {
		*since = ss;
		return s;
	}
	*since = qs;
	return q;
}

static void md_deadline_work(struct work_struct *work)
{
	struct md_dev *md = container_of(to_delayed_work(work), struct md_dev, deadline_work);
	struct md_req *req;
	unsigned long since, waited = 0;
	u64 offset = 0;
	bool taken = false, hold = false;

	spin_lock_irq(&md->lock);
	if (md->conn != MD_CONN_CONNECTED) {
		spin_unlock_irq(&md->lock);
		return;
	}
	req = md_longest_wait_locked(md, &since);
	if (req && time_after(jiffies, since + md->deadline)) {
		waited = jiffies - since;
		offset = req->offset;
		taken = req->state == MD_RS_SENT;
		hold = md->hold_on_loss && md->role == MD_ROLE_PRIMARY;
		md->conn = hold ? MD_CONN_HELD : MD_CONN_STANDALONE;
		if (hold)
			md->held_since = jiffies;
		md->daemon_late = true;
		md->late_offset = offset;
		md->daemon_misses++;
	}
	spin_unlock_irq(&md->lock);

	if (!waited) {
		queue_delayed_work(md_wq, &md->deadline_work, MD_DEADLINE_TICK);
		return;
	}
	pr_warn("%s: mirrord has not %s the request at offset %llu for %u ms: going %s\n",
		md->name, taken ? "acknowledged" : "taken", offset, jiffies_to_msecs(waited),
		hold ? "standalone, writes held (fencing)" : "standalone");
	if (hold) {
		md_chan_hold(md);	/* nobody fenced the peer: nothing completes */
		return;
	}
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
	md->last_take = jiffies;	/* a new link: the daemon starts afresh */
	md->last_progress = jiffies;
	mod_delayed_work(md_wq, &md->deadline_work, MD_DEADLINE_TICK);
}

/* The device goes away: no work may run after this. */
void md_deadline_stop(struct md_dev *md)
{
	cancel_delayed_work_sync(&md->deadline_work);
}

/*
 * The status's ages, in one pass over the active requests: the oldest
 * request's (oldest_ms), and the oldest whose local part has not completed
 * (its bitmap page, then its write, flush or resync read: the lower disk's
 * doing, not the daemon's), with its offset; each from when it took its
 * slot, 0 when none.  The module has no clock for its own disk: like a
 * plain disk it waits, and mirrord, which polls this, says when the wait
 * passes its bound.  Called with md->lock held.
 */
void md_oldest_locked(struct md_dev *md, struct md_ioc_status *s)
{
	unsigned long now = jiffies, oldest = now, local = now;
	unsigned int slot;
	bool any = false, any_local = false;

	s->local_oldest_offset = 0;
	for_each_set_bit(slot, md->slot_map, MD_MAX_INFLIGHT) {
		const struct md_req *r = &md->reqs[slot];

		if (time_before(r->started, oldest))
			oldest = r->started;
		any = true;
		if (READ_ONCE(r->local_done) || !time_before_eq(r->started, local))
			continue;
		local = r->started;
		s->local_oldest_offset = r->offset;
		any_local = true;
	}
	s->oldest_ms = any ? jiffies_to_msecs(now - oldest) : 0;
	s->local_oldest_ms = any_local ? jiffies_to_msecs(now - local) : 0;
}
