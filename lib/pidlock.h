/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pidlock.h - which process is a resource's mirrord, without trusting a
 * pid that may have been reused.  mirrord holds an exclusive flock on
 * MD_RUN_DIR/NAME.pid (holding its pid) for its whole life; the kernel
 * drops the lock when the process dies, however it dies.  Every function
 * returns 0 or -errno unless it says otherwise.
 */
#ifndef MD_PIDLOCK_H
#define MD_PIDLOCK_H

/* mirrord: take the lock and write our pid.  Returns the fd to keep open,
 * or -EBUSY (another daemon holds it: *holder set when known), or -errno. */
int md_pidlock_take(const char *name, int *holder);
/* The pid of the daemon holding the lock: > 0, 0 when none holds it. */
int md_pidlock_holder(const char *name);
/* Send sig to the daemon holding the lock, through a pidfd opened while
 * it holds it: a pid reused by another process is never signalled.
 * -ESRCH when no daemon holds the lock. */
int md_pidlock_signal(const char *name, int sig);

#endif
