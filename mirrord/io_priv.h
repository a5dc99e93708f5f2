/* SPDX-License-Identifier: GPL-2.0-or-later */
/* io_priv.h - what io.c shares with its backends. */
#ifndef MIRRORD_IO_PRIV_H
#define MIRRORD_IO_PRIV_H

#include "io.h"

struct io_ops {
	const char *name;
	int (*run)(struct io_loop *l, int timeout_ms);
	void (*cancel)(struct io_loop *l, struct io_op *op);
	void (*destroy)(struct io_loop *l);
};

struct io_loop {
	const struct io_ops *ops;
	struct io_op *queue, *queue_tail;	/* submitted, not yet started */
	unsigned busy;
};

void io_complete(struct io_loop *l, struct io_op *op, int res);
int io_uring_backend_create(struct io_loop **lp, unsigned depth, unsigned flags);
int io_aio_backend_create(struct io_loop **lp, unsigned depth);

#endif
