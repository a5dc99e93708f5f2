/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlproto.h - the control socket's format (MD_RUN_DIR/NAME.sock, served
 * by mirrord/ctl.c, used by mdctl) and the event stream's lines.  Pure
 * functions: no I/O, so the unit tests and the fuzzer drive them.
 *
 * A client sends one request line, at most MD_CTL_LINE_MAX bytes before
 * its '\n': words of printable ASCII (0x21..0x7e) separated by single
 * spaces, at most MD_CTL_ARGS words of at most MD_CTL_WORD_MAX bytes.
 * The daemon answers one line "STATUS MESSAGE\n", STATUS an mdctl exit
 * code (0 done, 2 malformed request, 4 refused, ...), MESSAGE text for
 * mdctl to print.  After "0 ..." to "events", the daemon goes on with
 * event lines, each "TIME KIND OBJECT name=RES key=value...\n" (TIME in
 * ISO 8601 UTC with milliseconds); see docs/design.md, "Control socket".
 */
#ifndef MD_CTLPROTO_H
#define MD_CTLPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MD_RUN_SOCK		".sock"
#define MD_CTL_LINE_MAX		256	/* request line, '\n' excluded */
#define MD_CTL_ARGS		4	/* words, the request's name included */
#define MD_CTL_WORD_MAX		63
#define MD_CTL_ANSWER_MAX	512	/* answer line, '\n' included */
#define MD_EV_LINE_MAX		512	/* event line, '\n' included */

/* An answer's status: the exit code mdctl ends with (mdctl.h). */
#define MD_CTL_OK		0
#define MD_CTL_ERROR		1
#define MD_CTL_USAGE		2	/* malformed or unknown request */
#define MD_CTL_CONFIG		3	/* the configuration file is wrong */
#define MD_CTL_REFUSED		4	/* not in this state, or not root */

struct md_ctl_req {
	int argc;
	char argv[MD_CTL_ARGS][MD_CTL_WORD_MAX + 1];
};

/*
 * Split one request line (len bytes, without its '\n') into words.
 * 0, or -EINVAL with why filled (empty, too long, a byte that is not
 * printable ASCII, two spaces in a row, too many or too long words).
 */
int md_ctl_parse(const char *line, size_t len, struct md_ctl_req *q, char *why, size_t whylen);

/* "STATUS MESSAGE\n" into buf (MD_CTL_ANSWER_MAX): a '\n' or other control
 * byte in msg becomes ' ', a message too long is cut.  Returns the length. */
size_t md_ctl_answer(char *buf, size_t len, int status, const char *msg);
/* Split an answer line (no '\n'): 0 with *status and *msg, or -EBADMSG. */
int md_ctl_answer_parse(const char *line, int *status, const char **msg);

/* ---- events ---- */

/* One resource's state as the event stream shows it: each field a word. */
struct md_ev_snap {
	char role[16];			/* primary, secondary */
	char conn[16];			/* md_link_name() */
	char disk[16];			/* md_disk_state_name(), "detached" */
	char peer_disk[16];		/* as the connection shows it, "unknown" */
	char resync[8];			/* none, source, target */
	char verify[16];		/* none, running, done, aborted, unsupported */
	uint64_t rs_done, rs_total;	/* chunks */
	uint64_t verify_token, verify_differ;
	/* compression (mirrord/compress.c): data payload bytes sent since the
	 * daemon started, before and after; 0: compression counted nothing.
	 * resync-progress and resync-end carry them as sent-bytes and
	 * sent-wire-bytes, where they tell what compression buys a resync. */
	uint64_t z_sent, z_wire;
	/* mode = async (mirrord/async.c): the setting, and the writes completed
	 * here that the peer lacks; "lag" lines tell when the peer falls
	 * behind, how far while it is, and when it caught up. */
	char mode[8];			/* sync, async */
	uint64_t lag_bytes, lag_writes, lag_ms;
};

/* What the differ remembers between two snapshots (progress pacing). */
struct md_ev_pace {
	int last_pct;			/* -1: none sent for this resync */
	uint64_t last_ms;
	uint64_t lag_ms;		/* the last "lag" line (0: none while behind) */
};

#define MD_EV_PROGRESS_MS	5000	/* a progress line at least this often */

typedef void (*md_ev_sink)(void *ctx, const char *line);

/* The "exists resource ..." line of a snapshot (no time, no '\n'). */
size_t md_ev_exists(char *buf, size_t len, const char *res, const struct md_ev_snap *s);
/*
 * The change lines between two snapshots, in a fixed order (change,
 * split-brain, resync-start, resync-progress, resync-end, verify, lag), each
 * handed to sink without time and '\n'.  Returns how many.
 */
int md_ev_diff(const char *res, const struct md_ev_snap *old, const struct md_ev_snap *cur,
	       struct md_ev_pace *pace, uint64_t now_ms, md_ev_sink sink, void *ctx);
/* "2026-12-05T15:32:27.123Z" for a CLOCK_REALTIME time in ms. */
size_t md_ev_time(char *buf, size_t len, uint64_t realtime_ms);
/*
 * One event line (no '\n'), "TIME KIND OBJECT key=value..." or without
 * TIME (has_time false), as JSON: {"time":...,"type":KIND,"object":OBJECT,
 * "key":"value",...}, digits-only values as numbers.  -EBADMSG for a line
 * not of that shape, -ENOSPC when out is too small.
 */
int md_ev_json(const char *line, bool has_time, char *out, size_t len);
/* The value of key in an event line ("conn" -> "connected"), into val. */
bool md_ev_get(const char *line, const char *key, char *val, size_t len);

#endif
