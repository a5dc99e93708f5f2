/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * send.c - the primary's data path: writes captured by the kernel go to
 * the peer, and the peer's acknowledgements go back to the kernel.
 *
 *   channel read (a batch of requests, data copied once by the kernel)
 *   -> one sendmsg of headers + payloads straight from that buffer (tx.c),
 *      or with compression their zstd frames (lib/zdata.h, compress.c)
 *   -> the peer applies them (apply.c there) and answers ACKs (rx.c here)
 *   -> handle_ack collects them; one write() of all acks of a receive
 *      turn goes to the channel (flush_kacks), and the kernel completes
 *      the application's bios.
 * Two channel buffers alternate so that a batch is read while the previous
 * one is on the wire; one read at a time (sb_post_read says why).  mode =
 * async: a request the kernel completed when read (MD_RF_ASYNC) is
 * async.c's entry instead of a held one, its ACK ends there, a batch read
 * while the other buffer still waits for a slow link is backlog.c's copy
 * (memory, then the spill file), and async.c's bound pauses the reads.
 * Resync records come through the same channel (MD_OP_RESYNC) and are
 * handed to resync.c / csum.c.
 *
 * Progress timeout: every request taken from the kernel is held (by slot)
 * until its answer goes back; one held longer than ko-count x timeout
 * means the peer takes our writes but does not complete them (its disk
 * hangs, its daemon is wedged): send_check_progress drops the link, and
 * the kernel completes everything as not replicated and marks it.
 *
 * Owns r->snd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "log.h"
#include "repl.h"

static void sb_post_read(struct sendbuf *sb);

/*
 * --uring-on send-zc: a batch of at least this many bytes (read from the
 * channel, before any compression) goes out zero-copy.
 * Below it, pinning the pages and the notification cost more than the
 * copy they save (the kernel's MSG_ZEROCOPY notes put the break-even
 * around 10 KB); a batch of one 4 KiB write stays a copy.
 */
#define SEND_ZC_MIN_BYTES	(32u << 10)

/* This connection sends zero-copy: tx.c's choice (the option, no kernel
 * TLS, io_uring, a kernel that has it), and not mode = async: behind a
 * slow link a pinned buffer would stop the channel reads until the
 * peer's TCP acknowledgement (bl_stage copies only behind a batch still
 * waiting for the socket). */
static bool send_zc_on(const struct repl *r)
{
	return r->tx.zc && !r->as.active;
}

const char *chan_read_name(enum chan_read m)
{
	return m == CHAN_READ_NOWAIT ? "nowait" : m == CHAN_READ_ADAPTIVE ? "adaptive" : "blocking";
}

/* The channel O_NONBLOCK or not (enum chan_read); false if it failed. */
static bool chan_set_nowait(struct repl *r, bool on)
{
	int fl = fcntl(r->dev.ctl_fd, F_GETFL);

	if (fl < 0 || fcntl(r->dev.ctl_fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK)) {
		log_warn("--chan-read: cannot make the kernel channel %s (%s); it stays %s",
			 on ? "non-blocking" : "blocking", strerror(errno),
			 r->snd.nowait ? "non-blocking" : "blocking: io_uring reads it in a worker thread");
		r->snd.mode = r->snd.nowait ? CHAN_READ_NOWAIT : CHAN_READ_BLOCKING;
		return false;
	}
	r->snd.nowait = on;
	return true;
}

/*
 * The channel just opened, before it is bound (daemon.c): --chan-read
 * nowait makes it non-blocking, so that io_uring reads it in this thread
 * (at once, or from the task work its poll wakeup queues) instead of
 * handing each read to an io-wq worker that sleeps in the kernel until
 * requests come.  A read with nothing queued says -EAGAIN, which io_uring
 * turns into a poll (md_chan_poll), and sb_read_cb resubmits if one ever
 * reaches it.  adaptive starts blocking and switches as the load goes
 * (chan_adapt).  The aio backend sets it anyway (epoll, then the read).
 */
void send_chan_mode(struct repl *r)
{
	r->snd.mode = r->opt.chan_read;
	r->snd.nowait = false;
	if (r->snd.mode == CHAN_READ_NOWAIT)
		chan_set_nowait(r, true);
}

/*
 * --chan-read adaptive, after a read that brought n requests.  One at a
 * time (a synchronous writer, QD1) is latency: read at once in this thread
 * (nowait).  Several per read is throughput: the io-wq worker's wakeup
 * costs a hop, but the time it takes lets the next batch grow, and fewer,
 * fuller reads and sends cost less CPU per write (measured at QD32: 4.2
 * requests per read blocking, 2.3 nowait, and 0.88 of the IOPS).  Decided
 * on the requests per read averaged over about the last 8 reads: blocking
 * once the average reaches 2, nowait again below 1.5, the gap between the
 * two keeping a load between them from switching at every read.  The
 * mode is the file's O_NONBLOCK, read by io_uring when it issues (or,
 * after a poll, reissues) a read; both modes read the same records, and
 * the switch comes in a read's completion with no other read in flight
 * (sb_post_read), so a switch never loses or reorders one.
 */
#define CHAN_AVG_ONE		256		/* one request per read, averaged */
#define CHAN_TO_BLOCKING	(2 * CHAN_AVG_ONE)
#define CHAN_TO_NOWAIT		(3 * CHAN_AVG_ONE / 2)

static void chan_adapt(struct repl *r, unsigned n)
{
	unsigned avg;

	if (r->snd.mode != CHAN_READ_ADAPTIVE)
		return;
	/* Weight 1/8, rounded up: a steady 2 per read reaches exactly 2
	 * (rounded down it would stop 7/256 short of it), a steady 1 stays
	 * within 7/256 above 1. */
	avg = r->snd.per_read = (r->snd.per_read * 7 + (n > 64 ? 64 : n) * CHAN_AVG_ONE + 7) / 8;
	if ((r->snd.nowait ? avg >= CHAN_TO_BLOCKING : avg < CHAN_TO_NOWAIT) &&
	    chan_set_nowait(r, !r->snd.nowait))
		r->snd.read_mode_switches++;
}

static void hold(struct repl *r, uint64_t id, uint64_t offset)
{
	uint32_t slot = (uint32_t)id;

	if (!r->snd.held[slot].since_ms)
		r->snd.nheld++;
	r->snd.held[slot].since_ms = now_ms();
	r->snd.held[slot].offset = offset;
	r->snd.held[slot].id = id;
	r->snd.held[slot].behind = r->as.count > 0;
}

static void unhold(struct repl *r, uint64_t id)
{
	uint32_t slot = (uint32_t)id;

	if (slot < MD_MAX_INFLIGHT && r->snd.held[slot].since_ms) {
		r->snd.held[slot].since_ms = 0;
		r->snd.nheld--;
	}
}

static void sb_sent(struct txitem *t)
{
	struct sendbuf *sb = (struct sendbuf *)((char *)t - offsetof(struct sendbuf, tx));
	struct repl *r = sb->r;

	/* Counted at its send's end (a zero-copy batch is done later, when
	 * the socket gives its pages back), and not at all when its
	 * connection dropped it. */
	if (t->sent_ns) {
		r->snd.sent_writes += sb->nwrites;
		r->snd.send_ns += sb->nwrites * (t->sent_ns - sb->read_ns);
	}
	sb->state = SB_FREE;
	sb_post_read(sb);
}

static void sb_read_cb(struct io_op *op, int res)
{
	struct sendbuf *sb = op->ctx;
	struct repl *r = sb->r;
	struct sendbuf *other;
	struct md_zenc *z;
	uint64_t async_bytes = 0;	/* the batch's async writes' */
	size_t pos = 0;
	int n = 0, staged;
	unsigned nrec = 0;

	sb->state = SB_FREE;
	if (r->conn.failing)
		return;
	if (res == -EINTR || res == -EAGAIN) {
		sb_post_read(sb);
		return;
	}
	if (res <= 0) {
		conn_fail(r, "kernel channel read failed: %s", strerror(-res));
		return;
	}
	r->snd.reads++;
	sb->read_ns = now_ns();
	sb->nwrites = 0;
	z = sb->zbuf ? zc_encoder(r) : NULL;	/* one choice per batch (compress.c) */
	while (pos < (size_t)res) {
		struct md_chan_req q;
		struct md_data_info d;
		const void *payload;
		uint32_t plen;

		nrec++;
		memcpy(&q, sb->buf + pos, sizeof(q));
		if (pos + sizeof(q) + q.len > (size_t)res || n == MD_MAX_INFLIGHT ||
		    q.len > MD_MAX_IO_BYTES || (uint32_t)q.id >= MD_MAX_INFLIGHT) {
			conn_fail(r, "malformed batch from the kernel channel");
			return;
		}
		d = (struct md_data_info){
			.id = q.id, .offset = q.offset, .seq = q.seq, .len = q.len,
			.flags = (uint16_t)((q.flags & MD_RF_FUA ? MDW_DF_FUA : 0) |
				 (q.flags & MD_RF_PREFLUSH || q.op == MD_OP_FLUSH ? MDW_DF_PREFLUSH : 0)),
		};
		/* A flush or FUA write after writes the application saw
		 * complete (mode = async) is a barrier on the peer. */
		if (d.flags && (q.flags & MD_RF_ASYNC || r->as.count))
			d.flags |= MDW_DF_BARRIER;
		if (q.flags & MD_RF_ASYNC) {
			d.id = as_take(r, &q);	/* async.c's: the kernel waits for no ack */
			async_bytes += q.len;
		} else
			hold(r, q.id, q.offset);
		if (q.op == MD_OP_RESYNC) {
			/* resync.c's: sent as DATA|RESYNC, or taken care of there
			 * (a read error, a digest instead of the data). */
			int take = rs_take(r, &q, sb->buf + pos + sizeof(q));

			if (take < 0)
				return;
			if (!take) {
				pos += sizeof(q) + q.len;
				continue;
			}
			d.flags = MDW_DF_RESYNC;
		} else {
			rs_note_app_write(r);
			sb->nwrites += q.len > 0;
		}
		/* Compressed or not (lib/zdata.h): a frame goes to its
		 * payload's place in zbuf, where it always fits. */
		payload = mdw_data_pack(z, sb->hdrs[n], &d, sb->buf + pos + sizeof(q),
					sb->zbuf ? sb->zbuf + pos + sizeof(q) : NULL, &plen);
		sb->iov[2 * n] = (struct iovec){ sb->hdrs[n], MDW_DATA_FRAME };
		sb->iov[2 * n + 1] = (struct iovec){ (void *)payload, plen };
		pos += sizeof(q) + q.len;
		n++;
	}
	r->snd.requests += (uint64_t)n;
	chan_adapt(r, nrec);
	if (!n) {
		/* Only digests (checksum resync): nothing of this buffer to send. */
		flush_kacks(r);
		send_resume(r);
		return;
	}
	/* The other buffer still waits for a slow link: backlog.c copies
	 * this batch (memory, then the spill file) so that reading goes on. */
	other = &r->snd.sb[sb == &r->snd.sb[0]];
	staged = bl_stage(r, sb->iov, 2 * n, async_bytes,
			  other->state == SB_SENDING && !other->tx.zc_sent);
	if (staged) {
		if (staged > 0)
			send_resume(r);
		return;
	}
	sb->state = SB_SENDING;
	/* Large batches without a copy where the link allows: the buffer is
	 * read into again only once the socket gave it back (tx.c). */
	sb->tx.zc = (size_t)res >= SEND_ZC_MIN_BYTES && send_zc_on(r);
	tx_queue(r, &sb->tx, sb->iov, 2 * n, sb_sent);
	/* The next batch is read only now: queued after this one. */
	send_resume(r);
}

/*
 * One channel read at a time.  The batches must reach the wire in the
 * order the kernel handed them out: with mode = async the kernel completes
 * a batch's writes before this daemon sees the batch, so the application
 * may already have rewritten a block in the next one; two reads in flight
 * (io_uring runs them in two io-wq workers) could complete in either
 * order, and the peer would apply the older data last.  The other buffer
 * is then on the wire meanwhile, which is the overlap the two are for.
 */
static void sb_post_read(struct sendbuf *sb)
{
	struct repl *r = sb->r;

	if (sb->state != SB_FREE || r->conn.failing ||
	    r->snd.sb[0].state == SB_READING || r->snd.sb[1].state == SB_READING)
		return;
	if (!as_room(r)) {
		/* mode = async, the backlog at async-buffer: new writes wait
		 * in the kernel until the peer acknowledges, or with
		 * on-congestion disconnect / pull-ahead the link fails
		 * (async.c). */
		if (!as_congested(r))
			as_wait_room(r);
		return;
	}
	sb->op = (struct io_op){ .kind = IO_READ, .fd = r->dev.ctl_fd, .stream = true,
				 .buf = sb->buf, .len = SBUF_SIZE,
				 .cb = sb_read_cb, .ctx = sb };
	sb->state = SB_READING;
	ioq_submit(r->io, &sb->op);
}

/* async.c made room in the backlog: the idle channel buffers read again. */
void send_resume(struct repl *r)
{
	sb_post_read(&r->snd.sb[0]);
	sb_post_read(&r->snd.sb[1]);
}

/* How long a request may wait for the peer: ko-count x timeout. */
uint64_t progress_bound_ms(const struct repl *r)
{
	return (uint64_t)r->res->ko_count * (uint64_t)r->res->timeout_s * 1000;
}

/* The progress timeout (above).  true when it dropped the link. */
bool send_check_progress(struct repl *r, uint64_t now)
{
	uint64_t oldest = 0, offset = 0;

	if (!r->snd.nheld)
		return false;
	for (unsigned i = 0; i < MD_MAX_INFLIGHT; i++) {
		uint64_t since = r->snd.held[i].since_ms;

		/* Sent behind an asynchronous backlog, a request waits for
		 * the link while that moves, not for a stuck peer (async.c
		 * watches the backlog itself): its clock runs from the
		 * backlog's last move. */
		if (since && r->snd.held[i].behind && r->as.moved_ms > since)
			since = r->as.moved_ms;
		if (since && (!oldest || since < oldest)) {
			oldest = since;
			offset = r->snd.held[i].offset;
		}
	}
	if (now - oldest <= progress_bound_ms(r))
		return false;
	conn_fail(r, "peer too slow: request at offset %llu not acknowledged for %llu s",
		  (unsigned long long)offset, (unsigned long long)(now - oldest) / 1000);
	return true;
}

/* Acks of this receive turn, to the kernel in one write. */
void flush_kacks(struct repl *r)
{
	ssize_t n;

	if (!r->snd.nkacks)
		return;
	n = write(r->dev.ctl_fd, r->snd.kacks, r->snd.nkacks * sizeof(r->snd.kacks[0]));
	r->snd.ack_writes++;
	if (n < 0 && conn_kernel_gave_up(r))
		;	/* the kernel had failed them already: said why */
	else if (n < 0)
		conn_fail(r, "kernel refused acknowledgements: %s", strerror(errno));
	else if ((size_t)n != r->snd.nkacks * sizeof(r->snd.kacks[0]))
		/* The rest would never complete: drop the link, the kernel then
		 * fails (and marks) every request it still holds. */
		conn_fail(r, "kernel took %zd of %zu bytes of acknowledgements", n,
			  r->snd.nkacks * sizeof(r->snd.kacks[0]));
	r->snd.nkacks = 0;
}

/* async.c: the backlog moved; the kernel hears it with this turn's acks
 * (at most once), so that its deadline does not count the drain. */
void kack_progress(struct repl *r)
{
	for (unsigned i = 0; i < r->snd.nkacks; i++)
		if (r->snd.kacks[i].id == MD_CHAN_ACK_PROGRESS)
			return;
	if (r->snd.nkacks == MD_MAX_INFLIGHT)
		flush_kacks(r);
	r->snd.kacks[r->snd.nkacks++] = (struct md_chan_ack){ .id = MD_CHAN_ACK_PROGRESS };
}

/* Queue the kernel's answer for request id (0 or -errno). */
void kack_add(struct repl *r, uint64_t id, int32_t status)
{
	if (r->snd.nkacks == MD_MAX_INFLIGHT)
		flush_kacks(r);
	unhold(r, id);
	r->snd.kacks[r->snd.nkacks++] = (struct md_chan_ack){ .id = id, .status = status };
}

int handle_ack(struct repl *r, const char *body, uint32_t len)
{
	uint64_t id;
	int32_t status;

	if (mdw_ack_decode(body, len, &id, &status)) {
		conn_fail(r, "malformed ACK from peer");
		return -1;
	}
	if (as_is_id(id))
		return as_acked(r, id, status);

	/* Only a request we sent and is not answered yet: the kernel would
	 * refuse the whole write of acks and blame this daemon. */
	if ((uint32_t)id >= MD_MAX_INFLIGHT || !r->snd.held[(uint32_t)id].since_ms ||
	    r->snd.held[(uint32_t)id].id != id) {
		conn_fail(r, "ACK from peer for request %#llx, which waits for none",
			  (unsigned long long)id);
		return -1;
	}
	kack_add(r, id, status);
	if (r->rs.nids)
		rs_acked(r, id, status);
	return 1;
}

/* Connected: both channel buffers start reading; with compression
 * negotiated, each gets its buffer for the frames (once: kept after). */
void send_start(struct repl *r)
{
	for (int i = 0; i < 2 && r->hs.zstd; i++)
		if (!r->snd.sb[i].zbuf && !(r->snd.sb[i].zbuf = buf_alloc_touched(SBUF_SIZE)))
			log_err("compression: no memory for the send buffer; sending raw");
	/* The aio backend reads the channel non-blocking anyway (epoll):
	 * that is the mode in force there, whatever --chan-read says. */
	if (strncmp(io_backend_name(r->io), "io_uring", 8)) {
		r->snd.mode = CHAN_READ_NOWAIT;
		r->snd.nowait = true;
	}
	/* --uring-on send-zc asked for but not in force: say why, once a
	 * connection (zc_sends stays 0). */
	if (r->opt.send_zc && !send_zc_on(r))
		log_info("--uring-on send-zc: copies on this connection (%s)",
			 r->conn.tls ? "kernel TLS copies into its records" :
			 r->as.active ? "mode = async" :
			 r->tx.zc_unsupported ? "the kernel has no zero-copy sends" : "not io_uring");
	sb_post_read(&r->snd.sb[0]);
	sb_post_read(&r->snd.sb[1]);
}

/* The two channel batches, allocated and touched once (repl_init). */
int send_init(struct repl *r)
{
	for (int i = 0; i < 2; i++) {
		r->snd.sb[i].buf = buf_alloc_touched(SBUF_SIZE);
		if (!r->snd.sb[i].buf) {
			send_fini(r);
			return -ENOMEM;
		}
	}
	return 0;
}

void send_fini(struct repl *r)
{
	for (int i = 0; i < 2; i++) {
		free(r->snd.sb[i].buf);
		free(r->snd.sb[i].zbuf);
		r->snd.sb[i].buf = r->snd.sb[i].zbuf = NULL;
	}
}

void send_reset(struct repl *r)
{
	r->snd.nkacks = 0;
	r->snd.nheld = 0;
	memset(r->snd.held, 0, sizeof(r->snd.held));
	for (int i = 0; i < 2; i++) {
		r->snd.sb[i].r = r;
		/* Still pinned by a zero-copy send of the last connection:
		 * free when its notifications come (tx.c). */
		if (!r->snd.sb[i].tx.zc_sent)
			r->snd.sb[i].state = SB_FREE;
	}
}
