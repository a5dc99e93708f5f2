/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * repl.h - one replicated resource as mirrord runs it.
 *
 * struct repl is grouped by concern; each group names the file that owns
 * it (the only file that changes it; others read it, or call the owner's
 * functions: conn_set_reason, rs_record_sent, handshake_resync_over...).
 * tests/host/owners.sh fails make check on a write from anywhere else.
 * Each owner sets its group up (*_init), and repl_connection_reset has
 * every owner reset its per-connection group before and after each
 * connection.  To follow one
 * application write from the kernel to the peer's disk and back, read:
 *
 *   send.c       primary: a batch of writes read from the kernel channel
 *                becomes DATA packets (no copy: iovecs into the batch)
 *   tx.c         the ordered send queue and the control-packet buffers
 *   rx.c         the receive stream, cut into packets, dispatched by type
 *   apply.c      secondary: DATA to the local disk, in order where writes
 *                overlap, then an ACK
 *   send.c       primary again: ACKs back to the kernel (handle_ack)
 *
 * Around that path: daemon.c (set-up, the event loop and its timers),
 * conn.c (sockets, failure of a connection), handshake.c (a connection's
 * life until it carries data, either side: address check, AUTH, TLS,
 * HELLO, which way to resync), resync.c and csum.c (bringing an out-of-date
 * copy up), verify.c (comparing the copies online), marks.c (the kernel's
 * out-of-sync bitmap), admin.c (the state file, the superblock's
 * transitions of lib/gen.h applied, what the administrator changed at run
 * time), fence.c (fencing and the administrator's handlers, which
 * handler.c runs), compress.c (zstd on DATA payloads: the contexts, the
 * auto policy, the counts; lib/zdata.h is the codec send.c, csum.c and
 * apply.c frame and parse every DATA packet with), async.c (mode =
 * async: the backlog of writes completed here and not yet on the peer).
 */
#ifndef MIRRORD_REPL_H
#define MIRRORD_REPL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <sys/socket.h>
#include "auth.h"
#include "tls.h"
#include "config.h"
#include "md_run.h"
#include "ctl.h"
#include "decide.h"
#include "gen.h"
#include "handler.h"
#include "io.h"
#include "md_run.h"
#include "meta.h"
#include "wire.h"
#include "zdata.h"

#define SBUF_SIZE	(4u * MD_CHAN_MIN_READ)	/* one channel read batch */
#define RBUF_SIZE	(4u << 20)		/* socket receive buffer */
#define ARENA_SIZE	(32u << 20)		/* secondary: data being applied */
#define ARENA_PAGE	4096u
#define ARENA_PAGES	(ARENA_SIZE / ARENA_PAGE)
#define MAX_APPLY	256
#define CBUF_SIZE	(64u << 10)		/* control packets (acks, pings) */

#define PING_INTERVAL_MS	1000
#define MAX_CANDIDATES		8	/* listener: connections in their handshake */
#define POLL_INTERVAL_MS	MD_RUN_POLL_MS	/* proto/md_run.h */
#define RETRY_DELAY_MS		1000

struct repl;

/* async.c: one write the application saw complete, the peer not yet. */
struct as_entry {
	uint64_t offset, read_ms;
	uint32_t len, seq;
	bool acked;
};
#define AS_RING		(1u << 16)	/* entries to start with; the ring doubles */
#define AS_RING_MAX	(1u << 22)	/* ... up to this (16 GiB of 4 KiB writes) */
/* on-congestion pull-ahead: the link stays down this long after a
 * congestion, twice as long (up to the max) when congestion returns within
 * AS_CALM_MS of the last one (async.c, as_next_holdoff). */
#define AS_HOLDOFF_MIN_MS	(10u * 1000)
#define AS_HOLDOFF_MAX_MS	(640u * 1000)
#define AS_CALM_MS		(15u * 60 * 1000)

/* async.c: the backlog as status shows it. */
struct md_lag {
	bool active;
	uint64_t bytes, age_ms, drain_ms;
	uint32_t writes;
	uint64_t congestions;		/* links dropped for congestion */
	long long ahead_until;		/* time(): pulled ahead until, 0: not */
	uint64_t oldest_boot_ms;	/* CLOCK_BOOTTIME of the oldest write the
					 * peer lacks (age_ms ago), 0: none */
	uint64_t spill_bytes;		/* of bytes: the payload in the spill file */
	uint64_t spill_size;		/* the spill file in use (0: none) */
};


/* Something queued for the socket: a data batch or a control buffer. */
struct txitem {
	struct msghdr msg;		/* msg_iov advances on a partial send */
	struct iovec *iov;		/* ... so the array as queued, for freeing */
	void (*done)(struct txitem *t);
	struct txitem *next;
	void *own[2];		/* heap buffers freed by tx_heap_free (the iov moves) */
	/* When its last byte went to the socket (now_ns()), for the
	 * owner's done; 0: dropped with its connection, never sent whole. */
	uint64_t sent_ns;
	/* Zero-copy (tx.c, --uring-on send-zc): zc, set by the owner before
	 * tx_queue, lets tx.c send it so; zop is then its send, zc_pending
	 * its sends whose notification has not come (of connection zc_gen),
	 * and done runs once the last one came (zc_sent: all of it handed
	 * to the socket, or dropped with its connection). */
	bool zc, zc_sent;
	unsigned zc_pending;
	uint32_t zc_gen;
	struct io_op zop;
};

/* backlog.c: one batch in the spill file, or read back from it. */
struct bl_rec {
	struct io_op op;		/* its write, then its read */
	struct repl *r;
	struct txitem tx;		/* read back: on its way to the socket */
	struct iovec iov;
	uint64_t off;			/* in the file */
	uint32_t len;			/* wire bytes (whole packets) */
	uint64_t payload;		/* the writes' bytes (async's count) */
	uint64_t hash;			/* XXH3 of the bytes, checked when read back */
	char *buf;			/* while written or read */
	bool written;			/* in the file: may be read back */
	bool dead;			/* its connection ended: freed by the callback */
	struct bl_rec *next;
};

/* Primary: one batch read from the channel, then sent to the peer. */
/*
 * How io_uring reads the kernel channel (mirrord --chan-read, send.c):
 * blocking (an io-wq worker sleeps in read() until requests come: the
 * worker's wakeup is a hop, and the time it takes lets a batch grow),
 * nowait (O_NONBLOCK: read in the daemon's thread from the task work of
 * the channel's poll wakeup, at once), or adaptive (nowait while reads
 * bring one request at a time, blocking while they bring several).
 */
enum chan_read { CHAN_READ_BLOCKING, CHAN_READ_NOWAIT, CHAN_READ_ADAPTIVE };

struct sendbuf {
	struct repl *r;
	enum { SB_FREE, SB_READING, SB_SENDING } state;
	char *buf;
	char *zbuf;		/* compressed payloads, each at its place in buf
				 * (a frame is smaller than what it stands for);
				 * allocated once compression is negotiated */
	struct io_op op;
	struct txitem tx;
	uint64_t read_ns;	/* the read completed (now_ns(): snd.send_ns) */
	unsigned nwrites;	/* ... with this many application writes */
	char hdrs[MD_MAX_INFLIGHT][MDW_DATA_FRAME];
	struct iovec iov[2 * MD_MAX_INFLIGHT];
};

struct ctlbuf {
	struct repl *r;
	char buf[CBUF_SIZE];
	size_t len;
	bool busy;
	struct txitem tx;
	struct iovec iov;
};

/* Secondary: one received write on its way to the local disk, or (digest
 * set by csum.c) a chunk read back to compare with the peer's digest. */
struct apply {
	struct repl *r;
	struct md_data_info d;
	char *buf;
	unsigned page0, npages;
	bool active;
	bool verify;		/* digest compare for an online verify (MDW_VF_REPLY) */
	bool resync;		/* resync DATA or RS_DIGEST: resync.c hears its end */
	uint64_t digest;
	uint64_t start_ms;	/* submitted to the disk (stall report) */
	uint64_t arrived_ns;	/* its packet taken in, a place in the arena
				 * found (now_ns(): ap.apply_ns) */
	struct io_op op;
	struct apply *next;	/* free list or pending FIFO */
};

#define RS_WINDOW	16		/* resync requests in flight, at most */
#define RS_WINDOW_BUSY	2		/* ... while the application writes
					 * (then one chunk each) */
#define RS_RUN_BYTES	MD_MAX_IO_BYTES	/* one request's run of chunks, at most
					 * (with a peer that offers
					 * MDW_FEAT_RS_RUN; one chunk otherwise) */
#define RS_WINDOW_BYTES	(4u << 20)	/* in flight, at most (or RS_WINDOW
					 * chunks, if more): what an application
					 * write that overlaps a run may wait
					 * behind when it starts after a pause */

/* resync.c */
struct resync {
	bool active;
	bool source;
	bool bitmap_in;			/* source: the target's bitmap is merged */
	uint64_t *snap;			/* source: snapshot of the kernel's bitmap;
					 * target: the marks it sent */
	uint64_t *bad;			/* source: chunks our disk failed to read */
	uint64_t failed;		/* ... how many */
	uint64_t *got;			/* target: chunks whose resync DATA or
					 * RS_DIGEST arrived (RS_DONE checks) */
	uint64_t sent;			/* source: resync DATA + RS_DIGEST sent;
					 * target: ... received.  RS_DONE says
					 * the source's, the target compares */
	unsigned applying;		/* target: of those, writes and digest reads
					 * not finished (RS_DONE waits for them) */
	uint64_t done_sent;		/* target: RS_DONE's count, judged when
					 * applying is back to 0 */
	uint64_t done_gen;		/* target: RS_DONE's generation, ours when
					 * the resync is recorded */
	uint64_t cursor;
	uint64_t total, done;		/* chunks */
	struct { uint64_t chunk; uint32_t n; } asked[RS_WINDOW];	/* runs asked for
					 * (ioctls) whose record has not come yet */
	unsigned issued;		/* ... how many */
	uint64_t solo_end;		/* chunks below: one per request (a run
					 * there could not be read) */
	uint64_t ids[RS_WINDOW];	/* records sent, waiting for their ack */
	uint32_t nch[RS_WINDOW];	/* ... the chunks each carries */
	unsigned nids;
	uint64_t start_ms, last_app_ms, last_tick_ms;
	long long peer_behind_since;	/* time(): a resync to the peer began
					 * and has not completed (the peer is
					 * inconsistent); 0: none.  Kept across
					 * connections, unlike the rest */
	double tokens;			/* rate control, bytes */
	uint64_t same;			/* checksum resync: chunks found identical */
	bool flushing;			/* the data disk is flushed before "done"
					 * (target: from RS_DONE on, first waiting
					 * for applying to reach 0) */
	struct io_op flush_op;
};

/* csum.c: checksum resync's source, the data awaiting the target's verdict. */
struct csum {
	struct rs_stash {
		uint64_t id, offset;
		uint32_t len;
		char *buf;
	} stash[RS_WINDOW];
};

#define VF_WINDOW	8		/* verify: chunks being compared, at most */
#define VF_FIRST	MD_VF_FIRST_MAX	/* verify: differing offsets kept for status */

/* verify.c: compare the xxh3 digest of every chunk with the peer's. */
struct verify {
	bool active;
	uint64_t token;			/* the request served (mdctl verify's token) */
	const char *result;		/* none, running, done, aborted, unsupported */
	uint64_t cursor, done, differ, errors;
	uint64_t start_ms;
	uint64_t first[VF_FIRST];	/* byte offsets of the first differing chunks */
	unsigned nfirst;
	struct vf_slot {
		struct repl *r;
		bool busy;		/* read, or digest sent and reply awaited */
		bool unsent;		/* digest ready, control buffer was full */
		bool retried;		/* differed once: read and ask again */
		uint64_t chunk, digest;
		uint32_t len;
		char *buf;
		struct io_op op;
	} slot[VF_WINDOW];
};

/*
 * One socket in its handshake, on either side (handshake.c: hs_begin,
 * hs_step).  Read without blocking: what the peer owes next is AUTH until
 * the exchange is done, then its HELLO (to the connector: or a REJECT).
 * The listener keeps a table of them (conn.c), the connector one; the one
 * that gets through is handed to handshake().
 */
struct hs_sock {
	int fd;
	bool listener;		/* this side accepted the socket */
	bool authed;		/* the AUTH exchange is done: the peer holds the secret */
	bool have_hello;	/* buf holds the peer's HELLO (or REJECT), whole */
	uint64_t since_ms;
	struct md_auth auth;
	unsigned msgs;		/* whole packets taken */
	size_t got;		/* bytes of the next one in buf */
	const char *why;	/* why it failed: a string constant or strerror's */
	int auth_rc;		/* it failed authentication: md_auth_step's -errno */
	char buf[sizeof(struct mdw_hdr) + sizeof(struct mdw_hello)];
};

struct repl {
	/* Who we are: set by main.c before repl_init, read everywhere. */
	struct md_res_cfg *res;
	int me, peer;			/* node indices in res */
	struct io_loop *io;		/* daemon.c */

	struct {			/* ctl.c: the control socket and the events */
		struct ctl_server *srv;	/* NULL: not served (unit tests) */
	} ctl;

	struct {			/* main.c: command-line choices */
		enum io_mode io_mode;
		unsigned io_flags;		/* IO_DEFER (--uring-on) */
		enum chan_read chan_read;	/* --chan-read (send.c) */
		bool send_zc;			/* --uring-on send-zc (tx.c) */
		int sched;			/* --sched: SCHED_BATCH or SCHED_OTHER (main.c) */
		uint32_t proto_min, proto_max;	/* what we offer (test knob) */
		const char *state_path;
		const char *config_path;	/* read again by mdctl adjust */
		char node[MD_NAME_LEN];		/* this node's name in it */
	} opt;

	struct {			/* daemon.c (loaded), conn.c, handshake.c (used) */
		uint16_t method;	/* MDW_AUTH_*: auth = none, or the secret */
		uint32_t flags;		/* MDW_AUTH_F_TLS: encryption = tls */
		uint8_t key[MD_SECRET_MAX];
		size_t keylen;
	} auth;

	struct {			/* daemon.c: held for the daemon's life */
		uint64_t last_poll_ms;	/* the connected loop's timers */
		int ctl_fd;		/* bound channel */
		int disk_fd;		/* lower device, O_DIRECT */
		uint64_t size_bytes, nchunks;
		uint32_t chunk_bytes;
		uint32_t role;		/* local role, polled from the kernel */
		uint64_t stall_ms, stall_offset;	/* the module's oldest local
					 * I/O, when older than the bound */
		int meta_fd;		/* metadata (shared with mdctl under lock_path) */
		uint64_t meta_area;
		char lock_path[MD_PATH_LEN];
	} dev;

	struct {			/* admin.c: the administrator's runtime choices */
		bool detached;		/* MD_SBF_DETACHED: stay out of the mirror */
		bool paused;		/* resync paused (mdctl pause) */
		uint64_t cfg_rate;	/* resync_rate from the config file */
		uint64_t vf_request;	/* the token of the last verify request */
		uint32_t disk_state;	/* MD_DISK_*, as the superblock last said */
		uint32_t peer_disk_state;	/* the peer's, as the superblock last said */
		enum md_link link;	/* what the state file says */
		uint64_t pub_moved, pub_ms;	/* the counters as last published */
	} adm;

	struct {			/* conn.c: the sockets of a connection */
		int listen_fd, sock;
		/* listener: accepted, in their handshake (handshake.c drives each) */
		struct hs_sock cand[MAX_CANDIDATES];
		struct sockaddr_storage peer_addr;	/* the only source accepted */
		int ncand;
		uint8_t psk[MD_TLS_PSK_LEN];	/* this connection's TLS key (lib/tls.h) */
		void *tls;		/* the TLS session of sock, NULL: plain */
		uint64_t refused, refused_logged_ms;
		const char *refused_why;	/* a string constant: the last logged */
		bool failing;
		char fail_reason[300];
		uint64_t last_rx_ms, last_tx_ms;
	} conn;

	struct {			/* handshake.c: what the handshake agreed on */
		enum md_sync_decision decision;	/* until the resync it decided ends */
		uint64_t peer_features;	/* MDW_FEAT_* the peer offered */
		uint32_t peer_role;	/* and as MDW_STATE changes it */
		bool integrity;		/* MDW_FEAT_XXH3: packets sealed (tx.c) and checked (rx.c) */
		bool zstd;		/* MDW_FEAT_ZSTD: DATA may be compressed both ways */
	} hs;

	struct {			/* tx.c */
		uint64_t bytes;		/* sent on this connection (the TLS key's limit) */
		uint64_t sends;		/* sendmsg calls completed (since the start) */
		uint64_t zc_sends;	/* ... of them zero-copy (--uring-on send-zc) */
		bool zc;		/* this connection sends zc items so */
		bool zc_unsupported;	/* the kernel has no SENDMSG_ZC (for good) */
		uint32_t gen;		/* the connection's, counted by tx_reset */
		unsigned zc_waiting;	/* its items waiting for notifications */
		struct ctlbuf ctl[2];
		int ctl_cur;
		struct txitem *q, *q_tail;
		bool busy;
		struct io_op op;
	} tx;

	struct {			/* rx.c */
		char *buf;
		size_t start, len;	/* the unparsed bytes: [start, len) */
		struct io_op op;
		bool stalled;
	} rx;

	struct {			/* send.c */
		struct sendbuf sb[2];
		struct md_chan_ack kacks[MD_MAX_INFLIGHT];
		unsigned nkacks;
		/* requests taken from the kernel and not yet answered, by
		 * slot (the id's low half): the progress timeout's clock, and
		 * the only ids a peer's ACK may answer */
		struct { uint64_t since_ms, offset, id; bool behind; } held[MD_MAX_INFLIGHT];
		unsigned nheld;
		/* counters since the start (status): channel reads that brought
		 * requests, the requests, write()s of acks to the channel */
		uint64_t reads, requests, ack_writes;
		/* the application's writes (not flushes) sent, and the sum of their times
		 * from the channel read's completion to the send's (ns) */
		uint64_t sent_writes, send_ns;
		/* --chan-read: the mode in force, whether the channel is
		 * O_NONBLOCK now, the requests per read averaged, adaptive's
		 * switches */
		enum chan_read mode;	/* in force (--chan-read, unless it
					 * failed; nowait under aio) */
		bool nowait;
		unsigned per_read;	/* x256 (CHAN_AVG_ONE) */
		uint64_t read_mode_switches;
	} snd;

	struct {			/* apply.c */
		bool disk_failed;	/* a write to our disk failed */
		uint64_t stall_ms, stall_offset;	/* oldest write, when stalled */
		char *arena;
		uint8_t used[ARENA_PAGES];
		unsigned hint;
		struct apply slot[MAX_APPLY];
		struct apply *free;
		struct apply *pending, *pending_tail;
		bool barrier;		/* an MDW_DF_BARRIER write in flight */
		/* the peer's writes (not resync, not flushes) done here, and the sum of
		 * their times from arrival to on the disk (ns; status) */
		uint64_t applied, apply_ns;
	} ap;

	struct {			/* compress.c: zstd on DATA payloads */
		struct md_zenc enc;	/* what we send (send.c, csum.c frame with it) */
		struct md_zdec dec;	/* what we receive (apply.c) */
		uint8_t backlog;	/* auto: the last 8 batches, a bit each:
					 * the send queue was backed up */
		uint64_t pub_sent, pub_recv, pub_ms;	/* the counts as last published */
	} zc;

	struct {			/* async.c: mode = async, the backlog */
		bool active;		/* this connection: writes complete when read */
		bool waiting;		/* send.c holds its reads for room */
		struct as_entry *ring;	/* cap entries, in reading order */
		uint32_t head, count;	/* the oldest entry, how many */
		uint32_t next_seq;	/* the next entry's (its wire id's high half) */
		uint64_t bytes;		/* payload bytes of the entries */
		uint64_t last_ack_ms;	/* the progress clock */
		uint64_t moved_ms;	/* an entry was last acknowledged (send.c's
					 * progress clock waits behind the backlog) */
		double rate;		/* bytes/s acknowledged, smoothed */
		uint64_t rate_ms, rate_bytes;
		uint64_t pub_ms;	/* the state file, as last published */
		uint32_t pub_count;
		/* on-congestion (kept across connections, not as_reset's) */
		uint64_t congestions;	/* links dropped for congestion */
		uint64_t congested_ms;	/* the last one, 0: never */
		uint64_t holdoff_ms;	/* pull-ahead: its hold-off */
		uint64_t ahead_until_ms;	/* pull-ahead: no link before */
		long long ahead_until_s;	/* ... the same on the wall clock */
		uint64_t behind_since_ms;	/* the oldest write a congestion left
					 * to the catch-up (lag_seconds), 0: none */
		bool meta_said;		/* "the bitmap failed" logged */
		uint32_t cap;		/* ring entries (AS_RING doubled up to AS_RING_MAX) */
	} as;

	struct {			/* backlog.c: mode = async, a slow link */
		uint64_t mem_bytes;	/* staged copies on the send queue (wire bytes) */
		uint64_t staged;	/* batches copied so that reads go on */
		int fd;			/* the spill file, -1: none */
		char path[MD_PATH_LEN];	/* ... as opened */
		uint64_t size;		/* ... its size */
		struct bl_rec *recs, *recs_tail;	/* in the file, oldest first */
		unsigned nrecs;
		uint64_t tail;		/* where the next record goes */
		uint64_t spill_bytes;	/* wire bytes in the file */
		uint64_t spill_payload;	/* the writes' bytes in it */
		uint64_t writing;	/* copies on their way into it (bytes) */
		uint64_t spilled;	/* batches that went through the file */
		struct bl_rec *reading;	/* read back now, one at a time */
		bool said;		/* "spilling" logged for this backlog */
	} bl;

	struct resync rs;		/* resync.c */
	struct csum cs;			/* csum.c */
	struct verify vf;		/* verify.c */

	struct {			/* fence.c: fencing and the handlers */
		struct hd_job job[MD_H_COUNT];	/* one run of each at most */
		int kfd;		/* control device: releases held writes from
					 * fence-peer's thread (by minor) */
		bool stopping;		/* the daemon stops: no fencing for that */
		bool fenced;		/* fence-peer succeeded since the link was lost */
		long long held_since;	/* time(): writes held since, 0: not held */
		uint64_t held_log_ms;	/* "writes held" last logged */
		char result[96];	/* fence-peer's last verdict on the peer */
		char last_handler[32], last_result[96];
		long long last_time;	/* time() the last handler ended */
		int brt;		/* before-resync-target: 1 approved, -1 refused */
		char brt_why[160];	/* ... and why */
	} fn;
};

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static inline uint64_t now_ms(void)
{
	return now_ns() / 1000000;
}

/* A page-aligned buffer for O_DIRECT and the channel, touched at once so
 * that mlockall has nothing left to fault in later; NULL when out of memory. */
static inline void *buf_alloc_touched(size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len))
		return NULL;
	return memset(p, 0, len);
}

static inline const char *peer_name(const struct repl *r)
{
	return r->res->nodes[r->peer].name;
}

/*
 * Packet handlers (rx.c dispatches by type).  Each returns 1 when the
 * packet was consumed, 0 when it must wait (no room: the receive side
 * stalls and retries), -1 after failing the connection.
 */
typedef int (*pkt_handler)(struct repl *r, const char *body, uint32_t len);

/* daemon.c: set up buffers and the kernel binding; 0 or -errno. */
int repl_init(struct repl *r);
/* daemon.c: run until *stop becomes true; 0 or -errno. */
int repl_run(struct repl *r, volatile int *stop);
/*
 * daemon.c: serve the connection on r->conn.sock, whose handshake is done,
 * until it fails or *stop; then the socket (and its TLS session) is closed
 * and r->conn.sock is -1.  0, or -errno when the kernel refused the
 * connected state (the reason in r->conn.fail_reason).
 */
int repl_connected(struct repl *r, volatile int *stop);
/* daemon.c: every per-connection group back to its start, by its owner. */
void repl_connection_reset(struct repl *r);
void repl_fini(struct repl *r);
void dev_abort_channel(struct repl *r) __attribute__((noreturn));
/* daemon.c: the role read from the module now (conn_fail); true when it changed. */
bool dev_role_now(struct repl *r);
void dev_note_role(struct repl *r, uint32_t role);

/* admin.c */
void state_write(struct repl *r, enum md_link link);
int sb_update(struct repl *r, md_sb_fn fn, void *arg);
/* The handshake agreed (r->hs.decision): record the peer's disk state, and
 * a consistent copy that met its peer is up to date again (md_tr_peer_met). */
void admin_peer_met(struct repl *r, uint32_t peer_disk_state);
void admin_peer_state(struct repl *r, uint32_t peer_disk_state);
void admin_init(struct repl *r);
bool admin_reload(struct repl *r);
bool admin_set_paused(struct repl *r, bool paused);
bool admin_set_rate(struct repl *r, uint64_t rate);
bool admin_adjust(struct repl *r, const struct md_res_cfg *next);
bool admin_request_verify(struct repl *r, uint64_t token);

/* marks.c */
int marks_all(struct repl *r, unsigned long cmd);
int mark_chunk(struct repl *r, uint64_t c);
int marks_clear(struct repl *r, const uint64_t *words);

/* conn.c */
void conn_fail(struct repl *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void conn_set_reason(struct repl *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void conn_reset(struct repl *r);
void conn_init(struct repl *r);
void conn_adopt(struct repl *r, int fd);
void conn_note_rx(struct repl *r);
void conn_note_tx(struct repl *r);
int conn_listen(struct repl *r);
bool conn_kernel_gave_up(struct repl *r);
uint32_t conn_deadline_s(const struct repl *r);
int conn_establish(struct repl *r, volatile int *stop, struct hs_sock *h);
void conn_close(struct repl *r, int fd);
void conn_refuse_pending(struct repl *r);
void conn_drop_candidates(struct repl *r);

/* handshake.c */
bool hs_admit(const struct repl *r, const struct sockaddr_storage *from);
int hs_begin(struct repl *r, struct hs_sock *h, int fd, bool listener);
int hs_step(struct hs_sock *h);
bool hs_ready(const struct repl *r, const struct hs_sock *h);
void hs_refused(struct repl *r, const struct hs_sock *h);
int handshake(struct repl *r, struct hs_sock *h);
void handshake_refuse_idle(struct repl *r, struct hs_sock *h);
void handshake_peer_role(struct repl *r, uint32_t role);
void handshake_tell_state(struct repl *r);
void handshake_resync_over(struct repl *r);

/* tx.c */
void tx_queue(struct repl *r, struct txitem *t, struct iovec *iov, int niov,
	      void (*done)(struct txitem *));
void tx_heap_free(struct txitem *t);
void *ctl_packet(struct repl *r, uint16_t type, uint32_t len);
void ctl_kick(struct repl *r);
void tx_ack(struct repl *r, uint64_t id, int32_t status);
void tx_reset(struct repl *r);
void tx_zc_close(struct repl *r, int fd);

/* rx.c */
void rx_post(struct repl *r);
void rx_resume(struct repl *r);
int rx_init(struct repl *r);
void rx_fini(struct repl *r);
void rx_reset(struct repl *r);

/* send.c */
void send_start(struct repl *r);
void send_chan_mode(struct repl *r);
const char *chan_read_name(enum chan_read m);
int send_init(struct repl *r);
void send_fini(struct repl *r);
void send_reset(struct repl *r);
void flush_kacks(struct repl *r);
void kack_add(struct repl *r, uint64_t id, int32_t status);
int handle_ack(struct repl *r, const char *body, uint32_t len);
uint64_t progress_bound_ms(const struct repl *r);
bool send_check_progress(struct repl *r, uint64_t now);

void send_resume(struct repl *r);
/* backlog.c */
void bl_init(struct repl *r);
void bl_fini(struct repl *r);
void bl_reset(struct repl *r);
void bl_connected(struct repl *r);
bool bl_room(const struct repl *r);
bool bl_busy(const struct repl *r);
bool bl_spill_in_use(const struct repl *r);
int bl_stage(struct repl *r, const struct iovec *iov, int niov, uint64_t payload, bool other_busy);
void bl_sent(struct txitem *t);
void bl_drop(struct txitem *t);
void kack_progress(struct repl *r);

/* async.c */
int as_init(struct repl *r);
void as_fini(struct repl *r);
void as_reset(struct repl *r);
bool as_is_id(uint64_t id);
uint32_t as_conn_flags(const struct repl *r);
void as_connected(struct repl *r);
bool as_room(struct repl *r);
void as_wait_room(struct repl *r);
uint64_t as_take(struct repl *r, const struct md_chan_req *q);
int as_acked(struct repl *r, uint64_t id, int32_t status);
bool as_check_progress(struct repl *r, uint64_t now);
void as_lag(const struct repl *r, struct md_lag *lag);
bool as_publish_due(struct repl *r, uint64_t now);
int as_set(struct repl *r, const struct md_res_cfg *next, char *msg, size_t len);
void as_kick(struct repl *r);
bool as_congested(struct repl *r);
bool as_ahead(const struct repl *r);
void as_catch_up(struct repl *r, const char *why);
void as_caught_up(struct repl *r);
uint64_t as_next_holdoff(uint64_t holdoff_ms, uint64_t congested_ms, uint64_t now);

/* apply.c */
int apply_init(struct repl *r);
void apply_fini(struct repl *r);
void apply_reset(struct repl *r);
void apply_release(struct apply *a);
struct apply *apply_get(struct repl *r, uint32_t len);
int handle_data(struct repl *r, const char *body, uint32_t len);
void flush_failed(struct repl *r, int res);
void apply_failure_reported(struct repl *r);
bool apply_check_stall(struct repl *r, uint64_t now);

/* resync.c */
int sync_begin(struct repl *r);
void rs_kick(struct repl *r);
void rs_acked(struct repl *r, uint64_t id, int32_t status);
int rs_take(struct repl *r, const struct md_chan_req *q, const char *data);
void rs_note_app_write(struct repl *r);
void rs_record_sent(struct repl *r);
void rs_record_same(struct repl *r);
bool rs_target_check(struct repl *r, const char *what, uint64_t off, uint32_t len, bool run);
void rs_target_got(struct repl *r, uint64_t off, uint32_t len, bool data);
void rs_target_finished(struct repl *r, uint64_t off, uint32_t len, bool whole);
void rs_reset(struct repl *r);
void rs_free(struct repl *r);
int handle_bitmap(struct repl *r, const char *body, uint32_t len);
int handle_bitmap_end(struct repl *r, const char *body, uint32_t len);
int handle_rs_done(struct repl *r, const char *body, uint32_t len);

/* csum.c */
int rs_send_digest(struct repl *r, const struct md_chan_req *q, const char *data);
void rs_stash_clear(struct repl *r);
int handle_rs_reply(struct repl *r, const char *body, uint32_t len);
int handle_rs_digest(struct repl *r, const char *body, uint32_t len);
int handle_vf_digest(struct repl *r, const char *body, uint32_t len);

/* fence.c: the exit codes of fence-peer (DRBD's) */
#define FENCE_PEER_INCONSISTENT	3
#define FENCE_PEER_OUTDATED	4
#define FENCE_PEER_UNREACHABLE	5
#define FENCE_PEER_REFUSED	6	/* the peer is primary, or refused */
#define FENCE_PEER_FENCED	7
const char *fence_result_name(int result);
bool fence_releases(int result);
uint32_t fence_conn_flags(const struct repl *r);
void fence_record_peer(struct repl *r, int result);
void fence_env(const struct repl *r, struct hd_job *j, const char *handler);
void handler_event(struct repl *r, enum md_handler h);
void fence_stopping(struct repl *r);
uint32_t fence_link_lost(struct repl *r);
int fence_init(struct repl *r);
int fence_for_promote(struct repl *r, char *why, size_t len);
bool fence_poll(struct repl *r);
int fence_before_resync_target(struct repl *r, char *why, size_t len);
const char *fence_state(const struct repl *r);
void fence_fini(struct repl *r);

/* compress.c */
int zc_init(struct repl *r);
void zc_fini(struct repl *r);
void zc_connected(struct repl *r);
struct md_zenc *zc_encoder(struct repl *r);
int zc_unpack(struct repl *r, const struct md_data_info *d, const void *payload, void *dst);
int zc_set(struct repl *r, int mode, int level, char *msg, size_t len);
bool zc_publish_due(struct repl *r, uint64_t now);
bool admin_counters_due(struct repl *r, uint64_t now);
bool tx_backlog(const struct repl *r);

/* verify.c */
void vf_start(struct repl *r);
void vf_kick(struct repl *r);
void vf_finish(struct repl *r, const char *result);
void vf_reset(struct repl *r);
void vf_refuse_unconnected(struct repl *r);
int handle_vf_reply(struct repl *r, const char *body, uint32_t len);

#endif
