/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctl.c - the control socket MD_RUN_DIR/NAME.sock and the event stream
 * (docs/design.md, "Control socket and events"; formats: lib/ctlproto.h).
 *
 * A thread of its own serves the socket: it accepts root's clients only
 * (SO_PEERCRED), reads one request line per client without blocking,
 * answers malformed ones itself, subscribes "events" clients, and writes
 * every client's queued output without blocking.  A request that changes
 * the daemon (ops[] says which) waits in its client slot for the main
 * loop: the thread marks it pending and wakes the main thread with
 * SIGUSR1 (which interrupts the connecting loop's poll and the connected
 * loop's io_run as SIGHUP did before); the main loop runs the handler in
 * ctl_serve(), between two turns of its loop, and hands the answer back.
 * The data path never waits for the socket: the main thread only takes
 * the lock to copy a request or an answer, or to append an event line to
 * each subscriber's bounded buffer (ctl_publish); a subscriber whose buffer
 * is full gets a last line "lost" and is dropped.
 *
 * The requests themselves (ops[], their handlers): ctl_ops.c.
 *
 * Owns r->ctl.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "ctl.h"
#include "log.h"
#include "repl.h"
#include "runfile.h"

#define CTL_CLIENTS	16
#define CTL_OUT_MAX	(32u << 10)	/* a subscriber's queued lines, bytes */
#define CTL_REQ_MS	5000		/* a request line must arrive within */
#define CTL_DRAIN_MS	5000		/* an answer or a last line must be read within */

enum cl_state { CL_FREE, CL_REQ, CL_WAIT, CL_TAKEN, CL_ANSWER, CL_EVENTS };

struct ctl_client {
	int fd;
	enum cl_state st;
	uint64_t deadline_ms;		/* CL_REQ, and a client draining its last output */
	bool closing;			/* close once out is written */
	bool lost;			/* events dropped: only the last line goes */
	char in[MD_CTL_LINE_MAX + 1];
	size_t in_len;
	struct md_ctl_req req;
	bool turned;			/* CL_WAIT: an after_turn request passed over once */
	char out[CTL_OUT_MAX];
	size_t out_len, out_off;
};

struct ctl_server {
	struct repl *r;
	pthread_t thread, main_thread;
	pthread_mutex_t lock;
	int listen_fd, wake_fd;
	bool quit;			/* under lock */
	int pending;			/* a request waits for the main loop (atomic) */
	uid_t allow_uid;
	struct md_ev_snap snap;		/* as last published (under lock) */
	bool have_snap;
	struct md_ev_pace pace;
	char path[MD_PATH_LEN];
	struct ctl_client cl[CTL_CLIENTS];
};

bool ctl_peer_allowed(int fd, uid_t allow, uid_t *uid)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) || l != sizeof(cr)) {
		*uid = (uid_t)-1;
		return false;
	}
	*uid = cr.uid;
	return cr.uid == allow;
}

/* ---- output, under the lock ---- */

static void wake(struct ctl_server *s)
{
	uint64_t one = 1;

	if (write(s->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is saturated: the thread wakes anyway */
	}
}

/* Queue n bytes for the client; false when they do not fit. */
static bool cl_put(struct ctl_client *c, const char *p, size_t n)
{
	if (c->out_off && c->out_len + n > sizeof(c->out)) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + n > sizeof(c->out))
		return false;
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return true;
}

static void cl_answer(struct ctl_client *c, int status, const char *msg)
{
	char a[MD_CTL_ANSWER_MAX];
	size_t n = md_ctl_answer(a, sizeof(a), status, msg);

	c->out_len = c->out_off = 0;
	cl_put(c, a, n);
	c->st = CL_ANSWER;
	c->closing = true;
	c->deadline_ms = now_ms() + CTL_DRAIN_MS;
}

/* An event line with its time and '\n'; the room left for "lost" kept. */
static void cl_event(struct ctl_client *c, const char *line, uint64_t real_ms)
{
	char buf[MD_EV_LINE_MAX + 40];
	size_t n = md_ev_time(buf, sizeof(buf), real_ms);
	int k = snprintf(buf + n, sizeof(buf) - n, " %s\n", line);

	if (c->lost || k < 0)
		return;
	n += (size_t)k < sizeof(buf) - n ? (size_t)k : sizeof(buf) - n - 1;
	buf[n - 1] = '\n';
	if (c->out_len - c->out_off + n + sizeof(buf) <= sizeof(c->out) && cl_put(c, buf, n))
		return;
	n = md_ev_time(buf, sizeof(buf), real_ms);
	snprintf(buf + n, sizeof(buf) - n, " lost - reason=reader-too-slow\n");
	cl_put(c, buf, strlen(buf));
	c->lost = c->closing = true;
	c->deadline_ms = now_ms() + CTL_DRAIN_MS;
}

static uint64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct emit_ctx {
	struct ctl_server *s;
	uint64_t real;
	int n;
};

static void emit_all(void *ctx, const char *line)
{
	struct emit_ctx *e = ctx;

	for (int i = 0; i < CTL_CLIENTS; i++)
		if (e->s->cl[i].st == CL_EVENTS)
			cl_event(&e->s->cl[i], line, e->real);
	e->n++;
}

static void subscribe(struct ctl_server *s, struct ctl_client *c)
{
	char line[MD_EV_LINE_MAX];
	uint64_t t = real_ms();

	cl_answer(c, 0, "events follow");
	c->st = CL_EVENTS;
	c->closing = false;
	if (s->have_snap) {
		md_ev_exists(line, sizeof(line), s->r->res->name, &s->snap);
		cl_event(c, line, t);
	}
	cl_event(c, "exists -", t);
	if (c->req.argc == 2) {		/* events now */
		c->closing = true;
		c->deadline_ms = now_ms() + CTL_DRAIN_MS;
	}
}

/* ---- the thread ---- */

static void cl_close(struct ctl_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->st = CL_FREE;
	c->in_len = c->out_len = c->out_off = 0;
	c->closing = c->lost = false;
}

static void accept_one(struct ctl_server *s)
{
	char a[MD_CTL_ANSWER_MAX], m[160];
	struct ctl_client *c = NULL;
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	uid_t uid;

	if (fd < 0)
		return;
	if (!ctl_peer_allowed(fd, s->allow_uid, &uid)) {
		snprintf(m, sizeof(m), "refused: the control socket serves uid %u only, not uid %d",
			 (unsigned)s->allow_uid, (int)uid);
		if (write(fd, a, md_ctl_answer(a, sizeof(a), MD_CTL_REFUSED, m)) < 0) {
			/* it hears nothing more either way */
		}
		log_info("control socket: %s", m);
		close(fd);
		return;
	}
	for (int i = 0; i < CTL_CLIENTS && !c; i++)
		if (s->cl[i].st == CL_FREE)
			c = &s->cl[i];
	if (!c) {
		if (write(fd, a, md_ctl_answer(a, sizeof(a), 1, "too many control clients; try again")) < 0) {
			/* as above */
		}
		close(fd);
		return;
	}
	c->fd = fd;
	c->st = CL_REQ;
	c->in_len = 0;
	c->deadline_ms = now_ms() + CTL_REQ_MS;
}

/* A complete request line in c->in (len bytes): answer, subscribe or queue. */
static void cl_request(struct ctl_server *s, struct ctl_client *c, size_t len)
{
	const struct ctl_op *op;
	char why[160];

	if (md_ctl_parse(c->in, len, &c->req, why, sizeof(why)) ||
	    !(op = ctl_op_find(&c->req, why, sizeof(why)))) {
		cl_answer(c, MD_CTL_USAGE, why);
		return;
	}
	if (!op->main_loop) {
		subscribe(s, c);
		return;
	}
	c->st = CL_WAIT;
	c->turned = false;
	__atomic_store_n(&s->pending, 1, __ATOMIC_RELEASE);
	pthread_kill(s->main_thread, SIGUSR1);
}

static void cl_read(struct ctl_server *s, struct ctl_client *c)
{
	char buf[256];
	ssize_t n = read(c->fd, c->st == CL_REQ ? c->in + c->in_len : buf,
			 c->st == CL_REQ ? sizeof(c->in) - c->in_len : sizeof(buf));
	char *nl;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		cl_close(c);		/* gone (a subscriber ends so) */
		return;
	}
	if (n < 0 || c->st != CL_REQ)
		return;			/* a subscriber's bytes are ignored */
	c->in_len += (size_t)n;
	nl = memchr(c->in, '\n', c->in_len);
	if (nl)
		cl_request(s, c, (size_t)(nl - c->in));
	else if (c->in_len == sizeof(c->in))
		cl_answer(c, MD_CTL_USAGE, "request line too long");
}

static void cl_write(struct ctl_client *c)
{
	ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		cl_close(c);
		return;
	}
	if (n > 0)
		c->out_off += (size_t)n;
	if (c->out_off == c->out_len) {
		c->out_off = c->out_len = 0;
		if (c->closing)
			cl_close(c);
	}
}

static void *ctl_thread(void *arg)
{
	struct ctl_server *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->quit) {
		struct pollfd p[CTL_CLIENTS + 2];
		uint64_t now = now_ms();
		int wait = 1000;

		p[0] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		for (int i = 0; i < CTL_CLIENTS; i++) {
			struct ctl_client *c = &s->cl[i];

			p[i + 2] = (struct pollfd){ .fd = -1 };
			if (c->st == CL_FREE || c->st == CL_WAIT || c->st == CL_TAKEN)
				continue;
			if ((c->st == CL_REQ || c->closing) && c->deadline_ms <= now) {
				cl_close(c);	/* too slow to ask, or to read its last line */
				continue;
			}
			if (c->st == CL_REQ || c->closing) {
				uint64_t left = c->deadline_ms - now;

				if (left < (uint64_t)wait)
					wait = (int)left;
			}
			p[i + 2].fd = c->fd;
			p[i + 2].events = (short)((c->st != CL_ANSWER ? POLLIN : 0) |
						  (c->out_len > c->out_off ? POLLOUT : 0));
		}
		pthread_mutex_unlock(&s->lock);
		if (poll(p, CTL_CLIENTS + 2, wait) < 0 && errno != EINTR) {
			log_warn("control socket: poll failed: %s", strerror(errno));
			usleep(100000);
		}
		pthread_mutex_lock(&s->lock);
		if (p[0].revents) {
			uint64_t v;

			if (read(s->wake_fd, &v, sizeof(v)) < 0) {
				/* nothing counted: nothing to do */
			}
		}
		for (int i = 0; i < CTL_CLIENTS; i++) {
			struct ctl_client *c = &s->cl[i];

			if (p[i + 2].fd < 0 || c->fd != p[i + 2].fd || c->st == CL_FREE)
				continue;
			if (p[i + 2].revents & (POLLIN | POLLHUP | POLLERR))
				cl_read(s, c);
			if (c->st != CL_FREE && c->out_len > c->out_off)
				cl_write(c);	/* new output since the poll too */
		}
		for (int i = 0; i < CTL_CLIENTS; i++)
			if (s->cl[i].st != CL_FREE && s->cl[i].out_len > s->cl[i].out_off &&
			    p[i + 2].fd < 0)
				cl_write(&s->cl[i]);	/* answered by the main loop */
		if (p[1].revents & POLLIN)
			accept_one(s);
	}
	for (int i = 0; i < CTL_CLIENTS; i++)
		if (s->cl[i].st != CL_FREE)
			cl_close(&s->cl[i]);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void on_wake(int sig)
{
	(void)sig;		/* only to interrupt the main loop's wait */
}

/* Bind NAME.sock, 0600; a socket file left by an earlier daemon goes
 * (whoever runs here holds NAME.pid: no other daemon serves it). */
static int ctl_listen(struct ctl_server *s)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, rc;

	if (strlen(s->path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, s->path, strlen(s->path) + 1);
	if (!lstat(s->path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unlink(s->path))
			return -errno;
		log_info("removed the stale control socket %s", s->path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&a, sizeof(a)) ? -errno : 0;
	umask(old);
	if (!rc && chmod(s->path, 0600))
		rc = -errno;
	if (!rc && listen(fd, CTL_CLIENTS))
		rc = -errno;
	if (rc) {
		close(fd);
		return rc;
	}
	s->listen_fd = fd;
	return 0;
}

int ctl_start(struct repl *r, uid_t allow_uid)
{
	struct sigaction sa = { .sa_handler = on_wake };	/* no SA_RESTART */
	struct ctl_server *s = calloc(1, sizeof(*s));
	sigset_t block, old;
	int rc;

	if (!s)
		return -ENOMEM;
	s->r = r;
	s->allow_uid = allow_uid;
	s->pace.last_pct = -1;
	s->main_thread = pthread_self();
	for (int i = 0; i < CTL_CLIENTS; i++)
		s->cl[i].fd = -1;
	rc = md_run_path(s->path, sizeof(s->path), r->res->name, MD_RUN_SOCK);
	if (!rc)
		rc = ctl_listen(s);
	if (rc) {
		log_err("cannot serve the control socket %s: %s", s->path, strerror(-rc));
		free(s);
		return rc;
	}
	s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wake_fd < 0) {
		rc = -errno;
		goto fail;
	}
	pthread_mutex_init(&s->lock, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	/* Signals are the main thread's: the stop and our wake-up. */
	sigfillset(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = -pthread_create(&s->thread, NULL, ctl_thread, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		close(s->wake_fd);
		goto fail;
	}
	r->ctl.srv = s;
	return 0;
fail:
	log_err("cannot serve the control socket %s: %s", s->path, strerror(-rc));
	close(s->listen_fd);
	unlink(s->path);
	free(s);
	return rc;
}

void ctl_stop(struct repl *r)
{
	struct ctl_server *s = r->ctl.srv;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->quit = true;
	wake(s);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
	close(s->wake_fd);
	unlink(s->path);
	pthread_mutex_destroy(&s->lock);
	free(s);
	r->ctl.srv = NULL;
}

/* ---- the main loop's side ---- */

bool ctl_serve(struct repl *r)
{
	struct ctl_server *s = r->ctl.srv;
	struct { int i; struct md_ctl_req q; int status; char msg[MD_CTL_ANSWER_MAX - 8]; } job[CTL_CLIENTS];
	bool changed = false, again = false;
	int n = 0;

	if (!s || !__atomic_load_n(&s->pending, __ATOMIC_ACQUIRE))
		return false;
	pthread_mutex_lock(&s->lock);
	__atomic_store_n(&s->pending, 0, __ATOMIC_RELAXED);
	for (int i = 0; i < CTL_CLIENTS; i++) {
		char why[160];
		const struct ctl_op *op;

		if (s->cl[i].st != CL_WAIT)
			continue;
		op = ctl_op_find(&s->cl[i].req, why, sizeof(why));
		/* Only the connected loop reads the channel (and may block
		 * for long elsewhere, with nothing to take in). */
		if (op->after_turn && !s->cl[i].turned && r->adm.link == MD_LINK_CONNECTED) {
			s->cl[i].turned = again = true;	/* the next turn serves it */
			continue;
		}
		s->cl[i].st = CL_TAKEN;
		job[n].i = i;
		job[n++].q = s->cl[i].req;
	}
	if (again)
		__atomic_store_n(&s->pending, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&s->lock);
	/* The handlers run without the lock: they may publish (state_write). */
	for (int k = 0; k < n; k++) {
		char why[160];
		const struct ctl_op *op = ctl_op_find(&job[k].q, why, sizeof(why));
		bool ch = false;

		job[k].msg[0] = '\0';
		job[k].status = op->fn(r, &job[k].q, job[k].msg, sizeof(job[k].msg), &ch);
		changed |= ch;
	}
	pthread_mutex_lock(&s->lock);
	for (int k = 0; k < n; k++)
		cl_answer(&s->cl[job[k].i], job[k].status, job[k].msg);
	if (n)
		wake(s);
	pthread_mutex_unlock(&s->lock);
	return changed;
}

void ctl_publish(struct repl *r, const struct md_ev_snap *snap)
{
	struct ctl_server *s = r->ctl.srv;
	struct emit_ctx e = { s, real_ms(), 0 };

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->have_snap)
		md_ev_diff(r->res->name, &s->snap, snap, &s->pace, now_ms(), emit_all, &e);
	s->snap = *snap;
	s->have_snap = true;
	if (e.n)
		wake(s);
	pthread_mutex_unlock(&s->lock);
}

void ev_emit(struct repl *r, const char *kind, const char *fmt, ...)
{
	struct ctl_server *s = r->ctl.srv;
	struct emit_ctx e = { s, real_ms(), 0 };
	char line[MD_EV_LINE_MAX];
	int n;
	va_list ap;

	if (!s)
		return;
	n = snprintf(line, sizeof(line), "%s resource name=%s ", kind, r->res->name);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&s->lock);
	emit_all(&e, line);
	wake(s);
	pthread_mutex_unlock(&s->lock);
}
