/* SPDX-License-Identifier: GPL-2.0-or-later */
/* io_uring.c - the io_uring backend of io.h. */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include "io_priv.h"

struct uring_loop {
	struct io_loop base;
	struct io_uring ring;
};

static struct io_uring *R(struct io_loop *l)
{
	return &((struct uring_loop *)l)->ring;
}

static int uring_prep(struct io_loop *l, struct io_op *op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(R(l));

	if (!sqe) {
		io_uring_submit(R(l));
		sqe = io_uring_get_sqe(R(l));
		if (!sqe)
			return -EBUSY;
	}
	switch (op->kind) {
	case IO_READ:
		io_uring_prep_read(sqe, op->fd, op->buf, (unsigned)op->len,
				   op->stream ? (uint64_t)-1 : op->off);
		break;
	case IO_WRITE:
		io_uring_prep_write(sqe, op->fd, op->buf, (unsigned)op->len,
				    op->stream ? (uint64_t)-1 : op->off);
		sqe->rw_flags = op->rw_flags;
		break;
	case IO_FSYNC:
		io_uring_prep_fsync(sqe, op->fd, IORING_FSYNC_DATASYNC);
		break;
	case IO_RECV:
		io_uring_prep_recv(sqe, op->fd, op->buf, op->len, 0);
		break;
	case IO_SENDMSG:
		io_uring_prep_sendmsg(sqe, op->fd, op->msg, MSG_NOSIGNAL);
		break;
	case IO_SENDMSG_ZC:
		io_uring_prep_sendmsg_zc(sqe, op->fd, op->msg, MSG_NOSIGNAL);
		break;
	}
	io_uring_sqe_set_data(sqe, op);
	return 0;
}

static void uring_cancel(struct io_loop *l, struct io_op *op)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(R(l));

	if (!sqe) {
		io_uring_submit(R(l));
		sqe = io_uring_get_sqe(R(l));
	}
	if (sqe) {
		io_uring_prep_cancel(sqe, op, 0);
		io_uring_sqe_set_data(sqe, NULL);
	}
}

static int uring_run(struct io_loop *l, int timeout_ms)
{
	struct __kernel_timespec ts = {
		.tv_sec = timeout_ms / 1000,
		.tv_nsec = (long long)(timeout_ms % 1000) * 1000000,
	};
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;
	int rc, ran = 0;

	/* Operations queued by callbacks are prepared here, in order. */
	while (l->queue) {
		struct io_op *op = l->queue;

		rc = uring_prep(l, op);
		if (rc)
			break;
		l->queue = op->next;
		if (!l->queue)
			l->queue_tail = NULL;
	}
	rc = io_uring_submit_and_wait_timeout(R(l), &cqe, 1,
					      timeout_ms >= 0 ? &ts : NULL, NULL);
	if (rc < 0 && rc != -ETIME && rc != -EINTR)
		return rc;
	io_uring_for_each_cqe(R(l), head, cqe) {
		struct io_op *op = io_uring_cqe_get_data(cqe);

		n++;
		if (!op)
			continue;	/* a cancel request's own completion */
		if (cqe->flags & IORING_CQE_F_NOTIF) {
			/* a zero-copy send's buffers are free (io.h) */
			op->notif(op);
			ran++;
			continue;
		}
		if (op->kind == IO_SENDMSG_ZC)
			op->zc_more = cqe->flags & IORING_CQE_F_MORE;
		io_complete(l, op, cqe->res);
		ran++;
	}
	io_uring_cq_advance(R(l), n);
	return ran;
}

static void uring_destroy(struct io_loop *l)
{
	io_uring_queue_exit(R(l));
	free(l);
}

static const struct io_ops uring_ops = {
	.name = "io_uring",
	.run = uring_run,
	.cancel = uring_cancel,
	.destroy = uring_destroy,
};

static const struct io_ops uring_defer_ops = {
	.name = "io_uring+defer",	/* fits md_run_state.io */
	.run = uring_run,
	.cancel = uring_cancel,
	.destroy = uring_destroy,
};

/*
 * With IO_DEFER, SINGLE_ISSUER | DEFER_TASKRUN where the kernel has them
 * (6.1 on): the daemon's main thread is the only one that submits (ctl.c's thread only
 * signals it), and every wait is io_uring_submit_and_wait_timeout, which
 * runs the deferred task work of completions, so nothing else changes.
 * A kernel without them says -EINVAL: the plain ring.
 */
int io_uring_backend_create(struct io_loop **lp, unsigned depth, unsigned flags)
{
	struct uring_loop *u = calloc(1, sizeof(*u));
	struct io_uring_params p = {
		.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
	};
	int rc = -EINVAL;

	if (!u)
		return -ENOMEM;
	if (flags & IO_DEFER) {
		u->base.ops = &uring_defer_ops;
		rc = io_uring_queue_init_params(depth, &u->ring, &p);
	}
	if (rc == -EINVAL) {	/* not asked for, or not in this kernel */
		u->base.ops = &uring_ops;
		rc = io_uring_queue_init(depth, &u->ring, 0);
	}
	if (rc < 0) {
		free(u);
		return rc;
	}
	*lp = &u->base;
	return 0;
}
