/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handler.h - run an administrator's handler (mirrordisk.conf(5): fence-peer,
 * split-brain, ...) without ever blocking the daemon.
 *
 * A job is one run of one command: `/bin/sh -c COMMAND` in a process group
 * of its own, stdin from /dev/null, stdout and stderr into one pipe whose
 * lines go to the daemon's log prefixed with the handler's name.  A small
 * thread of its own per job (its stack 64 KiB: mirrord locks its memory)
 * spawns it, reads its output, kills the whole process group with SIGKILL
 * at the timeout, reaps it, calls the job's on_done (in that thread: the
 * one place that must act the moment the handler returns, fence-peer's
 * release of held writes, does it there) and marks the job done.  The
 * daemon's loops look at hd_done() at their own pace and hd_reap() the
 * job.  Why a thread and not the event loops: docs/design.md, "Handlers".
 */
#ifndef MIRRORD_HANDLER_H
#define MIRRORD_HANDLER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define HD_MAX_ENV	24		/* extra "KEY=VALUE" entries */
#define HD_ENV_LEN	320

/* hd_job.result when there is no exit code. */
#define HD_RES_TIMEOUT	(-1)		/* killed at the timeout */
#define HD_RES_SIGNAL	(-2)		/* ended by a signal (hd_job.signal) */
#define HD_RES_SPAWN	(-3)		/* could not be started (hd_job.error) */

struct hd_job {
	/* in: set before hd_start */
	char name[32];			/* "fence-peer": the log's prefix */
	const char *cmd;		/* run by /bin/sh -c; must outlive the job */
	int timeout_s;
	char env[HD_MAX_ENV][HD_ENV_LEN];	/* added to (and overriding) environ */
	int nenv;
	void (*on_done)(struct hd_job *j);	/* in the job's thread, once it ended */
	void *arg;			/* for on_done */

	/* out: valid once hd_done() */
	int result;			/* exit code 0..255, or HD_RES_* */
	int signal;			/* HD_RES_SIGNAL: which */
	int error;			/* HD_RES_SPAWN: errno */
	pid_t pid;			/* the process (and its group), once started */
	uint64_t start_ms, end_ms;	/* now_ms() clock */

	/* the runner's */
	pthread_t thread;
	bool started;
	int done;			/* atomic: the thread has finished */
};

/* Add "KEY=VALUE" to the job's environment; ignored past HD_MAX_ENV. */
void hd_setenv(struct hd_job *j, const char *key, const char *value);
/* Start the job's thread; 0 or -errno (then the job never ran). */
int hd_start(struct hd_job *j);
/* Has the job ended (result valid)? */
bool hd_done(const struct hd_job *j);
/* Join the job's thread; call once, after hd_done() or to wait for it. */
void hd_reap(struct hd_job *j);
/* "exit 4", "killed at the 60 s timeout", "killed by signal 9",
 * "could not be started: ..." into buf. */
const char *hd_result_text(const struct hd_job *j, char *buf, size_t len);

#endif
