/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * md_run.h - the runtime files mirrord and mdctl share on one node.
 *
 *   MD_RUN_DIR/NAME.state   written by mirrord (whole file, atomic rename),
 *                           read by mdctl status and every flow that asks
 *                           "is the daemon up, is the link connected".
 *   MD_RUN_DIR/NAME.sock    mirrord's control socket (root only, 0600):
 *                           mdctl's runtime requests and the event stream,
 *                           format in lib/ctlproto.h.
 *   MD_RUN_DIR/NAME.lock    the metadata lock both programs take.
 *   MD_RUN_DIR/NAME.pid     mirrord's pid, under an exclusive flock held for
 *                           the daemon's life (lib/pidlock.c): whoever holds
 *                           the lock is the daemon, a pid alone proves nothing.
 *   MD_LOG_DIR/NAME.log     mirrord's output when mdctl started it.
 *
 * The state file is text, one "key=value" per line, unknown keys ignored
 * by the reader so that either program can be newer than the other.  The
 * reading and writing code is lib/runfile.c; nothing else parses it.
 */
#ifndef MD_RUN_H
#define MD_RUN_H

#define MD_RUN_DIR		"/run/mirrordisk"
#define MD_LOG_DIR		"/var/log/mirrordisk"
#define MD_RUN_STATE		".state"
#define MD_RUN_LOCK		".lock"
#define MD_RUN_PID		".pid"
#define MD_RUN_LOG		".log"

/* mirrord's poll while connected: a backlog that began or drained is in
 * the state file within about this long (mdctl deactivate asks for it at
 * once: the "publish" request, mirrord/ctl.c). */
#define MD_RUN_POLL_MS		200

/*
 * Link states as the state file names them ("conn=").  The numbers are
 * only for the programs; the names are the format (mdctl status shows them,
 * scripts match them).  MD_LINK_NO_DAEMON is never written: it is what a
 * reader reports when there is no file or its pid is gone.
 */
enum md_link {
	MD_LINK_NO_DAEMON = 0,
	MD_LINK_CONNECTING,
	MD_LINK_CONNECTED,
	MD_LINK_DETACHED,
	MD_LINK_SPLIT_BRAIN,
	MD_LINK_UNRELATED,
	MD_LINK_REFUSED,
	MD_LINK_STOPPED,
	MD_LINK_STARTING,	/* "starting": pid published, channel not bound yet */
	MD_LINK_AHEAD,		/* "ahead": on-congestion pull-ahead, the link down
				 * on purpose until ahead_until (then a resync) */
	MD_LINK_COUNT
};

/* Longest line a reader takes, '\n' excluded; longer lines are malformed. */
#define MD_RUN_LINE_MAX		4096
/* At most this many offsets in the state file's "verify_first=" list. */
#define MD_VF_FIRST_MAX		8

#endif
