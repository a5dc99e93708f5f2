/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin.c - what mirrord shares with the administrator and mdctl:
 *   - the state file (NAME.state: link, resync, verify) that mdctl status
 *     and every mdctl flow read, written through lib/runfile.c;
 *   - sb_update: the superblock's transitions (lib/gen.h: a link break, a
 *     resync's end, a failed disk) applied under the lock mdctl takes too;
 *   - the runtime choices mdctl makes (superblock flags, NAME.ctl) and
 *     announces with SIGHUP.
 *
 * Owns r->adm (the link state the state file shows included).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
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

/* Publish the link state and everything status shows about it. */
void state_write(struct repl *r, enum md_link link)
{
	struct md_state s = {
		.pid = getpid(), .link = link, .since = (long long)time(NULL),
		.verify_token = r->vf.token, .verify_done = r->vf.done,
		.verify_total = r->dev.nchunks, .verify_differ = r->vf.differ,
		.verify_errors = r->vf.errors, .verify_nfirst = r->vf.nfirst,
		.sync_same = r->rs.same, .detached = r->adm.detached, .paused = r->adm.paused,
		.resync_rate = r->res->resync_rate,
		.sync_done = r->rs.done, .sync_total = r->rs.total, .sync_rate = rs_rate(r),
		.disk_stall_ms = r->ap.stall_ms, .disk_stall_offset = r->ap.stall_offset,
	};
	int rc;

	r->adm.link = link;
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
	rc = md_state_write(r->opt.state_path, &s);
	if (rc)
		log_debug("writing %s failed: %s", r->opt.state_path, strerror(-rc));
}

int sb_update(struct repl *r, md_sb_fn fn, void *arg)
{
	int rc = md_sb_update(r->dev.meta_fd, r->dev.meta_area, r->dev.lock_path, fn, arg);

	if (rc < 0)
		log_err("updating the metadata on %s failed: %s", r->res->nodes[r->me].disk,
			strerror(-rc));
	return rc;
}

/* At start: the resync rate the configuration file sets (NAME.ctl may
 * override it at run time: admin_reload). */
void admin_init(struct repl *r)
{
	r->adm.cfg_rate = r->res->resync_rate;
}

/*
 * mdctl changes the superblock flags (detach, attach, rebuild) or the
 * runtime file RUN_DIR/NAME.ctl (pause, resume, set) and sends SIGHUP;
 * both are read again here.  Returns true when something changed.
 */
bool admin_reload(struct repl *r)
{
	bool detached = r->adm.detached, paused = false, changed = false;
	uint64_t rate = r->adm.cfg_rate;
	struct md_runctl c;
	struct md_super sb;
	char path[MD_PATH_LEN];
	int rc;

	if (md_meta_read(r->dev.meta_fd, r->dev.meta_area, &sb, NULL) == 0)
		detached = sb.flags & MD_SBF_DETACHED;
	c = (struct md_runctl){ .paused = -1, .resync_rate = -1 };
	rc = md_run_path(path, sizeof(path), r->res->name, MD_RUN_CTL);
	if (!rc)
		rc = md_runctl_read(path, &c);
	if (rc == -EBADMSG)
		log_warn("%s has malformed lines; they are ignored", path);
	if (c.paused >= 0)
		paused = c.paused != 0;
	if (c.resync_rate >= 0)
		rate = (uint64_t)c.resync_rate;
	if (c.verify && c.verify != r->adm.vf_request) {
		r->adm.vf_request = c.verify;
		changed = true;
	}
	if (detached == r->adm.detached && paused == r->adm.paused && rate == r->res->resync_rate)
		return changed;
	if (detached != r->adm.detached)
		log_info("%s by the administrator", detached ? "detached" : "attached");
	if (paused != r->adm.paused)
		log_info("resync %s", paused ? "paused" : "resumed");
	if (rate != r->res->resync_rate)
		log_info("resync rate limit now %llu bytes/s", (unsigned long long)rate);
	r->adm.detached = detached;
	r->adm.paused = paused;
	r->res->resync_rate = rate;
	return true;
}

bool admin_reload_requested(struct repl *r)
{
	if (!r->reload || !*r->reload)
		return false;
	*r->reload = 0;
	return admin_reload(r);
}
