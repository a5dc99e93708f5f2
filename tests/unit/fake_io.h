/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fake_io.h - mirrord's logic without its I/O, for unit tests.
 *
 * The fake I/O loop keeps every submitted operation on the queue that
 * io.c's ioq_submit fills, and its run() starts none of them.  A test
 * looks at what mirrord submitted (kind, fd, offset, buffer) and completes
 * the operations it chooses, in the order it chooses, with the results it
 * chooses: the interleavings a real disk or socket produces only by chance.
 * What mirrord sends on the socket is collected as "the wire", which the
 * test reads back packet by packet as the peer would.
 *
 * The kernel's control device is faked at link time: the Makefile links
 * these tests with -Wl,--wrap=kctl_oos,--wrap=kctl_resync,--wrap=kctl_set_conn
 * (and kctl_status) so that mirrord's calls land in __wrap_kctl_* below,
 * which record them and keep an out-of-sync bitmap (fake_kernel.oos).
 * kctl_status is the real one (an ioctl the pipe refuses) unless a test
 * sets status_flags_set: then it answers with status_flags.
 *
 * fake_repl_new() builds a struct repl as repl_init and run_connected
 * would, around the fake loop, a socketpair, a metadata file in /tmp and
 * a pipe standing for the channel (acks written to the kernel).
 */
#ifndef TESTS_FAKE_IO_H
#define TESTS_FAKE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "io.h"
#include "repl.h"

#define FAKE_SIZE	(64ull << 20)	/* the device: 64 MiB */
#define FAKE_CHUNK	(64u << 10)	/* in 1024 chunks of 64 KiB */
#define FAKE_NCHUNKS	(FAKE_SIZE / FAKE_CHUNK)
#define FAKE_GEN	0x1234abcdull	/* gen_current in the metadata */
#define FAKE_GEN_BITMAP	0x99ull		/* gen_bitmap in the metadata */
#define FAKE_MAX_CALLS	4096

struct fake_kernel {
	uint64_t oos[FAKE_NCHUNKS / 64];	/* MD_IOC_GET/SET/CLEAR_OOS act on this */
	int get_oos_rc;				/* what MD_IOC_GET_OOS returns */
	unsigned nset_oos;			/* MD_IOC_SET_OOS calls */
	unsigned nclear_oos;			/* MD_IOC_CLEAR_OOS calls */
	uint64_t resync[FAKE_MAX_CALLS];	/* chunks asked for, in order */
	uint32_t resync_count[FAKE_MAX_CALLS];	/* ... the run of each (chunks) */
	unsigned nresync;
	uint64_t resync_busy_chunk;		/* kctl_resync says -EBUSY for it (0: none) */
	int conn_state, nset_conn;
	int set_conn_rc;			/* the next MD_CONN_CONNECTED fails so, once */
	uint32_t deadline_s;
	uint32_t conn_flags;			/* MD_CONNF_* of the last kctl_set_conn */
	bool status_flags_set;			/* kctl_status answers, with ... */
	uint32_t status_flags;			/* ... these MD_SF_* */
};
extern struct fake_kernel fake_kernel;

int __wrap_kctl_oos(int fd, unsigned long cmd, uint32_t minor, uint64_t start,
		    uint64_t nbits, uint64_t *words);
int __wrap_kctl_resync(int fd, uint64_t chunk, uint32_t count);
int __wrap_kctl_set_conn(int fd, uint32_t state, uint32_t deadline_s, uint32_t flags);
int __wrap_kctl_status(int fd, uint32_t minor, struct md_ioc_status *st);

/* The loop.  Ops stay queued until fake_complete(). */
struct io_loop *fake_io_new(void);
/* The first queued op of this kind (at this offset when off >= 0), or NULL. */
struct io_op *fake_find(struct io_loop *l, enum io_kind kind, int64_t off);
/* The first queued op of this kind on fd, or NULL. */
struct io_op *fake_find_fd(struct io_loop *l, enum io_kind kind, int fd);
unsigned fake_count(struct io_loop *l, enum io_kind kind);
/* Take op off the queue and run its callback with res (bytes or -errno). */
void fake_complete(struct io_loop *l, struct io_op *op, int res);
/* Deliver bytes to the queued IO_RECV (the socket) or IO_READ on fd (the
 * channel) and complete it with their length. */
void fake_recv(struct io_loop *l, const void *buf, size_t len);
void fake_read(struct io_loop *l, int fd, const void *buf, size_t len);

/* Send at most max bytes of the first queued IO_SENDMSG (or _ZC) onto
 * the wire and complete it with that count; returns the count.  A
 * zero-copy send's notification is then pending, run by fake_zc_notify. */
size_t fake_send(struct io_loop *l, size_t max);
/* Send everything queued, and whatever the completions queue next. */
void fake_send_all(struct io_loop *l);
/* The first queued send, copied or zero-copy, or NULL. */
struct io_op *fake_first_send(struct io_loop *l);
/* Zero-copy sends whose notification is pending; run the oldest one. */
unsigned fake_zc_pending(struct io_loop *l);
void fake_zc_notify(struct io_loop *l);
/* The next packet on the wire after those already read, or false. */
bool fake_wire_next(struct io_loop *l, uint16_t *type, const char **body, uint32_t *len);
/* Send everything queued, then: was a packet of this type on the wire? */
bool fake_on_wire(struct repl *r, uint16_t type);
/* Skip to the next packet of this type; fails the test when there is none. */
const char *fake_wire_expect(struct io_loop *l, uint16_t type, uint32_t *len);
size_t fake_wire_unread(struct io_loop *l);

/* A DATA packet (header + mdw_data + payload of len bytes of 'fill') in
 * buf; returns its size.  body_out gets the start of the body. */
size_t fake_data_packet(char *buf, uint64_t id, uint64_t off, uint32_t len, uint16_t flags,
			int fill, const char **body_out);

/* The resource both build on: r0, nodes alpha (0) and beta (1), 64 KiB
 * chunks, timeout 5 s, ko-count 4; mirrord's log off unless $MD_TEST_LOG.
 * Freed with free(). */
struct md_res_cfg *fake_res_new(void);
struct repl *fake_repl_new(uint32_t role);
void fake_repl_free(struct repl *r);
/* Set (a fuzz target's repl per input): fake_repl_free keeps the large
 * buffers for the next fake_repl_new, not cleared in between, and the
 * metadata is a memory file copied from the first one made. */
extern bool fake_reuse;
/* Tear r down with mirrord's own repl_fini, then free what only the fake
 * made (the configuration, the peer's socket, the channel's read end). */
void fake_repl_fini(struct repl *r);
/* The superblock as it is now in the metadata file. */
struct md_super fake_sb(struct repl *r);
/* Acks mirrord wrote to the channel since the last call; returns how many. */
unsigned fake_kacks(struct repl *r, struct md_chan_ack *out, unsigned max);

#endif
