/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdctl.h - what the files of mdctl share: the exit codes, the options of
 * this run, the loaded configuration, the helpers of common.c and
 * holders.c, and the commands main.c's table dispatches to.
 *
 * Files: main.c (options, the command table, help, --version, the dry-run
 * policy), common.c (resource, control device, metadata, daemon state),
 * holders.c (who holds a busy device), status.c, role.c (activate,
 * deactivate, outdate), create.c,
 * daemon.c (up, down, destroy-minor), admin.c (detach, attach, grant,
 * revoke, rebuild), runtime.c (pause, resume, set, verify), events.c
 * (events, wait-connect, wait-sync: mirrord's event stream), fence.c
 * (resume-io).
 *
 * Errors.  Below the command boundary every function returns 0 (or a
 * value >= 0) or -errno, like the rest of the project, and one that fails
 * prints why first: it knows the resource and the device.  The cmd_*()
 * functions are the boundary (with the few static helpers whose comment
 * says they are part of it, such as the body two commands share): they
 * return an MDCTL_EXIT_* code, which they pick by the step that failed --
 * load_res() is always a configuration error, open_ctl() always a run-time
 * one -- or, for the steps that can end as a verdict of mdctl's own as well
 * as in a failed system call, with exit_of().  Those two verdicts travel
 * up as the MDCTL_E_* values below.  main() returns what the command
 * returned.
 */
#ifndef MDCTL_H
#define MDCTL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include "config.h"
#include "ctlproto.h"
#include "md_chan.h"
#include "meta.h"
#include "runfile.h"

/* Exit codes: stable, documented in mdctl(8) and 'mdctl help'. */
#define MDCTL_EXIT_OK		0	/* done, or already so (idempotent) */
#define MDCTL_EXIT_RUNTIME	1	/* the operation failed at run time */
#define MDCTL_EXIT_USAGE	2	/* bad command line */
#define MDCTL_EXIT_CONFIG	3	/* configuration unreadable or resource/node unknown */
#define MDCTL_EXIT_REFUSED	4	/* not allowed in the current state */
#define MDCTL_EXIT_NOTUP	5	/* the resource is not up on this node */
#define MDCTL_EXIT_DIFFER	6	/* verify: the copies differ (chunks marked for resync) */
#define MDCTL_EXIT_TIMEOUT	7	/* wait-connect, wait-sync: not reached in time */

/*
 * The verdicts helpers return, already reported.  Errnos that no system
 * call mdctl makes returns (-ECANCELED: asynchronous I/O only; -ESHUTDOWN:
 * sockets only), so that exit_of() never takes a failed open() or ioctl()
 * for one: -ENODEV, say, comes from open() of a disk as well as from the
 * module for a minor it does not have.
 */
#define MDCTL_E_REFUSED		(-ECANCELED)	/* not in this state; nothing done */
#define MDCTL_E_NOTUP		(-ESHUTDOWN)	/* the resource is not up here */

struct opts {
	const char *config;
	char node[MD_NAME_LEN];
	const char *mirrord;
	const char *daemon_args;
	int json;
	int force;
	int dry_run;
	int assume_clean;
	int new_secret;			/* create --new-secret */
	int yes;		/* rebuild: confirmed */
	int full;		/* rebuild: copy everything */
	int rw;			/* grant: read-write */
	const char *from;	/* rebuild: the node whose data is kept */
	const char *kv;		/* set: KEY=VALUE, the operand after the resource */
	int now;		/* events: the current state only */
	int timestamps;		/* events: each line's time */
	long timeout_s;		/* wait-*: -1 for none */
};

extern struct opts o;		/* main.c fills it before a command runs */
extern struct md_config cfg;	/* load_res() or cmd_status() loads it */

/* "mdctl: MESSAGE" on stderr; returns rc (an exit code or a -errno). */
int err(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The exit code for a helper's 0 or -errno: the verdicts above, else RUNTIME. */
int exit_of(int rc);

/* ---- common.c ---- */

/* Load the configuration, find resource 'name' and this node in it. */
int load_res(const char *name, struct md_res_cfg **resp, int *me);
/* The module's control device: an fd, or -errno. */
int open_ctl(void);
/* The resource must be up here: fills *st, returns an open control fd,
 * MDCTL_E_NOTUP or open_ctl()'s error. */
int need_up(const struct md_res_cfg *res, struct md_ioc_status *st);
/* The device holding this node's metadata (the disk, or the meta device). */
const char *meta_dev(const struct md_res_cfg *res, int me);
/* Open and check this node's metadata; MDCTL_E_REFUSED when it is unusable. */
int open_meta(const struct md_res_cfg *res, int me, struct md_geom *g,
	      struct md_super *sb, int *fd);
/* This node's superblock, unchecked and unreported (status, probes). */
int read_sb_quiet(const struct md_res_cfg *res, int me, struct md_super *sb);
/* Read-modify-write of the superblock under the lock mirrord takes too;
 * fn's -EPERM (a refusal the caller explains) is returned unreported. */
int sb_change(const struct md_res_cfg *res, int me, md_sb_fn fn, void *arg);

/* What mirrord last wrote for the resource (pid 0: no daemon). */
void daemon_state(const struct md_res_cfg *res, struct md_state *s);
bool link_up(const struct md_state *s, const struct md_ioc_status *st);
/* Ask the running mirrord to read the superblock again (0, or -ESRCH). */
int poke_daemon(const struct md_res_cfg *res);
/* A connection to mirrord's control socket: an fd, or -errno. */
int ctl_connect(const char *name);
/* Send one request line; 0 or -errno. */
int ctl_send(int fd, const char *req);
/* One line (without '\n') within timeout_ms: its length, -ETIMEDOUT,
 * -ECONNRESET at the end of the stream, -EBADMSG, -errno. */
int ctl_read_line(int fd, char *buf, size_t len, int timeout_ms);
/* Send a request and read the answer's line (its length, or -errno):
 * an answer that came before the request was taken counts. */
int ctl_ask(int fd, const char *req, char *line, size_t len, int timeout_ms);
/* One request to the resource's mirrord: the answer's status (an exit
 * code, >= 0) with its text in msg, or -errno / MDCTL_E_NOTUP (reported). */
int daemon_request(const struct md_res_cfg *res, const char *req, char *msg, size_t len);
/* Wait up to ms for the daemon's link state to become 'want'. */
bool wait_link(const struct md_res_cfg *res, enum md_link want, int ms, struct md_state *s);

/* ---- holders.c ---- */

/* Report that /dev/mirrorN is in use, naming who holds it; MDCTL_E_REFUSED. */
int refuse_busy(const struct md_res_cfg *res, const char *what);

/* ---- the commands: an exit code each ---- */

int cmd_create(const char *name);			/* create.c */
int cmd_up(const char *name);				/* daemon.c */
int cmd_down(const char *name);
int cmd_destroy_minor(const char *arg);
int cmd_activate(const char *name);			/* role.c */
int cmd_deactivate(const char *name);
int cmd_outdate(const char *name);
int cmd_status(const char *name);			/* status.c */
int cmd_detach(const char *name);			/* admin.c */
int cmd_attach(const char *name);
int cmd_grant(const char *name);
int cmd_revoke(const char *name);
int cmd_rebuild(const char *name);
int cmd_pause(const char *name);			/* runtime.c */
int cmd_resume(const char *name);
int cmd_set(const char *name);
int cmd_adjust(const char *name);
int cmd_verify(const char *name);
int cmd_events(const char *name);			/* events.c */
int cmd_wait_connect(const char *name);
int cmd_wait_sync(const char *name);
int cmd_resume_io(const char *name);			/* fence.c */

#endif
