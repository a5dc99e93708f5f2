/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * common.c - what most commands start from: the resource and this node in
 * the configuration, the module's control device, this node's metadata,
 * and the state of the resource's mirrord.  Owns the loaded configuration
 * (cfg) and the error helpers of mdctl.h.
 *
 * Only reads, except sb_change(), which writes the superblock under the
 * lock mirrord takes too, and the requests to mirrord over its control
 * socket (ctl_connect, daemon_request; format: lib/ctlproto.h).
 */
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "ctlproto.h"
#include "kctl.h"
#include "mdctl.h"
#include "pidlock.h"

struct md_config cfg;

int err(int rc, const char *fmt, ...)
{
	va_list ap;

	fputs("mdctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return rc;
}

int exit_of(int rc)
{
	switch (rc) {
	case 0:
		return MDCTL_EXIT_OK;
	case MDCTL_E_REFUSED:
		return MDCTL_EXIT_REFUSED;
	case MDCTL_E_NOTUP:
		return MDCTL_EXIT_NOTUP;
	}
	return MDCTL_EXIT_RUNTIME;
}

int load_res(const char *name, struct md_res_cfg **resp, int *me)
{
	char e[512];
	int rc;

	if ((rc = md_config_load(o.config, &cfg, e, sizeof(e))))
		return err(rc, "%s", e);
	*resp = md_config_find(&cfg, name);
	if (!*resp)
		return err(-ENOENT, "resource '%s' is not defined in %s", name, o.config);
	*me = md_res_node_index(*resp, o.node);
	if (*me < 0)
		return err(-ENOENT, "this node (%s) is not part of resource %s "
			   "(nodes: %s, %s; set --node or MD_NODE)", o.node, name,
			   (*resp)->nodes[0].name, (*resp)->nodes[1].name);
	return 0;
}

int open_ctl(void)
{
	int fd = kctl_open();

	if (fd == -ENOENT)
		return err(fd, "%s missing: the mirrordisk module is not loaded (modprobe mirrordisk; "
			   "'make install' installs it, as does the mirrordisk-dkms package)", MD_CTL_PATH);
	if (fd < 0)
		return err(fd, "cannot open %s: %s", MD_CTL_PATH, strerror(-fd));
	return fd;
}

int need_up(const struct md_res_cfg *res, struct md_ioc_status *st)
{
	int fd = open_ctl();

	if (fd < 0)
		return fd;
	/* Whatever the status call says, the device cannot be used as up. */
	if (kctl_status(fd, (uint32_t)res->minor, st)) {
		close(fd);
		return err(MDCTL_E_NOTUP, "%s is not up on this node (run 'mdctl up %s')",
			   res->name, res->name);
	}
	return fd;
}

const char *meta_dev(const struct md_res_cfg *res, int me)
{
	return res->nodes[me].meta[0] ? res->nodes[me].meta : res->nodes[me].disk;
}

int open_meta(const struct md_res_cfg *res, int me, struct md_geom *g,
	      struct md_super *sb, int *fd)
{
	int rc = md_meta_locate(res->nodes[me].disk, res->nodes[me].meta, res->chunk_shift, g, fd);

	if (rc)
		return err(rc, "%s: cannot open %s: %s", res->name, meta_dev(res, me), strerror(-rc));
	rc = md_meta_read(*fd, g->area_offset, sb, NULL);
	if (rc == -ENOENT)
		rc = err(MDCTL_E_REFUSED, "%s: no mirror metadata on %s: run 'mdctl create %s' first",
			 res->name, res->nodes[me].disk, res->name);
	else if (rc == -EBADMSG)
		rc = err(MDCTL_E_REFUSED, "%s: the metadata on %s is corrupt (checksum mismatch in "
			 "both superblock copies); refusing to use it", res->name, res->nodes[me].disk);
	else if (rc)
		rc = err(MDCTL_E_REFUSED, "%s: the metadata on %s is unusable: %s", res->name,
			 res->nodes[me].disk, rc == -EPROTO ? "unsupported version" : "invalid fields");
	else if (strcmp(sb->resource, res->name) || strcmp(sb->node, res->nodes[me].name))
		rc = err(MDCTL_E_REFUSED, "%s: %s holds the metadata of resource %s, node %s, not %s/%s",
			 res->name, res->nodes[me].disk, sb->resource, sb->node, res->name,
			 res->nodes[me].name);
	if (rc) {
		close(*fd);
		return rc;
	}
	/* The superblock's geometry must still fit what is there. */
	g->chunk_shift = sb->chunk_shift;
	g->bitmap_bytes = sb->bitmap_bytes;
	if (sb->data_bytes != g->data_bytes) {
		close(*fd);
		return err(MDCTL_E_REFUSED, "%s: the metadata describes %llu bytes of data, the "
			   "devices now give %llu", res->name, (unsigned long long)sb->data_bytes,
			   (unsigned long long)g->data_bytes);
	}
	return 0;
}

int read_sb_quiet(const struct md_res_cfg *res, int me, struct md_super *sb)
{
	struct md_geom g;
	int fd, rc;

	rc = md_meta_locate(res->nodes[me].disk, res->nodes[me].meta, res->chunk_shift, &g, &fd);
	if (rc)
		return rc;
	rc = md_meta_read(fd, g.area_offset, sb, NULL);
	close(fd);
	return rc;
}

int sb_change(const struct md_res_cfg *res, int me, md_sb_fn fn, void *arg)
{
	struct md_super sb;
	struct md_geom g;
	char lock[MD_PATH_LEN];
	int fd, rc;

	if ((rc = open_meta(res, me, &g, &sb, &fd)))
		return rc;
	/* If the run directory cannot be made, opening the lock says why. */
	(void)md_run_dir_make();
	rc = md_run_path(lock, sizeof(lock), res->name, MD_RUN_LOCK);
	if (!rc)
		rc = md_sb_update(fd, g.area_offset, lock, fn, arg);
	close(fd);
	if (rc && rc != -EPERM)
		return err(rc, "%s: updating metadata failed: %s", res->name, strerror(-rc));
	return rc;
}

/*
 * A state file that cannot be read, or no daemon holding NAME.pid, reads
 * as "no daemon".  A malformed line in it (md_state_read's -EBADMSG) is ignored
 * like the older reader ignored it: the other lines still count.
 */
void daemon_state(const struct md_res_cfg *res, struct md_state *s)
{
	char path[MD_PATH_LEN];
	int pid;

	if (md_run_path(path, sizeof(path), res->name, MD_RUN_STATE)) {
		memset(s, 0, sizeof(*s));
		s->link = MD_LINK_NO_DAEMON;
		return;
	}
	(void)md_state_read(path, s);
	/* The daemon is whoever holds NAME.pid's lock; a pid in the state
	 * file proves nothing (the daemon may be gone, the pid reused). */
	pid = md_pidlock_holder(res->name);
	if (pid <= 0) {
		s->pid = 0;
		s->link = MD_LINK_NO_DAEMON;
	} else if (pid != s->pid) {
		s->pid = pid;		/* a new daemon that has not written yet */
		s->link = MD_LINK_STARTING;
	}
}

int ctl_connect(const char *name)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char path[MD_PATH_LEN];
	int fd, rc = md_run_path(path, sizeof(path), name, MD_RUN_SOCK);

	if (rc)
		return rc;
	if (strlen(path) >= sizeof(a.sun_path))
		return -ENAMETOOLONG;
	memcpy(a.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int ctl_send(int fd, const char *req)
{
	char line[MD_CTL_LINE_MAX + 2];
	int n = snprintf(line, sizeof(line), "%s\n", req);

	if (n < 0 || (size_t)n >= sizeof(line))
		return -EINVAL;
	return send(fd, line, (size_t)n, MSG_NOSIGNAL) == n ? 0 : -errno;
}

int ctl_read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int k = poll(&p, 1, timeout_ms);
		ssize_t got;

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (!k)
			return -ETIMEDOUT;
		got = read(fd, buf + n, 1);	/* a line at a time, nothing read ahead */
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (!got)
			return n ? -EBADMSG : -ECONNRESET;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return (int)n;
		}
		n++;
	}
	return -EBADMSG;
}

int ctl_ask(int fd, const char *req, char *line, size_t len, int timeout_ms)
{
	int sent = ctl_send(fd, req);
	/* Read even when the send failed: mirrord answers a refused client
	 * (not root, too many) at once and closes before reading it. */
	int rc = ctl_read_line(fd, line, len, timeout_ms);

	return rc < 0 && sent ? sent : rc;
}

#define CTL_ANSWER_MS	30000	/* the main loop answers within a turn: else it is hung */

int daemon_request(const struct md_res_cfg *res, const char *req, char *msg, size_t len)
{
	char line[MD_CTL_ANSWER_MAX];
	const char *m;
	int fd = ctl_connect(res->name), rc, status;

	if (len)
		msg[0] = '\0';
	if (fd == -EACCES || fd == -EPERM)
		return err(MDCTL_E_REFUSED, "%s: the control socket of mirrord is root's: %s",
			   res->name, strerror(-fd));
	if (fd < 0)
		return err(MDCTL_E_NOTUP, "%s: mirrord is not running (no control socket: %s)",
			   res->name, strerror(-fd));
	rc = ctl_ask(fd, req, line, sizeof(line), CTL_ANSWER_MS);
	close(fd);
	if (rc == -ETIMEDOUT)
		return err(rc, "%s: mirrord has made no progress on '%s' for %d s; it may be hung "
			   "(see " MD_LOG_DIR "/%s" MD_RUN_LOG ")", res->name, req, CTL_ANSWER_MS / 1000,
			   res->name);
	if (rc < 0)
		return err(rc, "%s: no answer from mirrord to '%s': %s", res->name, req, strerror(-rc));
	if (md_ctl_answer_parse(line, &status, &m))
		return err(-EBADMSG, "%s: mirrord's answer is malformed: %.80s", res->name, line);
	if (len)
		snprintf(msg, len, "%s", m);
	return status;
}

int poke_daemon(const struct md_res_cfg *res)
{
	char msg[MD_CTL_ANSWER_MAX];
	int rc = daemon_request(res, "reread", msg, sizeof(msg));

	if (rc > 0)
		err(rc, "%s: mirrord: %s", res->name, msg);
	return rc ? -ESRCH : 0;
}

bool wait_link(const struct md_res_cfg *res, enum md_link want, int ms, struct md_state *s)
{
	for (int t = 0; ; t += 100) {
		daemon_state(res, s);
		if (s->link == want)
			return true;
		if (t >= ms)
			return false;
		usleep(100000);
	}
}

/* The link is up: the daemon says so, and so does the module (which the
 * daemon tells first, and which decides MD_ROLEF_IF_CONNECTED). */
bool link_up(const struct md_state *s, const struct md_ioc_status *st)
{
	return s->link == MD_LINK_CONNECTED && st->conn == MD_CONN_CONNECTED;
}
