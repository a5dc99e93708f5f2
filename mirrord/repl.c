/*
 * repl.c - replication of one resource: connection life, the primary's
 * send path, the secondary's apply path.
 *
 * Connection life (see docs/design.md, "State machine"):
 *   CONNECTING -> handshake -> CONNECTED -> (error, timeout, stop) ->
 *   TEARDOWN -> CONNECTING ...
 * The node listed first in the resource listens, the other connects; both
 * retry forever.  Whatever breaks a connection, the first thing teardown does
 * is tell the kernel (MD_CONN_STANDALONE): the kernel then completes every
 * write the peer has not acknowledged as "not replicated" and marks it in
 * the bitmap, so application I/O never waits on a dead link.
 *
 * Primary data path, all on one io_uring (or the fallback loop):
 *   channel read (a batch of requests, data copied once by the kernel)
 *   -> one sendmsg of headers + payloads straight from that buffer
 *   -> peer's ACKs parsed from the receive stream
 *   -> one write() of all acks of that batch to the channel.
 * Two channel buffers alternate so that a batch is read while the previous
 * one is on the wire.
 *
 * Secondary apply path: each DATA packet's payload is copied from the
 * receive buffer into an aligned arena slot (O_DIRECT needs alignment that
 * a TCP stream cannot give), written with O_DIRECT (RWF_DSYNC for FUA, a
 * preceding fdatasync for PREFLUSH), and acknowledged when the write
 * completes.  Writes that overlap one still in flight wait for it, so both
 * disks apply overlapping writes in the same order.  When the arena or the
 * apply slots run out, the receive side stops reading the socket: TCP
 * backpressure then bounds the primary.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <endian.h>
#include <unistd.h>
#include "kctl.h"
#include "log.h"
#include "repl.h"
#include <xxhash.h>

#define PING_INTERVAL_MS	1000
#define POLL_INTERVAL_MS	200
#define RETRY_DELAY_MS		1000

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *peer_name(struct repl *r)
{
	return r->res->nodes[r->peer].name;
}

/* ---- state file: what mdctl status shows about the link ---- */

/* Resync throughput so far, bytes per second. */
static uint64_t rs_rate(struct repl *r)
{
	uint64_t ms = now_ms() - r->rs.start_ms;

	if (!r->rs.active || !ms)
		return 0;
	return r->rs.done * r->chunk_bytes * 1000 / ms;
}

static void write_state(struct repl *r, const char *conn)
{
	char tmp[MD_PATH_LEN + 8];
	FILE *f;

	if (!r->state_path)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", r->state_path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	r->link = conn;
	fprintf(f, "pid=%d\nconn=%s\npeer=%s\npeer_role=%s\nio=%s\nsince=%lld\nlast_error=%s\n",
		getpid(), conn, peer_name(r),
		!strcmp(conn, "connected") ? md_role_name(r->peer_role) : "unknown",
		r->io ? io_backend_name(r->io) : "-", (long long)time(NULL),
		r->fail_reason);
	fprintf(f, "verify=%s\nverify_token=%llu\nverify_done=%llu\nverify_total=%llu\n"
		"verify_differ=%llu\nverify_errors=%llu\nverify_first=",
		r->vf.result ? r->vf.result : "none", (unsigned long long)r->vf.token,
		(unsigned long long)r->vf.done, (unsigned long long)r->nchunks,
		(unsigned long long)r->vf.differ, (unsigned long long)r->vf.errors);
	for (unsigned i = 0; i < r->vf.nfirst; i++)
		fprintf(f, "%s%llu", i ? "," : "", (unsigned long long)r->vf.first[i]);
	fprintf(f, "\nsync_same=%llu\ndetached=%d\npaused=%d\nresync_rate=%llu\n",
		(unsigned long long)r->rs.same, r->detached, r->paused,
		(unsigned long long)r->res->resync_rate);
	fprintf(f, "sync=%s\nsync_role=%s\nsync_done=%llu\nsync_total=%llu\nsync_rate=%llu\n",
		md_sync_decision_name(r->decision),
		r->rs.active ? (r->rs.source ? "source" : "target") : "none",
		(unsigned long long)r->rs.done, (unsigned long long)r->rs.total,
		(unsigned long long)rs_rate(r));
	fclose(f);
	rename(tmp, r->state_path);
}

/* ---- metadata updates (under the lock mdctl takes too) ---- */

static int sb_update(struct repl *r, md_sb_fn fn, void *arg)
{
	int rc = md_sb_update(r->meta_fd, r->meta_area, r->lock_path, fn, arg);

	if (rc < 0)
		log_err("updating the metadata on %s failed: %s", r->res->nodes[r->me].disk,
			strerror(-rc));
	return rc;
}

/* The link broke: a primary starts a new generation (if it has not yet),
 * so that the peer's data is recognisably older on the next connect. */
static int sb_on_break(struct md_super *sb, void *arg)
{
	struct repl *r = arg;

	sb->time_last_break = (uint64_t)time(NULL);
	if (r->role == MD_ROLE_PRIMARY && !sb->gen_bitmap) {
		sb->gen_bitmap = sb->gen_current;
		sb->gen_current = md_gen_new();
	}
	return 1;
}

/* A resync target, or a disk that failed a write: not usable until resynced. */
static int sb_mark_inconsistent(struct md_super *sb, void *arg)
{
	(void)arg;
	if (sb->disk_state == MD_DISK_INCONSISTENT)
		return 0;
	sb->disk_state = MD_DISK_INCONSISTENT;
	return 1;
}

static int sb_target_done(struct md_super *sb, void *arg)
{
	struct repl *r = arg;

	sb->gen_current = r->peer_gen;
	sb->gen_bitmap = 0;
	sb->disk_state = MD_DISK_UPTODATE;
	sb->flags &= ~(MD_SBF_PRIMARY | MD_SBF_DISCARD | MD_SBF_SURVIVOR | MD_SBF_FULL);
	sb->time_last_sync = (uint64_t)time(NULL);
	if (r->decision == MD_SYNC_TARGET_FULL)
		sb->time_last_full_sync = sb->time_last_sync;
	return 1;
}

static int sb_source_done(struct md_super *sb, void *arg)
{
	struct repl *r = arg;

	if (sb->gen_bitmap) {
		sb->gen_history[1] = sb->gen_history[0];
		sb->gen_history[0] = sb->gen_bitmap;
		sb->gen_bitmap = 0;
	}
	sb->flags &= ~(MD_SBF_DISCARD | MD_SBF_SURVIVOR | MD_SBF_FULL);
	sb->time_last_sync = (uint64_t)time(NULL);
	if (r->decision == MD_SYNC_SOURCE_FULL)
		sb->time_last_full_sync = sb->time_last_sync;
	return 1;
}

/* ---- the administrator's runtime choices ---- */

/*
 * mdctl changes the superblock flags (detach, attach, rebuild) or the
 * runtime file RUN_DIR/NAME.ctl (pause, resume, set) and sends SIGHUP;
 * both are read again here.  Returns true when something changed.
 */
static bool reload_admin(struct repl *r)
{
	char path[MD_PATH_LEN], line[128];
	bool detached = r->detached, paused = false, changed = false;
	uint64_t rate = r->cfg_rate;
	struct md_super sb;
	FILE *f;

	if (md_meta_read(r->meta_fd, r->meta_area, &sb, NULL) == 0)
		detached = sb.flags & MD_SBF_DETACHED;
	snprintf(path, sizeof(path), "/run/mirrordisk/%s.ctl", r->res->name);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "paused=%llu", &v) == 1)
			paused = v != 0;
		else if (sscanf(line, "resync_rate=%llu", &v) == 1)
			rate = v;
		else if (sscanf(line, "verify=%llu", &v) == 1 && v != r->vf_request) {
			r->vf_request = v;
			changed = true;
		}
	}
	if (f)
		fclose(f);
	if (detached == r->detached && paused == r->paused && rate == r->res->resync_rate)
		return changed;
	if (detached != r->detached)
		log_info("%s by the administrator", detached ? "detached" : "attached");
	if (paused != r->paused)
		log_info("resync %s", paused ? "paused" : "resumed");
	if (rate != r->res->resync_rate)
		log_info("resync rate limit now %llu bytes/s", (unsigned long long)rate);
	r->detached = detached;
	r->paused = paused;
	r->res->resync_rate = rate;
	return true;
}

static bool reload_requested(struct repl *r)
{
	if (!r->reload || !*r->reload)
		return false;
	*r->reload = 0;
	return reload_admin(r);
}

/* Apply 'cmd' (MD_IOC_SET_OOS / CLEAR_OOS) to every chunk. */
static int oos_all(struct repl *r, unsigned long cmd)
{
	uint64_t words[1024];
	int rc = 0;

	memset(words, 0xff, sizeof(words));
	for (uint64_t start = 0; start < r->nchunks && !rc; start += 64 * 1024) {
		uint64_t n = r->nchunks - start < 64 * 1024 ? r->nchunks - start : 64 * 1024;

		rc = kctl_oos(r->ctl_fd, cmd, (uint32_t)r->res->minor, start, n, words);
	}
	return rc;
}

static void conn_fail(struct repl *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void conn_fail(struct repl *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failing)
		return;
	r->failing = true;
	va_start(ap, fmt);
	vsnprintf(r->fail_reason, sizeof(r->fail_reason), fmt, ap);
	va_end(ap);
	log_warn("connection to %s lost: %s", peer_name(r), r->fail_reason);
	/* First unblock the application: the kernel marks what is unacked. */
	kctl_set_conn(r->ctl_fd, MD_CONN_STANDALONE);
	sb_update(r, sb_on_break, r);
	shutdown(r->sock, SHUT_RDWR);
	for (int i = 0; i < 2; i++)
		if (r->sb[i].state == SB_READING)
			ioq_cancel(r->io, &r->sb[i].op);
	ioq_cancel(r->io, &r->rx_op);
}


/* ---- transmit queue: one sendmsg in flight, items in order ---- */

static void tx_start(struct repl *r);

static void tx_done_cb(struct io_op *op, int res)
{
	struct repl *r = op->ctx;
	struct txitem *t = r->txq;
	size_t left = (size_t)(res > 0 ? res : 0);

	r->tx_busy = false;
	if (res <= 0 || r->failing) {
		if (!r->failing)
			conn_fail(r, "send failed: %s", res ? strerror(-res) : "connection closed");
		return;
	}
	r->st.tx_bytes += (uint64_t)res;
	r->last_tx_ms = now_ms();
	/*
	 * Partial send: advance the iovec and go on with the rest.  Empty
	 * entries (the payload of a flush) are skipped as they come.
	 */
	while (t->msg.msg_iovlen && (left || !t->msg.msg_iov->iov_len)) {
		struct iovec *v = t->msg.msg_iov;

		if (left >= v->iov_len) {
			left -= v->iov_len;
			t->msg.msg_iov++;
			t->msg.msg_iovlen--;
		} else {
			v->iov_base = (char *)v->iov_base + left;
			v->iov_len -= left;
			left = 0;
		}
	}
	if (!t->msg.msg_iovlen) {
		r->txq = t->next;
		if (!r->txq)
			r->txq_tail = NULL;
		t->done(t);
	}
	tx_start(r);
}

static void tx_start(struct repl *r)
{
	struct txitem *t = r->txq;

	if (r->tx_busy || !t || r->failing)
		return;
	/* A batch has at most 2 * MD_MAX_INFLIGHT = 512 iovecs: under IOV_MAX. */
	r->tx_op = (struct io_op){ .kind = IO_SENDMSG, .fd = r->sock, .stream = true,
				   .msg = &t->msg, .cb = tx_done_cb, .ctx = r };
	r->tx_busy = true;
	ioq_submit(r->io, &r->tx_op);
}

static void tx_queue(struct repl *r, struct txitem *t, struct iovec *iov, int niov,
		     void (*done)(struct txitem *))
{
	memset(&t->msg, 0, sizeof(t->msg));
	t->iov = iov;
	t->niov = niov;
	t->msg.msg_iov = iov;
	t->msg.msg_iovlen = (size_t)niov;
	t->done = done;
	t->next = NULL;
	if (r->txq_tail)
		r->txq_tail->next = t;
	else
		r->txq = t;
	r->txq_tail = t;
	tx_start(r);
}

/* ---- control packets ---- */

static void ctl_kick(struct repl *r);

static void ctl_sent(struct txitem *t)
{
	struct ctlbuf *c = (struct ctlbuf *)((char *)t - offsetof(struct ctlbuf, tx));

	c->len = 0;
	c->busy = false;
	ctl_kick(c->r);
}

static void ctl_kick(struct repl *r)
{
	struct ctlbuf *c = &r->ctl[r->ctl_cur];

	if (!c->len || r->ctl[!r->ctl_cur].busy || r->failing)
		return;
	c->busy = true;
	c->iov.iov_base = c->buf;
	c->iov.iov_len = c->len;
	r->ctl_cur = !r->ctl_cur;
	tx_queue(r, &c->tx, &c->iov, 1, ctl_sent);
}

/* Append a packet to the control buffer being filled; sent by ctl_kick(). */
static void *ctl_packet(struct repl *r, uint16_t type, uint32_t len)
{
	struct ctlbuf *c = &r->ctl[r->ctl_cur];
	char *p;

	if (c->len + sizeof(struct mdw_hdr) + len > CBUF_SIZE) {
		conn_fail(r, "control buffer full (peer not reading)");
		return NULL;
	}
	p = c->buf + c->len;
	mdw_hdr_encode(p, type, len);
	c->len += sizeof(struct mdw_hdr) + len;
	return p + sizeof(struct mdw_hdr);
}

/* ---- primary: channel -> peer ---- */

static void sb_post_read(struct sendbuf *sb);

static void sb_sent(struct txitem *t)
{
	struct sendbuf *sb = (struct sendbuf *)((char *)t - offsetof(struct sendbuf, tx));

	sb->state = SB_FREE;
	sb_post_read(sb);
}


/* ---- checksum resync ---- */

static void rs_acked(struct repl *r, uint64_t id, int32_t status);
static void flush_kacks(struct repl *r);
static void rs_read_failed(struct repl *r, const struct md_chan_req *q);

/* Source: keep the chunk, send its digest; the target's verdict decides. */
static int rs_send_digest(struct repl *r, const struct md_chan_req *q, const char *data)
{
	struct rs_stash *st = NULL;
	void *body;

	for (int i = 0; i < RS_WINDOW; i++)
		if (!r->rs.stash[i].buf) {
			st = &r->rs.stash[i];
			break;
		}
	if (!st)
		return -ENOSPC;
	st->buf = malloc(q->len);
	if (!st->buf)
		return -ENOMEM;
	memcpy(st->buf, data, q->len);
	st->id = q->id;
	st->offset = q->offset;
	st->len = q->len;
	body = ctl_packet(r, MDW_RS_DIGEST, sizeof(struct mdw_rs_digest));
	if (!body)
		return -ENOBUFS;
	mdw_rs_digest_encode(body, q->id, q->offset, q->len, XXH3_64bits(data, q->len));
	ctl_kick(r);
	return 0;
}

/*
 * Done callback of heap-allocated items.  It frees the buffers recorded at
 * queueing time: a partial send advances iov_base, so that cannot be used.
 */
static void tx_heap_free(struct txitem *t)
{
	free(t->own[0]);
	free(t->own[1]);
	free(t->iov);
	free(t);
}

static void rs_stash_clear(struct repl *r)
{
	for (int i = 0; i < RS_WINDOW; i++) {
		free(r->rs.stash[i].buf);
		r->rs.stash[i].buf = NULL;
	}
}

/* Source: the target's verdict on one digest. */
static int handle_rs_reply(struct repl *r, const char *body, uint32_t len)
{
	struct rs_stash *st = NULL;
	uint64_t id;
	bool same;

	if (mdw_rs_reply_decode(body, len, &id, &same) || !r->rs.active || !r->rs.source) {
		conn_fail(r, "unexpected or malformed RS_REPLY from peer");
		return -1;
	}
	for (int i = 0; i < RS_WINDOW; i++)
		if (r->rs.stash[i].buf && r->rs.stash[i].id == id)
			st = &r->rs.stash[i];
	if (!st) {
		conn_fail(r, "RS_REPLY for an unknown chunk");
		return -1;
	}
	if (same) {
		/* Identical: done without sending; the kernel clears the bit. */
		r->kacks[r->nkacks++] = (struct md_chan_ack){ .id = id, .status = 0 };
		rs_acked(r, id, 0);
		r->rs.same++;
		free(st->buf);
		st->buf = NULL;
		if (r->nkacks == MD_MAX_INFLIGHT)
			flush_kacks(r);
		return 1;
	}
	{
		struct txitem *t = calloc(1, sizeof(*t));
		struct iovec *iov = calloc(2, sizeof(*iov));
		char *hdr = malloc(PKT_HDRS);
		struct md_data_info d = { .id = id, .offset = st->offset, .len = st->len,
					  .flags = MDW_DF_RESYNC };

		if (!t || !iov || !hdr) {
			free(t); free(iov); free(hdr);
			conn_fail(r, "out of memory");
			return -1;
		}
		mdw_hdr_encode(hdr, MDW_DATA, (uint32_t)(sizeof(struct mdw_data) + st->len));
		mdw_data_encode(hdr + sizeof(struct mdw_hdr), &d);
		iov[0] = (struct iovec){ hdr, PKT_HDRS };
		iov[1] = (struct iovec){ st->buf, st->len };
		t->own[0] = hdr;
		t->own[1] = st->buf;	/* owned by the txitem now */
		st->buf = NULL;
		tx_queue(r, t, iov, 2, tx_heap_free);
	}
	return 1;
}

static void sb_read_cb(struct io_op *op, int res)
{
	struct sendbuf *sb = op->ctx;
	struct repl *r = sb->r;
	size_t pos = 0;
	int n = 0;

	sb->state = SB_FREE;
	if (r->failing)
		return;
	if (res == -EINTR || res == -EAGAIN) {
		sb_post_read(sb);
		return;
	}
	if (res <= 0) {
		conn_fail(r, "kernel channel read failed: %s", strerror(-res));
		return;
	}
	while (pos < (size_t)res) {
		struct md_chan_req q;
		struct md_data_info d;

		memcpy(&q, sb->buf + pos, sizeof(q));
		if (pos + sizeof(q) + q.len > (size_t)res || n == MD_MAX_INFLIGHT ||
		    q.len > MD_MAX_IO_BYTES) {
			conn_fail(r, "malformed batch from the kernel channel");
			return;
		}
		d = (struct md_data_info){
			.id = q.id, .offset = q.offset, .seq = q.seq, .len = q.len,
			.flags = (uint16_t)((q.flags & MD_RF_FUA ? MDW_DF_FUA : 0) |
				 (q.flags & MD_RF_PREFLUSH || q.op == MD_OP_FLUSH ? MDW_DF_PREFLUSH : 0)),
		};
		if (q.op == MD_OP_RESYNC) {
			d.flags = MDW_DF_RESYNC;
			if (r->rs.issued)
				r->rs.issued--;
			if (q.flags & MD_RF_READ_ERROR) {
				rs_read_failed(r, &q);
				pos += sizeof(q) + q.len;
				continue;
			}
			if (r->rs.nids < RS_WINDOW)
				r->rs.ids[r->rs.nids++] = q.id;
			if (r->res->checksum_resync) {
				int rc = rs_send_digest(r, &q, sb->buf + pos + sizeof(q));

				if (rc) {
					conn_fail(r, "checksum resync: %s", strerror(-rc));
					return;
				}
				pos += sizeof(q) + q.len;
				continue;
			}
		} else {
			r->rs.last_app_ms = now_ms();
		}
		mdw_hdr_encode(sb->hdrs[n], MDW_DATA, (uint32_t)(sizeof(struct mdw_data) + q.len));
		mdw_data_encode(sb->hdrs[n] + sizeof(struct mdw_hdr), &d);
		sb->iov[2 * n] = (struct iovec){ sb->hdrs[n], PKT_HDRS };
		sb->iov[2 * n + 1] = (struct iovec){ sb->buf + pos + sizeof(q), q.len };
		pos += sizeof(q) + q.len;
		n++;
	}
	r->st.writes_sent += (uint64_t)n;
	if (!n) {
		/* Only digests (checksum resync): nothing of this buffer to send. */
		flush_kacks(r);
		sb_post_read(sb);
		return;
	}
	sb->state = SB_SENDING;
	tx_queue(r, &sb->tx, sb->iov, 2 * n, sb_sent);
}

static void sb_post_read(struct sendbuf *sb)
{
	struct repl *r = sb->r;

	if (sb->state != SB_FREE || r->failing)
		return;
	sb->op = (struct io_op){ .kind = IO_READ, .fd = r->ctl_fd, .stream = true,
				 .buf = sb->buf, .len = SBUF_SIZE,
				 .cb = sb_read_cb, .ctx = sb };
	sb->state = SB_READING;
	ioq_submit(r->io, &sb->op);
}

static void flush_kacks(struct repl *r)
{
	ssize_t n;

	if (!r->nkacks)
		return;
	n = write(r->ctl_fd, r->kacks, r->nkacks * sizeof(r->kacks[0]));
	if (n < 0)
		conn_fail(r, "kernel refused acknowledgements: %s", strerror(errno));
	r->st.acks += r->nkacks;
	r->nkacks = 0;
}


/* ---- resync, source side ---- */

static void rs_finish(struct repl *r)
{
	void *body = ctl_packet(r, MDW_RS_DONE, sizeof(struct mdw_rs_done));
	struct md_super sb;

	if (!body)
		return;
	if (md_meta_read(r->meta_fd, r->meta_area, &sb, NULL) == 0)
		mdw_rs_done_encode(body, sb.gen_current);
	ctl_kick(r);
	sb_update(r, sb_source_done, r);
	log_info("resync to %s finished: %llu chunks (%llu MiB) in %.1f s, %llu found identical "
		 "by checksum", peer_name(r), (unsigned long long)r->rs.done,
		 (unsigned long long)(r->rs.done * r->chunk_bytes >> 20),
		 (double)(now_ms() - r->rs.start_ms) / 1000.0, (unsigned long long)r->rs.same);
	r->rs.active = false;
	r->decision = MD_SYNC_NONE;
	write_state(r, "connected");
}

static int rs_snapshot(struct repl *r)
{
	uint64_t nwords = (r->nchunks + 63) / 64, set = 0;
	int rc = kctl_oos(r->ctl_fd, MD_IOC_GET_OOS, (uint32_t)r->res->minor, 0,
			  r->nchunks, r->rs.snap);

	if (rc)
		return rc;
	for (uint64_t i = 0; i < nwords; i++) {
		if (r->rs.bad)
			r->rs.snap[i] &= ~r->rs.bad[i];	/* not again in this resync */
		set += (uint64_t)__builtin_popcountll(r->rs.snap[i]);
	}
	r->rs.cursor = 0;
	return (int)(set > INT32_MAX ? INT32_MAX : set);
}

/*
 * Every chunk was tried, and some could not be read from our disk.  The
 * target stays inconsistent (no RS_DONE), their bits stay set here, and
 * replication goes on; the next resync (a reconnect, or detach + attach
 * once the disk is repaired) tries them again.
 */
static void rs_incomplete(struct repl *r)
{
	snprintf(r->fail_reason, sizeof(r->fail_reason),
		 "resync incomplete: %llu chunk(s) could not be read from %s; %s stays "
		 "inconsistent until a resync succeeds", (unsigned long long)r->rs.failed,
		 r->res->nodes[r->me].disk, peer_name(r));
	log_err("%s", r->fail_reason);
	r->rs.active = false;
	r->decision = MD_SYNC_NONE;
	write_state(r, "connected");
}

/* The kernel could not read a resync chunk: ack it with the error (its bit
 * stays set), and leave it out of this resync. */
static void rs_read_failed(struct repl *r, const struct md_chan_req *q)
{
	uint64_t c = q->offset / r->chunk_bytes;

	if (r->nkacks == MD_MAX_INFLIGHT)
		flush_kacks(r);
	r->kacks[r->nkacks++] = (struct md_chan_ack){ .id = q->id, .status = -EIO };
	flush_kacks(r);		/* rare: free the kernel's slot now */
	if (r->rs.bad && c < r->nchunks)
		r->rs.bad[c / 64] |= 1ull << (c % 64);
	if (r->rs.failed++ < 8)
		log_err("resync: reading chunk %llu (offset %llu) from %s failed; it stays out of "
			"sync", (unsigned long long)c, (unsigned long long)q->offset,
			r->res->nodes[r->me].disk);
}

/* Start as many chunk copies as the window and the rate allow. */
static void rs_kick(struct repl *r)
{
	uint64_t now = now_ms();
	unsigned window;
	bool refreshed = false;

	if (!r->rs.active || !r->rs.source || !r->rs.bitmap_in || r->failing)
		return;
	if (r->paused) {
		r->rs.last_tick_ms = now;
		return;
	}
	if (r->res->resync_rate) {
		r->rs.tokens += (double)r->res->resync_rate * (double)(now - r->rs.last_tick_ms) / 1000.0;
		if (r->rs.tokens > 4.0 * r->chunk_bytes + (double)r->res->resync_rate / 5)
			r->rs.tokens = 4.0 * r->chunk_bytes + (double)r->res->resync_rate / 5;
	}
	r->rs.last_tick_ms = now;
	/* Yield to the application: a narrow window while it writes. */
	window = now - r->rs.last_app_ms < 100 ? RS_WINDOW_BUSY : RS_WINDOW;
	while (r->rs.issued + r->rs.nids < window) {
		uint64_t c = r->rs.cursor, w;
		int rc;

		if (r->res->resync_rate && r->rs.tokens < r->chunk_bytes)
			return;
		while (c < r->nchunks && !(r->rs.snap[c / 64] >> (c % 64) & 1)) {
			w = r->rs.snap[c / 64] >> (c % 64);
			c = w ? c + 1 : (c / 64 + 1) * 64;
		}
		if (c >= r->nchunks) {
			if (r->rs.issued + r->rs.nids || refreshed)
				return;
			rc = rs_snapshot(r);
			refreshed = true;
			if (rc < 0) {
				conn_fail(r, "reading the bitmap failed: %s", strerror(-rc));
				return;
			}
			if (rc == 0) {
				if (r->rs.failed)
					rs_incomplete(r);
				else
					rs_finish(r);
				return;
			}
			continue;
		}
		r->rs.cursor = c + 1;
		rc = kctl_resync(r->ctl_fd, c);
		if (rc == -EBUSY)
			continue;	/* already in sync */
		if (rc) {
			conn_fail(r, "resync of chunk %llu failed: %s", (unsigned long long)c,
				  strerror(-rc));
			return;
		}
		r->rs.issued++;
		r->rs.tokens -= r->chunk_bytes;
	}
}

/* An ack for id arrived: was it a resync chunk? */
static void rs_acked(struct repl *r, uint64_t id, int32_t status)
{
	for (unsigned i = 0; i < r->rs.nids; i++) {
		if (r->rs.ids[i] != id)
			continue;
		r->rs.ids[i] = r->rs.ids[--r->rs.nids];
		if (!status)
			r->rs.done++;
		return;
	}
}

static void rs_start(struct repl *r, bool source)
{
	free(r->rs.snap);
	free(r->rs.bad);
	memset(&r->rs, 0, sizeof(r->rs));
	r->rs.active = true;
	r->rs.source = source;
	r->rs.start_ms = r->rs.last_tick_ms = now_ms();
	r->rs.snap = calloc((r->nchunks + 63) / 64, 8);
	r->rs.bad = calloc((r->nchunks + 63) / 64, 8);
}

/* Target: send our bitmap, then wait for the data and MDW_RS_DONE. */
static int target_send_bitmap(struct repl *r)
{
	uint64_t nwords = (r->nchunks + 63) / 64, npk = (r->nchunks + MDW_BITMAP_MAX_BITS - 1) / MDW_BITMAP_MAX_BITS;
	size_t len = npk * (sizeof(struct mdw_hdr) + mdw_bitmap_body_len(MDW_BITMAP_MAX_BITS)) +
		     sizeof(struct mdw_hdr);
	uint64_t *bits = calloc(nwords, 8);
	char *buf = malloc(len), *p;
	struct txitem *t = calloc(1, sizeof(*t));
	struct iovec *iov = calloc(1, sizeof(*iov));
	int rc;

	if (!bits || !buf || !t || !iov) {
		free(bits); free(buf); free(t); free(iov);
		return -ENOMEM;
	}
	rc = kctl_oos(r->ctl_fd, MD_IOC_GET_OOS, (uint32_t)r->res->minor, 0, r->nchunks, bits);
	if (rc) {
		free(bits); free(buf); free(t); free(iov);
		return rc;
	}
	p = buf;
	for (uint64_t start = 0; start < r->nchunks; start += MDW_BITMAP_MAX_BITS) {
		uint32_t n = (uint32_t)(r->nchunks - start < MDW_BITMAP_MAX_BITS ?
					r->nchunks - start : MDW_BITMAP_MAX_BITS);
		size_t blen = mdw_bitmap_body_len(n);

		mdw_hdr_encode(p, MDW_BITMAP, (uint32_t)blen);
		mdw_bitmap_encode(p + sizeof(struct mdw_hdr), start, n, bits + start / 64);
		p += sizeof(struct mdw_hdr) + blen;
	}
	mdw_hdr_encode(p, MDW_BITMAP_END, 0);
	p += sizeof(struct mdw_hdr);
	free(bits);
	iov->iov_base = buf;
	iov->iov_len = (size_t)(p - buf);
	t->own[0] = buf;
	tx_queue(r, t, iov, 1, tx_heap_free);
	return 0;
}

static int handle_bitmap(struct repl *r, const char *body, uint32_t len)
{
	const unsigned char *words;
	uint64_t start, buf[MDW_BITMAP_MAX_BITS / 64];
	uint32_t nbits;
	int rc;

	if (!r->rs.active || !r->rs.source || r->rs.bitmap_in) {
		conn_fail(r, "unexpected BITMAP from peer");
		return -1;
	}
	rc = mdw_bitmap_decode(body, len, r->nchunks, &start, &nbits, &words);
	if (rc) {
		conn_fail(r, "malformed BITMAP from peer (%s)", strerror(-rc));
		return -1;
	}
	for (uint32_t i = 0; i < (nbits + 63) / 64; i++) {
		memcpy(&buf[i], words + i * 8, 8);
		buf[i] = le64toh(buf[i]);
	}
	rc = kctl_oos(r->ctl_fd, MD_IOC_SET_OOS, (uint32_t)r->res->minor, start, nbits, buf);
	if (rc) {
		conn_fail(r, "merging the peer's bitmap failed: %s", strerror(-rc));
		return -1;
	}
	return 1;
}

static int handle_rs_done(struct repl *r, const char *body, uint32_t len)
{
	uint64_t gen;

	if (!r->rs.active || r->rs.source || mdw_rs_done_decode(body, len, &gen)) {
		conn_fail(r, "unexpected RS_DONE from peer");
		return -1;
	}
	/* Everything we had marked is now the source's data. */
	r->peer_gen = gen;
	sb_update(r, sb_target_done, r);
	r->disk_failed = false;
	oos_all(r, MD_IOC_CLEAR_OOS);
	log_info("resync from %s finished: %llu chunks received in %.1f s", peer_name(r),
		 (unsigned long long)r->rs.done, (double)(now_ms() - r->rs.start_ms) / 1000.0);
	r->rs.active = false;
	r->decision = MD_SYNC_NONE;
	write_state(r, "connected");
	return 1;
}

/* Right after the handshake: act on the decision. */
static int sync_begin(struct repl *r)
{
	int rc;

	switch (r->decision) {
	case MD_SYNC_SOURCE_FULL:
		rc = oos_all(r, MD_IOC_SET_OOS);
		if (rc)
			return rc;
		/* fall through */
	case MD_SYNC_SOURCE_BITMAP:
		rs_start(r, true);
		log_info("resync to %s starts (%s)", peer_name(r), md_sync_decision_name(r->decision));
		return r->rs.snap && r->rs.bad ? 0 : -ENOMEM;
	case MD_SYNC_TARGET_FULL:
	case MD_SYNC_TARGET_BITMAP:
		rs_start(r, false);
		rc = sb_update(r, sb_mark_inconsistent, r);
		if (rc < 0)
			return rc;
		log_info("resync from %s starts (%s)", peer_name(r), md_sync_decision_name(r->decision));
		return target_send_bitmap(r);
	default:
		return 0;
	}
}

/* ---- secondary: peer -> disk ---- */

static int arena_alloc(struct repl *r, unsigned npages)
{
	unsigned start = r->arena_hint, run = 0, i;

	for (i = 0; i < ARENA_PAGES + npages; i++) {
		unsigned p = (start + i) % ARENA_PAGES;

		if (p == 0)
			run = 0;	/* runs do not wrap around the end */
		if (r->arena_used[p]) {
			run = 0;
			continue;
		}
		if (++run == npages) {
			unsigned first = p + 1 - npages;

			memset(&r->arena_used[first], 1, npages);
			r->arena_hint = (p + 1) % ARENA_PAGES;
			return (int)first;
		}
	}
	return -1;
}

static bool overlaps_active(struct repl *r, const struct md_data_info *d)
{
	if (!d->len)
		return false;
	for (int i = 0; i < MAX_APPLY; i++) {
		struct apply *a = &r->applies[i];

		if (a->active && a->d.len && d->offset < a->d.offset + a->d.len &&
		    a->d.offset < d->offset + d->len)
			return true;
	}
	return false;
}

static void apply_start(struct apply *a);
static void rx_resume(struct repl *r);
static int mark_chunk(struct repl *r, uint64_t c);

/*
 * Our disk failed a write from the peer.  The peer marks the range out of
 * sync when it gets the error; we mark it too, and the copy inconsistent,
 * so that this node can never be activated over the hole (the bitmap and
 * the state survive a restart) until a resync from the peer has rewritten
 * it.
 */
static void apply_failed(struct repl *r, const struct md_data_info *d)
{
	uint64_t c, last = (d->offset + d->len - 1) / r->chunk_bytes;
	int rc;

	for (c = d->offset / r->chunk_bytes; c <= last && c < r->nchunks; c++)
		if ((rc = mark_chunk(r, c)) < 0)
			log_err("marking chunk %llu out of sync failed: %s",
				(unsigned long long)c, strerror(-rc));
	if (!r->disk_failed) {
		r->disk_failed = true;
		if (sb_update(r, sb_mark_inconsistent, r) >= 0)
			log_err("%s: disk write failed; local copy marked inconsistent until a resync "
				"from %s rewrites the failed range", r->res->name, peer_name(r));
	}
}

/* Our disk failed a flush: writes it acknowledged before may not be on it,
 * and which ones is unknown.  Inconsistent, and on the next connect the
 * peer copies everything to us (the marks `mdctl rebuild --full --from
 * PEER` would set). */
static int sb_flush_failed(struct md_super *sb, void *arg)
{
	uint32_t want = MD_SBF_DISCARD | MD_SBF_FULL;

	(void)arg;
	if (sb->disk_state == MD_DISK_INCONSISTENT && (sb->flags & want) == want)
		return 0;
	sb->disk_state = MD_DISK_INCONSISTENT;
	sb->flags |= want;
	return 1;
}

static void flush_failed(struct repl *r, int res)
{
	log_err("flush failed on %s: %s", r->res->nodes[r->me].disk, strerror(-res));
	if (sb_update(r, sb_flush_failed, r) >= 0)
		log_err("%s: writes acknowledged before the failed flush may be lost: local copy "
			"marked inconsistent; the next connect copies everything from %s "
			"(mdctl detach + attach once the disk works)", r->res->name, peer_name(r));
}

static void apply_finish(struct apply *a, int status)
{
	struct repl *r = a->r;
	void *body;

	if (!r->failing && (body = ctl_packet(r, MDW_ACK, sizeof(struct mdw_ack)))) {
		mdw_ack_encode(body, a->d.id, status);
		ctl_kick(r);
	}
	if (status && a->d.len) {
		log_err("write of %u bytes at offset %llu failed on %s: %s", a->d.len,
			(unsigned long long)a->d.offset, r->res->nodes[r->me].disk,
			strerror(-status));
		apply_failed(r, &a->d);
	} else if (!status) {
		r->st.writes_applied++;
	}
	memset(&r->arena_used[a->page0], 0, a->npages);
	a->active = false;
	a->next = r->apply_free;
	r->apply_free = a;

	/* Start waiting writes, in order, until one still overlaps. */
	while (r->pending && !overlaps_active(r, &r->pending->d)) {
		struct apply *p = r->pending;

		r->pending = p->next;
		if (!r->pending)
			r->pending_tail = NULL;
		apply_start(p);
	}
	rx_resume(r);
}

static void apply_write_cb(struct io_op *op, int res)
{
	struct apply *a = op->ctx;

	if (res >= 0 && (uint32_t)res != a->d.len)
		res = -EIO;
	apply_finish(a, res < 0 ? res : 0);
}

static void apply_write(struct apply *a)
{
	a->op = (struct io_op){ .kind = IO_WRITE, .fd = a->r->disk_fd, .buf = a->buf,
				.len = a->d.len, .off = a->d.offset,
				.rw_flags = a->d.flags & MDW_DF_FUA ? RWF_DSYNC : 0,
				.cb = apply_write_cb, .ctx = a };
	ioq_submit(a->r->io, &a->op);
}

static void apply_flush_cb(struct io_op *op, int res)
{
	struct apply *a = op->ctx;

	if (res < 0)
		flush_failed(a->r, res);
	if (res < 0 || !a->d.len)
		apply_finish(a, res < 0 ? res : 0);
	else
		apply_write(a);
}

static void apply_start(struct apply *a)
{
	a->active = true;
	if (a->d.flags & MDW_DF_PREFLUSH) {
		a->op = (struct io_op){ .kind = IO_FSYNC, .fd = a->r->disk_fd,
					.cb = apply_flush_cb, .ctx = a };
		ioq_submit(a->r->io, &a->op);
	} else {
		apply_write(a);
	}
}

/* Returns 1 when consumed, 0 when out of room (stall), -1 on error. */
static int handle_data(struct repl *r, const char *body, uint32_t blen)
{
	struct md_data_info d;
	struct apply *a;
	unsigned npages;
	int rc, page;

	rc = mdw_data_decode(body, blen, &d);
	if (rc) {
		conn_fail(r, "malformed DATA packet from peer (%s)", strerror(-rc));
		return -1;
	}
	if (r->role == MD_ROLE_PRIMARY) {
		conn_fail(r, "peer sent data but this node is primary");
		return -1;
	}
	if (d.flags & MDW_DF_RESYNC) {
		if (!r->rs.active || r->rs.source) {
			conn_fail(r, "unexpected resync data from peer");
			return -1;
		}
		r->rs.done++;
		d.flags = 0;
	}
	if (d.offset > r->size_bytes || d.len > r->size_bytes - d.offset) {
		conn_fail(r, "peer wrote beyond the device end (offset %llu, %u bytes)",
			  (unsigned long long)d.offset, d.len);
		return -1;
	}
	npages = d.len ? (d.len + ARENA_PAGE - 1) / ARENA_PAGE : 0;
	if (!r->apply_free)
		return 0;
	page = npages ? arena_alloc(r, npages) : 0;
	if (page < 0)
		return 0;
	a = r->apply_free;
	r->apply_free = a->next;
	a->d = d;
	a->page0 = (unsigned)page;
	a->npages = npages;
	a->buf = r->arena + (size_t)page * ARENA_PAGE;
	memcpy(a->buf, body + sizeof(struct mdw_data), d.len);
	a->next = NULL;
	if (r->pending || overlaps_active(r, &d)) {
		if (r->pending_tail)
			r->pending_tail->next = a;
		else
			r->pending = a;
		r->pending_tail = a;
	} else {
		apply_start(a);
	}
	return 1;
}


/* Target: read our chunk, compare digests, answer. */
static void digest_read_cb(struct io_op *op, int res)
{
	struct apply *a = op->ctx;
	struct repl *r = a->r;
	void *body;
	bool same = res >= 0 && (uint32_t)res == a->d.len &&
		    XXH3_64bits(a->buf, a->d.len) == a->digest;

	if (!r->failing && (body = ctl_packet(r, a->verify ? MDW_VF_REPLY : MDW_RS_REPLY,
					      sizeof(struct mdw_rs_reply)))) {
		mdw_rs_reply_encode(body, a->d.id, same);
		ctl_kick(r);
	}
	if (same && !a->verify)
		r->rs.same++;
	a->digest_only = false;
	memset(&r->arena_used[a->page0], 0, a->npages);
	a->active = false;
	a->next = r->apply_free;
	r->apply_free = a;
	rx_resume(r);
}

static int handle_rs_digest(struct repl *r, const char *body, uint32_t len, bool verify)
{
	struct apply *a;
	uint64_t id, off, digest;
	uint32_t dlen;
	unsigned npages;
	int page;

	if (mdw_rs_digest_decode(body, len, &id, &off, &dlen, &digest) ||
	    (!verify && (!r->rs.active || r->rs.source)) || off > r->size_bytes ||
	    dlen > r->size_bytes - off || dlen > MD_MAX_IO_BYTES) {
		conn_fail(r, "unexpected or malformed %s from peer", verify ? "VF_DIGEST" : "RS_DIGEST");
		return -1;
	}
	npages = (dlen + ARENA_PAGE - 1) / ARENA_PAGE;
	if (!r->apply_free || (page = arena_alloc(r, npages)) < 0)
		return 0;	/* stall until an apply finishes */
	a = r->apply_free;
	r->apply_free = a->next;
	a->d = (struct md_data_info){ .id = id, .offset = off, .len = dlen };
	a->digest = digest;
	a->digest_only = true;
	a->verify = verify;
	a->page0 = (unsigned)page;
	a->npages = npages;
	a->buf = r->arena + (size_t)page * ARENA_PAGE;
	a->active = true;
	a->op = (struct io_op){ .kind = IO_READ, .fd = r->disk_fd, .buf = a->buf, .len = dlen,
				.off = off, .cb = digest_read_cb, .ctx = a };
	ioq_submit(r->io, &a->op);
	return 1;
}

/* ---- receive stream ---- */

/* ---- online verify (the asking side) ---- */

static void vf_finish(struct repl *r, const char *result)
{
	for (int i = 0; i < VF_WINDOW; i++) {
		free(r->vf.slot[i].buf);
		r->vf.slot[i].buf = NULL;
		r->vf.slot[i].busy = false;
	}
	if (r->vf.active)
		log_info("verify %s: %llu of %llu chunks compared, %llu differ, %llu read errors, "
			 "%.1f s", result, (unsigned long long)r->vf.done,
			 (unsigned long long)r->nchunks, (unsigned long long)r->vf.differ,
			 (unsigned long long)r->vf.errors, (double)(now_ms() - r->vf.start_ms) / 1000.0);
	r->vf.active = false;
	r->vf.result = result;
}

static void vf_kick(struct repl *r);

static void vf_send(struct repl *r, struct vf_slot *sl)
{
	void *body = ctl_packet(r, MDW_VF_DIGEST, sizeof(struct mdw_rs_digest));

	sl->unsent = !body;
	if (!body)
		return;		/* the control buffers are full: next tick */
	mdw_rs_digest_encode(body, (uint64_t)(sl - r->vf.slot),
			     sl->chunk * r->chunk_bytes, sl->len, sl->digest);
	ctl_kick(r);
}

static void vf_read_cb(struct io_op *op, int res)
{
	struct vf_slot *sl = op->ctx;
	struct repl *r = sl->r;

	if (!r->vf.active || r->failing) {
		sl->busy = false;
		return;
	}
	if (res != (int)sl->len) {
		log_err("verify: reading chunk %llu failed: %s", (unsigned long long)sl->chunk,
			strerror(res < 0 ? -res : EIO));
		r->vf.errors++;
		r->vf.done++;
		sl->busy = false;
		vf_kick(r);
		return;
	}
	sl->digest = XXH3_64bits(sl->buf, sl->len);
	vf_send(r, sl);
}

static void vf_read(struct repl *r, struct vf_slot *sl)
{
	uint64_t off = sl->chunk * r->chunk_bytes;

	sl->len = (uint32_t)(r->size_bytes - off < r->chunk_bytes ? r->size_bytes - off : r->chunk_bytes);
	sl->busy = true;
	sl->op = (struct io_op){ .kind = IO_READ, .fd = r->disk_fd, .buf = sl->buf, .len = sl->len,
				 .off = off, .cb = vf_read_cb, .ctx = sl };
	ioq_submit(r->io, &sl->op);
}

static void vf_start(struct repl *r)
{
	r->vf.token = r->vf_request;
	if (!(r->peer_features & MDW_FEAT_VERIFY)) {
		log_warn("verify: peer %s does not support it", peer_name(r));
		r->vf.result = "unsupported";
		return;
	}
	memset(r->vf.slot, 0, sizeof(r->vf.slot));
	for (int i = 0; i < VF_WINDOW; i++) {
		r->vf.slot[i].r = r;
		if (posix_memalign((void **)&r->vf.slot[i].buf, 4096, r->chunk_bytes)) {
			r->vf.slot[i].buf = NULL;
			r->vf.active = true;
			vf_finish(r, "aborted");
			return;
		}
	}
	r->vf.active = true;
	r->vf.result = "running";
	r->vf.cursor = r->vf.done = r->vf.differ = r->vf.errors = 0;
	r->vf.nfirst = 0;
	r->vf.start_ms = now_ms();
	log_info("verify with %s starts: %llu chunks", peer_name(r), (unsigned long long)r->nchunks);
	vf_kick(r);
}

/* Keep the window full; fewer chunks while the application writes. */
static void vf_kick(struct repl *r)
{
	unsigned busy = 0, window = now_ms() - r->rs.last_app_ms < 100 ? 2 : VF_WINDOW;

	if (!r->vf.active || r->failing)
		return;
	for (int i = 0; i < VF_WINDOW; i++) {
		if (r->vf.slot[i].busy && r->vf.slot[i].unsent)
			vf_send(r, &r->vf.slot[i]);
		busy += r->vf.slot[i].busy;
	}
	for (int i = 0; i < VF_WINDOW && busy < window && r->vf.cursor < r->nchunks; i++) {
		if (r->vf.slot[i].busy)
			continue;
		r->vf.slot[i].chunk = r->vf.cursor++;
		r->vf.slot[i].retried = false;
		vf_read(r, &r->vf.slot[i]);
		busy++;
	}
	if (!busy && r->vf.cursor >= r->nchunks) {
		vf_finish(r, "done");
		write_state(r, "connected");
	}
}

/* Mark one chunk out of sync (persisted by the kernel before it returns). */
static int mark_chunk(struct repl *r, uint64_t c)
{
	uint64_t start = c & ~63ull, n = r->nchunks - start < 64 ? r->nchunks - start : 64;
	uint64_t word = 1ull << (c % 64);

	return kctl_oos(r->ctl_fd, MD_IOC_SET_OOS, (uint32_t)r->res->minor, start, n, &word);
}

static int handle_vf_reply(struct repl *r, const char *body, uint32_t len)
{
	struct vf_slot *sl;
	uint64_t id;
	bool same;

	if (mdw_rs_reply_decode(body, len, &id, &same) || !r->vf.active || id >= VF_WINDOW ||
	    !r->vf.slot[id].busy || r->vf.slot[id].unsent) {
		conn_fail(r, "unexpected or malformed VF_REPLY from peer");
		return -1;
	}
	sl = &r->vf.slot[id];
	if (!same && !sl->retried) {
		/* An application write may have passed between the two reads:
		 * ask once more before calling it a difference. */
		sl->retried = true;
		vf_read(r, sl);
		return 1;
	}
	if (!same) {
		int rc = mark_chunk(r, sl->chunk);

		log_warn("verify: chunk %llu (bytes %llu..%llu) differs from %s; %s",
			 (unsigned long long)sl->chunk,
			 (unsigned long long)(sl->chunk * r->chunk_bytes),
			 (unsigned long long)(sl->chunk * r->chunk_bytes + sl->len - 1), peer_name(r),
			 rc ? "marking it failed" : "marked out of sync");
		if (r->vf.nfirst < VF_FIRST)
			r->vf.first[r->vf.nfirst++] = sl->chunk * r->chunk_bytes;
		r->vf.differ++;
	}
	r->vf.done++;
	sl->busy = false;
	vf_kick(r);
	return 1;
}

static void rx_post(struct repl *r);

/* Returns 1 consumed, 0 stall, -1 error. */
static int handle_packet(struct repl *r, uint16_t type, const char *body, uint32_t len)
{
	char msg[128];
	uint32_t code, role;
	uint64_t id;
	int32_t status;
	void *p;

	switch (type) {
	case MDW_DATA:
		return handle_data(r, body, len);
	case MDW_ACK:
		if (mdw_ack_decode(body, len, &id, &status)) {
			conn_fail(r, "malformed ACK from peer");
			return -1;
		}
		r->kacks[r->nkacks++] = (struct md_chan_ack){ .id = id, .status = status };
		if (r->rs.nids)
			rs_acked(r, id, status);
		if (r->nkacks == MD_MAX_INFLIGHT)
			flush_kacks(r);
		return 1;
	case MDW_PING:
		p = ctl_packet(r, MDW_PONG, 0);
		ctl_kick(r);
		return p ? 1 : -1;
	case MDW_PONG:
		return 1;
	case MDW_STATE:
		if (mdw_state_decode(body, len, &role)) {
			conn_fail(r, "malformed STATE from peer");
			return -1;
		}
		r->peer_role = role;
		log_info("peer %s is now %s", peer_name(r), md_role_name(role));
		write_state(r, "connected");
		return 1;
	case MDW_BITMAP:
		return handle_bitmap(r, body, len);
	case MDW_BITMAP_END:
		if (!r->rs.active || !r->rs.source || r->rs.bitmap_in) {
			conn_fail(r, "unexpected BITMAP_END from peer");
			return -1;
		}
		r->rs.bitmap_in = true;
		rs_snapshot(r);
		r->rs.total = 0;
		for (uint64_t i = 0; i < (r->nchunks + 63) / 64; i++)
			r->rs.total += (uint64_t)__builtin_popcountll(r->rs.snap[i]);
		write_state(r, "connected");
		return 1;
	case MDW_RS_DONE:
		return handle_rs_done(r, body, len);
	case MDW_RS_DIGEST:
		return handle_rs_digest(r, body, len, false);
	case MDW_VF_DIGEST:
		return handle_rs_digest(r, body, len, true);
	case MDW_VF_REPLY:
		return handle_vf_reply(r, body, len);
	case MDW_RS_REPLY:
		return handle_rs_reply(r, body, len);
	case MDW_REJECT:
		if (mdw_reject_decode(body, len, &code, msg, sizeof(msg)) == 0)
			conn_fail(r, "peer refused the connection (%s): %s",
				  mdw_reject_name(code), msg);
		else
			conn_fail(r, "peer refused the connection");
		return -1;
	default:
		conn_fail(r, "unexpected packet type %u from peer", type);
		return -1;
	}
}

static void rx_parse(struct repl *r)
{
	size_t pos = 0;

	while (!r->failing && r->rlen - pos >= sizeof(struct mdw_hdr)) {
		uint16_t type;
		uint32_t blen;
		int rc = mdw_hdr_decode(r->rbuf + pos, &type, &blen);

		if (rc) {
			conn_fail(r, "protocol error from peer: %s", strerror(-rc));
			break;
		}
		if (r->rlen - pos < sizeof(struct mdw_hdr) + blen)
			break;
		rc = handle_packet(r, type, r->rbuf + pos + sizeof(struct mdw_hdr), blen);
		if (rc <= 0) {
			r->rx_stalled = rc == 0;
			break;
		}
		pos += sizeof(struct mdw_hdr) + blen;
	}
	flush_kacks(r);
	rs_kick(r);
	if (pos) {
		memmove(r->rbuf, r->rbuf + pos, r->rlen - pos);
		r->rlen -= pos;
	}
}

static void rx_cb(struct io_op *op, int res)
{
	struct repl *r = op->ctx;

	if (r->failing)
		return;
	if (res == -EINTR || res == -EAGAIN) {
		rx_post(r);
		return;
	}
	if (res <= 0) {
		conn_fail(r, "%s", res ? strerror(-res) : "peer closed the connection");
		return;
	}
	r->rlen += (size_t)res;
	r->st.rx_bytes += (uint64_t)res;
	r->last_rx_ms = now_ms();
	rx_parse(r);
	rx_post(r);
}

static void rx_post(struct repl *r)
{
	if (r->failing || r->rx_op.busy || r->rx_stalled)
		return;
	r->rx_op = (struct io_op){ .kind = IO_RECV, .fd = r->sock, .stream = true,
				   .buf = r->rbuf + r->rlen, .len = RBUF_SIZE - r->rlen,
				   .cb = rx_cb, .ctx = r };
	ioq_submit(r->io, &r->rx_op);
}

static void rx_resume(struct repl *r)
{
	if (!r->rx_stalled || r->failing)
		return;
	r->rx_stalled = false;
	rx_parse(r);
	rx_post(r);
}

/* ---- connection establishment and handshake ---- */

static int resolve(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	char ps[16];
	int rc;

	snprintf(ps, sizeof(ps), "%d", port);
	rc = getaddrinfo(addr, ps, &hints, &ai);
	if (rc)
		return -EADDRNOTAVAIL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sl = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int open_listener(struct repl *r)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int one = 1, fd, rc;

	rc = resolve(r->res->nodes[r->me].address, r->res->port, &ss, &sl);
	if (rc)
		return rc;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, 4)) {
		rc = -errno;
		close(fd);
		return rc;
	}
	r->listen_fd = fd;
	return 0;
}

static void tune_socket(struct repl *r, int fd)
{
	int one = 1;
	struct timeval tv = { .tv_sec = r->res->timeout_s };

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* One attempt to get a socket to the peer; -EAGAIN when it should retry. */
static int establish(struct repl *r, volatile int *stop)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, rc;

	if (r->listen_fd >= 0) {
		struct pollfd p = { .fd = r->listen_fd, .events = POLLIN };

		if (poll(&p, 1, RETRY_DELAY_MS) <= 0 || *stop)
			return -EAGAIN;
		fd = accept4(r->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return -EAGAIN;
		tune_socket(r, fd);
		return fd;
	}
	if (r->detached) {
		usleep(POLL_INTERVAL_MS * 1000);
		return -EAGAIN;
	}
	rc = resolve(r->res->nodes[r->peer].address, r->res->port, &ss, &sl);
	if (rc)
		return rc;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	tune_socket(r, fd);
	if (connect(fd, (struct sockaddr *)&ss, sl)) {
		close(fd);
		usleep(RETRY_DELAY_MS * 1000);
		return -EAGAIN;
	}
	return fd;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n == 0 ? -ECONNRESET : -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_packet_sync(int fd, uint16_t type, const void *body, uint32_t len)
{
	char buf[sizeof(struct mdw_hdr) + sizeof(struct mdw_hello)];

	mdw_hdr_encode(buf, type, len);
	memcpy(buf + sizeof(struct mdw_hdr), body, len);
	return send(fd, buf, sizeof(struct mdw_hdr) + len, MSG_NOSIGNAL) ==
	       (ssize_t)(sizeof(struct mdw_hdr) + len) ? 0 : -EIO;
}

/* Returns 0 when the peer is accepted, -EPROTO when either side refused. */
static int handshake(struct repl *r, int fd)
{
	struct md_hello_info me = {
		.proto_min = r->proto_min, .proto_max = r->proto_max,
		.features = MDW_FEATURES_SUPPORTED, .size_bytes = r->size_bytes,
		.chunk_bytes = r->chunk_bytes, .role = r->role,
	}, them;
	char body[sizeof(struct mdw_hello)], why[256], msg[128];
	uint32_t version, code;
	uint16_t type;
	uint32_t len;
	int rc;

	struct md_ioc_status st;
	struct md_super sb;

	snprintf(me.resource, sizeof(me.resource), "%s", r->res->name);
	snprintf(me.node, sizeof(me.node), "%s", r->res->nodes[r->me].name);
	snprintf(me.peer, sizeof(me.peer), "%s", r->res->nodes[r->peer].name);
	rc = md_meta_read(r->meta_fd, r->meta_area, &sb, NULL);
	if (rc) {
		log_err("cannot read the metadata: %s", strerror(-rc));
		return rc;
	}
	rc = kctl_status(r->ctl_fd, (uint32_t)r->res->minor, &st);
	if (rc)
		return rc;
	r->role = me.role = st.role;
	me.gen_current = sb.gen_current;
	me.gen_bitmap = sb.gen_bitmap;
	me.gen_history[0] = sb.gen_history[0];
	me.gen_history[1] = sb.gen_history[1];
	me.sb_flags = sb.flags;
	me.disk_state = sb.disk_state;
	me.oos_chunks = st.oos_chunks;
	mdw_hello_encode(body, &me);
	rc = send_packet_sync(fd, MDW_HELLO, body, sizeof(body));
	if (rc)
		return rc;
	rc = read_full(fd, body, sizeof(struct mdw_hdr));
	if (!rc)
		rc = mdw_hdr_decode(body, &type, &len);
	if (rc) {
		log_warn("handshake with %s failed: %s", peer_name(r), strerror(-rc));
		return rc;
	}
	if (type != MDW_HELLO && type != MDW_REJECT) {
		log_warn("handshake with %s: expected HELLO, got packet type %u", peer_name(r), type);
		return -EPROTO;
	}
	rc = read_full(fd, body, len);
	if (rc)
		return rc;
	if (type == MDW_REJECT) {
		if (mdw_reject_decode(body, len, &code, msg, sizeof(msg)))
			snprintf(msg, sizeof(msg), "(unreadable reason)");
		snprintf(why, sizeof(why), "peer refused: %s", msg);
		/* Retried every few seconds (a detached peer, a split brain):
		 * log a refusal once, not at every attempt. */
		if (strcmp(why, r->fail_reason))
			log_err("peer %s refused us (%s): %s", peer_name(r), mdw_reject_name(code), msg);
		snprintf(r->fail_reason, sizeof(r->fail_reason), "%s", why);
		return -EPROTO;
	}
	rc = mdw_hello_decode(body, len, &them);
	if (rc) {
		snprintf(why, sizeof(why), "malformed HELLO");
		code = MDW_REJ_PROTO;
	} else {
		code = (uint32_t)mdw_hello_check(&me, &them, &version, why, sizeof(why));
	}
	if (!code) {
		struct md_gen_view lv = {
			.current = me.gen_current, .bitmap = me.gen_bitmap,
			.history = { me.gen_history[0], me.gen_history[1] },
			.flags = me.sb_flags, .oos_chunks = me.oos_chunks,
			.primary_now = me.role == MD_ROLE_PRIMARY, .node_index = r->me,
		}, pv = {
			.current = them.gen_current, .bitmap = them.gen_bitmap,
			.history = { them.gen_history[0], them.gen_history[1] },
			.flags = them.sb_flags, .oos_chunks = them.oos_chunks,
			.primary_now = them.role == MD_ROLE_PRIMARY, .node_index = r->peer,
		};

		r->decision = md_gen_decide(&lv, &pv);
		r->peer_gen = them.gen_current;
		if (r->decision == MD_SYNC_SPLIT_BRAIN) {
			code = MDW_REJ_SPLIT_BRAIN;
			snprintf(why, sizeof(why), "split brain: both nodes changed the data while apart "
				 "(generations %016llx and %016llx); choose the survivor with mdctl rebuild",
				 (unsigned long long)me.gen_current, (unsigned long long)them.gen_current);
		} else if (r->decision == MD_SYNC_UNRELATED) {
			code = MDW_REJ_UNRELATED;
			snprintf(why, sizeof(why), "the two disks share no history (generations %016llx "
				 "and %016llx); rebuild one from the other", (unsigned long long)me.gen_current,
				 (unsigned long long)them.gen_current);
		} else if (r->decision == MD_SYNC_CONFLICT) {
			code = MDW_REJ_CONFLICT;
			snprintf(why, sizeof(why), "rebuild marks contradict each other (both sides told "
				 "to yield, or both to survive); run mdctl rebuild again on one node");
		} else if ((r->decision == MD_SYNC_TARGET_FULL || r->decision == MD_SYNC_TARGET_BITMAP) &&
			   me.role == MD_ROLE_PRIMARY) {
			code = MDW_REJ_OLDER_PRIMARY;
			snprintf(why, sizeof(why), "%s is primary but holds older data than %s: "
				 "deactivate it first", me.node, them.node);
		} else if ((r->decision == MD_SYNC_SOURCE_FULL || r->decision == MD_SYNC_SOURCE_BITMAP) &&
			   them.role == MD_ROLE_PRIMARY) {
			code = MDW_REJ_OLDER_PRIMARY;
			snprintf(why, sizeof(why), "%s is primary but holds older data than %s: "
				 "deactivate it first", them.node, me.node);
		}
	}
	if (code) {
		char reason[sizeof(r->fail_reason)];

		snprintf(reason, sizeof(reason), "refused peer: %s", why);
		if (strcmp(reason, r->fail_reason))
			log_err("refusing peer %s (%s): %s", peer_name(r), mdw_reject_name(code), why);
		snprintf(r->fail_reason, sizeof(r->fail_reason), "%s", reason);
		mdw_reject_encode(body, code, why);
		send_packet_sync(fd, MDW_REJECT, body, sizeof(struct mdw_reject));
		return -EPROTO;
	}
	r->peer_role = them.role;
	r->peer_features = them.features;
	log_info("connected to %s (protocol %u, peer is %s, %s)", peer_name(r), version,
		 md_role_name(them.role), md_sync_decision_name(r->decision));
	return 0;
}

/* ---- the connected phase ---- */

static void poll_role(struct repl *r)
{
	struct md_ioc_status st;
	void *body;

	if (kctl_status(r->ctl_fd, (uint32_t)r->res->minor, &st))
		return;
	if (st.role == r->role)
		return;
	r->role = st.role;
	log_info("local role is now %s", md_role_name(r->role));
	if (r->sock >= 0 && !r->failing && r->decision == MD_SYNC_WAIT_INITIAL) {
		conn_fail(r, "role changed while waiting for the initial sync: deciding again");
		return;
	}
	if (r->sock >= 0 && !r->failing && (body = ctl_packet(r, MDW_STATE, sizeof(struct mdw_state)))) {
		mdw_state_encode(body, r->role);
		ctl_kick(r);
	}
}

static void reset_conn_state(struct repl *r)
{
	r->failing = false;
	r->rlen = 0;
	r->rx_stalled = false;
	r->nkacks = 0;
	while (r->txq) {	/* items of the lost connection; only heap ones own memory */
		struct txitem *t = r->txq;

		r->txq = t->next;
		if (t->done == tx_heap_free)
			tx_heap_free(t);
	}
	r->txq_tail = NULL;
	r->tx_busy = false;
	r->ctl_cur = 0;
	for (int i = 0; i < 2; i++) {
		r->sb[i].state = SB_FREE;
		r->ctl[i].len = 0;
		r->ctl[i].busy = false;
	}
	memset(r->arena_used, 0, sizeof(r->arena_used));
	r->apply_free = NULL;
	for (int i = MAX_APPLY - 1; i >= 0; i--) {
		r->applies[i].active = false;
		r->applies[i].next = r->apply_free;
		r->apply_free = &r->applies[i];
	}
	r->pending = r->pending_tail = NULL;
}

static int run_connected(struct repl *r, volatile int *stop)
{
	int rc;

	reset_conn_state(r);
	r->last_rx_ms = r->last_tx_ms = r->last_poll_ms = now_ms();
	rc = kctl_set_conn(r->ctl_fd, MD_CONN_CONNECTED);
	if (rc) {
		log_err("kernel refused the connected state: %s", strerror(-rc));
		return rc;
	}
	r->fail_reason[0] = '\0';
	rc = sync_begin(r);
	if (rc)
		conn_fail(r, "cannot start the resync: %s", strerror(-rc));
	write_state(r, "connected");
	sb_post_read(&r->sb[0]);
	sb_post_read(&r->sb[1]);
	rx_post(r);

	while (!r->failing || io_busy(r->io)) {
		uint64_t now;

		if (*stop && !r->failing)
			conn_fail(r, "daemon stopping");
		rc = io_run(r->io, POLL_INTERVAL_MS);
		if (rc < 0 && rc != -EINTR) {
			conn_fail(r, "event loop failed: %s", strerror(-rc));
			if (io_busy(r->io))
				continue;
			break;
		}
		if (r->failing)
			continue;
		now = now_ms();
		if (now - r->last_rx_ms > (uint64_t)r->res->timeout_s * 1000) {
			conn_fail(r, "no sign of the peer for %d s", r->res->timeout_s);
			continue;
		}
		if (now - r->last_tx_ms >= PING_INTERVAL_MS && !r->tx_busy) {
			if (ctl_packet(r, MDW_PING, 0))
				ctl_kick(r);
			r->last_tx_ms = now;
		}
		if (reload_requested(r)) {
			if (r->vf_request != r->vf.token && !r->vf.active)
				vf_start(r);
			write_state(r, "connected");
			if (r->detached) {
				conn_fail(r, "detached by the administrator");
				continue;
			}
		}
		if (now - r->last_poll_ms >= POLL_INTERVAL_MS) {
			r->last_poll_ms = now;
			poll_role(r);
			rs_kick(r);
			vf_kick(r);
			if (r->rs.active || r->vf.active)
				write_state(r, "connected");
		}
	}
	close(r->sock);
	r->sock = -1;
	if (r->vf.active)
		vf_finish(r, "aborted");
	r->rs.active = false;
	rs_stash_clear(r);
	write_state(r, r->detached ? "detached" : "connecting");
	return 0;
}

/* Detached: tell a peer that connects why it cannot, and hang up. */
static void refuse_detached(struct repl *r, int fd)
{
	char body[sizeof(struct mdw_reject)], why[160];

	snprintf(why, sizeof(why), "%s is detached from the mirror (mdctl attach %s there "
		 "brings it back)", r->res->nodes[r->me].name, r->res->name);
	mdw_reject_encode(body, MDW_REJ_DETACHED, why);
	send_packet_sync(fd, MDW_REJECT, body, sizeof(body));
	close(fd);
}

int repl_run(struct repl *r, volatile int *stop)
{
	reload_admin(r);
	write_state(r, r->detached ? "detached" : "connecting");
	while (!*stop) {
		int fd, rc;

		if (reload_requested(r)) {
			if (r->vf_request != r->vf.token) {
				r->vf.token = r->vf_request;
				r->vf.result = "aborted";	/* needs the peer */
			}
			write_state(r, r->detached ? "detached" : "connecting");
		}
		fd = establish(r, stop);
		poll_role(r);
		if (fd < 0)
			continue;
		if (r->detached) {
			refuse_detached(r, fd);
			continue;
		}
		r->decision = MD_SYNC_NONE;
		rc = handshake(r, fd);
		if (rc) {
			close(fd);
			write_state(r, r->decision == MD_SYNC_SPLIT_BRAIN ? "split-brain" :
				    r->decision == MD_SYNC_UNRELATED ? "unrelated" : "refused");
			for (int i = 0; i < 3 && !*stop; i++)
				usleep(RETRY_DELAY_MS * 1000);
			continue;
		}
		r->sock = fd;
		run_connected(r, stop);
	}
	write_state(r, "stopped");
	return 0;
}

int repl_init(struct repl *r)
{
	struct md_ioc_status st;
	int rc;

	/* Publish our pid before we take the channel: 'mdctl down' right after
	 * 'mdctl up' must find the daemon it has to stop. */
	write_state(r, "starting");

	r->sock = -1;
	r->listen_fd = -1;
	r->disk_fd = -1;
	r->meta_fd = -1;
	r->ctl_fd = kctl_open();
	if (r->ctl_fd < 0) {
		log_err("cannot open %s: %s (is the mirrordisk module loaded?)",
			MD_CTL_PATH, strerror(-r->ctl_fd));
		return r->ctl_fd;
	}
	rc = kctl_status(r->ctl_fd, (uint32_t)r->res->minor, &st);
	if (rc) {
		log_err("no mirror device %d for resource %s: %s (run 'mdctl up %s')",
			r->res->minor, r->res->name, strerror(-rc), r->res->name);
		return rc;
	}
	r->size_bytes = st.size_bytes;
	r->chunk_bytes = (uint32_t)st.chunk_bytes;
	r->role = st.role;
	rc = kctl_bind(r->ctl_fd, (uint32_t)r->res->minor);
	if (rc) {
		log_err("cannot attach to the channel of %s: %s%s", r->res->name, strerror(-rc),
			rc == -EBUSY ? " (another mirrord serves it)" : "");
		return rc;
	}
	r->nchunks = (r->size_bytes + r->chunk_bytes - 1) / r->chunk_bytes;
	r->cfg_rate = r->res->resync_rate;
	{
		struct md_geom g;
		struct md_super sb;

		rc = md_meta_locate(r->res->nodes[r->me].disk, r->res->nodes[r->me].meta,
				    r->res->chunk_shift, &g, &r->meta_fd);
		if (!rc)
			rc = md_meta_read(r->meta_fd, g.area_offset, &sb, NULL);
		if (rc) {
			log_err("cannot read the metadata of %s: %s", r->res->name, strerror(-rc));
			return rc;
		}
		r->meta_area = g.area_offset;
		mkdir("/run/mirrordisk", 0755);
		snprintf(r->lock_path, sizeof(r->lock_path), "/run/mirrordisk/%s.lock", r->res->name);
	}
	r->disk_fd = open(r->res->nodes[r->me].disk, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (r->disk_fd < 0) {
		rc = -errno;
		log_err("cannot open %s: %s", r->res->nodes[r->me].disk, strerror(errno));
		return rc;
	}
	if (r->me == 0) {
		rc = open_listener(r);
		if (rc) {
			log_err("cannot listen on %s port %d: %s", r->res->nodes[r->me].address,
				r->res->port, strerror(-rc));
			return rc;
		}
	}
	for (int i = 0; i < 2; i++) {
		r->sb[i].r = r;
		r->ctl[i].r = r;
		if (posix_memalign((void **)&r->sb[i].buf, 4096, SBUF_SIZE))
			return -ENOMEM;
	}
	if (posix_memalign((void **)&r->rbuf, 4096, RBUF_SIZE) ||
	    posix_memalign((void **)&r->arena, 4096, ARENA_SIZE))
		return -ENOMEM;
	for (int i = 0; i < MAX_APPLY; i++)
		r->applies[i].r = r;
	/* Touch every buffer now so that mlockall() has nothing left to fault in. */
	memset(r->sb[0].buf, 0, SBUF_SIZE);
	memset(r->sb[1].buf, 0, SBUF_SIZE);
	memset(r->rbuf, 0, RBUF_SIZE);
	memset(r->arena, 0, ARENA_SIZE);
	rc = io_loop_create(&r->io, r->io_mode, 2 * MAX_APPLY + 16);
	if (rc) {
		log_err("cannot set up the I/O loop: %s", strerror(-rc));
		return rc;
	}
	log_info("resource %s: node %s, peer %s, %llu bytes, I/O via %s", r->res->name,
		 r->res->nodes[r->me].name, peer_name(r), (unsigned long long)r->size_bytes,
		 io_backend_name(r->io));
	return 0;
}

void repl_fini(struct repl *r)
{
	if (r->io)
		io_loop_destroy(r->io);
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	if (r->disk_fd >= 0)
		close(r->disk_fd);
	if (r->meta_fd >= 0)
		close(r->meta_fd);
	free(r->rs.snap);
	free(r->rs.bad);
	if (r->ctl_fd >= 0)
		close(r->ctl_fd);	/* unbinds: the kernel fails what is left */
	free(r->sb[0].buf);
	free(r->sb[1].buf);
	free(r->rbuf);
	free(r->arena);
}
