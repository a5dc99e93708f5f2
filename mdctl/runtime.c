/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runtime.c - requests to a running mirrord: pause and resume the resync
 * this node sends, set a runtime setting (resync-rate, compression,
 * compression-level), adjust (the
 * configuration file's runtime settings applied), and verify (compare
 * every chunk with the peer).  Each is one request over mirrord's control
 * socket (daemon_request, format lib/ctlproto.h), whose answer carries the
 * exit status and the message; the settings last as long as the daemon,
 * that is until the next 'mdctl up'.  verify then follows the daemon's
 * state file until the daemon reports the run it asked for as finished.
 *
 * The dry runs of pause, resume and set check the command line and the
 * configuration only: asking whether the resource is up and which node
 * sends the resync needs the module and the daemon, and a dry run that
 * answers the same with or without them is one a script can rely on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "mdctl.h"
#include "zdata.h"

/* One request; 0 (the daemon's answer in msg, when given), or the exit
 * code of its failure (reported). */
static int request_msg(const struct md_res_cfg *res, const char *req, char *msg, size_t len)
{
	int rc = daemon_request(res, req, msg, len);

	if (rc > 0)
		return err(rc, "%s: %s", res->name, msg);
	return rc < 0 ? exit_of(rc) : 0;
}

static int request(const struct md_res_cfg *res, const char *req)
{
	char msg[MD_CTL_ANSWER_MAX];

	return request_msg(res, req, msg, sizeof(msg));
}

/*
 * The resource is up here and its mirrord runs: 0 with *s its state,
 * need_up()'s error, or MDCTL_E_NOTUP (reported) for no daemon.
 */
static int need_daemon(const struct md_res_cfg *res, struct md_state *s)
{
	struct md_ioc_status st;
	int fd = need_up(res, &st);

	if (fd < 0)
		return fd;
	close(fd);
	daemon_state(res, s);
	if (!s->pid)
		return err(MDCTL_E_NOTUP, "%s: mirrord is not running", res->name);
	return 0;
}

/* The command boundary of pause and resume: returns an exit code. */
static int pause_resume(const char *name, int paused)
{
	struct md_res_cfg *res;
	struct md_state s;
	int me, rc;

	if (load_res(name, &res, &me))
		return MDCTL_EXIT_CONFIG;
	if (o.dry_run) {
		printf("would %s the resync of %s that this node sends\n",
		       paused ? "pause" : "resume", name);
		return MDCTL_EXIT_OK;
	}
	if ((rc = need_daemon(res, &s)))
		return exit_of(rc);
	if (!strcmp(s.sync_role, "target"))
		return err(MDCTL_EXIT_REFUSED, "%s: this node receives the resync; %s it on %s, "
			   "which sends it", name, paused ? "pause" : "resume", res->nodes[!me].name);
	if ((rc = request(res, paused ? "pause" : "resume")))
		return rc;
	printf("%s: resync %s%s\n", name, paused ? "paused" : "resumed",
	       strcmp(s.sync_role, "source") ? " (no resync running now; the setting applies to "
	       "the next one)" : "");
	return MDCTL_EXIT_OK;
}

int cmd_pause(const char *name)
{
	return pause_resume(name, 1);
}

int cmd_resume(const char *name)
{
	return pause_resume(name, 0);
}

int cmd_set(const char *name)
{
	struct md_ioc_status st;
	struct md_res_cfg *res;
	const char *eq = o.kv ? strchr(o.kv, '=') : NULL;
	char key[32], req[64];
	int me, fd, rc;

	if (!eq || eq == o.kv || (size_t)(eq - o.kv) >= sizeof(key))
		return err(MDCTL_EXIT_USAGE, "usage: mdctl set RESOURCE KEY=VALUE "
			   "(keys: resync-rate, compression, compression-level, mode, async-buffer, max-lag, "
			   "on-congestion)");
	snprintf(key, sizeof(key), "%.*s", (int)(eq - o.kv), o.kv);
	eq++;
	if (load_res(name, &res, &me))
		return MDCTL_EXIT_CONFIG;
	if (!strcmp(key, "resync-rate")) {
		uint64_t v;

		if (md_parse_size(eq, &v))
			return err(MDCTL_EXIT_USAGE, "resync-rate: '%s' is not a size (e.g. 40M, 0 for "
				   "no limit)", eq);
		if (o.dry_run) {
			printf("would set the resync-rate of %s to %llu bytes/s%s (until the next "
			       "'mdctl up')\n", name, (unsigned long long)v, v ? "" : " (no limit)");
			return MDCTL_EXIT_OK;
		}
		if ((fd = need_up(res, &st)) < 0)
			return exit_of(fd);
		close(fd);
		snprintf(req, sizeof(req), "set resync-rate %llu", (unsigned long long)v);
		if ((rc = request(res, req)))
			return rc;
		printf("%s: resync-rate %llu bytes/s%s (until the next 'mdctl up')\n", name,
		       (unsigned long long)v, v ? "" : " (no limit)");
		return MDCTL_EXIT_OK;
	}
	if (!strcmp(key, "compression") || !strcmp(key, "compression-level") ||
	    !strcmp(key, "mode") || !strcmp(key, "async-buffer") || !strcmp(key, "max-lag") ||
	    !strcmp(key, "on-congestion")) {
		char msg[MD_CTL_ANSWER_MAX], *end;
		uint64_t size = 0;
		long lv = 0;

		if (!strcmp(key, "compression") && md_compression_parse(eq) < 0)
			return err(MDCTL_EXIT_USAGE, "compression: '%s' is not none, zstd or auto", eq);
		if (!strcmp(key, "compression-level") &&
		    ((lv = strtol(eq, &end, 10)), end == eq || *end || lv < MDZ_LEVEL_MIN ||
		     lv > MDZ_LEVEL_MAX))
			return err(MDCTL_EXIT_USAGE, "compression-level: '%s' is not a level from %d "
				   "to %d", eq, MDZ_LEVEL_MIN, MDZ_LEVEL_MAX);
		if (!strcmp(key, "mode") && md_mode_parse(eq) < 0)
			return err(MDCTL_EXIT_USAGE, "mode: '%s' is not sync or async", eq);
		if (!strcmp(key, "on-congestion") && md_congestion_parse(eq) < 0)
			return err(MDCTL_EXIT_USAGE, "on-congestion: '%s' is not block, disconnect or "
				   "pull-ahead", eq);
		if (!strcmp(key, "max-lag") &&
		    ((lv = strtol(eq, &end, 10)), end == eq || *end || lv < 0 || lv > MD_MAX_LAG_MAX))
			return err(MDCTL_EXIT_USAGE, "max-lag: '%s' is not 0..%d seconds", eq,
				   MD_MAX_LAG_MAX);
		if (!strcmp(key, "async-buffer") &&
		    (md_parse_size(eq, &size) || md_async_buffer_check(size)))
			return err(MDCTL_EXIT_USAGE, "async-buffer: '%s' is not a size from 1M to 16G", eq);
		if (o.dry_run) {
			printf("would set the %s of %s to %s (until the next 'mdctl up')\n", key, name, eq);
			return MDCTL_EXIT_OK;
		}
		if ((fd = need_up(res, &st)) < 0)
			return exit_of(fd);
		close(fd);
		if (size)
			snprintf(req, sizeof(req), "set %s %llu", key, (unsigned long long)size);
		else
			snprintf(req, sizeof(req), "set %s %s", key, eq);
		if ((rc = request_msg(res, req, msg, sizeof(msg))))
			return rc;
		printf("%s: %s (until the next 'mdctl up')\n", name, msg);
		return MDCTL_EXIT_OK;
	}
	return err(MDCTL_EXIT_USAGE, "unknown setting '%s' (keys: resync-rate, compression, "
		   "compression-level, mode, async-buffer, max-lag, on-congestion)", key);
}

/* "N,N,..." as the state file lists them, the first differing offsets. */
static void first_offsets(const struct md_state *s, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < s->verify_nfirst && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%llu", i ? "," : "",
				      (unsigned long long)s->verify_first[i]);
}

#define VERIFY_STALL_S	30	/* no state-file update for this long: hung */

int cmd_verify(const char *name)
{
	struct md_res_cfg *res;
	struct md_state s;
	char first[MD_VF_FIRST_MAX * 21], req[64];
	uint64_t token;
	int me, rc;

	if (load_res(name, &res, &me))
		return MDCTL_EXIT_CONFIG;
	if ((rc = need_daemon(res, &s)))
		return exit_of(rc);
	if (s.link != MD_LINK_CONNECTED)
		return err(MDCTL_EXIT_REFUSED, "%s: not connected to %s (%s): verify compares the "
			   "two copies", name, res->nodes[!me].name, md_link_name(s.link));
	if (strcmp(s.sync_role, "none"))
		return err(MDCTL_EXIT_REFUSED, "%s: a resync is running; verify when it is done", name);
	if (!strcmp(s.verify, "running"))
		return err(MDCTL_EXIT_REFUSED, "%s: a verify is already running", name);
	if (o.dry_run) {
		printf("would compare every chunk of %s with %s\n", name, res->nodes[!me].name);
		return MDCTL_EXIT_OK;
	}
	token = (uint64_t)time(NULL) * 1000 + (uint64_t)(getpid() % 1000);
	snprintf(req, sizeof(req), "verify %llu", (unsigned long long)token);
	if ((rc = request(res, req)))
		return rc;
	/*
	 * mirrord rewrites its state file at least every poll interval while a
	 * verify runs; no news for VERIFY_STALL_S means it is stuck (a hung
	 * disk, a stopped process): say so instead of waiting forever.
	 */
	for (long long last = -1, quiet = 0; ; quiet += 200) {
		usleep(200000);
		daemon_state(res, &s);
		if (!s.pid)
			return err(MDCTL_EXIT_RUNTIME, "%s: mirrord stopped during the verify", name);
		if (s.verify_token == token && strcmp(s.verify, "running"))
			break;
		if (s.since != last) {
			last = s.since;
			quiet = 0;
		} else if (quiet >= VERIFY_STALL_S * 1000) {
			return err(MDCTL_EXIT_RUNTIME, "%s: mirrord (pid %d) has reported no progress for "
				   "%d s; it may be hung (see " MD_LOG_DIR "/%s" MD_RUN_LOG ")", name,
				   s.pid, VERIFY_STALL_S, name);
		}
	}
	if (strcmp(s.verify, "done"))
		return err(MDCTL_EXIT_RUNTIME, "%s: verify %s after %llu of %llu chunks%s", name,
			   s.verify, (unsigned long long)s.verify_done,
			   (unsigned long long)s.verify_total,
			   !strcmp(s.verify, "unsupported") ? " (the peer's mirrord is too old)" :
			   " (the connection was lost)");
	printf("%s: verified %llu chunks against %s: %llu differ%s\n", name,
	       (unsigned long long)s.verify_done, res->nodes[!me].name,
	       (unsigned long long)s.verify_differ,
	       s.verify_errors ? ", some could not be read (see the log)" : "");
	if (s.verify_differ) {
		first_offsets(&s, first, sizeof(first));
		printf("  first differing byte offsets: %s%s\n", first,
		       s.verify_differ > MD_VF_FIRST_MAX ?
		       ", ... (all in " MD_LOG_DIR "/NAME" MD_RUN_LOG ")" : "");
		printf("  they are marked out of sync here and copied from the primary at the next "
		       "resync\n  (for example 'mdctl detach %s; mdctl attach %s' on the secondary)\n",
		       name, name);
		return MDCTL_EXIT_DIFFER;
	}
	return s.verify_errors ? MDCTL_EXIT_RUNTIME : MDCTL_EXIT_OK;
}

/*
 * mdctl adjust: the running daemon reads the configuration file again and
 * applies the runtime settings (lib/config.h, md_res_adjust); anything
 * that needs a restart is refused with the key (exit 4).  The file is
 * checked here first, so a broken one never reaches the daemon; the dry
 * run stops there.
 */
int cmd_adjust(const char *name)
{
	struct md_ioc_status st;
	struct md_res_cfg *res;
	char msg[MD_CTL_ANSWER_MAX];
	int me, fd, rc;

	if (load_res(name, &res, &me))
		return MDCTL_EXIT_CONFIG;
	if (o.dry_run) {
		printf("would have mirrord of %s read %s again and apply its runtime settings\n",
		       name, o.config);
		return MDCTL_EXIT_OK;
	}
	if ((fd = need_up(res, &st)) < 0)
		return exit_of(fd);
	close(fd);
	if ((rc = request_msg(res, "adjust", msg, sizeof(msg))))
		return rc;
	printf("%s: %s\n", name, msg);
	return MDCTL_EXIT_OK;
}
