/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * io_aio.c - the fallback backend of io.h: libaio for disk operations,
 * epoll readiness plus non-blocking system calls for streams.
 *
 * libaio has no usable fdatasync for block devices (IOCB_CMD_FDSYNC is
 * refused by most drivers), so a flush runs synchronously here; the
 * fallback trades that latency for working where io_uring is disabled.
 */
#include <errno.h>
#include <fcntl.h>
#include <libaio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "io_priv.h"

#define MAX_FDS 4096

/* Stream operations waiting for readiness, per fd and direction, in order
 * (two channel reads may wait on the same fd). */
struct watch {
	struct io_op *in, *out;		/* list heads, linked by op->next */
	bool added;
};

struct aio_loop {
	struct io_loop base;
	io_context_t ctx;
	int efd, epfd;
	unsigned depth, inflight;
	struct iocb *iocbs;
	struct iocb **free_iocbs;
	unsigned nfree;
	struct io_op *done, *done_tail;
	struct watch watch[MAX_FDS];
};

static struct aio_loop *A(struct io_loop *l)
{
	return (struct aio_loop *)l;
}

static void push_done(struct aio_loop *a, struct io_op *op, int res)
{
	op->off = (uint64_t)(int64_t)res;	/* result parked until the callback */
	op->next = NULL;
	if (a->done_tail)
		a->done_tail->next = op;
	else
		a->done = op;
	a->done_tail = op;
}

static int stream_try(struct io_op *op)
{
	ssize_t n;

	switch (op->kind) {
	case IO_READ:
		n = read(op->fd, op->buf, op->len);
		break;
	case IO_WRITE:
		n = write(op->fd, op->buf, op->len);
		break;
	case IO_RECV:
		n = recv(op->fd, op->buf, op->len, MSG_DONTWAIT);
		break;
	case IO_SENDMSG:
	case IO_SENDMSG_ZC:	/* copied here: no notification follows */
		op->zc_more = false;
		n = sendmsg(op->fd, op->msg, MSG_DONTWAIT | MSG_NOSIGNAL);
		break;
	default:
		return -EINVAL;
	}
	return n < 0 ? -errno : (int)n;
}

static void watch_update(struct aio_loop *a, int fd)
{
	struct watch *w = &a->watch[fd];
	struct epoll_event ev = { .data.fd = fd };

	ev.events = (w->in ? EPOLLIN : 0) | (w->out ? EPOLLOUT : 0);
	if (!ev.events) {
		if (w->added)
			epoll_ctl(a->epfd, EPOLL_CTL_DEL, fd, NULL);
		w->added = false;
		return;
	}
	epoll_ctl(a->epfd, w->added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
	w->added = true;
}

static int start_op(struct aio_loop *a, struct io_op *op)
{
	struct iocb *cb;
	int rc;

	if (op->stream) {
		if (op->fd < 0 || op->fd >= MAX_FDS) {
			push_done(a, op, -EBADF);
			return 0;
		}
		fcntl(op->fd, F_SETFL, fcntl(op->fd, F_GETFL) | O_NONBLOCK);
		rc = stream_try(op);
		if (rc != -EAGAIN) {
			push_done(a, op, rc);
			return 0;
		}
		{
			struct io_op **pp = op->kind == IO_READ || op->kind == IO_RECV ?
					    &a->watch[op->fd].in : &a->watch[op->fd].out;

			while (*pp)
				pp = &(*pp)->next;
			op->next = NULL;
			*pp = op;
		}
		watch_update(a, op->fd);
		return 0;
	}
	if (op->kind == IO_FSYNC) {
		push_done(a, op, fdatasync(op->fd) ? -errno : 0);
		return 0;
	}
	if (!a->nfree)
		return -EBUSY;
	cb = a->free_iocbs[--a->nfree];
	if (op->kind == IO_READ)
		io_prep_pread(cb, op->fd, op->buf, op->len, (long long)op->off);
	else
		io_prep_pwrite(cb, op->fd, op->buf, op->len, (long long)op->off);
	cb->aio_rw_flags = op->rw_flags;
	io_set_eventfd(cb, a->efd);
	cb->data = op;
	rc = io_submit(a->ctx, 1, &cb);
	if (rc != 1) {
		a->free_iocbs[a->nfree++] = cb;
		push_done(a, op, rc < 0 ? rc : -EIO);
		return 0;
	}
	a->inflight++;
	return 0;
}

/* The fd is ready: run the waiting operations in order until one would block. */
static void retry_list(struct aio_loop *a, struct io_op **head)
{
	while (*head) {
		struct io_op *op = *head;
		int rc = stream_try(op);

		if (rc == -EAGAIN)
			return;
		*head = op->next;
		push_done(a, op, rc);
	}
}

static void reap_aio(struct aio_loop *a)
{
	struct io_event ev[64];
	uint64_t cnt;
	int n;

	if (read(a->efd, &cnt, sizeof(cnt)) < 0)
		return;
	while ((n = io_getevents(a->ctx, 0, 64, ev, NULL)) > 0) {
		for (int i = 0; i < n; i++) {
			struct iocb *cb = ev[i].obj;
			struct io_op *op = cb->data;

			a->free_iocbs[a->nfree++] = cb;
			a->inflight--;
			push_done(a, op, (int)(long)ev[i].res);
		}
	}
}

static int aio_run(struct io_loop *l, int timeout_ms)
{
	struct aio_loop *a = A(l);
	struct epoll_event evs[32];
	int n, ran = 0;

	while (l->queue) {
		struct io_op *op = l->queue;

		/* Unlink first: start_op() reuses op->next for its own lists. */
		l->queue = op->next;
		if (!l->queue)
			l->queue_tail = NULL;
		if (start_op(a, op)) {
			op->next = l->queue;	/* no iocb free: retry next turn */
			l->queue = op;
			if (!l->queue_tail)
				l->queue_tail = op;
			break;
		}
	}
	n = epoll_wait(a->epfd, evs, 32, a->done ? 0 : timeout_ms);
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		struct watch *w;

		if (fd == a->efd) {
			reap_aio(a);
			continue;
		}
		w = &a->watch[fd];
		if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			retry_list(a, &w->in);
		if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			retry_list(a, &w->out);
		watch_update(a, fd);
	}
	while (a->done) {
		struct io_op *op = a->done;

		a->done = op->next;
		if (!a->done)
			a->done_tail = NULL;
		io_complete(l, op, (int)(int64_t)op->off);
		ran++;
	}
	return ran;
}

static void aio_cancel(struct io_loop *l, struct io_op *op)
{
	struct aio_loop *a = A(l);
	struct watch *w;

	if (!op->stream || op->fd < 0 || op->fd >= MAX_FDS)
		return;
	w = &a->watch[op->fd];
	for (struct io_op **pp = &w->in; pp; pp = pp == &w->in ? &w->out : NULL) {
		for (struct io_op **q = pp; *q; q = &(*q)->next) {
			if (*q != op)
				continue;
			*q = op->next;
			watch_update(a, op->fd);
			push_done(a, op, -ECANCELED);
			return;
		}
	}
}

static void aio_destroy(struct io_loop *l)
{
	struct aio_loop *a = A(l);

	io_destroy(a->ctx);
	close(a->efd);
	close(a->epfd);
	free(a->iocbs);
	free(a->free_iocbs);
	free(a);
}

static const struct io_ops aio_ops = {
	.name = "libaio+epoll",
	.run = aio_run,
	.cancel = aio_cancel,
	.destroy = aio_destroy,
};

/* Returns 0 or -errno; on failure everything taken so far is released. */
int io_aio_backend_create(struct io_loop **lp, unsigned depth)
{
	struct aio_loop *a = calloc(1, sizeof(*a));
	struct epoll_event ev = { .events = EPOLLIN };
	int rc = -ENOMEM;

	if (!a)
		return -ENOMEM;
	a->depth = depth;
	a->iocbs = calloc(depth, sizeof(*a->iocbs));
	a->free_iocbs = calloc(depth, sizeof(*a->free_iocbs));
	if (!a->iocbs || !a->free_iocbs)
		goto free_arrays;
	a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->efd < 0) {
		rc = -errno;
		goto free_arrays;
	}
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epfd < 0) {
		rc = -errno;
		goto close_efd;
	}
	ev.data.fd = a->efd;
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, a->efd, &ev)) {
		rc = -errno;
		goto close_epfd;
	}
	rc = io_setup((int)depth, &a->ctx);	/* returns -errno itself */
	if (rc < 0)
		goto close_epfd;
	for (unsigned i = 0; i < depth; i++)
		a->free_iocbs[a->nfree++] = &a->iocbs[i];
	a->base.ops = &aio_ops;
	*lp = &a->base;
	return 0;

close_epfd:
	close(a->epfd);
close_efd:
	close(a->efd);
free_arrays:
	free(a->iocbs);
	free(a->free_iocbs);
	free(a);
	return rc;
}
