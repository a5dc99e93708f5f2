/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon.c - one resource's life in mirrord: set-up and teardown, the
 * connect/handshake loop, and the event loop of a connection with its
 * timers.
 *
 * Connection life (see docs/design.md, "State machine"):
 *   CONNECTING -> handshake -> CONNECTED -> (error, timeout, stop) ->
 *   TEARDOWN -> CONNECTING ...
 * A refused handshake, or a kernel that refuses the connected state, ends
 * the socket at once and waits a few seconds before CONNECTING again.
 * Timers of the connected loop, checked every POLL_INTERVAL_MS at most:
 *   - no byte from the peer for `timeout` seconds: the connection fails;
 *   - a request the peer has not acknowledged for ko-count x timeout
 *     seconds: the connection fails (send.c, the progress timeout);
 *   - the kernel went standalone by itself (this daemon missed its
 *     deadline, kmod/deadline.c): the connection fails (poll_kernel);
 *   - an I/O on our own disk older than that bound: status says so
 *     (apply.c for what this daemon writes, also while a failed
 *     connection waits for the disk; poll_kernel for the module's own
 *     I/O, the primary's writes, in every state: between connection
 *     attempts too, though a handshake reads the metadata and waits on
 *     a stalled disk that holds it);
 *   - nothing sent for PING_INTERVAL_MS: a PING keeps the peer's timer fed;
 *   - every POLL_INTERVAL_MS: the local role (mdctl may have changed it),
 *     the resync and verify windows, the state file while they run;
 *   - requests from the control socket (ctl_serve, ctl.c): detach (the
 *     superblock read again), pause, rate, verify.
 *
 * Owns r->io and r->dev; resets every per-connection group before a
 * connection starts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kctl.h"
#include "log.h"
#include "repl.h"
#include "runfile.h"

/* Last resort when the kernel will not hear of a lost link (conn.c):
 * unbind by closing the channel, then leave (mdctl or systemd restarts
 * the daemon). */
void dev_abort_channel(struct repl *r)
{
	close(r->dev.ctl_fd);
	r->dev.ctl_fd = -1;
	log_err("channel closed; mirrord exits");
	exit(1);
}

/* The kernel says our role is role (a status read by handshake.c). */
void dev_note_role(struct repl *r, uint32_t role)
{
	r->dev.role = role;
}

/*
 * Our own disk as the module sees it: its oldest request whose local part
 * (bitmap page, write, flush, resync read) has not completed.  Older than
 * the progress bound, the disk is "stalled" in status, as apply.c says of
 * the writes this daemon applies itself; the module only waits, as a
 * plain disk would (docs/design.md, "Timeouts").  true when that changed.
 */
static bool note_local_disk(struct repl *r, const struct md_ioc_status *st)
{
	bool was = r->dev.stall_ms != 0;

	if (st->local_oldest_ms > progress_bound_ms(r)) {
		if (!was)
			log_err("local disk %s: I/O at offset %llu has not completed for %llu s",
				r->res->nodes[r->me].disk, (unsigned long long)st->local_oldest_offset,
				(unsigned long long)st->local_oldest_ms / 1000);
		r->dev.stall_ms = st->local_oldest_ms;
		r->dev.stall_offset = st->local_oldest_offset;
		return true;
	}
	r->dev.stall_ms = r->dev.stall_offset = 0;
	if (was)
		log_info("local disk %s completes I/O again", r->res->nodes[r->me].disk);
	return was;
}

/*
 * The role as the module has it now: mdctl may have promoted this node
 * since the last poll (poll_kernel, every POLL_INTERVAL_MS), and whether
 * a lost link runs fence-peer depends on it (conn_fail, fence_link_lost).
 * Once the module has left the connected state, a promotion that relied
 * on the link is refused (MD_ROLEF_IF_CONNECTED), so conn_fail's read
 * after its state change is final.  true when the role changed.
 */
bool dev_role_now(struct repl *r)
{
	struct md_ioc_status st;

	if (kctl_status(r->dev.ctl_fd, (uint32_t)r->res->minor, &st) || st.role == r->dev.role)
		return false;
	r->dev.role = st.role;
	log_info("local role is now %s", md_role_name(r->dev.role));
	return true;
}

/* Our disk alone, while a failed connection drains (nothing to say to
 * the peer then); true when what the status shows changed. */
static bool poll_local_disk(struct repl *r)
{
	struct md_ioc_status st;

	return !kctl_status(r->dev.ctl_fd, (uint32_t)r->res->minor, &st) && note_local_disk(r, &st);
}

/* The kernel's view, once a poll: our role (mdctl or the cluster may
 * change it) and our disk. */
static void poll_kernel(struct repl *r)
{
	struct md_ioc_status st;
	bool changed;

	if (conn_kernel_gave_up(r) || kctl_status(r->dev.ctl_fd, (uint32_t)r->res->minor, &st))
		return;
	changed = note_local_disk(r, &st);
	if (st.role == r->dev.role) {
		if (changed)
			state_write(r, r->adm.link);
		return;
	}
	r->dev.role = st.role;
	log_info("local role is now %s", md_role_name(r->dev.role));
	state_write(r, r->adm.link);	/* the events show the role */
	if (r->conn.sock >= 0 && !r->conn.failing && r->hs.decision == MD_SYNC_WAIT_INITIAL) {
		conn_fail(r, "role changed while waiting for the initial sync: deciding again");
		return;
	}
	handshake_tell_state(r);
}

/*
 * Every per-connection group back to its start, each by its owner: before
 * a connection starts, and once it has ended (a verify or resync that ran
 * is over, its buffers freed, no stall reported for a disk that answered).
 */
void repl_connection_reset(struct repl *r)
{
	conn_reset(r);
	tx_reset(r);
	rx_reset(r);
	send_reset(r);
	as_reset(r);
	bl_reset(r);
	apply_reset(r);
	rs_reset(r);
	vf_reset(r);
	r->dev.last_poll_ms = now_ms();
}

/* Without a connection: detached by the administrator, pulled ahead
 * (on-congestion, async.c), or trying to connect. */
static enum md_link idle_link(const struct repl *r)
{
	return r->adm.detached ? MD_LINK_DETACHED : as_ahead(r) ? MD_LINK_AHEAD : MD_LINK_CONNECTING;
}

int repl_connected(struct repl *r, volatile int *stop)
{
	int rc;

	repl_connection_reset(r);
	rc = kctl_set_conn(r->dev.ctl_fd, MD_CONN_CONNECTED, conn_deadline_s(r),
			   fence_conn_flags(r) | as_conn_flags(r));
	if (rc) {
		/* Nothing started on the socket yet: it ends here, with its TLS
		 * session, rather than linger until the next one overwrites it.
		 * The kernel stayed as it was; no break to record. */
		conn_set_reason(r, "the kernel refused the connected state: %s", strerror(-rc));
		log_err("%s", r->conn.fail_reason);
		conn_close(r, r->conn.sock);
		state_write(r, MD_LINK_CONNECTING);
		return rc;
	}
	conn_set_reason(r, "%s", "");
	rc = sync_begin(r);
	if (rc)
		conn_fail(r, "cannot start the resync: %s", strerror(-rc));
	zc_connected(r);
	as_connected(r);
	bl_connected(r);	/* the spill file, as configured now */
	state_write(r, MD_LINK_CONNECTED);
	send_start(r);
	rx_post(r);

	while (!r->conn.failing || io_busy(r->io)) {
		uint64_t now;

		if (*stop && !r->conn.failing) {
			fence_stopping(r);
			conn_fail(r, "daemon stopping");
		}
		rc = io_run(r->io, POLL_INTERVAL_MS);
		if (rc < 0 && rc != -EINTR) {
			conn_fail(r, "event loop failed: %s", strerror(-rc));
			if (io_busy(r->io))
				continue;
			break;
		}
		now = now_ms();
		if (r->conn.failing) {
			/* Waiting for our disk to finish what it has: say so
			 * if that takes longer than the peer waits for us. */
			if (now - r->dev.last_poll_ms >= POLL_INTERVAL_MS) {
				r->dev.last_poll_ms = now;
				if (apply_check_stall(r, now) | poll_local_disk(r))
					state_write(r, MD_LINK_CONNECTING);
			}
			continue;
		}
		if (now - r->conn.last_rx_ms > (uint64_t)r->res->timeout_s * 1000) {
			conn_fail(r, "no sign of the peer for %d s", r->res->timeout_s);
			continue;
		}
		if (now - r->conn.last_tx_ms >= PING_INTERVAL_MS && !r->tx.busy) {
			if (ctl_packet(r, MDW_PING, 0))
				ctl_kick(r);
			conn_note_tx(r);
		}
		if (ctl_serve(r)) {
			if (r->adm.vf_request != r->vf.token && !r->vf.active)
				vf_start(r);
			state_write(r, MD_LINK_CONNECTED);
			if (r->adm.detached) {
				conn_fail(r, "detached by the administrator");
				continue;
			}
		}
		if (now - r->dev.last_poll_ms >= POLL_INTERVAL_MS) {
			r->dev.last_poll_ms = now;
			conn_refuse_pending(r);
			if (send_check_progress(r, now) || as_check_progress(r, now))
				continue;
			if (apply_check_stall(r, now))
				state_write(r, MD_LINK_CONNECTED);
			poll_kernel(r);
			rs_kick(r);
			vf_kick(r);
			as_kick(r);
			if (fence_poll(r) || r->rs.active || r->vf.active || zc_publish_due(r, now) ||
			    as_publish_due(r, now) || admin_counters_due(r, now))
				state_write(r, MD_LINK_CONNECTED);
		}
	}
	conn_close(r, r->conn.sock);
	repl_connection_reset(r);
	state_write(r, idle_link(r));
	return 0;
}

/* A connection was refused (by the peer, by us, by the kernel): what
 * refused it will likely refuse the next at once; a few seconds first. */
static void refused_pause(volatile int *stop)
{
	for (int i = 0; i < 3 && !*stop; i++)
		usleep(RETRY_DELAY_MS * 1000);
}

int repl_run(struct repl *r, volatile int *stop)
{
	admin_reload(r);
	state_write(r, idle_link(r));
	while (!*stop) {
		struct hs_sock h;
		int rc;

		if (ctl_serve(r)) {
			vf_refuse_unconnected(r);
			state_write(r, idle_link(r));
		} else if (r->adm.link == MD_LINK_AHEAD && !as_ahead(r)) {
			state_write(r, MD_LINK_CONNECTING);	/* the hold-off is over */
		}
		/* fence-peer runs while the link is down: its result is read
		 * here (it released held writes itself, handler.h). */
		if (fence_poll(r))
			state_write(r, r->adm.link);
		rc = conn_establish(r, stop, &h);
		poll_kernel(r);
		if (rc < 0) {
			/* Nothing listens at the peer's address now: a refusal
			 * of an earlier handshake (the peer went down in the
			 * middle of it) no longer says what the link does. */
			if (rc == -ENOTCONN && r->adm.link == MD_LINK_REFUSED)
				state_write(r, idle_link(r));
			continue;
		}
		if (r->adm.detached || as_ahead(r)) {
			handshake_refuse_idle(r, &h);
			continue;
		}
		rc = handshake(r, &h);
		if (rc) {
			conn_close(r, h.fd);
			/* Once per split brain, not at every retry. */
			if (r->hs.decision == MD_SYNC_SPLIT_BRAIN && r->adm.link != MD_LINK_SPLIT_BRAIN)
				handler_event(r, MD_H_SPLIT_BRAIN);
			state_write(r, r->hs.decision == MD_SYNC_SPLIT_BRAIN ? MD_LINK_SPLIT_BRAIN :
				    r->hs.decision == MD_SYNC_UNRELATED ? MD_LINK_UNRELATED :
				    MD_LINK_REFUSED);
			refused_pause(stop);
			continue;
		}
		conn_adopt(r, h.fd);
		if (repl_connected(r, stop))	/* the kernel refused it */
			refused_pause(stop);
	}
	state_write(r, MD_LINK_STOPPED);
	return 0;
}

/*
 * Take the channel, the metadata and the disk, and have every owner
 * allocate its buffers (touched at once, so that mlockall has nothing left
 * to fault in later).
 * Returns 0 or -errno with everything taken so far released again.
 */
int repl_init(struct repl *r)
{
	struct md_ioc_status st;
	struct md_super sb;
	struct md_geom g;
	int rc;

	/* Publish our pid before we take the channel: 'mdctl down' right after
	 * 'mdctl up' must find the daemon it has to stop. */
	state_write(r, MD_LINK_STARTING);

	conn_init(r);
	{
		char e[400];

		rc = md_res_secret(r->res, r->auth.key, &r->auth.keylen, e, sizeof(e));
		if (rc < 0) {
			log_err("%s", e);
			return rc;
		}
		r->auth.method = (uint16_t)rc;
		r->auth.flags = md_res_tls(r->res) ? MDW_AUTH_F_TLS : 0;
		if (!r->auth.flags && r->auth.method != MDW_AUTH_NONE)
			log_warn("resource %s: encryption = none: the data crosses the network in clear",
				 r->res->name);
		if (r->auth.method == MDW_AUTH_NONE)
			log_warn("resource %s: auth = none: the link is unauthenticated; anyone who "
				 "can reach port %d can pose as the peer", r->res->name, r->res->port);
	}
	r->dev.ctl_fd = kctl_open();
	if (r->dev.ctl_fd < 0) {
		log_err("cannot open %s: %s (is the mirrordisk module loaded?)",
			MD_CTL_PATH, strerror(-r->dev.ctl_fd));
		return r->dev.ctl_fd;
	}
	send_chan_mode(r);	/* --chan-read */
	rc = kctl_status(r->dev.ctl_fd, (uint32_t)r->res->minor, &st);
	if (rc) {
		log_err("no mirror device %d for resource %s: %s (run 'mdctl up %s')",
			r->res->minor, r->res->name, strerror(-rc), r->res->name);
		goto close_ctl;
	}
	r->dev.size_bytes = st.size_bytes;
	r->dev.chunk_bytes = (uint32_t)st.chunk_bytes;
	r->dev.role = st.role;
	rc = kctl_bind(r->dev.ctl_fd, (uint32_t)r->res->minor);
	if (rc) {
		log_err("cannot attach to the channel of %s: %s%s", r->res->name, strerror(-rc),
			rc == -EBUSY ? " (another mirrord serves it)" : "");
		goto close_ctl;
	}
	r->dev.nchunks = (r->dev.size_bytes + r->dev.chunk_bytes - 1) / r->dev.chunk_bytes;
	admin_init(r);
	rc = fence_init(r);
	if (rc) {
		log_err("cannot open %s for fencing: %s", MD_CTL_PATH, strerror(-rc));
		goto close_ctl;
	}

	rc = md_meta_locate(r->res->nodes[r->me].disk, r->res->nodes[r->me].meta,
			    r->res->chunk_shift, &g, &r->dev.meta_fd);
	if (rc) {
		log_err("cannot read the metadata of %s: %s", r->res->name, strerror(-rc));
		goto close_ctl;
	}
	rc = md_meta_read(r->dev.meta_fd, g.area_offset, &sb, NULL);
	if (rc) {
		log_err("cannot read the metadata of %s: %s", r->res->name, strerror(-rc));
		goto close_meta;
	}
	r->dev.meta_area = g.area_offset;
	md_run_dir_make();
	rc = md_run_path(r->dev.lock_path, sizeof(r->dev.lock_path), r->res->name, MD_RUN_LOCK);
	if (rc)
		goto close_meta;

	r->dev.disk_fd = open(r->res->nodes[r->me].disk, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (r->dev.disk_fd < 0) {
		rc = -errno;
		log_err("cannot open %s: %s", r->res->nodes[r->me].disk, strerror(errno));
		goto close_meta;
	}
	if (r->me == 0) {
		rc = conn_listen(r);
		if (rc) {
			log_err("cannot listen on %s port %d: %s", r->res->nodes[r->me].address,
				r->res->port, strerror(-rc));
			goto close_disk;
		}
	}

	if ((rc = send_init(r)))
		goto close_listener;
	if ((rc = rx_init(r)))
		goto free_send;
	if ((rc = apply_init(r)))
		goto free_rx;
	if ((rc = zc_init(r)))
		goto free_arena;
	if ((rc = as_init(r)))
		goto free_zc;
	bl_init(r);

	rc = io_loop_create(&r->io, r->opt.io_mode, 2 * MAX_APPLY + 16, r->opt.io_flags);
	if (rc) {
		log_err("cannot set up the I/O loop: %s", strerror(-rc));
		goto free_async;
	}
	log_info("resource %s: node %s, peer %s, %llu bytes, I/O via %s", r->res->name,
		 r->res->nodes[r->me].name, peer_name(r), (unsigned long long)r->dev.size_bytes,
		 io_backend_name(r->io));
	return 0;

free_async:
	as_fini(r);
free_zc:
	zc_fini(r);
free_arena:
	apply_fini(r);
free_rx:
	rx_fini(r);
free_send:
	send_fini(r);
close_listener:
	if (r->conn.listen_fd >= 0)
		close(r->conn.listen_fd);
close_disk:
	close(r->dev.disk_fd);
close_meta:
	close(r->dev.meta_fd);
close_ctl:
	close(r->dev.ctl_fd);	/* unbinds */
	return rc;
}

/* Undo a successful repl_init.  Closing the channel unbinds it: the
 * kernel fails what is left as not replicated. */
void repl_fini(struct repl *r)
{
	fence_fini(r);
	io_loop_destroy(r->io);
	if (r->conn.listen_fd >= 0) {
		conn_drop_candidates(r);	/* clients still in their handshake */
		close(r->conn.listen_fd);
	}
	close(r->dev.disk_fd);
	close(r->dev.meta_fd);
	rs_free(r);
	close(r->dev.ctl_fd);
	send_fini(r);
	rx_fini(r);
	apply_fini(r);
	zc_fini(r);
	bl_fini(r);
	as_fini(r);
}
