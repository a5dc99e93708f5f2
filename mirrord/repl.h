/*
 * repl.h - one replicated resource as mirrord runs it: the connection to
 * the peer, the kernel channel, and the apply path on the secondary.
 */
#ifndef MIRRORD_REPL_H
#define MIRRORD_REPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "config.h"
#include "io.h"
#include "meta.h"
#include "wire.h"

#define SBUF_SIZE	(4u * MD_CHAN_MIN_READ)	/* one channel read batch */
#define RBUF_SIZE	(4u << 20)		/* socket receive buffer */
#define ARENA_SIZE	(32u << 20)		/* secondary: data being applied */
#define ARENA_PAGE	4096u
#define ARENA_PAGES	(ARENA_SIZE / ARENA_PAGE)
#define MAX_APPLY	256
#define CBUF_SIZE	(64u << 10)		/* control packets (acks, pings) */
#define PKT_HDRS	(sizeof(struct mdw_hdr) + sizeof(struct mdw_data))

struct repl;

/* Something queued for the socket: a data batch or a control buffer. */
struct txitem {
	struct msghdr msg;
	struct iovec *iov;
	int niov;
	void (*done)(struct txitem *t);
	struct txitem *next;
	void *own[2];		/* heap buffers freed by tx_heap_free (the iov moves) */
};

/* Primary: one batch read from the channel, then sent to the peer. */
struct sendbuf {
	struct repl *r;
	enum { SB_FREE, SB_READING, SB_SENDING } state;
	char *buf;
	struct io_op op;
	struct txitem tx;
	char hdrs[MD_MAX_INFLIGHT][PKT_HDRS];
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

/* Secondary: one received write on its way to the local disk. */
struct apply {
	struct repl *r;
	struct md_data_info d;
	char *buf;
	unsigned page0, npages;
	bool active;
	bool digest_only;	/* checksum resync: read and compare, no write */
	bool verify;		/* ... for an online verify (reply MDW_VF_REPLY) */
	uint64_t digest;
	struct io_op op;
	struct apply *next;	/* free list or pending FIFO */
};

#define RS_WINDOW	16		/* resync chunks in flight, at most */
#define RS_WINDOW_BUSY	2		/* ... while the application writes */

struct resync {
	bool active;
	bool source;
	bool bitmap_in;			/* source: the target's bitmap is merged */
	uint64_t *snap;			/* source: snapshot of the kernel's bitmap */
	uint64_t *bad;			/* source: chunks our disk failed to read */
	uint64_t failed;		/* ... how many */
	uint64_t cursor;
	uint64_t total, done;		/* chunks */
	unsigned issued;		/* ioctls whose record has not come yet */
	uint64_t ids[RS_WINDOW];	/* records sent, waiting for their ack */
	unsigned nids;
	uint64_t start_ms, last_app_ms, last_tick_ms;
	double tokens;			/* rate control, bytes */
	uint64_t same;			/* checksum resync: chunks found identical */
	struct rs_stash {		/* checksum resync: data awaiting the verdict */
		uint64_t id, offset;
		uint32_t len;
		char *buf;
	} stash[RS_WINDOW];
};

#define VF_WINDOW	8		/* verify: chunks being compared, at most */
#define VF_FIRST	8		/* verify: differing offsets kept for status */

/* Online verify: compare the xxh3 digest of every chunk with the peer's. */
struct verify {
	bool active;
	uint64_t token;			/* the request served (NAME.ctl verify=) */
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

struct repl_stats {
	uint64_t tx_bytes, rx_bytes;
	uint64_t writes_sent, writes_applied, acks;
};

struct repl {
	/* configuration */
	struct md_res_cfg *res;
	int me, peer;			/* node indices in res */
	enum io_mode io_mode;
	uint32_t proto_min, proto_max;	/* what we offer (test knob) */
	const char *state_path;
	volatile int *reload;		/* set by SIGHUP: mdctl changed something */

	/* administrator's runtime choices (sb flags and RUN_DIR/NAME.ctl) */
	bool detached;			/* MD_SBF_DETACHED: stay out of the mirror */
	bool paused;			/* resync paused (mdctl pause) */
	bool disk_failed;		/* a write to our disk failed: copy marked inconsistent */
	uint64_t cfg_rate;		/* resync_rate from the config file */
	uint64_t vf_request;		/* verify= in NAME.ctl */
	struct verify vf;

	/* resources held for the daemon's life */
	int ctl_fd;			/* bound channel */
	int disk_fd;			/* lower device, O_DIRECT */
	int listen_fd;
	uint64_t size_bytes;
	uint32_t chunk_bytes;
	uint32_t role;			/* local role, polled from the kernel */

	/* metadata (shared with mdctl under lock_path) */
	int meta_fd;
	uint64_t meta_area;
	char lock_path[MD_PATH_LEN];
	uint64_t nchunks;

	/* per connection */
	enum md_sync_decision decision;
	uint64_t peer_gen;		/* peer's current generation at HELLO */
	uint64_t peer_features;		/* MDW_FEAT_* the peer offered */
	struct resync rs;
	const char *link;		/* what the state file says */
	int sock;
	struct io_loop *io;
	bool failing;
	char fail_reason[300];
	uint32_t peer_role;
	uint64_t last_rx_ms, last_tx_ms, last_poll_ms;

	struct sendbuf sb[2];
	struct ctlbuf ctl[2];
	int ctl_cur;
	struct txitem *txq, *txq_tail;
	bool tx_busy;
	struct io_op tx_op;

	char *rbuf;
	size_t rlen;
	struct io_op rx_op;
	bool rx_stalled;

	struct md_chan_ack kacks[MD_MAX_INFLIGHT];
	unsigned nkacks;

	char *arena;
	uint8_t arena_used[ARENA_PAGES];
	unsigned arena_hint;
	struct apply applies[MAX_APPLY];
	struct apply *apply_free;
	struct apply *pending, *pending_tail;

	struct repl_stats st;
};

/* Set up buffers and the kernel binding.  Returns 0 or -errno. */
int repl_init(struct repl *r);
/* Run until *stop becomes true.  Returns 0 or -errno. */
int repl_run(struct repl *r, volatile int *stop);
void repl_fini(struct repl *r);

#endif
