/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * status.c - mdctl status: one JSON object per resource of this node,
 * built from the module's status, this node's superblock and the daemon's
 * state file; --json prints the objects, the text output is printed from
 * the same objects, so the two cannot disagree.  Reads only.
 *
 * The JSON is versioned (STATUS_JSON_VERSION, mdctl(8) lists the fields):
 * within a version fields are only ever added.  status RESOURCE exits
 * MDCTL_EXIT_NOTUP when the resource is not up here, after printing it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include "gen.h"
#include "kctl.h"
#include "mdctl.h"

#define STATUS_JSON_VERSION	1

/* Health summary a failover script checks, per node. */
static const char *health(const struct md_ioc_status *st, const struct md_state *s,
			  const struct md_super *sb)
{
	if (!s->pid)
		return "stopped";
	if (st->conn == MD_CONN_HELD)
		return "writes-held";	/* fencing: no write completes until fence-peer or resume-io */
	if (s->link == MD_LINK_SPLIT_BRAIN || s->link == MD_LINK_UNRELATED)
		return "needs-recovery";
	if (st->flags & MD_SF_META_FAILED)
		return "degraded";	/* the bitmap cannot record: see status "metadata" */
	if (s->disk_stall_ms)
		return "degraded";	/* our disk does not complete I/O: "local_disk" */
	if (sb && sb->disk_state != MD_DISK_UPTODATE && sb->disk_state != MD_DISK_CONSISTENT)
		return !strcmp(s->sync_role, "target") ? "recovering" : "needs-recovery";
	if (s->link == MD_LINK_CONNECTED)
		return st->oos_chunks || strcmp(s->sync_role, "none") ? "recovering" : "normal";
	return st->oos_chunks ? "needs-recovery" : "degraded";
}

static json_object *json_time(uint64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t)
		return json_object_new_string("never");
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(buf);
}

/*
 * The peer's disk state as DRBD shows it: what the peer said while
 * connected; without the link "unknown" (DUnknown), except "outdated",
 * which this node learned and stays true until the peer is resynced.
 * peer_disk_state_last_known keeps the recorded one whatever the link.
 */
static void peer_disk_json(json_object *j, const struct md_super *sb, bool connected)
{
	uint32_t d = sb ? sb->peer_disk_state : MD_DISK_UNKNOWN;

	json_object_object_add(j, "peer_disk_state", json_object_new_string(
		md_disk_state_name(connected || d == MD_DISK_OUTDATED ? d : MD_DISK_UNKNOWN)));
	json_object_object_add(j, "peer_disk_state_last_known", json_object_new_string(
		md_disk_state_name(d)));
}

/* may_promote and promote_refusal: md_promote_check, as mdctl activate
 * (without --force) would apply it now; promote_fence_peer: whether it
 * would run fence-peer first (md_promote_needs_fence), and go on only if
 * that outdates or fences the peer, a consistent copy included. */
static void promote_json(json_object *j, const struct md_res_cfg *res, const struct md_super *sb,
			 const struct md_ioc_status *st, const struct md_state *s)
{
	struct md_promote_facts f = { .disk_state = sb ? sb->disk_state : MD_DISK_DISKLESS };
	char why[256] = "";
	bool ok, fence = false;

	if (!st) {
		snprintf(why, sizeof(why), "not up on this node");
		ok = false;
	} else if (st->role == MD_ROLE_PRIMARY && sb && (sb->flags & MD_SBF_PRIMARY)) {
		ok = true;	/* primary already */
	} else {
		f.sb_flags = sb ? sb->flags : 0;
		f.peer_primary = link_up(s, st) &&
				 !strcmp(s->peer_role, md_role_name(MD_ROLE_PRIMARY));
		ok = md_promote_check(&f, why, sizeof(why)) == MD_PROMOTE_OK;
		f.fencing = res->fencing != MD_FENCING_NONE;
		f.connected = link_up(s, st);
		f.peer_disk_state = sb ? sb->peer_disk_state : MD_DISK_UNKNOWN;
		fence = sb && md_promote_needs_fence(&f);
		if (fence && !s->pid) {	/* mdctl activate refuses it (exit 5) */
			snprintf(why, sizeof(why), "fence-peer must run first, and mirrord is not running");
			ok = fence = false;
		}
	}
	json_object_object_add(j, "may_promote", json_object_new_boolean(ok));
	json_object_object_add(j, "promote_refusal", ok ? NULL : json_object_new_string(why));
	json_object_object_add(j, "promote_fence_peer", json_object_new_boolean(fence));
}

/*
 * Compression (docs/design.md, "Compression"): the setting in force (the
 * daemon's, which mdctl set may have changed; else the file's), whether
 * this connection negotiated it, and the DATA payload bytes since the
 * daemon started: sent before and after, their ratio, the share of bytes
 * sent raw; received as they came and decoded.
 */
static void compression_json(json_object *j, const struct md_res_cfg *res, const struct md_state *s)
{
	double in = (double)s->zsent_bytes, out = (double)s->zsent_wire_bytes;
	double rin = (double)s->zrecv_bytes, rout = (double)s->zrecv_wire_bytes;

	json_object_object_add(j, "compression", json_object_new_string(
		s->pid && s->compression[0] ? s->compression : md_compression_name(res->compression)));
	json_object_object_add(j, "compression_level", json_object_new_int(
		s->pid && s->compression[0] ? s->compression_level : res->compression_level));
	json_object_object_add(j, "compression_active", json_object_new_boolean(s->pid && s->compression_active));
	json_object_object_add(j, "compression_sent_bytes", json_object_new_int64((int64_t)s->zsent_bytes));
	json_object_object_add(j, "compression_sent_wire_bytes", json_object_new_int64((int64_t)s->zsent_wire_bytes));
	json_object_object_add(j, "compression_ratio", json_object_new_double(out > 0 ? in / out : 1.0));
	json_object_object_add(j, "compression_raw_share", json_object_new_double(
		in > 0 ? (double)s->zsent_raw_bytes / in : 0.0));
	json_object_object_add(j, "compression_received_bytes", json_object_new_int64((int64_t)s->zrecv_bytes));
	json_object_object_add(j, "compression_received_wire_bytes", json_object_new_int64((int64_t)s->zrecv_wire_bytes));
	json_object_object_add(j, "compression_received_ratio", json_object_new_double(rout > 0 ? rin / rout : 1.0));
}

/* Milliseconds as a JSON number of seconds, written with three decimals. */
static json_object *seconds_json(uint64_t ms)
{
	char text[32];

	snprintf(text, sizeof(text), "%llu.%03llu", (unsigned long long)(ms / 1000),
		 (unsigned long long)(ms % 1000));
	return json_object_new_double_s((double)ms / 1000, text);
}

/* The age of the oldest write the peer lacks, now: the state file says
 * when that write was (lag_since_ms, CLOCK_BOOTTIME: one clock for every
 * process, never stepped), so the age is right however long ago the
 * daemon last wrote the file (every half second while a backlog exists,
 * at once when it begins or drains); a file without it gives lag_ms as
 * written. */
static uint64_t lag_now_ms(const struct md_state *s)
{
	struct timespec ts;
	uint64_t now;

	if (!s->lag_since_ms)
		return s->lag_ms;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	return now > s->lag_since_ms ? now - s->lag_since_ms : 0;
}

/* A time, or null when t is 0. */
static json_object *time_or_null(long long t)
{
	return t > 0 ? json_time((uint64_t)t) : NULL;
}

/*
 * mode: the setting, whether this connection runs it, and the backlog:
 * the writes completed here that the peer does not hold yet (what a
 * failover now would lose), in bytes, writes and the age of the oldest,
 * and the time to drain it at the recent rate.  on-congestion: the
 * setting, how many times congestion dropped the link, until when the
 * link stays down (pull-ahead), and whether the peer's copy is a
 * consistent prefix: not from the start of a resync to it until one
 * completes (peer_inconsistent_since), nor while it says it is
 * inconsistent.
 */
static void mode_json(json_object *j, const struct md_res_cfg *res, const struct md_state *s)
{
	json_object *last = NULL;
	bool prefix;

	json_object_object_get_ex(j, "peer_disk_state_last_known", &last);
	prefix = !(s->pid && s->peer_inconsistent_since) &&
		 !(last && (!strcmp(json_object_get_string(last), "inconsistent") ||
			    !strcmp(json_object_get_string(last), "failed") ||
			    !strcmp(json_object_get_string(last), "diskless")));
	json_object_object_add(j, "mode", json_object_new_string(
		s->pid && s->mode[0] ? s->mode : md_mode_name(res->mode)));
	json_object_object_add(j, "async_active", json_object_new_boolean(s->pid && s->async_active));
	json_object_object_add(j, "lag_bytes", json_object_new_int64((int64_t)(s->pid ? s->lag_bytes : 0)));
	json_object_object_add(j, "lag_writes", json_object_new_int64((int64_t)(s->pid ? s->lag_writes : 0)));
	/* The backlog by layer (mirrord/backlog.c): memory (ours, the
	 * socket's, the link's), then the spill file. */
	json_object_object_add(j, "lag_memory_bytes", json_object_new_int64(
		(int64_t)(s->pid && s->lag_bytes > s->lag_spill_bytes ? s->lag_bytes - s->lag_spill_bytes : 0)));
	json_object_object_add(j, "lag_spill_bytes", json_object_new_int64((int64_t)(s->pid ? s->lag_spill_bytes : 0)));
	json_object_object_add(j, "spill_size", json_object_new_int64((int64_t)(s->pid ? s->spill_size : 0)));
	json_object_object_add(j, "lag_seconds", seconds_json(s->pid ? lag_now_ms(s) : 0));
	json_object_object_add(j, "drain_seconds", seconds_json(s->pid ? s->drain_ms : 0));
	json_object_object_add(j, "on_congestion", json_object_new_string(
		s->pid && s->on_congestion[0] ? s->on_congestion : md_congestion_name(res->on_congestion)));
	json_object_object_add(j, "congestions", json_object_new_int64((int64_t)(s->pid ? s->congestions : 0)));
	json_object_object_add(j, "ahead_until", time_or_null(s->pid ? s->ahead_until : 0));
	json_object_object_add(j, "peer_consistent_prefix", json_object_new_boolean(prefix));
	json_object_object_add(j, "peer_inconsistent_since",
			       time_or_null(s->pid ? s->peer_inconsistent_since : 0));
}

/* A counter of the device's sysfs directory (kmod/main.c), 0 if absent. */
static int64_t sysfs_counter(uint32_t minor, const char *name)
{
	char path[96];
	long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/" MD_DISK_PREFIX "%u/mirror/%s", minor, name);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%lld", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/*
 * Counters for performance testers, since the device was created (the
 * kernel's) or the daemon started (mirrord's): the write-intent bitmap's
 * page writes (one FUA write each), the writes that waited for one (they
 * set a new bit), the clean epochs; the channel reads that brought
 * requests and the requests, socket sends, write()s of acks to the
 * channel, and async batches copied behind a slow link or spilled.
 * Divided by "writes" they say what one write costs.  Where a write's
 * time goes, sums in ns: the kernel's over writes_replicated (from its
 * slot to the daemon's read: to_daemon_ns; from that read to the ack:
 * remote_ns; to its local write's end: local_ns), the primary daemon's
 * over sent_writes (channel read to send done: send_ns), the secondary
 * daemon's over applied_writes (packet taken in to on the disk: apply_ns).
 * nowait: the device takes REQ_NOWAIT (an io_uring application's writes
 * are issued from its own task); nowait_requeues: local writes that would
 * have waited so and went through the kernel's workqueue instead.
 */
static void counters_json(json_object *j, const struct md_ioc_status *st, const struct md_state *s)
{
	static const char *const key[] = { "channel_reads", "channel_requests", "socket_sends",
					   "zc_sends", "ack_writes", "batches_copied", "batches_spilled",
					   "sent_writes", "send_ns", "applied_writes", "apply_ns" };
	const uint64_t val[] = { s->chan_reads, s->chan_requests, s->socket_sends, s->zc_sends,
				 s->ack_writes,
				 s->batches_copied, s->batches_spilled,
				 s->sent_writes, s->send_ns, s->applied_writes, s->apply_ns };

	json_object_object_add(j, "bitmap_page_writes", json_object_new_int64((int64_t)st->bm_page_writes));
	json_object_object_add(j, "bitmap_waits", json_object_new_int64((int64_t)st->bm_waits));
	json_object_object_add(j, "bitmap_write_rounds", json_object_new_int64((int64_t)st->bm_rounds));
	json_object_object_add(j, "epochs", json_object_new_int64((int64_t)st->epochs));
	json_object_object_add(j, "to_daemon_ns", json_object_new_int64((int64_t)st->ns_to_daemon));
	json_object_object_add(j, "remote_ns", json_object_new_int64((int64_t)st->ns_remote));
	json_object_object_add(j, "local_ns", json_object_new_int64((int64_t)st->ns_local));
	/* REQ_NOWAIT: io_uring's writes issued inline, and those of them
	 * the kernel handed to its workqueue after all. */
	json_object_object_add(j, "nowait", json_object_new_boolean(!!(st->flags & MD_SF_NOWAIT)));
	json_object_object_add(j, "nowait_requeues", json_object_new_int64(sysfs_counter(st->minor, "nowait_requeues")));
	for (size_t i = 0; i < sizeof(key) / sizeof(key[0]); i++)
		json_object_object_add(j, key[i], json_object_new_int64((int64_t)(s->pid ? val[i] : 0)));
}

/* *up: the resource is up on this node. */
static json_object *status_json(const struct md_res_cfg *res, int me, int fd, bool *up)
{
	json_object *j = json_object_new_object();
	struct md_ioc_status st;
	struct md_state s;
	struct md_super sb;
	bool have_sb;
	char dev[32], gen[24];

	snprintf(dev, sizeof(dev), "/dev/" MD_DISK_PREFIX "%d", res->minor);
	json_object_object_add(j, "resource", json_object_new_string(res->name));
	json_object_object_add(j, "node", json_object_new_string(res->nodes[me].name));
	json_object_object_add(j, "device", json_object_new_string(dev));
	json_object_object_add(j, "disk", json_object_new_string(res->nodes[me].disk));
	json_object_object_add(j, "auth", json_object_new_string(res->auth_none ? "none" : "hmac-sha256"));
	json_object_object_add(j, "encryption", json_object_new_string(md_res_tls(res) ? "tls" : "none"));
	have_sb = read_sb_quiet(res, me, &sb) == 0;
	if (have_sb) {
		snprintf(gen, sizeof(gen), "%016llx", (unsigned long long)sb.gen_current);
		json_object_object_add(j, "disk_state", json_object_new_string(md_disk_state_name(sb.disk_state)));
		json_object_object_add(j, "generation", json_object_new_string(gen));
		json_object_object_add(j, "last_sync", json_time(sb.time_last_sync));
		json_object_object_add(j, "last_break", json_time(sb.time_last_break));
		json_object_object_add(j, "last_full_sync", json_time(sb.time_last_full_sync));
	} else {
		json_object_object_add(j, "disk_state", json_object_new_string("no-metadata"));
	}
	*up = fd >= 0 && kctl_status(fd, (uint32_t)res->minor, &st) == 0;
	if (!*up) {
		peer_disk_json(j, have_sb ? &sb : NULL, false);
		promote_json(j, res, have_sb ? &sb : NULL, NULL, NULL);
		json_object_object_add(j, "state", json_object_new_string("down"));
		json_object_object_add(j, "health", json_object_new_string("stopped"));
		return j;
	}
	daemon_state(res, &s);
	peer_disk_json(j, have_sb ? &sb : NULL, link_up(&s, &st));
	promote_json(j, res, have_sb ? &sb : NULL, &st, &s);
	json_object_object_add(j, "state", json_object_new_string("up"));
	json_object_object_add(j, "role", json_object_new_string(md_role_name(st.role)));
	/* The module knows first that the link is up or down (it may have
	 * given up on a stopped daemon: kmod/deadline.c); the daemon, why. */
	json_object_object_add(j, "connection", json_object_new_string(md_link_name(
		st.conn == MD_CONN_CONNECTED ? MD_LINK_CONNECTED :
		s.link == MD_LINK_CONNECTED ? MD_LINK_CONNECTING : s.link)));
	json_object_object_add(j, "peer", json_object_new_string(res->nodes[!me].name));
	json_object_object_add(j, "peer_role", json_object_new_string(
		st.conn == MD_CONN_CONNECTED && s.peer_role[0] ? s.peer_role : "unknown"));
	json_object_object_add(j, "health", json_object_new_string(health(&st, &s, have_sb ? &sb : NULL)));
	json_object_object_add(j, "detached", json_object_new_boolean(have_sb && (sb.flags & MD_SBF_DETACHED)));
	json_object_object_add(j, "granted", json_object_new_string(
		!have_sb || st.role != MD_ROLE_PRIMARY || (sb.flags & MD_SBF_PRIMARY) ? "none" :
		st.flags & MD_SF_READONLY ? "read-only" : "read-write"));
	json_object_object_add(j, "rebuild", json_object_new_string(
		!have_sb ? "none" : sb.flags & MD_SBF_DISCARD ? "discard-local" :
		sb.flags & MD_SBF_SURVIVOR ? "keep-local" : "none"));
	json_object_object_add(j, "paused", json_object_new_boolean(s.pid && s.paused));
	json_object_object_add(j, "verify", json_object_new_string(s.pid && s.verify[0] ? s.verify : "none"));
	json_object_object_add(j, "verify_done_bytes", json_object_new_int64((int64_t)(s.verify_done * st.chunk_bytes)));
	json_object_object_add(j, "verify_differ_bytes", json_object_new_int64((int64_t)(s.verify_differ * st.chunk_bytes)));
	json_object_object_add(j, "resync_rate_limit_bytes", json_object_new_int64((int64_t)s.resync_rate));
	json_object_object_add(j, "sync", json_object_new_string(s.pid ? s.sync : "unknown"));
	json_object_object_add(j, "sync_role", json_object_new_string(s.pid ? s.sync_role : "none"));
	json_object_object_add(j, "sync_done_bytes", json_object_new_int64((int64_t)(s.sync_done * st.chunk_bytes)));
	json_object_object_add(j, "sync_total_bytes", json_object_new_int64((int64_t)(s.sync_total * st.chunk_bytes)));
	json_object_object_add(j, "sync_rate_bytes", json_object_new_int64((int64_t)s.sync_rate));
	json_object_object_add(j, "resynced_bytes", json_object_new_int64((int64_t)(st.resynced_chunks * st.chunk_bytes)));
	json_object_object_add(j, "size_bytes", json_object_new_int64((int64_t)st.size_bytes));
	json_object_object_add(j, "chunk_bytes", json_object_new_int64((int64_t)st.chunk_bytes));
	json_object_object_add(j, "out_of_sync_bytes",
			       json_object_new_int64((int64_t)(st.oos_chunks * st.chunk_bytes)));
	json_object_object_add(j, "writes", json_object_new_int64((int64_t)st.writes));
	json_object_object_add(j, "writes_replicated", json_object_new_int64((int64_t)st.writes_replicated));
	json_object_object_add(j, "inflight", json_object_new_int64((int64_t)st.inflight));
	json_object_object_add(j, "open", json_object_new_boolean(!!(st.flags & MD_SF_OPEN)));
	/* A failed bitmap write: see "Metadata failure" in docs/design.md. */
	json_object_object_add(j, "metadata", json_object_new_string(
		st.flags & MD_SF_META_FAILED ? "failed" : "ok"));
	/* Timeouts (docs/design.md, "Timeouts"). */
	json_object_object_add(j, "local_disk", json_object_new_string(
		s.pid && s.disk_stall_ms ? "stalled" : "ok"));
	json_object_object_add(j, "disk_stall_ms", json_object_new_int64((int64_t)(s.pid ? s.disk_stall_ms : 0)));
	json_object_object_add(j, "disk_stall_offset", json_object_new_int64((int64_t)s.disk_stall_offset));
	json_object_object_add(j, "oldest_request_ms", json_object_new_int64((int64_t)st.oldest_ms));
	json_object_object_add(j, "local_oldest_ms", json_object_new_int64((int64_t)st.local_oldest_ms));
	json_object_object_add(j, "local_oldest_offset", json_object_new_int64((int64_t)st.local_oldest_offset));
	json_object_object_add(j, "daemon_deadline_misses", json_object_new_int64((int64_t)st.daemon_misses));
	json_object_object_add(j, "daemon_pid", json_object_new_int(s.pid));
	json_object_object_add(j, "io_backend", json_object_new_string(s.io[0] ? s.io : "-"));
	json_object_object_add(j, "chan_read", json_object_new_string(s.pid && s.chan_read[0] ? s.chan_read : "-"));
	json_object_object_add(j, "chan_read_nowait", json_object_new_boolean(s.pid && s.chan_read_nowait));
	json_object_object_add(j, "chan_read_switches", json_object_new_int64(s.pid ? (int64_t)s.chan_read_switches : 0));
	json_object_object_add(j, "last_change", json_object_new_int64(s.since));
	json_object_object_add(j, "last_error", json_object_new_string(s.last_error));
	/* fencing: the kernel says whether writes are held, the daemon since when */
	json_object_object_add(j, "io_held", json_object_new_boolean(st.conn == MD_CONN_HELD));
	json_object_object_add(j, "io_held_since", json_time(st.conn == MD_CONN_HELD && s.pid ? s.io_held_since : 0));
	json_object_object_add(j, "fencing", json_object_new_string(md_fencing_name(res->fencing)));
	json_object_object_add(j, "fence_state", json_object_new_string(s.pid && s.fence_state[0] ? s.fence_state : "none"));
	json_object_object_add(j, "fence_result", json_object_new_string(s.fence_result));
	json_object_object_add(j, "last_handler", json_object_new_string(s.handler));
	json_object_object_add(j, "last_handler_result", json_object_new_string(s.handler_result));
	compression_json(j, res, &s);
	mode_json(j, res, &s);
	counters_json(j, &st, &s);
	return j;
}

/* A time field of status_json: its text, "" when null or absent. */
static const char *time_text(json_object *j, const char *key)
{
	json_object *v = NULL;
	const char *t;

	if (!json_object_object_get_ex(j, key, &v) || !v || !(t = json_object_get_string(v)))
		return "";
	return t;
}

/* An integer of the status object, 0 when it has none. */
static int64_t json_i64(json_object *j, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(j, key, &v) ? json_object_get_int64(v) : 0;
}

/* "  on-congestion pull-ahead: link dropped 2 times for congestion; pulled
 * ahead until ...", and whether the peer's copy is a consistent prefix. */
static void print_congestion_text(json_object *j)
{
	json_object *v;
	const char *how = json_object_object_get_ex(j, "on_congestion", &v) ? json_object_get_string(v) : "block";
	int64_t n = json_i64(j, "congestions");
	const char *until = time_text(j, "ahead_until"), *since = time_text(j, "peer_inconsistent_since");

	const char *mode = json_object_object_get_ex(j, "mode", &v) ? json_object_get_string(v) : "sync";

	if ((strcmp(how, "block") && !strcmp(mode, "async")) || n)
		printf("  on-congestion %s: link dropped for congestion %lld time%s%s%s\n", how,
		       (long long)n, n == 1 ? "" : "s",
		       *until ? "; pulled ahead, the link down until " : "", until);
	if (json_object_object_get_ex(j, "peer_consistent_prefix", &v) && !json_object_get_boolean(v))
		printf("  peer copy not a consistent prefix%s%s: %s\n", *since ? " since " : "", since,
		       *since ? "a resync to it has not completed" :
		       "its last known disk state is not usable for a failover");
}

/* "  compression zstd level 1 (active): sent 4096 bytes as 1024 (ratio 4.00, 0.0% raw)..." */
static void print_compression_text(json_object *j)
{
	json_object *v;
	double ratio = 1, raw = 0, rratio = 1;

#define S(key) (json_object_object_get_ex(j, key, &v) ? json_object_get_string(v) : "-")
	if (json_object_object_get_ex(j, "compression_ratio", &v))
		ratio = json_object_get_double(v);
	if (json_object_object_get_ex(j, "compression_raw_share", &v))
		raw = json_object_get_double(v);
	if (json_object_object_get_ex(j, "compression_received_ratio", &v))
		rratio = json_object_get_double(v);
	printf("  compression %s level %s (%s): sent %s bytes as %s (ratio %.2f, %.1f%% raw), "
	       "received %s as %s (ratio %.2f)\n", S("compression"), S("compression_level"),
	       !strcmp(S("compression_active"), "true") ? "active on this connection" : "not active",
	       S("compression_sent_bytes"), S("compression_sent_wire_bytes"), ratio, raw * 100,
	       S("compression_received_bytes"), S("compression_received_wire_bytes"), rratio);
#undef S
}

/* The means of where a write's time went (counters_json), in µs; a stage
 * this node saw nothing of is left out, and so are the kernel's from a
 * module that has no stage times (it reports zero). */
static void print_stages_text(json_object *j)
{
	int64_t n = json_i64(j, "writes_replicated"), sent = json_i64(j, "sent_writes");
	int64_t applied = json_i64(j, "applied_writes");

	if (!json_i64(j, "to_daemon_ns") && !json_i64(j, "remote_ns") && !json_i64(j, "local_ns"))
		n = 0;

	if (n > 0)
		printf("  per replicated write (mean): %.0f us to the daemon, %.0f us from there to the "
		       "peer's ack, local write %.0f us", json_i64(j, "to_daemon_ns") / 1e3 / n,
		       json_i64(j, "remote_ns") / 1e3 / n, json_i64(j, "local_ns") / 1e3 / n);
	if (n > 0 && sent > 0)
		printf(", daemon to the socket %.0f us", json_i64(j, "send_ns") / 1e3 / sent);
	if (applied > 0)
		printf("%s%.0f us from arrival to the disk for the peer's writes",
		       n > 0 ? "; " : "  ", json_i64(j, "apply_ns") / 1e3 / applied);
	if (n > 0 || applied > 0)
		printf("\n");
}

static void print_status_text(json_object *j)
{
	json_object *v;

#define S(key) (json_object_object_get_ex(j, key, &v) ? json_object_get_string(v) : "-")
	printf("%s: %s", S("resource"), S("state"));
	if (!strcmp(S("state"), "up")) {
		printf(" role=%s connection=%s peer=%s(%s) health=%s\n", S("role"), S("connection"),
		       S("peer"), S("peer_role"), S("health"));
		printf("  device %s on %s, %s bytes, out of sync %s bytes, in flight %s\n",
		       S("device"), S("disk"), S("size_bytes"), S("out_of_sync_bytes"), S("inflight"));
		printf("  disk %s, generation %s, last sync %s (full %s), last break %s\n",
		       S("disk_state"), S("generation"), S("last_sync"), S("last_full_sync"),
		       S("last_break"));
		printf("  peer disk %s", S("peer_disk_state"));
		if (strcmp(S("peer_disk_state"), S("peer_disk_state_last_known")))
			printf(" (last known %s)", S("peer_disk_state_last_known"));
		printf(", may promote: %s\n", !strcmp(S("promote_fence_peer"), "true") ?
		       "if fence-peer outdates or fences the peer (activate runs it first)" :
		       !strcmp(S("may_promote"), "true") ? "yes" : S("promote_refusal"));
		printf("  writes %s (%s replicated), daemon pid %s via %s\n", S("writes"),
		       S("writes_replicated"), S("daemon_pid"), S("io_backend"));
		if (!strcmp(S("detached"), "true") || strcmp(S("granted"), "none") || strcmp(S("rebuild"), "none"))
			printf("  detached %s, access granted %s, rebuild %s\n", S("detached"), S("granted"),
			       S("rebuild"));
		if (strcmp(S("sync_role"), "none"))
			printf("  resync %s (%s): %s of %s bytes at %s bytes/s%s\n", S("sync_role"), S("sync"),
			       S("sync_done_bytes"), S("sync_total_bytes"), S("sync_rate_bytes"),
			       !strcmp(S("paused"), "true") ? ", paused" : "");
		if (!strcmp(S("metadata"), "failed"))
			printf("  metadata failed on %s: writes complete only when replicated; "
			       "after a crash a full resync is needed (see mdctl(8))\n", S("disk"));
		if (!strcmp(S("local_disk"), "stalled"))
			printf("  local disk stalled: I/O at offset %s has not completed for %s ms\n",
			       S("disk_stall_offset"), S("disk_stall_ms"));
		if (!strcmp(S("auth"), "none"))
			printf("  link unauthenticated (auth = none): anyone who reaches the port can pose as the peer\n");
		else if (!strcmp(S("encryption"), "none"))
			printf("  link not encrypted (encryption = none): the data crosses the network in clear\n");
		if (!strcmp(S("io_held"), "true"))
			printf("  writes held: waiting for fence-peer since %s (%s); 'mdctl resume-io %s' "
			       "releases them\n", S("io_held_since"), S("fence_state"), S("resource"));
		if (*S("last_handler"))
			printf("  handler %s: %s%s%s\n", S("last_handler"), S("last_handler_result"),
			       *S("fence_result") ? "; fence-peer: " : "", S("fence_result"));
		if (strcmp(S("compression"), "none") || strcmp(S("compression_sent_bytes"), "0") ||
		    strcmp(S("compression_received_bytes"), "0"))
			print_compression_text(j);
		if (strcmp(S("mode"), "sync") || strcmp(S("lag_bytes"), "0"))
			printf("  mode %s (%s): peer behind by %s bytes in %s writes, oldest %s s; "
			       "drains in %s s\n", S("mode"),
			       !strcmp(S("async_active"), "true") ? "active on this connection" :
			       "synchronous on this connection", S("lag_bytes"), S("lag_writes"),
			       S("lag_seconds"), S("drain_seconds"));
		if (strcmp(S("spill_size"), "0"))
			printf("  async backlog: %s bytes in memory, %s in the spill file (%s bytes)\n",
			       S("lag_memory_bytes"), S("lag_spill_bytes"), S("spill_size"));
		print_congestion_text(j);
		print_stages_text(j);
		if (*S("last_error"))
			printf("  last error: %s\n", S("last_error"));
	} else {
		printf(" health=%s disk=%s peer_disk=%s\n", S("health"), S("disk_state"),
		       S("peer_disk_state_last_known"));
	}
#undef S
}

int cmd_status(const char *name)
{
	json_object *all = json_object_new_array();
	char e[512];
	int fd, rc = MDCTL_EXIT_OK, found = 0;
	bool up;

	if (md_config_load(o.config, &cfg, e, sizeof(e)))
		return err(MDCTL_EXIT_CONFIG, "%s", e);
	if (name && !md_config_find(&cfg, name))
		return err(MDCTL_EXIT_CONFIG, "resource '%s' is not defined in %s", name, o.config);
	fd = kctl_open();
	for (int i = 0; i < cfg.nres; i++) {
		struct md_res_cfg *res = &cfg.res[i];
		int me = md_res_node_index(res, o.node);

		if (name && strcmp(res->name, name))
			continue;
		if (me < 0) {
			if (name)
				rc = err(MDCTL_EXIT_CONFIG, "this node (%s) is not part of resource %s",
					 o.node, name);
			continue;
		}
		found++;
		json_object_array_add(all, status_json(res, me, fd, &up));
		if (name && !up)
			rc = MDCTL_EXIT_NOTUP;	/* a monitor's "not running"; the output says the rest */
	}
	if (fd >= 0)
		close(fd);
	if (o.json) {
		json_object *top = json_object_new_object();

		json_object_object_add(top, "version", json_object_new_int(STATUS_JSON_VERSION));
		json_object_object_add(top, "resources", json_object_get(all));
		printf("%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
	} else {
		for (size_t i = 0; i < json_object_array_length(all); i++)
			print_status_text(json_object_array_get_idx(all, i));
	}
	json_object_put(all);
	if (!rc && !found)
		return err(MDCTL_EXIT_CONFIG, "no resource of this node (%s) in %s", o.node, o.config);
	return rc;
}
