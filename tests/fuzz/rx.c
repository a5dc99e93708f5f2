/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rx.c - libFuzzer target: mirrord's receive side with its state, not only
 * the codecs.  Each input is one connection after a completed handshake
 * (tests/fuzz/rx_input.h: primary or secondary, data-integrity, checksum
 * resync, the resync decided, a verify running), then a script: a hostile
 * peer's byte stream handed to rx.c (rx_parse and every packet handler) in
 * pieces of the input's sizes, interleaved with our disk's completions
 * (results chosen), the socket's sends and the kernel's requests, on the
 * fake I/O loop and fake kernel of the unit tests (tests/unit/fake_io.h).
 *
 * Failing the connection (conn_fail) is how mirrord refuses hostile input:
 * a correct outcome.  What is checked, besides ASan/UBSan/LeakSanitizer:
 *   - no packet handler runs once the connection failed, each returns 1,
 *     0 or -1, and -1 only after failing the connection (the handlers are
 *     wrapped at link time: -Wl,--wrap=handle_data,...);
 *   - a stalled receive side has an apply slot in flight to resume it;
 *   - the apply slots and arena pages add up after every step, and are all
 *     free again when everything completed;
 *   - the fake kernel stays consistent: connected until the connection
 *     failed and standalone after; every ack written to the channel is for
 *     a request the kernel handed over and that is not answered yet (never
 *     a request the kernel did not issue, never twice);
 *   - a resync target says its copy is up to date only after every chunk of
 *     the bitmap it sent was written (or read for a digest) on its disk;
 *   - at the end of the input the connection is torn down as daemon.c does
 *     (fail, complete what our disk has, release): nothing leaks.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include "fuzz.h"
#include "fake_io.h"
#include "io_priv.h"
#include "kctl.h"
#include "rx_input.h"

#define STREAM_MAX	(16u << 20)	/* the peer's stream, at most */

/* The input being read. */
struct in {
	const uint8_t *p;
	size_t n;
};

static bool take(struct in *in, void *out, size_t len)
{
	if (in->n < len)
		return false;
	memcpy(out, in->p, len);
	in->p += len;
	in->n -= len;
	return true;
}

static bool take8(struct in *in, uint8_t *v)
{
	return take(in, v, 1);
}

static bool take16(struct in *in, uint32_t *v)
{
	uint8_t b[2];

	if (!take(in, b, 2))
		return false;
	*v = fuzz_le16(b);
	return true;
}

/* ---- the world around mirrord, for one input ---- */

static struct world {
	struct repl *r;
	char *stream;			/* the peer's bytes (kept across inputs) */
	size_t slen, scap, sent;	/* ... built, allocated, delivered */
	bool target;			/* a resync target at connect */
	uint64_t marks0[FAKE_NCHUNKS / 64];	/* the bitmap it sent */
	uint64_t covered[FAKE_NCHUNKS / 64];	/* chunks written or read whole */
	/* The kernel's requests: a slot's id while handed over and unanswered. */
	uint64_t kid[MD_MAX_INFLIGHT], kgen, kseq;
	bool kout[MD_MAX_INFLIGHT], kresync[MD_MAX_INFLIGHT];
	uint64_t kchunk[MD_MAX_INFLIGHT];
	unsigned rs_next;		/* fake_kernel.resync[] handed over so far */
} w;

/* Room for len more bytes of the peer's stream (allocated once: under
 * ASan a large buffer per input costs more than the input), or NULL. */
static char *stream_room(size_t len)
{
	static char *buf;

	if (!buf)
		FUZZ_CHECK(buf = malloc(STREAM_MAX));
	w.stream = buf;
	return !len || w.slen + len > STREAM_MAX ? NULL : buf + w.slen;
}

static void stream_add(const void *p, size_t len)
{
	char *to = stream_room(len);

	if (to) {
		memcpy(to, p, len);
		w.slen += len;
	}
}

/* ---- the packet handlers, watched ---- */

#define WATCH(name)							\
	int __real_##name(struct repl *r, const char *body, uint32_t len);	\
	int __wrap_##name(struct repl *r, const char *body, uint32_t len);	\
	int __wrap_##name(struct repl *r, const char *body, uint32_t len)	\
	{								\
		int rc;							\
									\
		FUZZ_CHECK(!r->conn.failing);	/* after a failure, nothing */	\
		rc = __real_##name(r, body, len);			\
		FUZZ_CHECK(rc >= -1 && rc <= 1);			\
		FUZZ_CHECK(rc != -1 || r->conn.failing);		\
		return rc;						\
	}
WATCH(handle_data)
WATCH(handle_ack)
WATCH(handle_bitmap)
WATCH(handle_bitmap_end)
WATCH(handle_rs_done)
WATCH(handle_rs_digest)
WATCH(handle_rs_reply)
WATCH(handle_vf_digest)
WATCH(handle_vf_reply)

/* ---- checks ---- */

/* Slots on the free list, slots taken, and the arena pages they hold. */
static void check_apply(struct repl *r, bool all_free)
{
	unsigned nfree = 0, pages = 0, used = 0;
	bool active = false;

	for (struct apply *a = r->ap.free; a; a = a->next) {
		FUZZ_CHECK(!a->active);
		FUZZ_CHECK(++nfree <= MAX_APPLY);
	}
	for (int i = 0; i < MAX_APPLY; i++) {
		bool on_free = false;

		for (struct apply *a = r->ap.free; a && !on_free; a = a->next)
			on_free = a == &r->ap.slot[i];
		if (!on_free)
			pages += r->ap.slot[i].npages;
		active |= r->ap.slot[i].active;
	}
	for (unsigned i = 0; i < ARENA_PAGES; i++)
		used += r->ap.used[i];
	FUZZ_CHECK(used == pages);
	/* A stall is resumed by the end of an apply: one must be running. */
	FUZZ_CHECK(!r->rx.stalled || r->conn.failing || active);
	if (all_free) {
		FUZZ_CHECK(nfree == MAX_APPLY);
		FUZZ_CHECK(used == 0);
		FUZZ_CHECK(!r->ap.pending);
	}
}

/* Every ack mirrord wrote to the channel answers a request the kernel
 * handed over and nobody answered yet; the kernel then acts on it. */
static void check_kacks(struct repl *r)
{
	struct md_chan_ack acks[64];
	unsigned n;

	while ((n = fake_kacks(r, acks, 64))) {
		for (unsigned i = 0; i < n; i++) {
			uint32_t slot = (uint32_t)acks[i].id;
			uint64_t c;

			if (acks[i].id == MD_CHAN_ACK_PROGRESS) {	/* the async backlog moved */
				FUZZ_CHECK(!acks[i].status && !acks[i].reserved);
				continue;
			}
			FUZZ_CHECK(slot < MD_MAX_INFLIGHT);
			FUZZ_CHECK(w.kout[slot] && w.kid[slot] == acks[i].id);
			FUZZ_CHECK(acks[i].status <= 0 && !acks[i].reserved);
			w.kout[slot] = false;
			c = w.kchunk[slot];
			if (w.kresync[slot] && !acks[i].status)
				fake_kernel.oos[c / 64] &= ~(1ull << (c % 64));
			else if (acks[i].status)
				fake_kernel.oos[c / 64] |= 1ull << (c % 64);
		}
	}
}

static void check_step(struct repl *r)
{
	check_kacks(r);
	check_apply(r, false);
	FUZZ_CHECK(fake_kernel.conn_state ==
		   (r->conn.failing ? MD_CONN_STANDALONE : MD_CONN_CONNECTED));
}

/* ---- the steps ---- */

static void step_pkt(struct in *in)
{
	uint8_t t, l[3], nh;
	uint32_t len;
	char *p;
	struct iovec v;

	if (!take8(in, &t) || !take(in, l, 3) || !take8(in, &nh))
		return;
	len = (uint32_t)l[0] | (uint32_t)l[1] << 8 | (uint32_t)l[2] << 16;
	if (len > MDW_MAX_BODY + 16)
		len = MDW_MAX_BODY + 16;	/* the decoder's limit, and beyond */
	if (nh > len)
		nh = (uint8_t)len;
	if (nh > in->n)
		nh = (uint8_t)in->n;
	p = stream_room(sizeof(struct mdw_hdr) + len);
	if (!p) {
		in->p += nh;
		in->n -= nh;
		return;
	}
	memset(p, 0, sizeof(struct mdw_hdr) + len);
	mdw_hdr_encode(p, t & 0x7f, len);
	take(in, p + sizeof(struct mdw_hdr), nh);
	v = (struct iovec){ p, sizeof(struct mdw_hdr) + len };
	if (w.r->hs.integrity && !(t & 0x80) && len <= MDW_MAX_BODY)
		FUZZ_CHECK(mdw_seal(&v, 1) == 0);
	w.slen += v.iov_len;
}

static void step_raw(struct in *in)
{
	uint8_t n;

	if (!take8(in, &n) || n > in->n)
		return;
	stream_add(in->p, n);
	in->p += n;
	in->n -= n;
}

static void step_recv(struct repl *r, struct in *in)
{
	struct io_op *op = fake_find(r->io, IO_RECV, -1);
	uint32_t n;
	size_t left = w.slen - w.sent;

	if (!take16(in, &n) || !op || !left)
		return;
	if (!n || n > left)
		n = (uint32_t)left;
	if (n > op->len)
		n = (uint32_t)op->len;
	if (!n)
		return;		/* the receive buffer is full */
	fake_recv(r->io, w.stream + w.sent, n);
	w.sent += n;
}

static void step_recv_end(struct repl *r, struct in *in)
{
	static const int res[] = { 0, -ECONNRESET, -EAGAIN };
	struct io_op *op = fake_find(r->io, IO_RECV, -1);
	uint8_t how;

	if (!take8(in, &how) || !op)
		return;
	fake_complete(r->io, op, res[how % 3]);
}

/* Our disk's operations: the IO_READ/WRITE/FSYNC on disk_fd, in order. */
static struct io_op *disk_op(struct repl *r, unsigned i)
{
	unsigned n = 0;

	for (struct io_op *op = r->io->queue; op; op = op->next)
		n += op->fd == r->dev.disk_fd;
	if (!n)
		return NULL;
	i %= n;
	for (struct io_op *op = r->io->queue; op; op = op->next)
		if (op->fd == r->dev.disk_fd && !i--)
			return op;
	return NULL;
}

/* Complete a disk op: reads return zeros; whole chunks count as covered. */
static void disk_complete(struct repl *r, struct io_op *op, unsigned how)
{
	int res = how == 1 ? -EIO : how == 2 ? (int)(op->len / 2) : (int)op->len;

	if (op->kind == IO_FSYNC)
		res = how == 1 ? -EIO : 0;
	if (op->kind == IO_READ && res > 0)
		memset(op->buf, 0, (size_t)res);
	if (op->kind != IO_FSYNC && res == (int)op->len && op->off % FAKE_CHUNK == 0 &&
	    op->len == FAKE_CHUNK) {
		uint64_t c = op->off / FAKE_CHUNK;

		w.covered[c / 64] |= 1ull << (c % 64);
	}
	fake_complete(r->io, op, res);
}

static void step_disk(struct repl *r, struct in *in)
{
	uint8_t i, how;
	struct io_op *op;

	if (!take8(in, &i) || !take8(in, &how) || !(op = disk_op(r, i)))
		return;
	disk_complete(r, op, how % 3);
}

static void step_send(struct repl *r, struct in *in)
{
	uint32_t n;

	if (!take16(in, &n) || !fake_find(r->io, IO_SENDMSG, -1))
		return;
	fake_send(r->io, n ? n : SIZE_MAX);
}

/* The kernel hands over one request, as kmod/chan.c's read does. */
static void step_kernel(struct repl *r, struct in *in)
{
	struct md_chan_req q = { .seq = ++w.kseq };
	struct io_op *op;
	uint8_t what, shape;
	uint32_t chunk, slot;
	char *buf;

	if (!take8(in, &what) || !take16(in, &chunk) || !take8(in, &shape))
		return;
	for (op = r->io->queue; op && !(op->kind == IO_READ && op->fd == r->dev.ctl_fd);)
		op = op->next;
	if (!op)
		return;		/* mirrord is not reading the channel */
	for (slot = 0; slot < MD_MAX_INFLIGHT && w.kout[slot]; slot++)
		;
	if (slot == MD_MAX_INFLIGHT)
		return;		/* every slot is out */
	what %= 7;
	chunk %= FAKE_NCHUNKS;
	switch (what) {
	case 0:
	case 1:
	case 5:		/* mode = async: completed when read (MD_RF_ASYNC) */
	case 6:
		q.op = MD_OP_WRITE;
		q.offset = chunk * FAKE_CHUNK + (shape >> 4) * 4096ull;
		q.len = ((shape & 15) + 1) * 4096u;
		if (q.offset + q.len > FAKE_SIZE)
			q.len = (uint32_t)(FAKE_SIZE - q.offset);
		if (what == 1 || what == 6)
			q.flags = MD_RF_FUA | MD_RF_PREFLUSH;
		if (what >= 5)
			q.flags |= MD_RF_ASYNC;
		break;
	case 2:
		q.op = MD_OP_FLUSH;
		break;
	default:
		if (w.rs_next >= fake_kernel.nresync)
			return;	/* mirrord asked for no chunk */
		chunk = (uint32_t)fake_kernel.resync[w.rs_next++];
		q.op = MD_OP_RESYNC;
		q.offset = chunk * FAKE_CHUNK;
		q.len = what == 4 ? 0 : FAKE_CHUNK;
		q.flags = what == 4 ? MD_RF_READ_ERROR : 0;
	}
	q.id = ++w.kgen << 32 | slot;
	w.kid[slot] = q.id;
	w.kout[slot] = !(q.flags & MD_RF_ASYNC);	/* the kernel waits for no ack of it */
	w.kresync[slot] = q.op == MD_OP_RESYNC;
	w.kchunk[slot] = q.offset / FAKE_CHUNK;
	buf = op->buf;
	memcpy(buf, &q, sizeof(q));
	memset(buf + sizeof(q), 0, q.len);
	fake_read(r->io, r->dev.ctl_fd, buf, sizeof(q) + q.len);
}

/* What daemon.c's loop does on its timer while connected. */
static void step_tick(struct repl *r)
{
	if (r->conn.failing)
		return;
	if (!r->tx.busy && ctl_packet(r, MDW_PING, 0))
		ctl_kick(r);
	rs_kick(r);
	vf_kick(r);
	as_kick(r);
}

/* ---- one connection ---- */

static struct repl *connection_up(uint8_t how, uint8_t marks)
{
	static const enum md_sync_decision sync[] = {
		[RXF_SYNC_NONE] = MD_SYNC_NONE,
		[RXF_SYNC_SOURCE_BITMAP] = MD_SYNC_SOURCE_BITMAP,
		[RXF_SYNC_SOURCE_FULL] = MD_SYNC_SOURCE_FULL,
		[RXF_SYNC_TARGET_BITMAP] = MD_SYNC_TARGET_BITMAP,
		[RXF_SYNC_TARGET_FULL] = MD_SYNC_TARGET_FULL,
	};
	unsigned s = (how >> RXF_SYNC_SHIFT) & 7;
	struct repl *r = fake_repl_new(how & RXF_PRIMARY ? MD_ROLE_PRIMARY : MD_ROLE_SECONDARY);

	memset(&w, 0, sizeof(w));
	w.r = r;
	if (how & RXF_PEER_SAME)
		r->hs.peer_role = r->dev.role;
	r->hs.integrity = how & RXF_INTEGRITY;
	r->res->checksum_resync = how & RXF_CSUM ? 1 : 0;
	r->hs.peer_features = MDW_FEAT_FLUSH | (how & RXF_VERIFY ? MDW_FEAT_VERIFY : 0) |
				(how & RXF_INTEGRITY ? MDW_FEAT_XXH3 : 0);
	r->hs.decision = s < sizeof(sync) / sizeof(sync[0]) ? sync[s] : MD_SYNC_NONE;
	for (int i = 0; i < 8; i++)
		if (marks >> i & 1)
			fake_kernel.oos[rxf_marks[i] / 64] |= 1ull << (rxf_marks[i] % 64);

	/* repl_connected up to its loop (the loop is this target's script). */
	FUZZ_CHECK(kctl_set_conn(r->dev.ctl_fd, MD_CONN_CONNECTED, conn_deadline_s(r), 0) == 0);
	if (sync_begin(r))
		conn_fail(r, "cannot start the resync");
	w.target = r->rs.active && !r->rs.source;
	if (w.target)
		memcpy(w.marks0, r->rs.snap, sizeof(w.marks0));
	send_start(r);
	rx_post(r);
	if (how & RXF_VERIFY) {
		r->adm.vf_request = 1;
		vf_start(r);
	}
	return r;
}

/* The end of the connection as daemon.c has it: fail it, let our disk
 * finish what it has, then release everything of the connection. */
static void connection_down(struct repl *r)
{
	struct md_super sb;
	struct io_op *op;

	if (!r->conn.failing)
		conn_fail(r, "fuzz: the input ended");
	check_kacks(r);
	while ((op = r->io->queue)) {
		if (op->fd == r->dev.disk_fd)
			disk_complete(r, op, 0);
		else if (op->kind == IO_SENDMSG)
			fake_send(r->io, SIZE_MAX);
		else
			fake_complete(r->io, op, -ECANCELED);
		check_kacks(r);
	}
	FUZZ_CHECK(!io_busy(r->io));
	check_apply(r, true);
	FUZZ_CHECK(r->rs.applying == 0);	/* every resync write or read finished */
	if (w.target) {
		sb = fake_sb(r);
		if (sb.disk_state == MD_DISK_UPTODATE)
			for (unsigned i = 0; i < FAKE_NCHUNKS / 64; i++)
				FUZZ_CHECK(!(w.marks0[i] & ~w.covered[i]));
	}
	repl_connection_reset(r);	/* what daemon.c does when a connection ended */
	fake_repl_free(r);
	memset(&w, 0, sizeof(w));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct repl *r;
	uint8_t how, marks, op;

	if (!take8(&in, &how) || !take8(&in, &marks))
		return 0;
	fake_reuse = true;
	r = connection_up(how, marks);
	check_step(r);
	while (take8(&in, &op)) {
		switch (op % RXF_NOPS) {
		case RXF_PKT: step_pkt(&in); break;
		case RXF_RAW: step_raw(&in); break;
		case RXF_RECV: step_recv(r, &in); break;
		case RXF_RECV_END: step_recv_end(r, &in); break;
		case RXF_DISK: step_disk(r, &in); break;
		case RXF_SEND: step_send(r, &in); break;
		case RXF_KERNEL: step_kernel(r, &in); break;
		case RXF_TICK: step_tick(r); break;
		}
		check_step(r);
	}
	connection_down(r);
	return 0;
}
