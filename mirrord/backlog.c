/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * backlog.c - mode = async over a slow link: where the writes the peer
 * lacks wait, in two layers (docs/design.md, "Asynchronous replication").
 *
 * send.c reads a batch from the kernel into one of its two channel
 * buffers and queues it for the socket straight from there.  When the
 * link is slower than the writes, both buffers wait for the socket and
 * the channel reads stop: the application's writes would wait while the
 * backlog is far below async-buffer.  So, with async on this connection,
 * a batch read while the other buffer still waits for the socket is
 * copied here and its buffer freed for the next read:
 *
 *   memory: while the backlog (every async write not acknowledged: ours,
 *           the socket's, the link's, the peer's) is under async-buffer,
 *           the copy goes on the send queue behind what is there;
 *   spill:  above it, with async-spill set, the batch is appended to the
 *           spill file (a ring of async-spill-size bytes, preallocated),
 *           whole packets as they would go on the wire (zstd frames when
 *           compression is on), with an XXH3 digest kept in memory.
 *           Once one batch is in the file, every later one goes there
 *           too, and the oldest are read back one at a time onto the
 *           send queue when it runs low: the stream's order is the
 *           reading order, so the standby stays a consistent prefix.
 * Both full (async.c's as_room says so): on-congestion decides.
 *
 * The file is not a durable journal: nothing in it survives the
 * connection.  Every write it holds still has its write-intent bit set
 * (cleared only by an epoch flush the peer acknowledged), so after a link
 * loss, a crash or a record that reads back wrong (the link is failed),
 * the resync brings what the peer lacks.  No fsync, then, and the file is
 * emptied at every connection.
 *
 * Owns r->bl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include "log.h"
#include "repl.h"

/* The most wire bytes of one batch: every request a header and its data. */
#define BL_BATCH_MAX	((uint64_t)SBUF_SIZE + (uint64_t)MD_MAX_INFLIGHT * MDW_DATA_FRAME)
/* Read back while less than this of ours waits on the send queue: one
 * record waits there while the next is read (the socket's buffer covers
 * the read), the rest stays in the file. */
#define BL_FEED_BYTES	BL_BATCH_MAX
/* Copies on their way into the file at most (a slow spill disk then
 * holds the reads instead of filling the memory). */
#define BL_WRITING_MAX	(2 * BL_BATCH_MAX)
/* The file's first block: what it is, so that a mistyped path never
 * makes mirrord overwrite another file.  The ring follows it. */
#define BL_MAGIC	"mirrordisk async spill file 1\n"
#define BL_HDR		4096u

void bl_init(struct repl *r)
{
	r->bl.fd = -1;
}

static void bl_close(struct repl *r)
{
	if (r->bl.fd >= 0)
		close(r->bl.fd);
	r->bl.fd = -1;
	r->bl.path[0] = '\0';
	r->bl.size = 0;
}

/* A record whose connection ended: freed now, or by its callback. */
static void rec_drop(struct bl_rec *rec)
{
	if (rec->op.busy) {
		rec->dead = true;
		return;
	}
	free(rec->buf);
	free(rec);
}

/* A connection starts or ended: nothing of the last one's backlog stays
 * (the kernel marked it).  Copies on the send queue are tx_reset's. */
void bl_reset(struct repl *r)
{
	struct bl_rec *rec = r->bl.recs;

	while (rec) {
		struct bl_rec *next = rec->next;

		rec_drop(rec);
		rec = next;
	}
	if (r->bl.reading)
		rec_drop(r->bl.reading);
	r->bl.recs = r->bl.recs_tail = r->bl.reading = NULL;
	r->bl.nrecs = 0;
	r->bl.tail = 0;
	r->bl.spill_bytes = r->bl.spill_payload = 0;
	r->bl.mem_bytes = 0;
	r->bl.writing = 0;
	r->bl.said = false;
}

void bl_fini(struct repl *r)
{
	bl_reset(r);
	bl_close(r);
}

/*
 * A connection starts: the spill file as configured, opened when the
 * setting changed since the last one (or at the first), a regular file of
 * this daemon's only, allocated in full so that a spill never meets a
 * full file system.  An existing file is used only when empty or marked
 * by BL_MAGIC: a mistyped path never overwrites another file.  A file
 * that cannot be had is said, and the backlog is memory only.  Called
 * only between connections (daemon.c), when the file is empty.
 */
void bl_connected(struct repl *r)
{
	const char *path = r->res->async_spill;
	uint64_t size = r->res->async_spill_size;
	char magic[sizeof(BL_MAGIC)] = "";
	struct stat st;
	int fd, rc;

	if (r->bl.fd >= 0 && !strcmp(r->bl.path, path) && r->bl.size == size)
		return;
	bl_close(r);
	if (!path[0])
		return;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_err("async-spill: cannot open %s: %s; the backlog stays in memory "
			"(async-buffer)", path, strerror(errno));
		return;
	}
	/* The file holds the application's data: a file someone else made
	 * (in a shared directory) or may read is not used. */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 077)) {
		log_err("async-spill: %s is not a regular file of this user's only (mode 0600); the "
			"backlog stays in memory", path);
		close(fd);
		return;
	}
	if (st.st_size && (pread(fd, magic, sizeof(magic) - 1, 0) != (ssize_t)sizeof(magic) - 1 ||
			   strcmp(magic, BL_MAGIC))) {
		log_err("async-spill: %s exists and is not a spill file of mirrordisk: not "
			"overwriting it; the backlog stays in memory", path);
		close(fd);
		return;
	}
	rc = posix_fallocate(fd, 0, (off_t)(BL_HDR + size));
	if (!rc && (uint64_t)st.st_size > BL_HDR + size && ftruncate(fd, (off_t)(BL_HDR + size)))
		rc = errno;
	if (!rc && pwrite(fd, BL_MAGIC, sizeof(BL_MAGIC) - 1, 0) != (ssize_t)sizeof(BL_MAGIC) - 1)
		rc = errno ? errno : EIO;
	if (rc) {
		log_err("async-spill: cannot allocate %llu bytes for %s: %s; the backlog stays "
			"in memory", (unsigned long long)size, path, strerror(rc));
		close(fd);
		return;
	}
	r->bl.fd = fd;
	r->bl.size = size;
	snprintf(r->bl.path, sizeof(r->bl.path), "%s", path);
	log_info("async-spill: %s, %llu bytes, behind %llu bytes of memory", path,
		 (unsigned long long)size, (unsigned long long)r->res->async_buffer);
}

/* The file while this connection may use it: async on it. */
bool bl_spill_in_use(const struct repl *r)
{
	return r->bl.fd >= 0 && r->as.active;
}

/* Where a record of len bytes would go in the file, or -1: none fits.
 * The records lie in a ring from the oldest's offset to tail. */
static int64_t spill_fit(const struct repl *r, uint64_t len)
{
	uint64_t head;

	/* The oldest: the record being read back still holds its place. */
	const struct bl_rec *h = r->bl.reading ? r->bl.reading : r->bl.recs;

	if (!bl_spill_in_use(r) || len > r->bl.size || r->bl.writing >= BL_WRITING_MAX)
		return -1;
	if (!h)
		return 0;
	head = h->off;
	if (r->bl.tail > head)	/* used: [head, tail) */
		return r->bl.tail + len <= r->bl.size ? (int64_t)r->bl.tail :
		       len <= head ? 0 : -1;
	return r->bl.tail + len <= head ? (int64_t)r->bl.tail : -1;	/* wrapped */
}

/* The file holds a batch, or one is being read back from it: a new
 * batch goes behind them. */
bool bl_busy(const struct repl *r)
{
	return r->bl.nrecs || r->bl.reading;
}

/* In memory: the backlog but what lies in the file. */
static bool mem_full(const struct repl *r)
{
	return r->as.bytes - r->bl.spill_payload >= r->res->async_buffer;
}

/*
 * async.c's bound: may another batch be read?  While the memory layer
 * has room and the file is empty, yes; otherwise only into the file (once
 * it holds a batch, the later ones follow it there).
 */
bool bl_room(const struct repl *r)
{
	if (!bl_busy(r) && !mem_full(r))
		return true;
	return spill_fit(r, BL_BATCH_MAX) >= 0;
}

static void feed(struct repl *r);

/* A staged copy or a record read back went on the wire. */
void bl_sent(struct txitem *t)
{
	struct bl_rec *rec = (struct bl_rec *)((char *)t - offsetof(struct bl_rec, tx));
	struct repl *r = rec->r;

	r->bl.mem_bytes -= rec->len;
	free(rec->buf);
	free(rec);
	feed(r);
}

/* tx_reset: the connection ended with it still queued. */
void bl_drop(struct txitem *t)
{
	struct bl_rec *rec = (struct bl_rec *)((char *)t - offsetof(struct bl_rec, tx));

	free(rec->buf);
	free(rec);
}

static void mem_queue(struct repl *r, struct bl_rec *rec)
{
	rec->iov = (struct iovec){ rec->buf, rec->len };
	r->bl.mem_bytes += rec->len;
	tx_queue(r, &rec->tx, &rec->iov, 1, bl_sent);
}

static void spill_read_cb(struct io_op *op, int res)
{
	struct bl_rec *rec = op->ctx;
	struct repl *r = rec->r;

	if (rec->dead) {
		free(rec->buf);
		free(rec);
		return;
	}
	r->bl.reading = NULL;
	if (r->conn.failing) {
		free(rec->buf);
		free(rec);
		return;
	}
	if (res != (int)rec->len || XXH3_64bits(rec->buf, rec->len) != rec->hash) {
		/* The writes are in the bitmap: the resync after the
		 * reconnect brings them. */
		conn_fail(r, "async-spill: a batch of %u bytes at offset %llu of %s %s; the bitmap "
			  "records its writes, a resync follows", rec->len,
			  (unsigned long long)rec->off, r->bl.path,
			  res < 0 ? strerror(-res) : res != (int)rec->len ? "read back short" :
			  "read back corrupt (its digest differs)");
		free(rec->buf);
		free(rec);
		return;
	}
	mem_queue(r, rec);
	feed(r);
}

/* The send queue runs low: the oldest record of the file goes on it. */
static void feed(struct repl *r)
{
	struct bl_rec *rec = r->bl.recs;

	if (!rec || !rec->written || r->bl.reading || r->conn.failing ||
	    r->bl.mem_bytes >= BL_FEED_BYTES)
		return;
	if (!(rec->buf = malloc(rec->len))) {
		conn_fail(r, "async-spill: out of memory reading back %u bytes", rec->len);
		return;
	}
	r->bl.recs = rec->next;
	if (!r->bl.recs)
		r->bl.recs_tail = NULL;
	r->bl.nrecs--;
	r->bl.spill_bytes -= rec->len;
	r->bl.spill_payload -= rec->payload;
	r->bl.reading = rec;
	rec->op = (struct io_op){ .kind = IO_READ, .fd = r->bl.fd, .buf = rec->buf,
				  .len = rec->len, .off = BL_HDR + rec->off, .cb = spill_read_cb,
				  .ctx = rec };
	ioq_submit(r->io, &rec->op);
}

static void spill_write_cb(struct io_op *op, int res)
{
	struct bl_rec *rec = op->ctx;
	struct repl *r = rec->r;

	free(rec->buf);
	rec->buf = NULL;
	if (rec->dead) {
		free(rec);
		return;
	}
	r->bl.writing -= rec->len;
	if (res != (int)rec->len) {
		conn_fail(r, "async-spill: writing %u bytes at offset %llu of %s: %s; the bitmap "
			  "records the writes, a resync follows", rec->len,
			  (unsigned long long)rec->off, r->bl.path,
			  res < 0 ? strerror(-res) : "short write");
		return;
	}
	rec->written = true;
	feed(r);
	as_kick(r);	/* reads held for the copies in flight go on */
}

/* The batch's packets, gathered into one buffer of a new record. */
static struct bl_rec *rec_new(struct repl *r, const struct iovec *iov, int niov,
			      uint64_t payload)
{
	struct bl_rec *rec = calloc(1, sizeof(*rec));
	size_t len = 0;
	char *p;

	for (int i = 0; i < niov; i++)
		len += iov[i].iov_len;
	if (!rec || !(rec->buf = malloc(len ? len : 1))) {
		free(rec);
		conn_fail(r, "async backlog: out of memory for a batch of %zu bytes", len);
		return NULL;
	}
	p = rec->buf;
	for (int i = 0; i < niov; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	rec->r = r;
	rec->len = (uint32_t)len;
	rec->payload = payload;
	return rec;
}

/*
 * send.c read a batch (iov: its packets, payload: its writes' bytes);
 * other_busy: the other channel buffer still waits for the socket.
 * 1: taken (copied to memory or the file; the caller's buffer is free),
 * 0: send it from the caller's buffer as usual, -1: the link failed.
 */
int bl_stage(struct repl *r, const struct iovec *iov, int niov, uint64_t payload,
	     bool other_busy)
{
	bool to_file = bl_busy(r) || (bl_spill_in_use(r) && mem_full(r));
	struct bl_rec *rec;
	int64_t off = -1;

	/* Straight from the caller's buffer while the socket keeps up and
	 * the memory layer has room: no copy. */
	if (!to_file && !(r->as.active && other_busy))
		return 0;
	/* The file: behind a batch already there, or with memory full
	 * (a batch that fits nowhere goes to memory: the bound is soft by
	 * one batch, as async-buffer's is). */
	if (to_file) {
		uint64_t len = 0;

		for (int i = 0; i < niov; i++)
			len += iov[i].iov_len;
		off = spill_fit(r, len);
		if (off < 0 && bl_busy(r)) {
			/* as_room said a whole batch fits: a bug if not. */
			conn_fail(r, "async-spill: no room for a batch of %llu bytes",
				  (unsigned long long)len);
			return -1;
		}
	}
	if (!(rec = rec_new(r, iov, niov, payload)))
		return -1;
	r->bl.staged++;
	if (off < 0) {
		mem_queue(r, rec);
		return 1;
	}
	if (!r->bl.said)
		log_info("async backlog beyond async-buffer (%llu bytes): spilling to %s",
			 (unsigned long long)r->res->async_buffer, r->bl.path);
	r->bl.said = true;
	rec->off = (uint64_t)off;
	rec->hash = XXH3_64bits(rec->buf, rec->len);
	r->bl.tail = rec->off + rec->len;
	if (r->bl.recs_tail)
		r->bl.recs_tail->next = rec;
	else
		r->bl.recs = rec;
	r->bl.recs_tail = rec;
	r->bl.nrecs++;
	r->bl.spilled++;
	r->bl.spill_bytes += rec->len;
	r->bl.spill_payload += payload;
	r->bl.writing += rec->len;
	rec->op = (struct io_op){ .kind = IO_WRITE, .fd = r->bl.fd, .buf = rec->buf,
				  .len = rec->len, .off = BL_HDR + rec->off, .cb = spill_write_cb,
				  .ctx = rec };
	ioq_submit(r->io, &rec->op);
	return 1;
}
