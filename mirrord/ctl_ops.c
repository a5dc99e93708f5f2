/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl_ops.c - the control socket's requests: the table ops[] (name,
 * arguments, whether the main loop serves it, usage) and one handler
 * each.  ctl.c serves the socket and runs these in the main loop
 * (ctl_serve) or its thread; docs/design.md, "Control socket and events".
 *
 * Adding a request: one entry in ops[] and one handler.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ctl.h"
#include "log.h"
#include "repl.h"
#include "runfile.h"

static int op_pause_resume(struct repl *r, const struct md_ctl_req *q, char *msg, size_t len,
			   bool *changed)
{
	bool pause = !strcmp(q->argv[0], "pause");

	if (r->rs.active && !r->rs.source) {
		snprintf(msg, len, "%s: this node receives the resync; %s it on %s, which sends it",
			 r->res->name, q->argv[0], peer_name(r));
		return MD_CTL_REFUSED;
	}
	*changed = admin_set_paused(r, pause);
	snprintf(msg, len, "resync %s", pause ? "paused" : "resumed");
	return 0;
}

/* set compression MODE, set compression-level N (compress.c applies them). */
static int op_set_compression(struct repl *r, const struct md_ctl_req *q, char *msg, size_t len,
			      bool *changed)
{
	int mode = -1, level = INT_MIN;

	if (!strcmp(q->argv[1], "compression")) {
		if ((mode = md_compression_parse(q->argv[2])) < 0) {
			snprintf(msg, len, "compression: '%s' is not none, zstd or auto", q->argv[2]);
			return MD_CTL_USAGE;
		}
	} else {
		char *end;
		long v;

		errno = 0;
		v = strtol(q->argv[2], &end, 10);
		if (end == q->argv[2] || *end || errno || v < MDZ_LEVEL_MIN || v > MDZ_LEVEL_MAX) {
			snprintf(msg, len, "compression-level: '%s' is not a level from %d to %d",
				 q->argv[2], MDZ_LEVEL_MIN, MDZ_LEVEL_MAX);
			return MD_CTL_USAGE;
		}
		level = (int)v;
	}
	if (zc_set(r, mode, level, msg, len))
		return MD_CTL_ERROR;
	*changed = true;
	return 0;
}

/* set mode sync|async, set async-buffer BYTES, set max-lag SECONDS,
 * set on-congestion block|disconnect|pull-ahead (async.c applies them). */
static int op_set_mode(struct repl *r, const struct md_ctl_req *q, char *msg, size_t len,
		       bool *changed)
{
	struct md_res_cfg next = *r->res;

	if (!strcmp(q->argv[1], "mode")) {
		if ((next.mode = md_mode_parse(q->argv[2])) < 0) {
			snprintf(msg, len, "mode: '%s' is not sync or async", q->argv[2]);
			return MD_CTL_USAGE;
		}
	} else if (!strcmp(q->argv[1], "on-congestion")) {
		if ((next.on_congestion = md_congestion_parse(q->argv[2])) < 0) {
			snprintf(msg, len, "on-congestion: '%s' is not block, disconnect or pull-ahead",
				 q->argv[2]);
			return MD_CTL_USAGE;
		}
	} else if (!strcmp(q->argv[1], "max-lag")) {
		char *end;
		long v;

		errno = 0;
		v = strtol(q->argv[2], &end, 10);
		if (end == q->argv[2] || *end || errno || v < 0 || v > MD_MAX_LAG_MAX) {
			snprintf(msg, len, "max-lag: '%s' is not 0..%d seconds", q->argv[2], MD_MAX_LAG_MAX);
			return MD_CTL_USAGE;
		}
		next.max_lag_s = (int)v;
	} else if (md_parse_size(q->argv[2], &next.async_buffer) ||
		   md_async_buffer_check(next.async_buffer)) {
		snprintf(msg, len, "async-buffer: '%s' is not a size from 1M to 16G", q->argv[2]);
		return MD_CTL_USAGE;
	}
	if (as_set(r, &next, msg, len))
		return MD_CTL_ERROR;
	*changed = true;
	return 0;
}

static int op_set(struct repl *r, const struct md_ctl_req *q, char *msg, size_t len, bool *changed)
{
	unsigned long long v;
	char *end;

	if (!strcmp(q->argv[1], "compression") || !strcmp(q->argv[1], "compression-level"))
		return op_set_compression(r, q, msg, len, changed);
	if (!strcmp(q->argv[1], "mode") || !strcmp(q->argv[1], "async-buffer") ||
	    !strcmp(q->argv[1], "max-lag") || !strcmp(q->argv[1], "on-congestion"))
		return op_set_mode(r, q, msg, len, changed);
	if (strcmp(q->argv[1], "resync-rate")) {
		snprintf(msg, len, "unknown setting '%s' (runtime settings: resync-rate, compression, "
			 "compression-level, mode, async-buffer, max-lag, on-congestion)", q->argv[1]);
		return MD_CTL_USAGE;
	}
	errno = 0;
	v = strtoull(q->argv[2], &end, 10);
	if (q->argv[2][0] < '0' || q->argv[2][0] > '9' || *end || errno || v > INT64_MAX) {
		snprintf(msg, len, "resync-rate: '%s' is not a number of bytes per second", q->argv[2]);
		return MD_CTL_USAGE;
	}
	*changed = admin_set_rate(r, v);
	snprintf(msg, len, "resync-rate %llu bytes/s", v);
	return 0;
}

static int op_verify(struct repl *r, const struct md_ctl_req *q, char *msg, size_t len, bool *changed)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(q->argv[1], &end, 10);
	if (q->argv[1][0] < '1' || q->argv[1][0] > '9' || *end || errno) {
		snprintf(msg, len, "verify: the token '%s' is not a positive number", q->argv[1]);
		return MD_CTL_USAGE;
	}
	if (r->vf.active) {
		snprintf(msg, len, "%s: a verify is already running", r->res->name);
		return MD_CTL_REFUSED;
	}
	*changed = admin_request_verify(r, v);
	snprintf(msg, len, "verify %llu requested", v);
	return 0;
}

static int op_reread(struct repl *r, const struct md_ctl_req *q, char *msg, size_t len, bool *changed)
{
	(void)q;
	*changed = admin_reload(r);
	snprintf(msg, len, "superblock read again");
	return 0;
}

/* mdctl adjust: the configuration file read again; what a running
 * resource can take is applied, anything else refused with the reason. */
static int op_adjust(struct repl *r, const struct md_ctl_req *q, char *msg, size_t len, bool *changed)
{
	static struct md_config cfg;	/* large; the main loop's only */
	const struct md_res_cfg *next;
	char err[512], what[256];
	int n;

	(void)q;
	if (md_config_load(r->opt.config_path, &cfg, err, sizeof(err))) {
		snprintf(msg, len, "%s", err);
		return MD_CTL_CONFIG;
	}
	next = md_config_find(&cfg, r->res->name);
	if (!next || md_res_node_index(next, r->opt.node) != r->me) {
		snprintf(msg, len, "the resource or this node (%s) is not where it was in %s",
			 r->opt.node, r->opt.config_path);
		return MD_CTL_CONFIG;
	}
	n = md_res_adjust(r->res, next, what, sizeof(what), err, sizeof(err));
	if (n < 0) {
		snprintf(msg, len, "%s", err);
		return MD_CTL_REFUSED;
	}
	if (!n) {
		snprintf(msg, len, "nothing to change");
		return 0;
	}
	*changed = admin_adjust(r, next);
	snprintf(msg, len, "applied %s", what);
	return 0;
}

/* mdctl activate without the link (lib/gen.c, md_promote_needs_fence):
 * fence-peer runs now, and its answer decides (fence.c). */
static int op_fence_peer(struct repl *r, const struct md_ctl_req *q, char *msg, size_t len,
			 bool *changed)
{
	(void)changed;
	int rc;

	(void)q;
	rc = fence_for_promote(r, msg, len);
	/* Published before the answer: mdctl, answered, waits while the
	 * state file says "fencing". */
	if (!rc)
		state_write(r, r->adm.link);
	return rc ? MD_CTL_REFUSED : 0;
}

/* A planned switchover (mdctl deactivate) of a node pulled ahead: the
 * hold-off ends now, so that the peer catches up before it is activated. */
static int op_catch_up(struct repl *r, const struct md_ctl_req *q, char *msg, size_t len,
		       bool *changed)
{
	(void)q;
	if (!as_ahead(r)) {
		snprintf(msg, len, "not pulled ahead");
		return 0;
	}
	as_catch_up(r, "asked by mdctl");
	*changed = true;
	snprintf(msg, len, "the hold-off ends: connecting to catch the peer up");
	return 0;
}

/*
 * mdctl deactivate, before it reads the backlog from the state file: the
 * file written now.  The writes the kernel completed before mdctl asked
 * (async: once mirrord read them) are in the backlog by then, because the
 * request is served a turn after it arrived (after_turn): the channel
 * read that took them posted its completion before, and that turn's
 * io_run took it in.  Without it the file could still show no backlog
 * until the next poll (POLL_INTERVAL_MS) and the switchover would not
 * wait for writes the peer lacks.
 */
static int op_publish(struct repl *r, const struct md_ctl_req *q, char *msg, size_t len,
		      bool *changed)
{
	(void)q;
	(void)changed;
	state_write(r, r->adm.link);
	snprintf(msg, len, "state published");
	return 0;
}

/*
 * The requests.  main_loop: the handler runs in the main loop (it changes
 * the daemon); else the control thread serves it (events: from the last
 * published state).  Resume-io and outdate need no daemon: mdctl asks the
 * kernel and the superblock (under its lock) directly.
 */
static const struct ctl_op ops[] = {
	{ "pause", 0, 0, true, false, op_pause_resume, "pause" },
	{ "resume", 0, 0, true, false, op_pause_resume, "resume" },
	{ "set", 2, 2, true, false, op_set, "set resync-rate BYTES_PER_S | compression MODE | compression-level N | mode sync|async | async-buffer BYTES | max-lag S | on-congestion block|disconnect|pull-ahead" },
	{ "verify", 1, 1, true, false, op_verify, "verify TOKEN" },
	{ "reread", 0, 0, true, false, op_reread, "reread" },
	{ "adjust", 0, 0, true, false, op_adjust, "adjust" },
	{ "fence-peer", 0, 0, true, false, op_fence_peer, "fence-peer" },
	{ "catch-up", 0, 0, true, false, op_catch_up, "catch-up" },
	{ "publish", 0, 0, true, true, op_publish, "publish" },
	{ "events", 0, 1, false, false, NULL, "events [now]" },
};

const struct ctl_op *ctl_op_find(const struct md_ctl_req *q, char *why, size_t len)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(q->argv[0], ops[i].name))
			continue;
		if (q->argc - 1 < ops[i].min_args || q->argc - 1 > ops[i].max_args) {
			snprintf(why, len, "usage: %s", ops[i].usage);
			return NULL;
		}
		if (!strcmp(ops[i].name, "events") && q->argc == 2 && strcmp(q->argv[1], "now")) {
			snprintf(why, len, "usage: %s", ops[i].usage);
			return NULL;
		}
		return &ops[i];
	}
	snprintf(why, len, "unknown request '%s'", q->argv[0]);
	return NULL;
}

