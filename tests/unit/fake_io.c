/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake_io.c - see fake_io.h: an I/O loop that only queues, a recorded
 * kernel, and a struct repl built around them.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "fake_io.h"
#include "io_priv.h"
#include "log.h"

struct fake_kernel fake_kernel;

/* ---- the loop ---- */

struct fake_io {
	struct io_loop l;	/* first: io.c sees only this */
	char *wire;		/* every byte "sent" on the socket */
	size_t wlen, wcap, wpos;
	/* zero-copy sends whose notification has not run, oldest first */
	struct io_op *notif[64];
	unsigned nnotif;
};

static int fake_run(struct io_loop *l, int timeout_ms)
{
	(void)l;
	(void)timeout_ms;
	return 0;	/* the test completes ops, never the loop */
}

static void fake_cancel(struct io_loop *l, struct io_op *op)
{
	(void)l;
	(void)op;
	/* Every busy op is still on the queue, where ioq_cancel finds it. */
	fail_msg("ioq_cancel reached the backend for an op not on the queue");
}

static void fake_destroy(struct io_loop *l)
{
	struct fake_io *f = (struct fake_io *)l;

	free(f->wire);
	free(f);
}

static const struct io_ops fake_ops = {
	.name = "fake", .run = fake_run, .cancel = fake_cancel, .destroy = fake_destroy,
};

struct io_loop *fake_io_new(void)
{
	struct fake_io *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->l.ops = &fake_ops;
	return &f->l;
}

/* An op submitted again while still queued makes the queue a loop (io.c
 * links it behind itself): fail the test rather than hang it. */
static void queue_check(struct io_loop *l)
{
	struct io_op *slow = l->queue, *fast = l->queue;

	while (fast && fast->next) {
		slow = slow->next;
		fast = fast->next->next;
		if (slow == fast)
			fail_msg("the I/O queue loops: an op was submitted again before it completed");
	}
}

struct io_op *fake_find(struct io_loop *l, enum io_kind kind, int64_t off)
{
	queue_check(l);
	for (struct io_op *op = l->queue; op; op = op->next)
		if (op->kind == kind && (off < 0 || op->off == (uint64_t)off))
			return op;
	return NULL;
}

struct io_op *fake_find_fd(struct io_loop *l, enum io_kind kind, int fd)
{
	queue_check(l);
	for (struct io_op *op = l->queue; op; op = op->next)
		if (op->kind == kind && op->fd == fd)
			return op;
	return NULL;
}

unsigned fake_count(struct io_loop *l, enum io_kind kind)
{
	unsigned n = 0;

	queue_check(l);
	for (struct io_op *op = l->queue; op; op = op->next)
		n += op->kind == kind;
	return n;
}

void fake_complete(struct io_loop *l, struct io_op *op, int res)
{
	struct io_op **pp;

	assert_non_null(op);
	assert_true(op->busy);
	for (pp = &l->queue; *pp && *pp != op; pp = &(*pp)->next)
		;
	assert_ptr_equal(*pp, op);	/* submitted once, not completed yet */
	*pp = op->next;
	l->queue_tail = NULL;
	for (struct io_op *q = l->queue; q; q = q->next)
		l->queue_tail = q;
	io_complete(l, op, res);
}

void fake_recv(struct io_loop *l, const void *buf, size_t len)
{
	struct io_op *op = fake_find(l, IO_RECV, -1);

	assert_non_null(op);
	assert_true(len <= op->len);
	memcpy(op->buf, buf, len);
	fake_complete(l, op, (int)len);
}

void fake_read(struct io_loop *l, int fd, const void *buf, size_t len)
{
	struct io_op *op;

	for (op = l->queue; op; op = op->next)
		if (op->kind == IO_READ && op->fd == fd)
			break;
	assert_non_null(op);
	assert_true(len <= op->len);
	memcpy(op->buf, buf, len);
	fake_complete(l, op, (int)len);
}

/* The first queued send, copied or zero-copy. */
struct io_op *fake_first_send(struct io_loop *l)
{
	queue_check(l);
	for (struct io_op *op = l->queue; op; op = op->next)
		if (op->kind == IO_SENDMSG || op->kind == IO_SENDMSG_ZC)
			return op;
	return NULL;
}

size_t fake_send(struct io_loop *l, size_t max)
{
	struct fake_io *f = (struct fake_io *)l;
	struct io_op *op = fake_first_send(l);
	size_t n = 0;

	assert_non_null(op);
	for (size_t i = 0; i < op->msg->msg_iovlen && n < max; i++) {
		const struct iovec *v = &op->msg->msg_iov[i];
		size_t k = v->iov_len < max - n ? v->iov_len : max - n;

		if (f->wlen + k > f->wcap) {
			f->wcap = (f->wlen + k) * 2;
			f->wire = realloc(f->wire, f->wcap);
			assert_non_null(f->wire);
		}
		if (k)
			memcpy(f->wire + f->wlen, v->iov_base, k);
		f->wlen += k;
		n += k;
	}
	if (op->kind == IO_SENDMSG_ZC) {
		/* As io_uring: the send's completion says that a
		 * notification follows, which the test runs. */
		assert_true(f->nnotif < 64);
		f->notif[f->nnotif++] = op;
		op->zc_more = true;
	}
	fake_complete(l, op, (int)n);
	return n;
}

void fake_send_all(struct io_loop *l)
{
	while (fake_first_send(l))
		assert_true(fake_send(l, SIZE_MAX) > 0);
}

unsigned fake_zc_pending(struct io_loop *l)
{
	return ((struct fake_io *)l)->nnotif;
}

void fake_zc_notify(struct io_loop *l)
{
	struct fake_io *f = (struct fake_io *)l;
	struct io_op *op;

	assert_true(f->nnotif > 0);
	op = f->notif[0];
	memmove(f->notif, f->notif + 1, --f->nnotif * sizeof(f->notif[0]));
	op->notif(op);
}

bool fake_wire_next(struct io_loop *l, uint16_t *type, const char **body, uint32_t *len)
{
	struct fake_io *f = (struct fake_io *)l;

	struct mdw_hdr h;

	if (f->wlen - f->wpos < sizeof(struct mdw_hdr))
		return false;
	memcpy(&h, f->wire + f->wpos, sizeof(h));
	h.digest = 0;			/* data-integrity: tests check it themselves */
	assert_int_equal(mdw_hdr_decode(&h, type, len), 0);
	assert_true(f->wlen - f->wpos - sizeof(struct mdw_hdr) >= *len);
	*body = f->wire + f->wpos + sizeof(struct mdw_hdr);
	f->wpos += sizeof(struct mdw_hdr) + *len;
	return true;
}

const char *fake_wire_expect(struct io_loop *l, uint16_t type, uint32_t *len)
{
	const char *body;
	uint16_t t;

	while (fake_wire_next(l, &t, &body, len))
		if (t == type)
			return body;
	fail_msg("no %s packet on the wire", mdw_type_name(type));
	return NULL;
}

size_t fake_wire_unread(struct io_loop *l)
{
	struct fake_io *f = (struct fake_io *)l;

	return f->wlen - f->wpos;
}

size_t fake_data_packet(char *buf, uint64_t id, uint64_t off, uint32_t len, uint16_t flags,
			int fill, const char **body_out)
{
	struct md_data_info d = { .id = id, .offset = off, .len = len, .flags = flags, .seq = id };

	mdw_data_frame(buf, &d);
	memset(buf + MDW_DATA_FRAME, fill, len);
	if (body_out)
		*body_out = buf + sizeof(struct mdw_hdr);
	return MDW_DATA_FRAME + len;
}

/* ---- the kernel's control device ---- */

int __wrap_kctl_oos(int fd, unsigned long cmd, uint32_t minor, uint64_t start,
		    uint64_t nbits, uint64_t *words)
{
	(void)fd;
	(void)minor;
	assert_true(start % 64 == 0 && start + nbits <= FAKE_NCHUNKS);
	if (cmd == MD_IOC_GET_OOS && fake_kernel.get_oos_rc)
		return fake_kernel.get_oos_rc;
	if (cmd == MD_IOC_SET_OOS)
		fake_kernel.nset_oos++;
	if (cmd == MD_IOC_CLEAR_OOS)
		fake_kernel.nclear_oos++;
	for (uint64_t i = 0; i < nbits; i++) {
		uint64_t c = start + i, bit = 1ull << (c % 64), *k = &fake_kernel.oos[c / 64];
		uint64_t *w = &words[i / 64], wbit = 1ull << (i % 64);

		if (cmd == MD_IOC_GET_OOS)
			*w = (*k & bit) ? *w | wbit : *w & ~wbit;
		else if (cmd == MD_IOC_SET_OOS && (*w & wbit))
			*k |= bit;
		else if (cmd == MD_IOC_CLEAR_OOS && (*w & wbit))
			*k &= ~bit;
	}
	return 0;
}

int __wrap_kctl_resync(int fd, uint64_t chunk, uint32_t count)
{
	(void)fd;
	assert_true(fake_kernel.nresync < FAKE_MAX_CALLS);
	fake_kernel.resync_count[fake_kernel.nresync] = count;
	fake_kernel.resync[fake_kernel.nresync++] = chunk;
	if (fake_kernel.resync_busy_chunk && chunk == fake_kernel.resync_busy_chunk)
		return -EBUSY;
	return 0;
}

int __real_kctl_status(int fd, uint32_t minor, struct md_ioc_status *st);

int __wrap_kctl_status(int fd, uint32_t minor, struct md_ioc_status *st)
{
	if (!fake_kernel.status_flags_set)
		return __real_kctl_status(fd, minor, st);
	memset(st, 0, sizeof(*st));
	st->minor = minor;
	st->conn = (uint32_t)fake_kernel.conn_state;
	st->flags = fake_kernel.status_flags;
	return 0;
}

int __wrap_kctl_set_conn(int fd, uint32_t state, uint32_t deadline_s, uint32_t flags)
{
	int rc = fake_kernel.set_conn_rc;

	(void)fd;
	fake_kernel.conn_flags = flags;
	fake_kernel.nset_conn++;
	if (state == MD_CONN_CONNECTED && rc) {
		fake_kernel.set_conn_rc = 0;
		return rc;	/* refused: the state stays */
	}
	fake_kernel.conn_state = (int)state;
	fake_kernel.deadline_s = deadline_s;
	return 0;
}

/* ---- a struct repl around them ---- */

struct fake_env {
	struct repl r;		/* first: the tests see only this */
	int peer_sock;		/* the other end of r.conn.sock */
	int chan_rd;		/* what mirrord writes to the channel (acks) */
};

/*
 * fake_reuse: a fuzz target builds a repl per input, and under
 * AddressSanitizer the large buffers (arena, receive buffer, channel
 * buffers: 44 MiB, poisoned at each allocation and free) and a metadata
 * file made by md_meta_create (a 1 MiB buffer, an fdatasync on /tmp)
 * would cost more than the input's run.  Then fake_repl_free keeps one set
 * of buffers for the next fake_repl_new (not cleared in between), and the
 * metadata is a memory file written from the bytes of the first one.
 */
bool fake_reuse;
static struct { char *arena, *rbuf, *sb[2]; } kept;
static char kept_meta[MD_META_SIZE(FAKE_SIZE, 16)];
static bool have_meta;

/* One lock file per process (md_sb_update creates it on demand), removed
 * at exit even when a failed assertion skipped fake_repl_free. */
static char lock_path[64];

static void unlink_lock(void)
{
	unlink(lock_path);
}

static void make_meta(struct repl *r)
{
	char path[] = "/tmp/mdtestmetaXXXXXX";
	struct md_geom g = { .area_offset = 0, .data_bytes = FAKE_SIZE,
			     .bitmap_bytes = MD_BITMAP_BYTES(FAKE_SIZE, 16), .chunk_shift = 16 };
	struct md_super sb;
	int fd = fake_reuse ? memfd_create("mdtestmeta", MFD_CLOEXEC) : mkstemp(path);

	assert_true(fd >= 0);
	if (!fake_reuse)
		unlink(path);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	r->dev.meta_fd = fd;
	r->dev.meta_area = g.area_offset;
	if (!lock_path[0]) {
		snprintf(lock_path, sizeof(lock_path), "/tmp/mdtestlock.%d", (int)getpid());
		atexit(unlink_lock);
	}
	snprintf(r->dev.lock_path, sizeof(r->dev.lock_path), "%s", lock_path);
	if (have_meta) {
		assert_int_equal(pwrite(fd, kept_meta, sizeof(kept_meta), 0), sizeof(kept_meta));
		return;
	}
	memset(&sb, 0, sizeof(sb));
	snprintf(sb.resource, sizeof(sb.resource), "%s", r->res->name);
	snprintf(sb.node, sizeof(sb.node), "%s", r->res->nodes[r->me].name);
	sb.disk_state = MD_DISK_UPTODATE;
	sb.gen_current = FAKE_GEN;
	sb.gen_bitmap = FAKE_GEN_BITMAP;
	assert_int_equal(md_meta_create(fd, &g, &sb), 0);
	if (fake_reuse)
		have_meta = pread(fd, kept_meta, sizeof(kept_meta), 0) == sizeof(kept_meta);
}

static void buffers_take(struct repl *r)
{
	assert_int_equal(as_init(r), 0);
	bl_init(r);
	if (kept.arena) {
		r->ap.arena = kept.arena;
		r->rx.buf = kept.rbuf;
		r->snd.sb[0].buf = kept.sb[0];
		r->snd.sb[1].buf = kept.sb[1];
		kept.arena = NULL;
		return;
	}
	assert_int_equal(send_init(r), 0);
	assert_int_equal(rx_init(r), 0);
	assert_int_equal(apply_init(r), 0);
}

static void buffers_give(struct repl *r)
{
	bl_fini(r);
	as_fini(r);
	if (fake_reuse && !kept.arena) {
		kept.arena = r->ap.arena;
		kept.rbuf = r->rx.buf;
		kept.sb[0] = r->snd.sb[0].buf;
		kept.sb[1] = r->snd.sb[1].buf;
		return;
	}
	apply_fini(r);
	rx_fini(r);
	send_fini(r);
}

struct md_res_cfg *fake_res_new(void)
{
	struct md_res_cfg *res = calloc(1, sizeof(*res));

	assert_non_null(res);
	md_log_level = getenv("MD_TEST_LOG") ? MD_LOG_DEBUG : -1;
	snprintf(res->name, sizeof(res->name), "r0");
	res->port = MDW_DEFAULT_PORT;
	res->chunk_shift = 16;
	res->timeout_s = 5;
	res->async_buffer = MD_ASYNC_BUFFER_DEFAULT;
	res->ko_count = 4;
	res->nnodes = 2;
	snprintf(res->nodes[0].name, sizeof(res->nodes[0].name), "alpha");
	snprintf(res->nodes[0].disk, sizeof(res->nodes[0].disk), "/dev/fake0");
	snprintf(res->nodes[1].name, sizeof(res->nodes[1].name), "beta");
	snprintf(res->nodes[1].disk, sizeof(res->nodes[1].disk), "/dev/fake1");
	return res;
}

struct repl *fake_repl_new(uint32_t role)
{
	struct fake_env *e = calloc(1, sizeof(*e));
	struct repl *r = &e->r;
	int sv[2], pv[2];

	assert_non_null(e);
	memset(&fake_kernel, 0, sizeof(fake_kernel));
	r->res = fake_res_new();
	r->me = 0;
	r->peer = 1;
	r->io = fake_io_new();

	r->dev.size_bytes = FAKE_SIZE;
	r->dev.chunk_bytes = FAKE_CHUNK;
	r->dev.nchunks = FAKE_NCHUNKS;
	r->dev.role = role;
	r->hs.peer_role = role == MD_ROLE_PRIMARY ? MD_ROLE_SECONDARY : MD_ROLE_PRIMARY;
	r->dev.disk_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	assert_true(r->dev.disk_fd >= 0);
	assert_int_equal(pipe2(pv, O_NONBLOCK | O_CLOEXEC), 0);
	r->dev.ctl_fd = pv[1];
	e->chan_rd = pv[0];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	r->conn.sock = sv[0];
	e->peer_sock = sv[1];
	r->conn.listen_fd = -1;
	make_meta(r);

	buffers_take(r);

	/* What repl_connected does before a connection starts. */
	repl_connection_reset(r);
	return r;
}

void fake_repl_free(struct repl *r)
{
	struct fake_env *e = (struct fake_env *)r;

	tx_reset(r);		/* frees heap items still queued */
	rs_stash_clear(r);
	rs_free(r);
	buffers_give(r);
	close(r->dev.disk_fd);
	close(r->dev.ctl_fd);
	close(r->dev.meta_fd);
	close(r->conn.sock);
	close(e->peer_sock);
	close(e->chan_rd);
	io_loop_destroy(r->io);
	free(r->res);
	free(e);
}

void fake_repl_fini(struct repl *r)
{
	struct fake_env *e = (struct fake_env *)r;

	tx_reset(r);
	rs_stash_clear(r);
	repl_fini(r);
	if (r->conn.sock >= 0)
		close(r->conn.sock);
	close(e->peer_sock);
	close(e->chan_rd);
	free(r->res);
	free(e);
}

struct md_super fake_sb(struct repl *r)
{
	struct md_super sb;

	assert_int_equal(md_meta_read(r->dev.meta_fd, r->dev.meta_area, &sb, NULL), 0);
	return sb;
}

unsigned fake_kacks(struct repl *r, struct md_chan_ack *out, unsigned max)
{
	struct fake_env *e = (struct fake_env *)r;
	ssize_t n = read(e->chan_rd, out, max * sizeof(*out));

	if (n < 0) {
		assert_int_equal(errno, EAGAIN);
		return 0;
	}
	assert_int_equal(n % sizeof(*out), 0);
	return (unsigned)(n / sizeof(*out));
}

bool fake_on_wire(struct repl *r, uint16_t type)
{
	const char *body;
	uint16_t t;
	uint32_t len;

	fake_send_all(r->io);
	while (fake_wire_next(r->io, &t, &body, &len))
		if (t == type)
			return true;
	return false;
}
