/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * events.c - mirrord's event stream (lib/ctlproto.h, docs/design.md
 * "Control socket and events"): mdctl events, and the waits built on it,
 * wait-connect and wait-sync.  No polling: each waits on the stream's
 * lines, which mirrord sends as the state changes.
 *
 *   events [RES] [--now] [--json] [--timestamps]: the current state (one
 *     "exists" line per resource), "exists -", then the changes until
 *     interrupted; --now stops after "exists -".  Without RES: every
 *     resource of the configuration whose mirrord runs here.
 *   wait-connect RES [--timeout S], wait-sync RES [--timeout S]: exit 0
 *     once connected (wait-sync: connected, both copies up to date, no
 *     resync running), MDCTL_EXIT_TIMEOUT after S seconds, MDCTL_EXIT_NOTUP
 *     when the resource is not up here or its mirrord ends meanwhile.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "mdctl.h"

/* Subscribe to name's events: an fd that has read the "0 ..." answer, or
 * -errno (unreported: the caller decides what a missing daemon means). */
static int subscribe(const char *name, bool now, char *why, size_t len)
{
	char line[MD_CTL_ANSWER_MAX];
	const char *msg;
	int fd = ctl_connect(name), rc, status;

	if (fd == -EACCES || fd == -EPERM) {
		snprintf(why, len, "the control socket of mirrord is root's: %s", strerror(-fd));
		return MDCTL_E_REFUSED;
	}
	if (fd < 0) {
		snprintf(why, len, "mirrord is not running (no control socket: %s)", strerror(-fd));
		return MDCTL_E_NOTUP;
	}
	rc = ctl_ask(fd, now ? "events now" : "events", line, sizeof(line), 30000);
	if (rc >= 0 && md_ctl_answer_parse(line, &status, &msg))
		rc = -EBADMSG;
	if (rc >= 0 && status) {
		snprintf(why, len, "%s", msg);
		close(fd);
		return status == MD_CTL_REFUSED ? MDCTL_E_REFUSED : -EPROTO;
	}
	if (rc < 0) {
		snprintf(why, len, "no events from mirrord: %s", strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

/* Print one event line as asked (--timestamps, --json). */
static void print_event(const char *line)
{
	const char *p = o.timestamps ? line : strchr(line, ' ');
	char json[2 * MD_EV_LINE_MAX];

	p = p ? p + (p != line) : line;
	if (o.json && !md_ev_json(p, o.timestamps, json, sizeof(json)))
		puts(json);
	else
		puts(p);
	fflush(stdout);
}

/* The marker after every resource's current state: the last one's line,
 * or one of our own when a daemon ended before its marker. */
static void print_marker(const char *line)
{
	char own[64];
	struct timespec ts;
	size_t n;

	if (!line) {
		clock_gettime(CLOCK_REALTIME, &ts);
		n = md_ev_time(own, sizeof(own), (uint64_t)ts.tv_sec * 1000 +
			       (uint64_t)ts.tv_nsec / 1000000);
		snprintf(own + n, sizeof(own) - n, " exists -");
		line = own;
	}
	print_event(line);
}

#define EV_MAX	MD_MAX_RESOURCES

int cmd_events(const char *name)
{
	struct md_res_cfg *res;
	struct pollfd p[EV_MAX];
	char why[200], line[MD_EV_LINE_MAX + 64];
	bool marked[EV_MAX] = { false };
	int n = 0, open_n, me, fd, rc = MDCTL_EXIT_OK, waiting;

	if (name) {
		if (load_res(name, &res, &me))
			return MDCTL_EXIT_CONFIG;
		fd = subscribe(name, o.now, why, sizeof(why));
		if (fd < 0)
			return err(exit_of(fd), "%s: %s", name, why);
		p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
	} else {
		char e[512];

		if (md_config_load(o.config, &cfg, e, sizeof(e)))
			return err(MDCTL_EXIT_CONFIG, "%s", e);
		for (int i = 0; i < cfg.nres && n < EV_MAX; i++) {
			fd = subscribe(cfg.res[i].name, o.now, why, sizeof(why));
			if (fd >= 0)
				p[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
		}
	}
	/* The current state of every resource first, then one marker. */
	waiting = n;
	open_n = n;
	while (open_n) {
		if (poll(p, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return err(MDCTL_EXIT_RUNTIME, "poll: %s", strerror(errno));
		}
		for (int i = 0; i < n; i++) {
			int k;

			if (p[i].fd < 0 || !p[i].revents)
				continue;
			k = ctl_read_line(p[i].fd, line, sizeof(line), 5000);
			if (k < 0) {
				close(p[i].fd);
				p[i].fd = -1;
				open_n--;
				if (!marked[i]) {
					marked[i] = true;
					if (!--waiting)
						print_marker(NULL);
				}
				if (!o.now && name)
					rc = MDCTL_EXIT_NOTUP;	/* the daemon ended */
				continue;
			}
			if (strstr(line, " exists -")) {
				if (!marked[i]) {
					marked[i] = true;
					if (!--waiting)
						print_marker(line);
				}
				continue;
			}
			print_event(line);
			if (strstr(line, " lost - "))
				rc = MDCTL_EXIT_RUNTIME;
		}
	}
	if (!n)
		print_marker(NULL);	/* nothing up here: no state, the marker */
	return rc;
}

/* What a wait follows of the stream: the values it needs. */
struct waited {
	char conn[16], disk[16], peer_disk[16], resync[8];
};

static void note(struct waited *w, const char *line)
{
	md_ev_get(line, "conn", w->conn, sizeof(w->conn));
	md_ev_get(line, "disk", w->disk, sizeof(w->disk));
	md_ev_get(line, "peer-disk", w->peer_disk, sizeof(w->peer_disk));
	if (strstr(line, " resync-end "))
		snprintf(w->resync, sizeof(w->resync), "none");
	else if (strstr(line, " resync-start ") || strstr(line, " exists resource "))
		md_ev_get(line, strstr(line, " exists ") ? "resync" : "role", w->resync,
			  sizeof(w->resync));
}

static bool reached(const struct waited *w, bool sync)
{
	if (strcmp(w->conn, "connected"))
		return false;
	return !sync || (!strcmp(w->resync, "none") && !strcmp(w->disk, "up-to-date") &&
			 !strcmp(w->peer_disk, "up-to-date"));
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int wait_for(const char *name, bool sync)
{
	const char *what = sync ? "in sync" : "connected";
	uint64_t end = o.timeout_s >= 0 ? mono_ms() + (uint64_t)o.timeout_s * 1000 : UINT64_MAX;
	struct waited w = { "", "", "", "none" };
	struct md_res_cfg *res;
	char why[200], line[MD_EV_LINE_MAX + 64];
	int me, fd;

	if (load_res(name, &res, &me))
		return MDCTL_EXIT_CONFIG;
	fd = subscribe(name, false, why, sizeof(why));
	if (fd < 0)
		return err(exit_of(fd), "%s: %s", name, why);
	for (;;) {
		uint64_t now = mono_ms();
		uint64_t rest = end > now ? end - now : 0;
		int k, left = end == UINT64_MAX ? -1 : rest > (1u << 30) ? 1 << 30 : (int)rest;

		k = left == 0 ? -ETIMEDOUT : ctl_read_line(fd, line, sizeof(line), left);
		if (k == -ETIMEDOUT && mono_ms() < end)
			continue;	/* a cut wait (above) */
		if (k == -ETIMEDOUT) {
			close(fd);
			return err(MDCTL_EXIT_TIMEOUT, "%s: not %s after %ld s (connection %s, disk %s, "
				   "peer disk %s, resync %s)", name, what, o.timeout_s, w.conn, w.disk,
				   w.peer_disk, w.resync);
		}
		if (k < 0) {
			close(fd);
			return err(MDCTL_EXIT_NOTUP, "%s: mirrord ended while waiting until %s", name, what);
		}
		if (strstr(line, " lost - ")) {		/* we were too slow: again */
			close(fd);
			fd = subscribe(name, false, why, sizeof(why));
			if (fd < 0)
				return err(exit_of(fd), "%s: %s", name, why);
			continue;
		}
		note(&w, line);
		if (reached(&w, sync)) {
			close(fd);
			printf("%s: %s\n", name, what);
			return MDCTL_EXIT_OK;
		}
	}
}

int cmd_wait_connect(const char *name)
{
	return wait_for(name, false);
}

int cmd_wait_sync(const char *name)
{
	return wait_for(name, true);
}
