/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fence.c - fencing and the administrator's handlers (mirrordisk.conf(5),
 * docs/design.md "Fencing").
 *
 * When a primary loses an up-to-date peer (conn_fail), fence_link_lost
 * starts fence-peer; with fencing = resource-and-stonith it also tells
 * conn_fail to put the kernel in MD_CONN_HELD, so that no application
 * write completes until the peer is known not to take over.  fence-peer's
 * exit code says what became of the peer (DRBD's codes):
 *
 *   3 peer inconsistent, 4 peer outdated, 7 peer fenced: the writes are
 *     released the moment it returns (in the handler's thread: on_fence_done);
 *   5 peer unreachable, 6 peer primary or refused, anything else, a
 *     timeout: the writes stay held (nothing proved the peer cannot take
 *     over); the log says so every HOLD_LOG_MS and `mdctl resume-io`
 *     releases them by the administrator's decision.
 *
 * With resource-only the handler runs the same way and its result is
 * recorded, but no write waits for it.  The other handlers: split-brain,
 * out-of-sync, after-resync-target and unfence-peer are told and not
 * waited for (handler_event); before-resync-target gates the handshake
 * that would make this copy a resync target (fence_before_resync_target).
 *
 * Owns r->fn: the handler jobs (handler.h runs them), what the state file
 * shows of fencing, and the before-resync-target verdict.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "kctl.h"
#include "log.h"
#include "repl.h"

#define HOLD_LOG_MS	30000		/* "writes held" again in the log this often */

const char *fence_result_name(int result)
{
	switch (result) {
	case FENCE_PEER_INCONSISTENT: return "peer inconsistent";
	case FENCE_PEER_OUTDATED: return "peer outdated";
	case FENCE_PEER_UNREACHABLE: return "peer unreachable";
	case FENCE_PEER_REFUSED: return "peer is primary or refused";
	case FENCE_PEER_FENCED: return "peer fenced";
	}
	return "fence-peer failed";
}

/* Does fence-peer's result prove the peer cannot take over with old data? */
bool fence_releases(int result)
{
	return result == FENCE_PEER_INCONSISTENT || result == FENCE_PEER_OUTDATED ||
	       result == FENCE_PEER_FENCED;
}

uint32_t fence_conn_flags(const struct repl *r)
{
	return r->res->fencing == MD_FENCING_RESOURCE_AND_STONITH ? MD_CONNF_HOLD : 0;
}

/*
 * What fence-peer found out about the peer.  Persisted as peer_disk_state
 * (disk-states work): 4 outdated, 3 inconsistent, 7 fenced (outdated or
 * powered off: it cannot be promoted); the lead wires that here.  Until
 * then it is in the state file (fence_result) and the log.
 */
void fence_record_peer(struct repl *r, int result)
{
	snprintf(r->fn.result, sizeof(r->fn.result), "%s (exit %d)", fence_result_name(result),
		 result);
	if (!fence_releases(result))
		return;
	r->fn.fenced = true;
	/* The peer cannot be promoted without a resync from this copy: its
	 * state persisted as outdated (inconsistent for 3), which lets this
	 * node start alone later without waiting to meet it (lib/gen.h). */
	sb_update(r, md_tr_peer_outdated, &(struct md_tr){
		.peer_disk = result == 3 ? MD_DISK_INCONSISTENT : MD_DISK_OUTDATED });
}

static const char *device_path(const struct repl *r, char *buf, size_t len)
{
	snprintf(buf, len, "/dev/" MD_DISK_PREFIX "%d", r->res->minor);
	return buf;
}

/* The environment every handler gets (mirrordisk.conf(5), "Handlers"). */
void fence_env(const struct repl *r, struct hd_job *j, const char *handler)
{
	const struct md_res_cfg *res = r->res;
	char minor[16], dev[32];

	snprintf(minor, sizeof(minor), "%d", res->minor);
	device_path(r, dev, sizeof(dev));
	hd_setenv(j, "MD_HANDLER", handler);
	hd_setenv(j, "MD_RESOURCE", res->name);
	hd_setenv(j, "MD_NODE", res->nodes[r->me].name);
	hd_setenv(j, "MD_PEER", res->nodes[r->peer].name);
	hd_setenv(j, "MD_PEER_ADDRESS", res->nodes[r->peer].address);
	hd_setenv(j, "MD_MINOR", minor);
	hd_setenv(j, "MD_DEVICE", dev);
	hd_setenv(j, "MD_DISK", res->nodes[r->me].disk);
	hd_setenv(j, "MD_FENCING", md_fencing_name(res->fencing));
	hd_setenv(j, "MD_DISK_STATE", md_disk_state_name(r->adm.disk_state));
	/* DRBD's names, for handlers written for it. */
	hd_setenv(j, "DRBD_RESOURCE", res->name);
	hd_setenv(j, "DRBD_MINOR", minor);
	hd_setenv(j, "DRBD_PEER_ADDRESS", res->nodes[r->peer].address);
	hd_setenv(j, "DRBD_PEERS", res->nodes[r->peer].name);
	hd_setenv(j, "DRBD_BACKING_DEV", res->nodes[r->me].disk);
}

/* In fence-peer's thread, the moment it ended: release the held writes
 * now when its result allows, not when a loop of the daemon next looks. */
static void on_fence_done(struct hd_job *j)
{
	struct repl *r = j->arg;
	int rc;

	if (r->res->fencing != MD_FENCING_RESOURCE_AND_STONITH || !fence_releases(j->result))
		return;
	rc = kctl_resume_io(r->fn.kfd, (uint32_t)r->res->minor);
	if (rc && rc != -EALREADY)
		log_err("fence-peer succeeded, but releasing the held writes failed: %s", strerror(-rc));
}

/* Start handler h unless it is not configured or still running; true if started. */
static bool run(struct repl *r, enum md_handler h)
{
	struct hd_job *j = &r->fn.job[h];
	const char *name = md_handler_name(h);
	int rc;

	if (!r->res->handlers[h][0])
		return false;
	if (j->started) {
		log_warn("handler %s is still running: not started again", name);
		return false;
	}
	memset(j, 0, sizeof(*j));
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->cmd = r->res->handlers[h];
	j->timeout_s = r->res->handler_timeout_s;
	j->arg = r;
	j->on_done = h == MD_H_FENCE_PEER ? on_fence_done : NULL;
	fence_env(r, j, name);
	rc = hd_start(j);
	if (rc) {
		log_err("handler %s: cannot start its thread: %s", name, strerror(-rc));
		return false;
	}
	snprintf(r->fn.last_handler, sizeof(r->fn.last_handler), "%s", name);
	snprintf(r->fn.last_result, sizeof(r->fn.last_result), "running");
	ev_emit(r, "handler", "name=%s state=running", name);
	return true;
}

void handler_event(struct repl *r, enum md_handler h)
{
	run(r, h);
}

static bool kernel_held(struct repl *r)
{
	struct md_ioc_status st;

	return !kctl_status(r->fn.kfd, (uint32_t)r->res->minor, &st) && st.conn == MD_CONN_HELD;
}

static void hold_begins(struct repl *r)
{
	char when[32];
	struct tm tm;

	r->fn.held_since = (long long)time(NULL);
	r->fn.held_log_ms = now_ms();
	gmtime_r(&(time_t){ (time_t)r->fn.held_since }, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	log_warn("writes held: waiting for fence-peer since %s (mdctl resume-io %s releases them)",
		 when, r->res->name);
	ev_emit(r, "writes", "state=held since=%s", when);
}

void fence_stopping(struct repl *r)
{
	r->fn.stopping = true;
}

/*
 * conn_fail: the link to the peer is lost.  Returns the state for the
 * kernel: MD_CONN_HELD where the writes must wait for fence-peer, else
 * MD_CONN_STANDALONE.  A primary whose peer was up to date (no resync
 * toward it was under way) runs fence-peer; a daemon that is stopping
 * does not (docs/design.md: the administrator stopped it).
 */
uint32_t fence_link_lost(struct repl *r)
{
	bool primary = r->dev.role == MD_ROLE_PRIMARY;
	bool peer_good = r->hs.decision == MD_SYNC_NONE;

	if (r->res->fencing == MD_FENCING_NONE || !primary || !peer_good || r->fn.stopping)
		return MD_CONN_STANDALONE;
	r->fn.fenced = false;
	/* Still running from an earlier loss: its answer serves this one. */
	if (!r->fn.job[MD_H_FENCE_PEER].started)
		run(r, MD_H_FENCE_PEER);
	if (r->res->fencing != MD_FENCING_RESOURCE_AND_STONITH)
		return MD_CONN_STANDALONE;
	/* Held even if fence-peer could not start: the administrator decides. */
	if (!r->fn.held_since)
		hold_begins(r);
	return MD_CONN_HELD;
}

/*
 * mdctl activate without the link, where fencing is configured and the
 * peer is not recorded behind (lib/gen.c, md_promote_needs_fence): a copy
 * only consistent (a lone start), or up to date with the peer's state
 * unknown; fence-peer decides (docs/design.md, "Who may be promoted").
 * Started here; fence_done records a 3, 4 or 7 as the peer's state (which
 * also makes a consistent copy up to date, md_tr_peer_outdated), and
 * mdctl, watching the state file, activates or refuses with the result.
 * 0 (started, or already running: its answer serves this request too),
 * else -EPERM with the reason in why.
 */
int fence_for_promote(struct repl *r, char *why, size_t len)
{
	if (r->res->fencing == MD_FENCING_NONE) {
		snprintf(why, len, "fencing is none: nothing may outdate the peer");
		return -EPERM;
	}
	if (!r->res->handlers[MD_H_FENCE_PEER][0]) {
		snprintf(why, len, "no fence-peer handler is configured");
		return -EPERM;
	}
	if (r->conn.sock >= 0) {
		snprintf(why, len, "connected to the peer: its disk state is known, fence-peer is "
			 "not needed");
		return -EPERM;
	}
	if (r->fn.job[MD_H_FENCE_PEER].started) {
		snprintf(why, len, "fence-peer is running already");
		return 0;
	}
	/* mdctl changed the superblock since we last read it (an override,
	 * activate --force then deactivate, made a consistent copy up to
	 * date): the handler's MD_DISK_STATE must say what it is now. */
	admin_reload(r);
	log_info("activation without the peer (%s copy, peer %s): running fence-peer",
		 md_disk_state_name(r->adm.disk_state), md_disk_state_name(r->adm.peer_disk_state));
	r->fn.fenced = false;
	if (!run(r, MD_H_FENCE_PEER)) {
		snprintf(why, len, "fence-peer could not be started (see the log)");
		return -EPERM;
	}
	snprintf(why, len, "fence-peer started");
	return 0;
}

/* At start, once bound: a device the kernel still holds (the previous
 * daemon died, or the kernel's deadline fired, with writes held). */
int fence_init(struct repl *r)
{
	r->fn.kfd = kctl_open();
	if (r->fn.kfd < 0)
		return r->fn.kfd;
	if (!kernel_held(r))
		return 0;
	if (r->dev.role != MD_ROLE_PRIMARY) {
		log_info("the kernel held writes of a secondary: released");
		kctl_resume_io(r->fn.kfd, (uint32_t)r->res->minor);
		return 0;
	}
	hold_begins(r);
	if (!run(r, MD_H_FENCE_PEER))
		log_warn("no fence-peer handler: the writes stay held until mdctl resume-io %s",
			 r->res->name);
	return 0;
}

static void fence_done(struct repl *r, struct hd_job *j)
{
	char txt[96];
	bool stonith = r->res->fencing == MD_FENCING_RESOURCE_AND_STONITH;

	hd_result_text(j, txt, sizeof(txt));
	fence_record_peer(r, j->result);
	/* Released by on_fence_done already, unless that came before
	 * conn_fail's MD_CONN_HELD: then here. */
	if (stonith && fence_releases(j->result))
		kctl_resume_io(r->fn.kfd, (uint32_t)r->res->minor);
	if (fence_releases(j->result)) {
		log_info("fence-peer: %s (%s) after %.1f s%s", fence_result_name(j->result), txt,
			 (double)(j->end_ms - j->start_ms) / 1000.0,
			 stonith ? ": held writes released" : "");
		if (r->fn.held_since)
			ev_emit(r, "writes", "state=released by=fence-peer");
		r->fn.held_since = 0;
	} else if (stonith && r->fn.held_since) {
		log_err("fence-peer: %s (%s): writes stay held; mdctl resume-io %s releases them",
			j->result >= 0 ? fence_result_name(j->result) : "failed", txt, r->res->name);
	} else {
		log_warn("fence-peer: %s (%s)", j->result >= 0 ? fence_result_name(j->result) :
			 "failed", txt);
	}
}

/*
 * Called from both loops of daemon.c, every POLL_INTERVAL_MS or so: reap
 * the handlers that ended and act on their results, notice a hold that
 * ended otherwise (resume-io, a new connection), say again that writes
 * are held.  true when something status shows changed.
 */
bool fence_poll(struct repl *r)
{
	bool changed = false;

	for (int h = 0; h < MD_H_COUNT; h++) {
		struct hd_job *j = &r->fn.job[h];
		char txt[96];

		if (!hd_done(j))
			continue;
		hd_reap(j);
		hd_result_text(j, txt, sizeof(txt));
		snprintf(r->fn.last_handler, sizeof(r->fn.last_handler), "%s", j->name);
		snprintf(r->fn.last_result, sizeof(r->fn.last_result), "%s", txt);
		r->fn.last_time = (long long)time(NULL);
		ev_emit(r, "handler", "name=%s state=done result=%d", j->name, j->result);
		if (h == MD_H_FENCE_PEER) {
			fence_done(r, j);
		} else if (h == MD_H_BEFORE_RESYNC_TARGET) {
			r->fn.brt = j->result == 0 ? 1 : -1;
			if (j->result)
				snprintf(r->fn.brt_why, sizeof(r->fn.brt_why),
					 "before-resync-target refused the resync: %s", txt);
			else
				r->fn.brt_why[0] = '\0';
			log_info("handler %s: %s%s", j->name, txt,
				 j->result == 0 ? ": the resync may start" : ": resync refused");
		} else {
			log_info("handler %s: %s", j->name, txt);
		}
		changed = true;
	}
	if (r->fn.held_since) {
		uint64_t now = now_ms();

		if (!kernel_held(r)) {
			if (!r->fn.job[MD_H_FENCE_PEER].started)
				log_info("held writes released (mdctl resume-io or a new connection)");
			else
				log_info("held writes released while fence-peer still runs "
					 "(mdctl resume-io or a new connection)");
			r->fn.held_since = 0;
			ev_emit(r, "writes", "state=released by=resume-io-or-reconnect");
			changed = true;
		} else if (now - r->fn.held_log_ms >= HOLD_LOG_MS) {
			r->fn.held_log_ms = now;
			log_warn("writes held: waiting for fence-peer for %lld s (%s); mdctl resume-io %s "
				 "releases them", (long long)time(NULL) - r->fn.held_since,
				 r->fn.job[MD_H_FENCE_PEER].started ? "running" : r->fn.result,
				 r->res->name);
		}
	}
	return changed;
}

/*
 * The handshake would make this copy a resync target.  0: go on.  Else
 * the reason to refuse this connection with, in why: the handler runs
 * (started now, the peer retries in a few seconds) or refused (its exit
 * code).  Each approval serves one connection; each refusal is answered
 * by running the handler again at the next attempt.
 */
int fence_before_resync_target(struct repl *r, char *why, size_t len)
{
	if (!r->res->handlers[MD_H_BEFORE_RESYNC_TARGET][0])
		return 0;
	if (r->fn.brt == 1) {
		r->fn.brt = 0;
		return 0;
	}
	if (r->fn.brt == -1) {
		snprintf(why, len, "%s", r->fn.brt_why);
		r->fn.brt = 0;
		return -EPERM;
	}
	if (!r->fn.job[MD_H_BEFORE_RESYNC_TARGET].started)
		run(r, MD_H_BEFORE_RESYNC_TARGET);
	/* The last refusal stays in view while it runs again. */
	if (r->fn.brt_why[0])
		snprintf(why, len, "%s (running it again)", r->fn.brt_why);
	else
		snprintf(why, len, "before-resync-target is running: the resync waits for it");
	return -EAGAIN;
}

/* State file fields (admin.c). */
const char *fence_state(const struct repl *r)
{
	if (r->fn.held_since)
		return r->fn.job[MD_H_FENCE_PEER].started ? "held-fencing" : "held";
	if (r->fn.job[MD_H_FENCE_PEER].started)
		return "fencing";
	return r->fn.fenced ? "peer-fenced" : "none";
}

/* At exit: no handler outlives the daemon (their process groups killed). */
void fence_fini(struct repl *r)
{
	for (int h = 0; h < MD_H_COUNT; h++) {
		struct hd_job *j = &r->fn.job[h];

		if (!j->started)
			continue;
		if (!hd_done(j) && j->pid > 0) {
			log_warn("handler %s still runs at exit: killed", j->name);
			kill(-j->pid, SIGKILL);
		}
		hd_reap(j);
	}
	if (r->fn.kfd >= 0)
		close(r->fn.kfd);
	r->fn.kfd = -1;
}
