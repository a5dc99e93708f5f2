/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runfile.h - read and write the runtime files of proto/md_run.h.
 * Every function returns 0 or -errno unless it says otherwise.
 *
 * The readers take hostile input: a malformed line (no '=' or nothing before it, a number that
 * does not parse or overflows, an unknown link name, a bad or too long
 * verify_first list, a line over MD_RUN_LINE_MAX bytes or with a NUL byte)
 * changes nothing, the other lines are still applied, and the reader
 * returns -EBADMSG at the end.  Empty lines and unknown keys are ignored,
 * so that either program can be newer than the other.  Strings longer than
 * their field are truncated.
 */
#ifndef MD_RUNFILE_H
#define MD_RUNFILE_H

#include <stddef.h>
#include <stdint.h>
#include "md_run.h"

/* MD_RUN_DIR, or $MD_RUN_DIR when set to an absolute path (for tests
 * that run without root). */
const char *md_run_dir(void);
/*
 * md_run_dir() "/" name suffix into buf (suffix may be NULL).  -ENAMETOOLONG
 * if it does not fit, -EINVAL for an empty name or one with a '/'.
 */
int md_run_path(char *buf, size_t len, const char *name, const char *suffix);
/* Create MD_RUN_DIR (and parents) mode 0755 if missing; an existing one is fine. */
int md_run_dir_make(void);

/* "connected" for MD_LINK_CONNECTED, "no-daemon", ...; "unknown" for out of range. */
const char *md_link_name(enum md_link l);
/* The state for a name (including "no-daemon"), or -EINVAL for an unknown name. */
int md_link_parse(const char *name);

/* What the state file says: mirrord fills it, mdctl reads it. */
struct md_state {
	int pid;			/* 0: no daemon (reader: file missing or pid dead) */
	enum md_link link;
	char peer[64];
	char peer_role[16];		/* md_role_name(), "unknown" when not connected */
	char io[16];			/* io backend name, "-" when none */
	long long since;		/* time() of the write */
	char last_error[300];
	/* online verify */
	char verify[16];		/* none, running, done, aborted, unsupported */
	uint64_t verify_token, verify_done, verify_total, verify_differ, verify_errors;
	uint64_t verify_first[MD_VF_FIRST_MAX];
	unsigned verify_nfirst;
	/* resync */
	uint64_t sync_same;		/* checksum resync: chunks found identical */
	int detached, paused;
	uint64_t resync_rate;		/* the limit in force, bytes/s */
	char sync[32];			/* md_sync_decision_name() */
	char sync_role[16];		/* source, target, none */
	uint64_t sync_done, sync_total, sync_rate;
	/* the local data disk: a write older than the progress timeout */
	uint64_t disk_stall_ms;		/* its age, 0: none */
	uint64_t disk_stall_offset;	/* its byte offset */
	/* fencing and handlers (mirrord/fence.c) */
	char fence_state[16];		/* none, fencing, held, held-fencing, peer-fenced */
	long long io_held_since;	/* time(): writes held since, 0: not held */
	char fence_result[96];		/* fence-peer's last verdict on the peer */
	char handler[32];		/* the handler started or ended last */
	char handler_result[96];	/* ... "running", "exit 4", "killed at the 60 s timeout" */
	long long handler_time;		/* time() it ended, 0: never or running */
	/* compression (mirrord/compress.c), payload bytes since the daemon
	 * started: sent before and after compression, of them sent raw;
	 * received as they came and decoded */
	char compression[8];		/* the setting: none, zstd, auto */
	int compression_level;
	int compression_active;		/* this connection negotiated it */
	uint64_t zsent_bytes, zsent_wire_bytes, zsent_raw_bytes;
	uint64_t zrecv_bytes, zrecv_wire_bytes;
	/* mode (mirrord/async.c): the setting, whether this connection runs
	 * it, and the writes completed here that the peer does not hold yet */
	char mode[8];			/* sync, async */
	int async_active;		/* this connection: writes complete when read */
	uint64_t lag_bytes, lag_writes;	/* the backlog */
	uint64_t lag_ms, drain_ms;	/* its oldest write's age, the time to drain it */
	uint64_t lag_since_ms;		/* that write's CLOCK_BOOTTIME in ms, 0: none
					 * (status ages it to now: the file may be
					 * up to half a second old) */
	char on_congestion[16];		/* the setting: block, disconnect, pull-ahead */
	uint64_t congestions;		/* links dropped for congestion since the start */
	long long ahead_until;		/* time(): pulled ahead, the link down until */
	long long peer_inconsistent_since;	/* time(): a resync to the peer
					 * began and has not completed; 0: none */
	uint64_t lag_spill_bytes;	/* of lag_bytes: in the spill file */
	uint64_t spill_size;		/* the spill file in use, 0: none */
	/* counters since the daemon started (performance testers): channel
	 * reads that brought requests, the requests (writes, flushes, resync
	 * records), socket sends (zc_sends of them zero-copy), write()s of
	 * acks to the channel, batches copied behind a slow link and spilled
	 * to the file (async) */
	uint64_t chan_reads, chan_requests, socket_sends, zc_sends, ack_writes;
	uint64_t batches_copied, batches_spilled;
	/* where a write's time goes in the daemons (sums in ns, and what
	 * they sum over): the application's writes sent, from the channel
	 * read to the send's completion (primary); the peer's writes done
	 * here, from their packet taken in to on the disk (secondary) */
	uint64_t sent_writes, send_ns, applied_writes, apply_ns;
	/* how the kernel channel is read (mirrord --chan-read): the
	 * setting, whether reads are non-blocking now, the switches */
	char chan_read[16];
	int chan_read_nowait;
	uint64_t chan_read_switches;
};

/*
 * Write the whole file atomically (PATH.tmp, then rename), so a reader sees
 * the old or the new state, never a mix.  The key order and spelling is
 * the format that exists since the first release.  Fields are written as
 * they are: the caller fills since, pid and peer_role ("unknown" when not
 * connected).  A '\n' inside a string is written as ' ' (it would end the
 * line and let the rest pose as a key), at most MD_VF_FIRST_MAX offsets
 * are listed, and a link out of range or MD_LINK_NO_DAEMON is -EINVAL.
 */
int md_state_write(const char *path, const struct md_state *s);
/*
 * Read a state file.  Any file that cannot be opened (-ENOENT when it is
 * missing): *s zeroed with link MD_LINK_NO_DAEMON.  Malformed lines:
 * -EBADMSG as above.  Whether the pid is alive is the caller's business
 * (the holder of NAME.pid's lock is the daemon: lib/pidlock.h).
 */
int md_state_read(const char *path, struct md_state *s);

#endif
