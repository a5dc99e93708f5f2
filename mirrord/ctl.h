/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.h - mirrord's control socket and event stream (ctl.c).
 */
#ifndef MIRRORD_CTL_H
#define MIRRORD_CTL_H

#include <stdbool.h>
#include <sys/types.h>
#include "ctlproto.h"

struct repl;

/* One request of the control socket: ctl_ops.c's ops[] table. */
struct ctl_op {
	const char *name;
	int min_args, max_args;		/* words after the name */
	bool main_loop;			/* fn runs in the main loop; else the thread serves it */
	bool after_turn;		/* main loop: served one turn after it arrived, so that
					 * every completion posted before it is taken in first */
	/* Returns the answer's status (MD_CTL_*), msg its text; *changed when
	 * the loop must act on r->adm (publish, start a verify, detach). */
	int (*fn)(struct repl *r, const struct md_ctl_req *q, char *msg, size_t len, bool *changed);
	const char *usage;
};

/* The table entry for a parsed request, or NULL with why (unknown, usage). */
const struct ctl_op *ctl_op_find(const struct md_ctl_req *q, char *why, size_t len);
/* SO_PEERCRED: is the client on fd uid allow?  *uid: what it is (-1: unknown). */
bool ctl_peer_allowed(int fd, uid_t allow, uid_t *uid);

/* Serve MD_RUN_DIR/NAME.sock (0600) to uid allow_uid; 0 or -errno. */
int ctl_start(struct repl *r, uid_t allow_uid);
void ctl_stop(struct repl *r);
/* Main loop: run the requests waiting for it; true when r->adm changed. */
bool ctl_serve(struct repl *r);
/* admin.c's state_write: the state as published; subscribers get the changes. */
void ctl_publish(struct repl *r, const struct md_ev_snap *snap);
/*
 * One event line "KIND resource name=RES " + fmt to every subscriber: the
 * hook for what no snapshot shows, such as "writes" (state=held|released)
 * and "handler" (name=... result=...) that the fencing work adds.
 */
void ev_emit(struct repl *r, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
