/* SPDX-License-Identifier: GPL-2.0-or-later */
/* io.c - backend selection and the parts both backends share. */
#include <errno.h>
#include "io_priv.h"
#include "log.h"

int io_loop_create(struct io_loop **lp, enum io_mode mode, unsigned depth, unsigned flags)
{
	int rc = -ENOSYS;

	if (mode != IO_AIO) {
		rc = io_uring_backend_create(lp, depth, flags);
		if (!rc || mode == IO_URING)
			return rc;
		log_warn("io_uring unavailable (%d), using the libaio/epoll fallback", rc);
	}
	return io_aio_backend_create(lp, depth);
}

void io_loop_destroy(struct io_loop *l)
{
	l->ops->destroy(l);
}

const char *io_backend_name(const struct io_loop *l)
{
	return l->ops->name;
}

void ioq_submit(struct io_loop *l, struct io_op *op)
{
	op->busy = true;
	op->next = NULL;
	l->busy++;
	if (l->queue_tail)
		l->queue_tail->next = op;
	else
		l->queue = op;
	l->queue_tail = op;
}

void io_complete(struct io_loop *l, struct io_op *op, int res)
{
	op->busy = false;
	l->busy--;
	op->cb(op, res);
}

void ioq_cancel(struct io_loop *l, struct io_op *op)
{
	struct io_op **pp;

	if (!op->busy)
		return;
	/* Not started yet: take it off the queue and complete it here. */
	for (pp = &l->queue; *pp; pp = &(*pp)->next) {
		if (*pp != op)
			continue;
		*pp = op->next;
		l->queue_tail = NULL;
		for (struct io_op *q = l->queue; q; q = q->next)
			l->queue_tail = q;
		io_complete(l, op, -ECANCELED);
		return;
	}
	l->ops->cancel(l, op);
}

int io_run(struct io_loop *l, int timeout_ms)
{
	return l->ops->run(l, timeout_ms);
}

unsigned io_busy(const struct io_loop *l)
{
	return l->busy;
}
