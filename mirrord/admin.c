/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin.c - what mirrord shares with the administrator and mdctl:
 *   - the state file (NAME.state: link, resync, verify) that mdctl status
 *     and every mdctl flow read, written through lib/runfile.c;
 *   - sb_update: the superblock's transitions (lib/gen.h: a link break, a
 *     resync's end, a failed disk) applied under the lock mdctl takes too;
 *   - the events: every state_write hands the state as the event stream
 *     shows it to ctl.c, which sends subscribers what changed (so no
 *     change is missed: every change is published here);
 *   - the runtime choices mdctl makes over the control socket (ctl.c's
 *     handlers call admin_set_paused, admin_set_rate, admin_request_verify,
 *     and admin_reload after mdctl changed the superblock's flags;
 *     compression's are compress.c's: zc_set; the mode's async.c's: as_set).
 *
 * Owns r->adm (the link state the state file shows included).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "gen.h"
#include "kctl.h"
#include "log.h"
#include "repl.h"
#include "runfile.h"

/* Resync throughput so far, bytes per second. */
static uint64_t rs_rate(struct repl *r)
{
	uint64_t ms = now_ms() - r->rs.start_ms;

	if (!r->rs.active || !ms)
		return 0;
	return r->rs.done * r->dev.chunk_bytes * 1000 / ms;
}

/* The state as the event stream shows it (lib/ctlproto.h). */
static void ev_snapshot(const struct repl *r, enum md_link link, const struct md_lag *lag,
			struct md_ev_snap *e)
{
	const char *peer_disk = "unknown";

	memset(e, 0, sizeof(*e));
	snprintf(e->role, sizeof(e->role), "%s", md_role_name(r->dev.role));
	snprintf(e->conn, sizeof(e->conn), "%s", md_link_name(link));
	snprintf(e->disk, sizeof(e->disk), "%s",
		 r->adm.detached ? "detached" : md_disk_state_name(r->adm.disk_state));
	/* The peer's copy: while connected, a resync target is inconsistent
	 * until it ends, else as its HELLO said (recorded in the superblock,
	 * admin_peer_met); without the link unknown, but for a peer known to
	 * be outdated (mdctl status says the same). */
	if (link == MD_LINK_CONNECTED)
		peer_disk = (r->rs.active && r->rs.source) || r->hs.decision == MD_SYNC_WAIT_INITIAL ?
			    "inconsistent" : md_disk_state_name(r->adm.peer_disk_state);
	else if (r->adm.peer_disk_state == MD_DISK_OUTDATED)
		peer_disk = "outdated";
	snprintf(e->peer_disk, sizeof(e->peer_disk), "%s", peer_disk);
	snprintf(e->resync, sizeof(e->resync), "%s",
		 r->rs.active ? (r->rs.source ? "source" : "target") : "none");
	snprintf(e->verify, sizeof(e->verify), "%s", r->vf.result ? r->vf.result : "none");
	e->rs_done = r->rs.done;
	e->rs_total = r->rs.total;
	e->verify_token = r->vf.token;
	e->verify_differ = r->vf.differ;
	e->z_sent = r->zc.enc.st.in_bytes;
	e->z_wire = r->zc.enc.st.out_bytes;
	snprintf(e->mode, sizeof(e->mode), "%s", md_mode_name(r->res->mode));
	e->lag_bytes = lag->bytes;
	e->lag_writes = lag->writes;
	e->lag_ms = lag->age_ms;
}

/* Publish the link state and everything status shows about it, and its
 * changes to the event stream. */
void state_write(struct repl *r, enum md_link link)
{
	struct md_ev_snap ev;
	struct md_lag lag;

	struct md_state s = {
		.pid = getpid(), .link = link, .since = (long long)time(NULL),
		.verify_token = r->vf.token, .verify_done = r->vf.done,
		.verify_total = r->dev.nchunks, .verify_differ = r->vf.differ,
		.verify_errors = r->vf.errors, .verify_nfirst = r->vf.nfirst,
		.sync_same = r->rs.same, .detached = r->adm.detached, .paused = r->adm.paused,
		.resync_rate = r->res->resync_rate,
		.sync_done = r->rs.done, .sync_total = r->rs.total, .sync_rate = rs_rate(r),
		/* our disk: the writes this daemon applies, or the module's */
		.disk_stall_ms = r->ap.stall_ms ? r->ap.stall_ms : r->dev.stall_ms,
		.disk_stall_offset = r->ap.stall_ms ? r->ap.stall_offset : r->dev.stall_offset,
	};
	int rc;

	r->adm.link = link;
	as_lag(r, &lag);	/* once, for the events and the file alike */
	ev_snapshot(r, link, &lag, &ev);
	ctl_publish(r, &ev);
	if (!r->opt.state_path)
		return;
	snprintf(s.peer, sizeof(s.peer), "%s", peer_name(r));
	snprintf(s.peer_role, sizeof(s.peer_role), "%s",
		 link == MD_LINK_CONNECTED ? md_role_name(r->hs.peer_role) : "unknown");
	snprintf(s.io, sizeof(s.io), "%s", r->io ? io_backend_name(r->io) : "-");
	snprintf(s.last_error, sizeof(s.last_error), "%s", r->conn.fail_reason);
	snprintf(s.verify, sizeof(s.verify), "%s", r->vf.result ? r->vf.result : "none");
	memcpy(s.verify_first, r->vf.first, sizeof(s.verify_first));
	snprintf(s.sync, sizeof(s.sync), "%s", md_sync_decision_name(r->hs.decision));
	snprintf(s.sync_role, sizeof(s.sync_role), "%s",
		 r->rs.active ? (r->rs.source ? "source" : "target") : "none");
	snprintf(s.fence_state, sizeof(s.fence_state), "%s", fence_state(r));
	s.io_held_since = r->fn.held_since;
	snprintf(s.fence_result, sizeof(s.fence_result), "%s", r->fn.result);
	snprintf(s.handler, sizeof(s.handler), "%s", r->fn.last_handler);
	snprintf(s.handler_result, sizeof(s.handler_result), "%s", r->fn.last_result);
	s.handler_time = r->fn.last_time;
	snprintf(s.compression, sizeof(s.compression), "%s", md_compression_name(r->res->compression));
	s.compression_level = r->res->compression_level;
	s.compression_active = link == MD_LINK_CONNECTED && r->hs.zstd;
	snprintf(s.mode, sizeof(s.mode), "%s", md_mode_name(r->res->mode));
	s.async_active = link == MD_LINK_CONNECTED && lag.active;
	s.lag_bytes = lag.bytes;
	s.lag_writes = lag.writes;
	s.lag_ms = lag.age_ms;
	s.drain_ms = lag.drain_ms;
	snprintf(s.on_congestion, sizeof(s.on_congestion), "%s", md_congestion_name(r->res->on_congestion));
	s.congestions = lag.congestions;
	s.ahead_until = lag.ahead_until;
	s.peer_inconsistent_since = r->rs.peer_behind_since;
	s.lag_since_ms = lag.oldest_boot_ms;
	s.lag_spill_bytes = lag.spill_bytes;
	s.spill_size = lag.spill_size;
	s.chan_reads = r->snd.reads;
	s.chan_requests = r->snd.requests;
	s.socket_sends = r->tx.sends;
	s.zc_sends = r->tx.zc_sends;
	s.ack_writes = r->snd.ack_writes;
	s.batches_copied = r->bl.staged;
	s.batches_spilled = r->bl.spilled;
	s.sent_writes = r->snd.sent_writes;
	s.send_ns = r->snd.send_ns;
	s.applied_writes = r->ap.applied;
	s.apply_ns = r->ap.apply_ns;
	snprintf(s.chan_read, sizeof(s.chan_read), "%s", chan_read_name(r->snd.mode));
	s.chan_read_nowait = r->snd.nowait;
	s.chan_read_switches = r->snd.read_mode_switches;
	s.zsent_bytes = r->zc.enc.st.in_bytes;
	s.zsent_wire_bytes = r->zc.enc.st.out_bytes;
	s.zsent_raw_bytes = r->zc.enc.st.raw_bytes;
	s.zrecv_bytes = r->zc.dec.st.in_bytes;
	s.zrecv_wire_bytes = r->zc.dec.st.out_bytes;
	rc = md_state_write(r->opt.state_path, &s);
	if (rc)
		log_debug("writing %s failed: %s", r->opt.state_path, strerror(-rc));
}

struct sb_watch {
	md_sb_fn fn;
	void *arg;
	uint32_t disk_state, peer_disk_state;
};

/* The transition, and the disk states it leaves (for the events). */
static int sb_watched(struct md_super *sb, void *arg)
{
	struct sb_watch *w = arg;
	int rc = w->fn(sb, w->arg);

	w->disk_state = sb->disk_state;
	w->peer_disk_state = sb->peer_disk_state;
	return rc;
}

int sb_update(struct repl *r, md_sb_fn fn, void *arg)
{
	struct sb_watch w = { fn, arg, r->adm.disk_state, r->adm.peer_disk_state };
	int rc = md_sb_update(r->dev.meta_fd, r->dev.meta_area, r->dev.lock_path, sb_watched, &w);

	if (rc >= 0) {
		bool told = r->adm.disk_state != w.disk_state;

		r->adm.disk_state = w.disk_state;
		r->adm.peer_disk_state = w.peer_disk_state;
		if (told)
			handshake_tell_state(r);	/* only while connected */
	}
	if (rc < 0)
		log_err("updating the metadata on %s failed: %s", r->res->nodes[r->me].disk,
			strerror(-rc));
	return rc;
}

/* The peer's STATE said its disk state changed (0: it did not say). */
void admin_peer_state(struct repl *r, uint32_t peer_disk_state)
{
	if (!peer_disk_state || peer_disk_state == r->adm.peer_disk_state)
		return;
	if (sb_update(r, md_tr_peer_state, &(struct md_tr){ .peer_disk = peer_disk_state }) >= 0)
		log_info("peer %s's disk is now %s", peer_name(r), md_disk_state_name(peer_disk_state));
}

void admin_peer_met(struct repl *r, uint32_t peer_disk_state)
{
	sb_update(r, md_tr_peer_met, &(struct md_tr){ .decision = r->hs.decision,
						      .peer_disk = peer_disk_state });
}

/* At start: the resync rate the configuration file sets (mdctl set may
 * change it until the daemon ends: admin_set_rate). */
void admin_init(struct repl *r)
{
	r->adm.cfg_rate = r->res->resync_rate;
}

/*
 * mdctl changed the superblock flags (detach, attach, rebuild) and asks
 * over the control socket ("reread") that they be read again; also once
 * at start.  Returns true when something changed.
 */
bool admin_reload(struct repl *r)
{
	bool detached = r->adm.detached;
	struct md_super sb;

	if (md_meta_read(r->dev.meta_fd, r->dev.meta_area, &sb, NULL) == 0) {
		detached = sb.flags & MD_SBF_DETACHED;
		r->adm.disk_state = sb.disk_state;
		r->adm.peer_disk_state = sb.peer_disk_state;
	}
	if (detached == r->adm.detached)
		return false;
	log_info("%s by the administrator", detached ? "detached" : "attached");
	r->adm.detached = detached;
	return true;
}

/* mdctl pause / resume: true when it changed. */
bool admin_set_paused(struct repl *r, bool paused)
{
	if (paused == r->adm.paused)
		return false;
	log_info("resync %s", paused ? "paused" : "resumed");
	r->adm.paused = paused;
	return true;
}

/* mdctl set resync-rate: lasts until the daemon ends (the next mdctl up). */
bool admin_set_rate(struct repl *r, uint64_t rate)
{
	if (rate == r->res->resync_rate)
		return false;
	log_info("resync rate limit now %llu bytes/s", (unsigned long long)rate);
	r->res->resync_rate = rate;
	return true;
}

/*
 * mdctl adjust: the runtime settings of the configuration file read again
 * (md_res_adjust said only those differ).  They act from now on: the
 * daemon's timers and the resync rate at once, the kernel's deadline from
 * the next connection, fencing and handlers at their next event.  A rate
 * set by 'mdctl set' gives way to the file's.  true: status changed.
 */
bool admin_adjust(struct repl *r, const struct md_res_cfg *next)
{
	struct md_res_cfg *res = r->res;

	char zmsg[256];

	log_info("adjusted from the configuration file: timeout %d s, ko-count %d, resync-rate "
		 "%llu bytes/s, checksum-resync %s, compression %s level %d, mode %s, async-buffer "
		 "%llu, on-congestion %s, fencing %s, handler-timeout %d s", next->timeout_s,
		 next->ko_count, (unsigned long long)next->resync_rate,
		 next->checksum_resync ? "yes" : "no", md_compression_name(next->compression),
		 next->compression_level, md_mode_name(next->mode),
		 (unsigned long long)next->async_buffer, md_congestion_name(next->on_congestion),
		 md_fencing_name(next->fencing),
		 next->handler_timeout_s);
	/* compress.c's: its contexts follow (a failure keeps the old ones). */
	if (zc_set(r, next->compression, next->compression_level, zmsg, sizeof(zmsg)))
		log_err("compression not changed: %s", zmsg);
	/* async.c's: the kernel's flag follows on this connection. */
	if (as_set(r, next, zmsg, sizeof(zmsg)))
		log_err("mode not changed: %s", zmsg);
	res->timeout_s = next->timeout_s;
	res->ko_count = next->ko_count;
	res->resync_rate = next->resync_rate;
	res->checksum_resync = next->checksum_resync;
	res->fencing = next->fencing;
	res->handler_timeout_s = next->handler_timeout_s;
	memcpy(res->handlers, next->handlers, sizeof(res->handlers));
	r->adm.cfg_rate = next->resync_rate;
	return true;
}

/* The counters status shows (channel reads, requests, socket sends, ack
 * writes) moved since they were last published, a second or more ago:
 * the connected loop writes the state file, at most once a second, so
 * that a tester reading them during a run sees them move. */
bool admin_counters_due(struct repl *r, uint64_t now)
{
	uint64_t moved = r->snd.requests + r->tx.sends;

	if (moved == r->adm.pub_moved || now - r->adm.pub_ms < 1000)
		return false;
	r->adm.pub_moved = moved;
	r->adm.pub_ms = now;
	return true;
}

/* mdctl verify: the loop starts it (connected) or refuses it. */
bool admin_request_verify(struct repl *r, uint64_t token)
{
	if (token == r->adm.vf_request)
		return false;
	r->adm.vf_request = token;
	return true;
}
