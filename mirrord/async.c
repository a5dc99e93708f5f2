/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * async.c - mode = async on the primary: the writes the application saw
 * complete and the peer does not hold yet (docs/design.md, "Asynchronous
 * replication").
 *
 * With MD_CONNF_ASYNC the kernel completes a write once its local part is
 * done and this daemon has read it (MD_RF_ASYNC in its header), so the
 * peer's acknowledgement no longer goes to the kernel: it ends the
 * write's entry here.  The entries form a ring in reading order, which is
 * the order of the stream and of the application's completions:
 *
 *   - the backlog (lag_bytes, lag_writes) is what a failover now would
 *     lose; the oldest entry's age is lag_seconds;
 *   - async-buffer bounds it: while the backlog is that large (or the
 *     ring nearly full, or with max-lag its oldest write older than
 *     that) send.c posts no channel read, new writes wait in the kernel
 *     (on-congestion "block"), and an acknowledgement that makes room
 *     resumes the reads; the poll of the connected loop retries too
 *     (max-lag: the head ages without an acknowledgement);
 *   - the progress timeout: no acknowledgement for ko-count x timeout
 *     while entries wait fails the link, as a held request does in sync
 *     mode;
 *   - a write the peer failed to store (error ACK) is marked out of sync
 *     here, since the kernel completed it long ago;
 *   - on-congestion disconnect or pull-ahead: a full backlog fails the
 *     link instead of holding the writes (as_congested); pull-ahead keeps
 *     it down for a hold-off that grows while congestion repeats
 *     (as_next_holdoff), daemon.c neither connecting nor accepting
 *     meanwhile (as_ahead); the resync after it is the catch-up.
 * Nothing of the backlog survives the connection: at a link loss the
 * kernel turns every chunk no epoch covered into out-of-sync (a chunk is
 * covered only by an epoch flush the peer acknowledged, which the peer
 * orders after every earlier write, MDW_DF_BARRIER; kmod/bitmap.c), so
 * the next resync brings what the peer lacks.
 *
 * The ids sent for these writes are this ring's, not the kernel's: the
 * kernel may give the slot to a new request before the peer answers.
 *
 * Owns r->as.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "kctl.h"
#include "log.h"
#include "repl.h"

/* The low half of an async write's wire id: never a kernel slot. */
#define AS_ID_SLOT	0xffffffffu

bool as_is_id(uint64_t id)
{
	return (uint32_t)id == AS_ID_SLOT;
}

int as_init(struct repl *r)
{
	r->as.ring = calloc(AS_RING, sizeof(*r->as.ring));
	r->as.cap = AS_RING;
	return r->as.ring ? 0 : -ENOMEM;
}

void as_fini(struct repl *r)
{
	free(r->as.ring);
	r->as.ring = NULL;
}

/* A connection starts or ended: nothing outstanding (the kernel marked it).
 * A ring that grew goes back to its first size. */
void as_reset(struct repl *r)
{
	struct as_entry *small;

	if (r->as.cap > AS_RING && (small = calloc(AS_RING, sizeof(*small)))) {
		free(r->as.ring);
		r->as.ring = small;
		r->as.cap = AS_RING;
	}
	r->as.active = false;
	r->as.head = r->as.count = 0;
	r->as.bytes = 0;
	r->as.last_ack_ms = r->as.moved_ms = 0;
	r->as.rate = 0;
	r->as.rate_ms = 0;
	r->as.rate_bytes = 0;
	r->as.waiting = false;
}

/* The kernel's MD_CONNF_ASYNC for this connection: async configured and
 * a peer that honours barriers. */
uint32_t as_conn_flags(const struct repl *r)
{
	return r->res->mode == MD_MODE_ASYNC && (r->hs.peer_features & MDW_FEAT_ASYNC) ?
	       MD_CONNF_ASYNC : 0;
}

/* Connected (the kernel told the flags): what this connection runs. */
void as_connected(struct repl *r)
{
	r->as.active = as_conn_flags(r) != 0;
	if (r->res->mode == MD_MODE_ASYNC && !r->as.active)
		log_err("mode async: the peer does not support it (an older release): "
			"replicating synchronously on this connection");
	else if (r->as.active)
		log_info("mode async: writes complete on the local disk, at most %llu bytes "
			 "behind on the peer", (unsigned long long)r->res->async_buffer);
}

/* Entries for two more batches: the ring doubles, up to AS_RING_MAX
 * (4 million writes: 16 GiB of 4 KiB ones, 128 MiB of entries).  false
 * when it cannot. */
static bool as_grow(struct repl *r)
{
	struct as_entry *ring;
	uint32_t cap = r->as.cap;

	if (r->as.count + 2 * MD_MAX_INFLIGHT <= cap)
		return true;
	if (cap >= AS_RING_MAX || !(ring = calloc(2 * (size_t)cap, sizeof(*ring))))
		return false;
	for (uint32_t i = 0; i < r->as.count; i++)
		ring[i] = r->as.ring[(r->as.head + i) % cap];
	free(r->as.ring);
	r->as.ring = ring;
	r->as.head = 0;
	r->as.cap = 2 * cap;
	return true;
}

/* May send.c read another batch from the kernel?  Entries for a whole
 * batch of each channel buffer, room for it in the backlog's layers
 * (backlog.c: memory under async-buffer, then the spill file), and the
 * oldest write younger than max-lag (when set): the application's writes
 * then wait, so that the peer never lags by more than that when one
 * completes. */
static bool as_full(const struct repl *r)
{
	return r->as.count + 2 * MD_MAX_INFLIGHT > r->as.cap || !bl_room(r);
}

bool as_room(struct repl *r)
{
	if (!r->as.count && !bl_busy(r))
		return true;	/* nothing behind (sync mode: always) */
	if (!as_grow(r) || as_full(r))
		return false;
	return !r->res->max_lag_s || !r->as.count ||
	       now_ms() - r->as.ring[r->as.head].read_ms < (uint64_t)r->res->max_lag_s * 1000;
}

/*
 * on-congestion pull-ahead's hysteresis: the hold-off after a congestion
 * at now, given the last one's (holdoff_ms, at congested_ms; 0: none).
 * The first is AS_HOLDOFF_MIN_MS; one within AS_CALM_MS of the last
 * doubles it, up to AS_HOLDOFF_MAX_MS; a calm spell starts over.  So a
 * writer that always outruns the link costs one catch-up per hold-off,
 * fewer and fewer, never a flapping link.
 */
uint64_t as_next_holdoff(uint64_t holdoff_ms, uint64_t congested_ms, uint64_t now)
{
	if (!congested_ms || !holdoff_ms || now - congested_ms >= AS_CALM_MS)
		return AS_HOLDOFF_MIN_MS;
	return holdoff_ms >= AS_HOLDOFF_MAX_MS / 2 ? AS_HOLDOFF_MAX_MS : 2 * holdoff_ms;
}

/* A hold-off ends now (mdctl set, adjust, a planned switchover). */
void as_catch_up(struct repl *r, const char *why)
{
	if (!as_ahead(r))
		return;
	r->as.ahead_until_ms = 0;
	log_info("pull-ahead: the hold-off ends now (%s): connecting to catch %s up", why,
		 peer_name(r));
}

/* The peer holds everything again (a resync to it completed, or the
 * handshake found nothing to copy): no congestion's writes are behind. */
void as_caught_up(struct repl *r)
{
	r->as.behind_since_ms = 0;
}

/* pull-ahead: the link stays down (daemon.c neither connects nor accepts). */
bool as_ahead(const struct repl *r)
{
	return r->as.ahead_until_ms && now_ms() < r->as.ahead_until_ms;
}

/*
 * send.c found no room.  With on-congestion disconnect or pull-ahead and
 * the backlog at async-buffer (not held by max-lag, which is there to slow
 * the writes), the link is failed: the kernel turns every bit a write the
 * peer lacks still holds into out-of-sync, so nothing is lost, and the
 * writes complete on the local disk again.  Not while this node resyncs
 * the peer: that is the catch-up, and it finishes (writes wait as with
 * block), or the peer would stay inconsistent through every congestion.
 * true when the link was failed.
 */
bool as_congested(struct repl *r)
{
	uint64_t now = now_ms();
	int how = r->res->on_congestion;

	struct md_ioc_status st;

	if (how == MD_CONG_BLOCK || !r->as.active || !r->as.count || !as_full(r) ||
	    (r->rs.active && r->rs.source))
		return false;
	/* Without a working bitmap the kernel completes a write only once
	 * the peer took it: with the link down the application would get
	 * errors for the whole hold-off.  Holding is the lesser harm. */
	if (kctl_status(r->dev.ctl_fd, (uint32_t)r->res->minor, &st) == 0 &&
	    (st.flags & MD_SF_META_FAILED)) {
		if (!r->as.meta_said)
			log_err("congestion: the backlog reached async-buffer, but the bitmap failed: "
				"holding the writes (as on-congestion block) instead of dropping the link");
		r->as.meta_said = true;
		return false;
	}
	if (how == MD_CONG_PULL_AHEAD) {
		r->as.holdoff_ms = as_next_holdoff(r->as.holdoff_ms, r->as.congested_ms, now);
		r->as.ahead_until_ms = now + r->as.holdoff_ms;
		/* The same end on the wall clock, fixed now: status and the
		 * refusal's text show it, the same for the whole hold-off. */
		r->as.ahead_until_s = (long long)time(NULL) + (long long)(r->as.holdoff_ms / 1000);
	}
	r->as.congestions++;
	r->as.congested_ms = now;
	if (!r->as.behind_since_ms)
		r->as.behind_since_ms = r->as.ring[r->as.head].read_ms;
	if (how == MD_CONG_PULL_AHEAD)
		conn_fail(r, "congestion: the backlog is full (%llu bytes in %u writes, async-buffer "
			  "%llu%s); on-congestion pull-ahead: the link stays down for %llu s, the bitmap "
			  "records the writes, then a resync catches %s up",
			  (unsigned long long)r->as.bytes, r->as.count,
			  (unsigned long long)r->res->async_buffer,
			  bl_spill_in_use(r) ? " and the spill file" : "",
			  (unsigned long long)r->as.holdoff_ms / 1000, peer_name(r));
	else
		conn_fail(r, "congestion: the backlog is full (%llu bytes in %u writes, async-buffer "
			  "%llu%s); on-congestion disconnect: the bitmap records the writes, a resync "
			  "follows the reconnect", (unsigned long long)r->as.bytes, r->as.count,
			  (unsigned long long)r->res->async_buffer,
			  bl_spill_in_use(r) ? " and the spill file" : "");
	return true;
}

/* send.c found no room: an acknowledgement that makes some resumes it. */
void as_wait_room(struct repl *r)
{
	r->as.waiting = true;
}

/* An MD_RF_ASYNC request read from the kernel: its entry, and the id the
 * DATA packet carries.  as_room() said there is a free entry. */
uint64_t as_take(struct repl *r, const struct md_chan_req *q)
{
	uint32_t idx = (r->as.head + r->as.count) % r->as.cap;
	struct as_entry *e = &r->as.ring[idx];

	e->seq = r->as.next_seq++;
	e->offset = q->offset;
	e->len = q->len;
	e->read_ms = now_ms();
	e->acked = false;
	if (!r->as.count)
		r->as.last_ack_ms = e->read_ms;	/* the progress clock starts */
	r->as.count++;
	r->as.bytes += q->len;
	return ((uint64_t)e->seq << 32) | AS_ID_SLOT;
}

/* A failed write on the peer that the application saw complete: the
 * chunks out of sync, so that a resync rewrites them. */
static void as_mark(struct repl *r, const struct as_entry *e, int32_t status)
{
	uint64_t c, last;

	log_err("peer failed an asynchronous write of %u bytes at offset %llu: %s; marked out "
		"of sync", e->len, (unsigned long long)e->offset, strerror(-status));
	if (!e->len)
		return;
	last = (e->offset + e->len - 1) / r->dev.chunk_bytes;
	for (c = e->offset / r->dev.chunk_bytes; c <= last && c < r->dev.nchunks; c++)
		if (mark_chunk(r, c) < 0)
			conn_fail(r, "cannot mark chunk %llu out of sync", (unsigned long long)c);
}

/* The acknowledgement rate, smoothed over windows of a second or more. */
static void as_rate(struct repl *r, uint64_t now, uint32_t bytes)
{
	r->as.rate_bytes += bytes;
	if (!r->as.rate_ms) {
		r->as.rate_ms = now;
		return;
	}
	if (now - r->as.rate_ms >= 1000) {
		double cur = (double)r->as.rate_bytes * 1000.0 / (double)(now - r->as.rate_ms);

		r->as.rate = r->as.rate ? 0.5 * r->as.rate + 0.5 * cur : cur;
		r->as.rate_ms = now;
		r->as.rate_bytes = 0;
	}
}

/* The peer's ACK of an async write (as_is_id(id)): 1, or -1 when the
 * link failed (an id that waits for nothing is a broken peer). */
int as_acked(struct repl *r, uint64_t id, int32_t status)
{
	uint32_t seq = (uint32_t)(id >> 32), off, idx;
	uint64_t now = now_ms();
	struct as_entry *e;

	off = r->as.count ? seq - r->as.ring[r->as.head].seq : 0;
	idx = (r->as.head + off) % r->as.cap;
	e = &r->as.ring[idx];
	if (off >= r->as.count || e->acked) {
		conn_fail(r, "ACK from peer for asynchronous write %u, which waits for none", seq);
		return -1;
	}
	e->acked = true;
	if (status)
		as_mark(r, e, status);
	r->as.last_ack_ms = r->as.moved_ms = now;
	kack_progress(r);	/* the kernel's deadline: the backlog moves */
	while (r->as.count && r->as.ring[r->as.head].acked) {
		e = &r->as.ring[r->as.head];
		r->as.bytes -= e->len;
		as_rate(r, now, e->len);
		r->as.head = (r->as.head + 1) % r->as.cap;
		r->as.count--;
	}
	as_kick(r);
	return 1;
}

/* The connected loop's poll: reads held for room go on once there is
 * some (max-lag: the time, not an acknowledgement, may have made it). */
void as_kick(struct repl *r)
{
	if (r->as.waiting && as_room(r)) {
		r->as.waiting = false;
		send_resume(r);
	}
}

/* The progress timeout of the backlog: true when it failed the link. */
bool as_check_progress(struct repl *r, uint64_t now)
{
	if (!r->as.count || now - r->as.last_ack_ms <= progress_bound_ms(r))
		return false;
	conn_fail(r, "peer too slow: no asynchronous write acknowledged for %llu s (%u waiting, "
		  "%llu bytes)", (unsigned long long)(now - r->as.last_ack_ms) / 1000,
		  r->as.count, (unsigned long long)r->as.bytes);
	return true;
}

/* What status shows: the backlog, its age, the time to drain it. */
void as_lag(const struct repl *r, struct md_lag *lag)
{
	uint64_t now = now_ms();

	memset(lag, 0, sizeof(*lag));
	lag->active = r->as.active;
	lag->bytes = r->as.bytes;
	lag->writes = r->as.count;
	if (r->as.count)
		lag->age_ms = now - r->as.ring[r->as.head].read_ms;
	/* After a congestion the writes the peer lacks are in the bitmap
	 * until the catch-up ends: the oldest of them is older. */
	if (r->as.behind_since_ms && now - r->as.behind_since_ms > lag->age_ms)
		lag->age_ms = now - r->as.behind_since_ms;
	if (lag->age_ms) {
		/* The same moment on CLOCK_BOOTTIME (one clock for every
		 * process, never stepped), for mdctl status to age the state
		 * file's value by the time since it was written. */
		struct timespec ts;

		clock_gettime(CLOCK_BOOTTIME, &ts);
		lag->oldest_boot_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000 -
				      lag->age_ms;
	}
	if (r->as.count && r->as.rate > 0)
		lag->drain_ms = (uint64_t)((double)r->as.bytes * 1000.0 / r->as.rate);
	lag->congestions = r->as.congestions;
	lag->spill_bytes = r->bl.spill_payload;
	lag->spill_size = bl_spill_in_use(r) ? r->bl.size : 0;
	if (as_ahead(r))
		lag->ahead_until = r->as.ahead_until_s;
}

/* The state file while a backlog exists, every half second (the loop's
 * other writes do not run while only data flows), and at once when one
 * begins or drains: status's lag_seconds ages the oldest write's time the
 * file carries, which must not outlive the backlog. */
bool as_publish_due(struct repl *r, uint64_t now)
{
	if (!r->as.count && !r->as.pub_count)
		return false;
	if (!!r->as.count == !!r->as.pub_count && now - r->as.pub_ms < 500)
		return false;
	r->as.pub_ms = now;
	r->as.pub_count = r->as.count;
	return true;
}

/*
 * mdctl set mode / async-buffer, mdctl adjust: from now on.  sync -> async
 * and back act on the running connection at once (the kernel's flag set
 * again); a backlog drains in order after a switch to sync, while new
 * writes wait for the peer.  0 with what happens in msg, or -errno.
 */
int as_set(struct repl *r, const struct md_res_cfg *next, char *msg, size_t len)
{
	int old = r->res->mode;
	struct md_ioc_status st;
	int rc;

	r->res->mode = next->mode;
	r->res->async_buffer = next->async_buffer;
	r->res->max_lag_s = next->max_lag_s;
	r->res->on_congestion = next->on_congestion;
	/* The spill file: from the next connection (daemon.c opens it
	 * between connections, backlog.c). */
	memcpy(r->res->async_spill, next->async_spill, sizeof(r->res->async_spill));
	r->res->async_spill_size = next->async_spill_size;
	if (r->res->mode == MD_MODE_SYNC || r->res->on_congestion != MD_CONG_PULL_AHEAD)
		as_catch_up(r, "the setting changed");

	/* Only while the kernel is connected too: after its deadline put the
	 * device standalone or held, CONNECTED again would undo that (a hold
	 * released without fence-peer); the loop's poll fails the link. */
	if (r->adm.link == MD_LINK_CONNECTED && r->dev.ctl_fd >= 0 && !r->conn.failing &&
	    r->res->mode != old && kctl_status(r->dev.ctl_fd, (uint32_t)r->res->minor, &st) == 0 &&
	    st.conn == MD_CONN_CONNECTED) {
		rc = kctl_set_conn(r->dev.ctl_fd, MD_CONN_CONNECTED, conn_deadline_s(r),
				   fence_conn_flags(r) | as_conn_flags(r));
		if (rc) {
			r->res->mode = old;
			snprintf(msg, len, "the kernel refused the mode: %s", strerror(-rc));
			return rc;
		}
		as_connected(r);
	}
	if (r->res->mode != old)
		log_info("mode now %s", md_mode_name(r->res->mode));
	as_kick(r);
	snprintf(msg, len, "mode %s, async-buffer %llu bytes, max-lag %d s, on-congestion %s%s",
		 md_mode_name(r->res->mode), (unsigned long long)r->res->async_buffer,
		 r->res->max_lag_s, md_congestion_name(r->res->on_congestion),
		 r->res->mode == MD_MODE_SYNC && r->as.count ?
		 "; the backlog drains in order, new writes wait for the peer" :
		 r->res->mode == MD_MODE_ASYNC && r->adm.link == MD_LINK_CONNECTED && !r->as.active ?
		 "; the peer does not support async: synchronous on this connection" : "");
	return 0;
}
