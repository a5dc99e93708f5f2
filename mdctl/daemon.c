/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * daemon.c - a resource's device and daemon coming and going on this node:
 * mdctl up (create /dev/mirrorN as secondary, an up-to-date copy consistent
 * until it meets the peer, start mirrord and wait until it holds the
 * channel), mdctl down (stop mirrord, remove the device), and
 * mdctl destroy-minor (remove a device the configuration no longer names).
 *
 * Owns mirrord's process as mdctl sees it: started detached with its
 * output in MD_LOG_DIR/NAME.log, stopped by the pid in its state file.
 * Runtime settings (mdctl set, pause) live in the daemon: they last until
 * the next up, which starts a new one.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include "auth.h"
#include "gen.h"
#include "kctl.h"
#include "mdctl.h"
#include "pidlock.h"

/* mkdir -p, errors left to whoever opens a file in it. */
static void mkdir_p(const char *path)
{
	char buf[MD_PATH_LEN];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0755);
		*p = '/';
	}
	mkdir(buf, 0755);
}

/* Fork mirrord for res, its output into its log; its pid, or -errno. */
static int start_daemon(const struct md_res_cfg *res)
{
	char logpath[MD_PATH_LEN];
	pid_t pid;
	int logfd;

	(void)md_run_dir_make();	/* mirrord makes it too, and says why it cannot */
	mkdir_p(MD_LOG_DIR);
	snprintf(logpath, sizeof(logpath), MD_LOG_DIR "/%s" MD_RUN_LOG, res->name);
	logfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(logfd);
		return -errno;
	}
	if (pid == 0) {
		char *argv[16];
		int n = 0;
		char *extra = o.daemon_args ? strdup(o.daemon_args) : NULL;

		setsid();
		dup2(logfd, 1);
		dup2(logfd, 2);
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		argv[n++] = (char *)o.mirrord;
		argv[n++] = "-c";
		argv[n++] = (char *)o.config;
		argv[n++] = "-n";
		argv[n++] = o.node;
		for (char *t = extra ? strtok(extra, " ") : NULL; t && n < 14; t = strtok(NULL, " "))
			argv[n++] = t;
		argv[n++] = (char *)res->name;
		argv[n] = NULL;
		execvp(argv[0], argv);
		fprintf(stderr, "mdctl: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(logfd);
	return pid;
}

/*
 * SIGTERM, up to 10 s for a clean disconnect, then SIGKILL.  The daemon is
 * the holder of NAME.pid's lock and is signalled through a pidfd
 * (lib/pidlock.c): a stale pid is never signalled.  Gone means the lock
 * is free.
 */
static void stop_daemon(const struct md_res_cfg *res)
{
	int pid = md_pidlock_holder(res->name);

	if (pid <= 0 || md_pidlock_signal(res->name, SIGTERM))
		return;
	for (int i = 0; i < 200 && md_pidlock_holder(res->name) > 0; i++) {
		waitpid(pid, NULL, WNOHANG);	/* our child, if this mdctl started it */
		usleep(50000);
	}
	if (!md_pidlock_signal(res->name, SIGKILL)) {
		for (int i = 0; i < 20 && md_pidlock_holder(res->name) > 0; i++)
			usleep(50000);
	}
	waitpid(pid, NULL, WNOHANG);
}

/* The device exists: create it over this node's disk if it does not. */
static int ensure_device(const struct md_res_cfg *res, int me, int fd)
{
	struct md_super sb;
	struct md_geom g;
	uint64_t size;
	int mfd, rc;

	if ((rc = open_meta(res, me, &g, &sb, &mfd)))
		return rc;
	close(mfd);
	rc = kctl_create(fd, (uint32_t)res->minor, res->name, res->nodes[me].disk,
			 res->nodes[me].meta, &g, MD_ROLE_SECONDARY, &size);
	if (rc)
		return err(rc, "%s: cannot create the mirror over %s: %s%s",
			   res->name, res->nodes[me].disk, strerror(-rc),
			   rc == -EBUSY ? " (the disk is in use: mounted or claimed)" : "");
	return 0;
}

int cmd_up(const char *name)
{
	struct md_ioc_status st;
	struct md_res_cfg *res;
	int me, fd, rc, pid;

	if (load_res(name, &res, &me))
		return MDCTL_EXIT_CONFIG;
	{
		/* mirrord refuses to start without it: say so here, plainly. */
		uint8_t key[MD_SECRET_MAX];
		size_t len;
		char e[400];

		rc = md_res_secret(res, key, &len, e, sizeof(e));
		OPENSSL_cleanse(key, sizeof(key));
		if (rc < 0)
			return err(MDCTL_EXIT_CONFIG, "%s", e);
	}
	if (o.dry_run) {
		printf("would create /dev/" MD_DISK_PREFIX "%d over %s (secondary) and start %s\n",
		       res->minor, res->nodes[me].disk, o.mirrord);
		return MDCTL_EXIT_OK;
	}
	if ((fd = open_ctl()) < 0)
		return MDCTL_EXIT_RUNTIME;
	rc = kctl_status(fd, (uint32_t)res->minor, &st);
	if (rc == 0 && strcmp(st.name, res->name)) {
		close(fd);
		return err(MDCTL_EXIT_REFUSED, "minor %d is already used by resource %s",
			   res->minor, st.name);
	}
	if (rc == 0 && (st.flags & MD_SF_BOUND)) {
		close(fd);
		printf("%s: already up\n", name);
		return MDCTL_EXIT_OK;
	}
	if (rc == -ENODEV) {
		/* This node starts: until its daemon meets the peer, which may
		 * have been promoted and written since, an up-to-date copy is
		 * only consistent (docs/design.md, "Disk states"). */
		if ((rc = ensure_device(res, me, fd)) || (rc = sb_change(res, me, md_tr_start_alone, NULL))) {
			close(fd);
			return exit_of(rc);
		}
	} else if (rc) {
		close(fd);
		return err(MDCTL_EXIT_RUNTIME, "%s: status failed: %s", name, strerror(-rc));
	}
	pid = start_daemon(res);
	if (pid < 0) {
		close(fd);
		return err(MDCTL_EXIT_RUNTIME, "%s: cannot start mirrord: %s", name, strerror(-pid));
	}
	/* Wait until the daemon holds the channel, or has died. */
	for (int i = 0; i < 100; i++) {
		int status;

		if (kctl_status(fd, (uint32_t)res->minor, &st) == 0 && (st.flags & MD_SF_BOUND)) {
			close(fd);
			printf("%s: up on /dev/" MD_DISK_PREFIX "%d (secondary)\n", name, res->minor);
			return MDCTL_EXIT_OK;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			close(fd);
			return err(MDCTL_EXIT_RUNTIME, "%s: mirrord exited (status %d); see "
				   MD_LOG_DIR "/%s" MD_RUN_LOG, name, WEXITSTATUS(status), name);
		}
		usleep(50000);
	}
	close(fd);
	return err(MDCTL_EXIT_RUNTIME, "%s: mirrord did not attach within 5 s; see "
		   MD_LOG_DIR "/%s" MD_RUN_LOG, name, name);
}

int cmd_down(const char *name)
{
	struct md_ioc_status st;
	struct md_res_cfg *res;
	int me, fd, rc;

	if (load_res(name, &res, &me))
		return MDCTL_EXIT_CONFIG;
	if ((fd = open_ctl()) < 0)
		return MDCTL_EXIT_RUNTIME;
	rc = kctl_status(fd, (uint32_t)res->minor, &st);
	if (rc == -ENODEV) {
		close(fd);
		printf("%s: already down\n", name);
		return MDCTL_EXIT_OK;
	}
	if (!rc && (st.flags & MD_SF_OPEN)) {
		close(fd);
		return err(MDCTL_EXIT_REFUSED, "%s: /dev/" MD_DISK_PREFIX "%d is in use (mounted or open); "
			   "stop its users first", name, res->minor);
	}
	if (o.dry_run) {
		close(fd);
		printf("would stop mirrord for %s and remove /dev/" MD_DISK_PREFIX "%d\n", name, res->minor);
		return MDCTL_EXIT_OK;
	}
	stop_daemon(res);
	for (int i = 0; i < 50; i++) {
		rc = kctl_destroy(fd, (uint32_t)res->minor);
		if (rc != -EBUSY)
			break;
		usleep(100000);
	}
	close(fd);
	if (rc && rc != -ENODEV)
		return err(MDCTL_EXIT_RUNTIME, "%s: cannot remove the device: %s", name, strerror(-rc));
	printf("%s: down\n", name);
	return MDCTL_EXIT_OK;
}

int cmd_destroy_minor(const char *arg)
{
	char *end;
	long minor = strtol(arg, &end, 10);
	int fd, rc;

	if (*end || minor < 0 || minor >= MD_MAX_MINORS)
		return err(MDCTL_EXIT_USAGE, "bad minor '%s'", arg);
	/* Like up's, a dry run that needs no module: it checks the number only. */
	if (o.dry_run) {
		printf("would remove /dev/" MD_DISK_PREFIX "%ld\n", minor);
		return MDCTL_EXIT_OK;
	}
	if ((fd = open_ctl()) < 0)
		return MDCTL_EXIT_RUNTIME;
	rc = kctl_destroy(fd, (uint32_t)minor);
	close(fd);
	if (rc == -EBUSY)
		return err(MDCTL_EXIT_REFUSED, "minor %ld is open or served by a daemon", minor);
	if (rc)
		return err(rc == -ENODEV ? MDCTL_EXIT_NOTUP : MDCTL_EXIT_RUNTIME,
			   "minor %ld: %s", minor, strerror(-rc));
	return MDCTL_EXIT_OK;
}
