/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * role.c - mdctl activate and deactivate (primary, secondary): the role in
 * the module, and the superblock's record of it, which mirrord and the next
 * connect read; and mdctl outdate, which marks this node's copy behind.
 *
 * Who may be promoted is lib/gen.c's md_promote_check, which mdctl status
 * shows too.  --force is a policy of mdctl's own, not the kernel's: it
 * lets this node become primary while it is detached or while its data is
 * not up to date (which makes its data the reference), never while the
 * peer is connected and primary.  The module is only ever asked for the
 * role.  Where fencing is configured and the link is down, a copy whose
 * peer is not recorded behind (consistent after a lone start, or up to
 * date while the peer's state is unknown) asks fence-peer first
 * (md_promote_needs_fence, fence_before_activate).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "gen.h"
#include "kctl.h"
#include "mdctl.h"

/* 0, MDCTL_E_REFUSED (md_promote_check said no, under the lock) or
 * sb_change()'s error. */
static int sb_before_activate(const struct md_res_cfg *res, int me, bool connected)
{
	struct md_tr t = { .connected = connected, .force = o.force,
			   .fencing = res->fencing != MD_FENCING_NONE };
	int rc = sb_change(res, me, md_tr_promote, &t);

	if (rc == -EPERM)
		return err(MDCTL_E_REFUSED, "%s: %s", res->name, t.why);
	return rc;
}

/* The peer is primary, as far as this node's daemon knows. */
static bool peer_is_primary(const struct md_state *s)
{
	return s->link == MD_LINK_CONNECTED && !strcmp(s->peer_role, md_role_name(MD_ROLE_PRIMARY));
}

/*
 * A promotion without the link, on a node with fencing, whose peer is not
 * recorded behind (md_promote_needs_fence): mirrord runs fence-peer (its
 * "fence-peer" request), and a 3, 4 or 7 from it records the peer behind,
 * which also makes a consistent copy up to date (lib/gen.c,
 * md_tr_peer_outdated).  Wait for the handler's end, at most its timeout
 * and a margin, watching the daemon's state file; then the caller checks
 * again.  0, or the exit code of a failure (reported).
 */
static int fence_before_activate(const struct md_res_cfg *res, uint32_t disk_state)
{
	char msg[MD_CTL_ANSWER_MAX];
	struct md_state s;
	int rc, waited_ms = 0, limit_ms = (res->handler_timeout_s + 10) * 1000;

	if (disk_state == MD_DISK_CONSISTENT)
		printf("%s: the local data is consistent; running fence-peer (fencing %s) first\n",
		       res->name, md_fencing_name(res->fencing));
	else
		printf("%s: the link to the peer is down and its copy is not known to be behind; "
		       "running fence-peer (fencing %s) first\n", res->name,
		       md_fencing_name(res->fencing));
	fflush(stdout);
	rc = daemon_request(res, "fence-peer", msg, sizeof(msg));
	if (rc > 0)
		return err(MDCTL_EXIT_REFUSED, "%s: cannot run fence-peer: %s", res->name, msg);
	if (rc < 0)
		return exit_of(rc);
	for (;;) {
		daemon_state(res, &s);
		if (!s.pid)
			return err(MDCTL_EXIT_RUNTIME, "%s: mirrord stopped while fence-peer ran",
				   res->name);
		if (strcmp(s.fence_state, "fencing") && strcmp(s.fence_state, "held-fencing"))
			break;
		if (waited_ms >= limit_ms)
			return err(MDCTL_EXIT_RUNTIME, "%s: fence-peer did not end within %d s",
				   res->name, limit_ms / 1000);
		usleep(200000);
		waited_ms += 200;
	}
	printf("%s: fence-peer: %s\n", res->name, s.fence_result[0] ? s.fence_result :
	       s.handler_result);
	return 0;
}

/* The command boundary of both commands: returns an exit code. */
/*
 * After a demotion in mode = async: the writes the application saw complete
 * and the peer does not hold yet are still on their way (the device is
 * closed, nothing new comes).  A switchover activates the peer as soon as
 * this returns, so wait until it holds them all: while the link is up and
 * the backlog moves, at most ko-count x timeout without progress (mirrord's
 * own progress timeout drops the link then, and the bitmap keeps them).
 * A link lost meanwhile ends the wait as after a crash: what the peer
 * lacked is marked here, and activating the peer gives it up.
 */
/*
 * Pulled ahead (on-congestion pull-ahead): the peer lacks what the bitmap
 * holds since the congestion, yet its copy still says up to date.  End
 * the hold-off (the control request catch-up) and wait until the link is
 * back and the catch-up resync has begun (the peer is then inconsistent,
 * so it cannot be activated before that resync ends), or nothing was left
 * to copy.  0, or the error when the link did not return in time.
 */
static int wait_caught_up(const struct md_res_cfg *res, const char *name, long bound_ms)
{
	char msg[MD_CTL_ANSWER_MAX];
	struct md_state s;
	long waited_ms = 0;
	int rc;

	printf("%s: pulled ahead under congestion: ending the hold-off, waiting for the link and "
	       "the catch-up resync to begin\n", name);
	fflush(stdout);
	rc = daemon_request(res, "catch-up", msg, sizeof(msg));
	if (rc)
		return err(MDCTL_EXIT_RUNTIME, "%s: secondary, but pulled ahead, and the daemon did "
			   "not end the hold-off: the peer lacks completed writes; activating it "
			   "now would lose them", name);
	for (;;) {
		daemon_state(res, &s);
		if (!s.pid)
			return 0;
		if (s.link == MD_LINK_CONNECTED &&
		    (!strcmp(s.sync_role, "source") || s.peer_inconsistent_since ||
		     !strcmp(s.sync, "in-sync")))
			return 0;
		if (waited_ms > bound_ms)
			return err(MDCTL_EXIT_RUNTIME, "%s: secondary, but pulled ahead and the link did "
				   "not return within %ld s: the peer lacks completed writes "
				   "(out_of_sync_bytes); activating it now would lose them", name,
				   waited_ms / 1000);
		usleep(100000);
		waited_ms += 100;
	}
}

static int wait_drained(const struct md_res_cfg *res, const char *name)
{
	uint64_t last = UINT64_MAX;
	long waited_ms = 0, bound_ms = (long)res->ko_count * res->timeout_s * 1000 + 1000;
	struct md_state s;
	bool said = false;
	int rc;

	/*
	 * The state file is the daemon's news as of its last poll: the
	 * writes that completed just before (async: once read) may not be in
	 * its backlog figure yet.  The daemon writes it afresh first, with
	 * every write it read (ctl.c, op_publish); a daemon that cannot
	 * answer that (an older one) publishes a new backlog at its next
	 * poll, so wait longer than that.
	 */
	daemon_state(res, &s);
	if (s.pid && daemon_request(res, "publish", NULL, 0))
		usleep(3 * MD_RUN_POLL_MS * 1000);
	for (;;) {
		daemon_state(res, &s);
		if (s.pid && s.link == MD_LINK_AHEAD) {
			if ((rc = wait_caught_up(res, name, bound_ms)))
				return rc;
			continue;
		}
		if (!s.pid || s.link != MD_LINK_CONNECTED || !s.lag_writes)
			break;
		if (!said) {
			printf("%s: waiting for the peer to catch up (%llu bytes behind)\n", name,
			       (unsigned long long)s.lag_bytes);
			fflush(stdout);
			said = true;
		}
		if (s.lag_bytes != last) {
			last = s.lag_bytes;
			waited_ms = 0;
		}
		if (waited_ms > bound_ms)
			return err(MDCTL_EXIT_RUNTIME, "%s: secondary, but the peer still lacks %llu bytes "
				   "of completed writes (no progress for %ld s): activating it now would "
				   "lose them", name, (unsigned long long)s.lag_bytes, waited_ms / 1000);
		usleep(100000);
		waited_ms += 100;
	}
	return 0;
}

static int set_role(const char *name, uint32_t role)
{
	struct md_ioc_status st;
	struct md_state s;
	struct md_res_cfg *res;
	int me, fd, rc = 0;

	if (load_res(name, &res, &me))
		return MDCTL_EXIT_CONFIG;
	if ((fd = open_ctl()) < 0)
		return MDCTL_EXIT_RUNTIME;
	if (kctl_status(fd, (uint32_t)res->minor, &st)) {
		close(fd);
		return err(MDCTL_EXIT_NOTUP, "%s is not up on this node (run 'mdctl up %s')", name, name);
	}
	if (st.role == role) {
		struct md_super sb;
		bool granted = role == MD_ROLE_PRIMARY && read_sb_quiet(res, me, &sb) == 0 &&
			       !(sb.flags & MD_SBF_PRIMARY);

		if (granted && (sb.flags & MD_SBF_DETACHED)) {
			close(fd);
			return err(MDCTL_EXIT_REFUSED, "%s: this is a detached standby with access "
				   "granted; revoke and attach it, or keep its data with 'mdctl "
				   "rebuild %s --from %s' before activating", name, name, o.node);
		}
		if (!granted) {	/* a grant being turned into the primary goes on */
			close(fd);
			printf("%s: already %s\n", name, md_role_name(role));
			return MDCTL_EXIT_OK;
		}
	}
	/*
	 * The peer's role reaches us through its daemon and ours (MDW_STATE),
	 * a fraction of a second after it changed: a switchover script that
	 * deactivates one node and at once activates the other must not fail
	 * on that lag, so give it a moment before refusing.
	 */
	for (int i = 0; i < 30; i++) {
		daemon_state(res, &s);
		if (!peer_is_primary(&s))
			break;
		usleep(100000);
	}
	bool if_connected = false, was_primary = false, retried = false;
again:
	if (role == MD_ROLE_PRIMARY) {
		struct md_promote_facts f = { .disk_state = MD_DISK_UPTODATE,
					      .peer_primary = peer_is_primary(&s), .force = o.force,
					      .fencing = res->fencing != MD_FENCING_NONE,
					      .connected = link_up(&s, &st),
					      .peer_disk_state = MD_DISK_UNKNOWN };
		struct md_super sb;
		char why[256];

		/* Unreadable metadata: sb_before_activate reports it; no
		 * fence-peer (and no constraint placed) for an activation that
		 * cannot happen. */
		bool sb_ok = read_sb_quiet(res, me, &sb) == 0;

		if (sb_ok) {
			f.disk_state = sb.disk_state;
			f.sb_flags = sb.flags;
			f.peer_disk_state = sb.peer_disk_state;
			was_primary = sb.flags & MD_SBF_PRIMARY;
		}
		bool fenced = false, need_fence = sb_ok && md_promote_needs_fence(&f);

		if (need_fence && o.dry_run) {
			close(fd);
			printf("would run fence-peer, then make %s %s if it outdates or fences the "
			       "peer\n", name, md_role_name(role));
			return MDCTL_EXIT_OK;
		}
		if (need_fence) {
			if ((rc = fence_before_activate(res, f.disk_state))) {
				close(fd);
				return rc;
			}
			/* fence-peer may have taken up to handler-timeout: the
			 * link may be back (the handshake then recorded the peer's
			 * state afresh), or the peer primary. */
			daemon_state(res, &s);
			if (kctl_status(fd, (uint32_t)res->minor, &st)) {
				close(fd);
				return err(MDCTL_EXIT_NOTUP, "%s is not up on this node any more", name);
			}
			f.connected = link_up(&s, &st);
			f.peer_primary = peer_is_primary(&s);
			if (read_sb_quiet(res, me, &sb) == 0) {
				f.disk_state = sb.disk_state;
				f.peer_disk_state = sb.peer_disk_state;
			}
			fenced = true;
		}
		if (md_promote_check(&f, why, sizeof(why)) != MD_PROMOTE_OK) {
			close(fd);
			return err(MDCTL_EXIT_REFUSED, "%s: %s%s", name, fenced ?
				   "fence-peer did not outdate or fence the peer: " : "", why);
		}
		if (fenced && md_promote_needs_fence(&f)) {
			close(fd);
			return err(MDCTL_EXIT_REFUSED, "%s: fence-peer did not outdate or fence the "
				   "peer (its copy may be promoted too); --force overrides", name);
		}
		/* No fence-peer only because the link is up: the module
		 * promotes only while it still is (MD_ROLEF_IF_CONNECTED). */
		struct md_promote_facts lost = f;

		lost.connected = lost.peer_primary = false;
		if_connected = sb_ok && !fenced && f.connected && md_promote_needs_fence(&lost);
	}
	if (o.dry_run) {
		close(fd);
		printf("would make %s %s\n", name, md_role_name(role));
		return MDCTL_EXIT_OK;
	}
	if (role == MD_ROLE_PRIMARY &&
	    (rc = sb_before_activate(res, me, link_up(&s, &st)))) {
		close(fd);
		return exit_of(rc);
	}
	rc = kctl_set_role(fd, (uint32_t)res->minor, role, if_connected ? MD_ROLEF_IF_CONNECTED : 0);
	if (rc == -EINVAL && if_connected) {
		fprintf(stderr, "%s: the module does not know MD_ROLEF_IF_CONNECTED (older than "
			"mdctl): promoting without it\n", name);
		rc = kctl_set_role(fd, (uint32_t)res->minor, role, 0);
	}
	/* A promotion the module refused: the superblock must not go on
	 * saying primary (the next start would take it for a crash). */
	if (rc && role == MD_ROLE_PRIMARY && !was_primary) {
		int urc = sb_change(res, me, md_tr_demote, NULL);

		if (urc) {
			close(fd);
			return exit_of(urc);
		}
	}
	if (rc == -ENOTCONN && if_connected) {
		/*
		 * The link went down between the read above and the module's
		 * promotion: decide again, with fence-peer this time.  The
		 * daemon told the module first; give its state file a moment
		 * to say so too.
		 */
		if (retried) {
			close(fd);
			return err(MDCTL_EXIT_REFUSED, "%s: the link to the peer went down during the "
				   "activation, twice; not activated", name);
		}
		printf("%s: the link to the peer went down during the activation; deciding again\n",
		       name);
		retried = true;
		for (int i = 0; i < 50; i++) {
			daemon_state(res, &s);
			if (s.link != MD_LINK_CONNECTED)
				break;
			usleep(100000);
		}
		if (kctl_status(fd, (uint32_t)res->minor, &st)) {
			close(fd);
			return err(MDCTL_EXIT_NOTUP, "%s is not up on this node any more", name);
		}
		goto again;
	}
	close(fd);
	if (rc == -EBUSY)
		return err(MDCTL_EXIT_REFUSED, "%s: /dev/" MD_DISK_PREFIX "%d is in use (mounted or open); "
			   "unmount it first", name, res->minor);
	if (rc)
		return err(MDCTL_EXIT_RUNTIME, "%s: cannot change role: %s", name, strerror(-rc));
	if (role == MD_ROLE_SECONDARY && (rc = sb_change(res, me, md_tr_demote, NULL)))
		return exit_of(rc);
	if (role == MD_ROLE_SECONDARY && (rc = wait_drained(res, name)))
		return rc;
	printf("%s: %s\n", name, md_role_name(role));
	return MDCTL_EXIT_OK;
}

int cmd_activate(const char *name)
{
	return set_role(name, MD_ROLE_PRIMARY);
}

int cmd_deactivate(const char *name)
{
	return set_role(name, MD_ROLE_SECONDARY);
}

/*
 * mdctl outdate: this node's copy is known to be behind (DRBD's outdate).
 * Refused on a primary and while connected (md_tr_outdate says why); the
 * resource need not be up.  A running daemon reads the disk state afresh
 * at every handshake, so the superblock under the lock is all it needs:
 * its next connect makes this copy the resync's target.
 */
int cmd_outdate(const char *name)
{
	struct md_ioc_status st;
	struct md_res_cfg *res;
	struct md_state s;
	struct md_super sb;
	struct md_tr t = { 0 };
	int me, fd, rc;

	if (load_res(name, &res, &me))
		return MDCTL_EXIT_CONFIG;
	if ((fd = open_ctl()) < 0)
		return MDCTL_EXIT_RUNTIME;
	if (kctl_status(fd, (uint32_t)res->minor, &st) == 0) {
		t.primary = st.role == MD_ROLE_PRIMARY;
		t.connected = st.conn == MD_CONN_CONNECTED;
	}
	close(fd);
	daemon_state(res, &s);
	t.connected = t.connected || s.link == MD_LINK_CONNECTED;
	if (o.dry_run) {
		/* The same checks on a copy of the superblock, not written. */
		struct md_geom g;
		int mfd;

		if ((rc = open_meta(res, me, &g, &sb, &mfd)))
			return exit_of(rc);
		close(mfd);
		rc = md_tr_outdate(&sb, &t);
	} else {
		rc = sb_change(res, me, md_tr_outdate, &t);
	}
	if (rc == -EPERM)
		return err(MDCTL_EXIT_REFUSED, "%s: cannot outdate: %s", name, t.why);
	if (rc < 0)
		return exit_of(rc);
	if (o.dry_run) {
		printf("would mark the data of %s on this node outdated\n", name);
		return MDCTL_EXIT_OK;
	}
	if (read_sb_quiet(res, me, &sb))
		return err(MDCTL_EXIT_RUNTIME, "%s: cannot read the metadata back", name);
	printf("%s: %s\n", name, md_disk_state_name(sb.disk_state));
	return MDCTL_EXIT_OK;
}
