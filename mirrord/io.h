/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io.h - the daemon's completion-based I/O loop, with two backends:
 *
 *   uring: liburing; every operation is one SQE, submitted in batches with
 *          one io_uring_enter per loop turn.
 *   aio:   the fallback where io_uring is unavailable (kernel.io_uring_disabled,
 *          seccomp): disk operations through libaio with an eventfd, stream
 *          operations (channel, socket) through epoll readiness followed by
 *          the plain non-blocking system call.
 *
 * Callers see the same semantics from both: submit an io_op, get its
 * callback with the result (bytes or -errno) from io_run().  Stream reads
 * may return fewer bytes than asked (as read(2) would); writes to streams
 * may be partial, and the caller resubmits the rest.
 *
 * Reading a write's path, io.c can be skipped: ioq_submit only queues,
 * and the path goes on in the callback the io_op names (.cb), which
 * docs/design.md section 2 lists step by step.
 */
#ifndef MIRRORD_IO_H
#define MIRRORD_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum io_kind {
	IO_READ,	/* pread on a disk, read on a stream (channel) */
	IO_WRITE,	/* pwrite on a disk (rw_flags: RWF_DSYNC for FUA) */
	IO_FSYNC,	/* fdatasync on a disk */
	IO_RECV,	/* recv on a socket */
	IO_SENDMSG,	/* sendmsg on a socket */
	IO_SENDMSG_ZC,	/* sendmsg without copying the data (io_uring's
			 * SENDMSG_ZC): the pages are the socket's until the
			 * op's notification (below); aio sends it as IO_SENDMSG */
};

struct io_op;
typedef void (*io_cb)(struct io_op *op, int res);

struct io_op {
	enum io_kind kind;
	int fd;
	bool stream;		/* channel or socket rather than a disk */
	void *buf;
	size_t len;
	uint64_t off;
	int rw_flags;
	struct msghdr *msg;
	io_cb cb;
	void *ctx;
	bool busy;		/* submitted, callback not yet run */
	/* IO_SENDMSG_ZC: set before cb runs when a notification follows:
	 * notif runs once the kernel is done with the buffers of that send
	 * (they may change only then).  The op may be submitted again
	 * meanwhile: each such send gets its own notification.  A pending
	 * notification does not count in io_busy(). */
	bool zc_more;
	void (*notif)(struct io_op *op);
	struct io_op *next;	/* backend private */
};

enum io_mode { IO_AUTO, IO_URING, IO_AIO };

/*
 * io_loop_create's flags.  IO_DEFER: the io_uring backend with
 * IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN where the kernel
 * has them (6.1 on: completions' task work runs when the loop waits for
 * them, not at interrupts of its work); mirrord's --uring-on
 * defer-taskrun.  Off by default: measured, it did not pay (design.md,
 * "The worker hop, measured and kept").
 */
#define IO_DEFER	0x1u

struct io_loop;

/* Returns 0 or -errno.  IO_AUTO picks io_uring and falls back to aio. */
int io_loop_create(struct io_loop **lp, enum io_mode mode, unsigned depth, unsigned flags);
void io_loop_destroy(struct io_loop *l);
/* "io_uring", "io_uring+defer" (SINGLE_ISSUER, DEFER_TASKRUN) or the aio
 * backend's name: mdctl status --json's io_backend. */
const char *io_backend_name(const struct io_loop *l);
/* Queue an operation; it starts at the next io_run() at the latest. */
void ioq_submit(struct io_loop *l, struct io_op *op);
/* Ask a busy stream operation to finish early (its callback gets -ECANCELED
 * or its result).  Disk operations run to completion. */
void ioq_cancel(struct io_loop *l, struct io_op *op);
/* Submit what is queued, wait up to timeout_ms for completions and run
 * their callbacks.  Returns the number of callbacks run, or -errno. */
int io_run(struct io_loop *l, int timeout_ms);
unsigned io_busy(const struct io_loop *l);

#endif
