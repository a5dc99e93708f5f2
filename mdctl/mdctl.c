/*
 * mdctl - the mirror disk's admin and cluster tool.  See mdctl(8).
 *
 *   mdctl [OPTIONS] COMMAND [RESOURCE]
 *
 * Commands come from one table (cmds[] below), each with a one-line
 * summary; no prefix matching.  Exit codes are stable and documented:
 */
#define MDCTL_EXIT_OK		0	/* done, or already so (idempotent) */
#define MDCTL_EXIT_RUNTIME	1	/* the operation failed at run time */
#define MDCTL_EXIT_USAGE	2	/* bad command line */
#define MDCTL_EXIT_CONFIG	3	/* configuration unreadable or resource/node unknown */
#define MDCTL_EXIT_REFUSED	4	/* not allowed in the current state */
#define MDCTL_EXIT_NOTUP	5	/* the resource is not up on this node */
#define MDCTL_EXIT_DIFFER	6	/* verify: the copies differ (chunks marked for resync) */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "config.h"
#include "kctl.h"
#include "md_wire.h"
#include "meta.h"

#define STATUS_JSON_VERSION	1
#define RUN_DIR			"/run/mirrordisk"
#define LOG_DIR			"/var/log/mirrordisk"

struct opts {
	const char *config;
	char node[MD_NAME_LEN];
	const char *mirrord;
	const char *daemon_args;
	int json;
	int force;
	int dry_run;
	int assume_clean;
	int yes;		/* rebuild: confirmed */
	int full;		/* rebuild: copy everything */
	int rw;			/* grant: read-write */
	const char *from;	/* rebuild: the node whose data is kept */
};

static struct opts o;
static struct md_config cfg;

static int err(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int err(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("mdctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* The link state mirrord last wrote for a resource (its state file). */
struct link_state {
	int pid;
	char conn[32];
	char peer[MD_NAME_LEN];
	char peer_role[32];
	char io[32];
	char last_error[300];
	char sync[32], sync_role[16];
	char verify[16], verify_first[200];
	unsigned long long pid_raw, since, paused, rate_limit;
	unsigned long long sync_done, sync_total, sync_rate;
	unsigned long long verify_token, verify_done, verify_total, verify_differ, verify_errors;
};

/* The state file's keys: strings (size > 0) or unsigned numbers. */
static const struct ls_key {
	const char *key;
	size_t off, size;
} ls_keys[] = {
#define STR(k, f) { k, offsetof(struct link_state, f), sizeof(((struct link_state *)0)->f) }
#define NUM(k, f) { k, offsetof(struct link_state, f), 0 }
	STR("conn", conn), STR("peer", peer), STR("peer_role", peer_role), STR("io", io),
	STR("last_error", last_error), STR("sync", sync), STR("sync_role", sync_role),
	STR("verify", verify), STR("verify_first", verify_first),
	NUM("pid", pid_raw), NUM("since", since), NUM("paused", paused),
	NUM("resync_rate", rate_limit), NUM("sync_done", sync_done), NUM("sync_total", sync_total),
	NUM("sync_rate", sync_rate), NUM("verify_token", verify_token),
	NUM("verify_done", verify_done), NUM("verify_total", verify_total),
	NUM("verify_differ", verify_differ), NUM("verify_errors", verify_errors),
#undef STR
#undef NUM
};

static void state_path(const struct md_res_cfg *res, char *buf, size_t len)
{
	snprintf(buf, len, RUN_DIR "/%s.state", res->name);
}

static int read_link_state(const struct md_res_cfg *res, struct link_state *ls)
{
	char path[MD_PATH_LEN], line[512];
	FILE *f;

	memset(ls, 0, sizeof(*ls));
	snprintf(ls->conn, sizeof(ls->conn), "no-daemon");
	state_path(res, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\n")] = '\0';
		for (size_t i = 0; i < sizeof(ls_keys) / sizeof(ls_keys[0]); i++) {
			const struct ls_key *k = &ls_keys[i];
			char *field = (char *)ls + k->off;

			if (strcmp(line, k->key))
				continue;
			if (k->size)		/* a string of that size */
				snprintf(field, k->size, "%s", v);
			else
				*(unsigned long long *)field = strtoull(v, NULL, 10);
		}
	}
	fclose(f);
	ls->pid = ls->pid_raw > 0 && ls->pid_raw < INT32_MAX ? (int)ls->pid_raw : 0;
	if (ls->pid <= 0 || kill(ls->pid, 0)) {
		ls->pid = 0;
		snprintf(ls->conn, sizeof(ls->conn), "no-daemon");
	}
	return 0;
}

static int load_res(const char *name, struct md_res_cfg **resp, int *me)
{
	char e[512];

	if (md_config_load(o.config, &cfg, e, sizeof(e)))
		return err(MDCTL_EXIT_CONFIG, "%s", e);
	*resp = md_config_find(&cfg, name);
	if (!*resp)
		return err(MDCTL_EXIT_CONFIG, "resource '%s' is not defined in %s", name, o.config);
	*me = md_res_node_index(*resp, o.node);
	if (*me < 0)
		return err(MDCTL_EXIT_CONFIG, "this node (%s) is not part of resource %s "
			   "(nodes: %s, %s; set --node or MD_NODE)", o.node, name,
			   (*resp)->nodes[0].name, (*resp)->nodes[1].name);
	return 0;
}

static int open_ctl(void)
{
	int fd = kctl_open();

	if (fd == -ENOENT)
		return err(-MDCTL_EXIT_RUNTIME, "%s missing: the mirrordisk module is not loaded", MD_CTL_PATH);
	if (fd < 0)
		return err(-MDCTL_EXIT_RUNTIME, "cannot open %s: %s", MD_CTL_PATH, strerror(-fd));
	return fd;
}

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

static int start_daemon(const struct md_res_cfg *res)
{
	char logpath[MD_PATH_LEN];
	pid_t pid;
	int logfd;

	mkdir_p(RUN_DIR);
	mkdir_p(LOG_DIR);
	snprintf(logpath, sizeof(logpath), LOG_DIR "/%s.log", res->name);
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

static void lock_path(const struct md_res_cfg *res, char *buf, size_t len)
{
	mkdir_p(RUN_DIR);
	snprintf(buf, len, RUN_DIR "/%s.lock", res->name);
}

/* A file system, volume or swap signature in the first 128 KiB, or "". */
static const char *foreign_signature(int fd)
{
	static const struct { off_t off; const char *magic; size_t len; const char *name; } sigs[] = {
		{ 1080, "\x53\xef", 2, "an ext2/3/4 file system" },
		{ 0, "XFSB", 4, "an XFS file system" },
		{ 65600, "_BHRfS_M", 8, "a btrfs file system" },
		{ 4086, "SWAPSPACE2", 10, "swap space" },
		{ 512, "LABELONE", 8, "an LVM physical volume" },
		{ 0, "LUKS\xba\xbe", 6, "a LUKS volume" },
	};
	char *buf;
	const char *found = "";

	if (posix_memalign((void **)&buf, 4096, 128 << 10))
		return "";
	if (pread(fd, buf, 128 << 10, 0) == 128 << 10)
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			if (!memcmp(buf + sigs[i].off, sigs[i].magic, sigs[i].len))
				found = sigs[i].name;
	free(buf);
	return found;
}

static int cmd_create(const char *name)
{
	struct md_res_cfg *res;
	struct md_super sb;
	struct md_geom g;
	int me, fd, rc;
	const char *sig;

	if ((rc = load_res(name, &res, &me)))
		return rc;
	rc = md_meta_locate(res->nodes[me].disk, res->nodes[me].meta, res->chunk_shift, &g, &fd);
	if (rc)
		return err(rc == -ENOSPC ? MDCTL_EXIT_REFUSED : MDCTL_EXIT_RUNTIME,
			   "%s: cannot use %s%s%s: %s", name, res->nodes[me].disk,
			   res->nodes[me].meta[0] ? " with metadata on " : "", res->nodes[me].meta,
			   rc == -ENOSPC ? "too small" : strerror(-rc));
	rc = md_meta_read(fd, g.area_offset, &sb, NULL);
	if (rc == 0 && !o.force) {
		close(fd);
		return err(MDCTL_EXIT_REFUSED, "%s: %s already holds metadata of resource %s "
			   "(node %s); --force overwrites it", name, res->nodes[me].disk,
			   sb.resource, sb.node);
	}
	if (rc != -ENOENT && rc != 0 && !o.force) {
		close(fd);
		return err(MDCTL_EXIT_REFUSED, "%s: %s holds damaged mirror metadata (%s); "
			   "--force overwrites it", name, res->nodes[me].disk, strerror(-rc));
	}
	if (!res->nodes[me].meta[0] && (sig = foreign_signature(fd))[0] && !o.force) {
		close(fd);
		return err(MDCTL_EXIT_REFUSED, "%s: %s holds %s; --force overwrites it",
			   name, res->nodes[me].disk, sig);
	}
	if (o.dry_run) {
		close(fd);
		printf("would write metadata for %s on %s: %llu bytes of data, %u KiB chunks, %s\n",
		       name, res->nodes[me].meta[0] ? res->nodes[me].meta : res->nodes[me].disk,
		       (unsigned long long)g.data_bytes, 1u << (g.chunk_shift - 10),
		       o.assume_clean ? "assumed clean" : "needs an initial sync");
		return 0;
	}
	memset(&sb, 0, sizeof(sb));
	snprintf(sb.resource, sizeof(sb.resource), "%s", name);
	snprintf(sb.node, sizeof(sb.node), "%s", res->nodes[me].name);
	for (size_t i = 0; i < sizeof(sb.uuid); i += 8) {
		uint64_t v = md_gen_new();

		memcpy(sb.uuid + i, &v, 8);
	}
	sb.gen_current = o.assume_clean ? MD_GEN_CLEAN : MD_GEN_BLANK;
	sb.disk_state = o.assume_clean ? MD_DISK_UPTODATE : MD_DISK_INCONSISTENT;
	sb.time_created = (uint64_t)time(NULL);
	rc = md_meta_create(fd, &g, &sb);
	close(fd);
	if (rc)
		return err(MDCTL_EXIT_RUNTIME, "%s: writing metadata failed: %s", name, strerror(-rc));
	printf("%s: metadata written at byte %llu of %s: %llu bytes of data, %u KiB chunks, %s\n",
	       name, (unsigned long long)g.area_offset,
	       res->nodes[me].meta[0] ? res->nodes[me].meta : res->nodes[me].disk,
	       (unsigned long long)g.data_bytes, 1u << (g.chunk_shift - 10),
	       o.assume_clean ? "assumed clean (no initial sync)" : "needs an initial sync");
	return 0;
}

/* Read and check this node's superblock for resource res. */
static int open_meta(const struct md_res_cfg *res, int me, struct md_geom *g,
		     struct md_super *sb, int *fd)
{
	int rc = md_meta_locate(res->nodes[me].disk, res->nodes[me].meta, res->chunk_shift, g, fd);

	if (rc)
		return err(MDCTL_EXIT_RUNTIME, "%s: cannot open %s: %s", res->name,
			   res->nodes[me].meta[0] ? res->nodes[me].meta : res->nodes[me].disk,
			   strerror(-rc));
	rc = md_meta_read(*fd, g->area_offset, sb, NULL);
	if (rc == -ENOENT)
		rc = err(MDCTL_EXIT_REFUSED, "%s: no mirror metadata on %s: run 'mdctl create %s' first",
			 res->name, res->nodes[me].disk, res->name);
	else if (rc == -EBADMSG)
		rc = err(MDCTL_EXIT_REFUSED, "%s: the metadata on %s is corrupt (checksum mismatch in "
			 "both superblock copies); refusing to use it", res->name, res->nodes[me].disk);
	else if (rc)
		rc = err(MDCTL_EXIT_REFUSED, "%s: the metadata on %s is unusable: %s", res->name,
			 res->nodes[me].disk, rc == -EPROTO ? "unsupported version" : "invalid fields");
	else if (strcmp(sb->resource, res->name) || strcmp(sb->node, res->nodes[me].name))
		rc = err(MDCTL_EXIT_REFUSED, "%s: %s holds the metadata of resource %s, node %s, not %s/%s",
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
		return err(MDCTL_EXIT_REFUSED, "%s: the metadata describes %llu bytes of data, the "
			   "devices now give %llu", res->name, (unsigned long long)sb->data_bytes,
			   (unsigned long long)g->data_bytes);
	}
	return 0;
}

/* ---- commands ---- */

static int cmd_up(const char *name)
{
	struct md_ioc_status st;
	struct md_res_cfg *res;
	int me, fd, rc, pid;
	uint64_t size;

	if ((rc = load_res(name, &res, &me)))
		return rc;
	if (o.dry_run) {
		printf("would create /dev/" MD_DISK_PREFIX "%d over %s (secondary) and start %s\n",
		       res->minor, res->nodes[me].disk, o.mirrord);
		return 0;
	}
	if ((fd = open_ctl()) < 0)
		return -fd;
	rc = kctl_status(fd, (uint32_t)res->minor, &st);
	if (rc == 0 && strcmp(st.name, res->name)) {
		close(fd);
		return err(MDCTL_EXIT_REFUSED, "minor %d is already used by resource %s",
			   res->minor, st.name);
	}
	if (rc == 0 && (st.flags & MD_SF_BOUND)) {
		close(fd);
		printf("%s: already up\n", name);
		return 0;
	}
	if (rc == -ENODEV) {
		struct md_super sb;
		struct md_geom g;
		int mfd;

		if ((rc = open_meta(res, me, &g, &sb, &mfd))) {
			close(fd);
			return rc;
		}
		close(mfd);
		rc = kctl_create(fd, (uint32_t)res->minor, res->name, res->nodes[me].disk,
				 res->nodes[me].meta, &g, MD_ROLE_SECONDARY, &size);
		if (rc) {
			close(fd);
			return err(MDCTL_EXIT_RUNTIME, "%s: cannot create the mirror over %s: %s%s",
				   name, res->nodes[me].disk, strerror(-rc),
				   rc == -EBUSY ? " (the disk is in use: mounted or claimed)" : "");
		}
	} else if (rc) {
		close(fd);
		return err(MDCTL_EXIT_RUNTIME, "%s: status failed: %s", name, strerror(-rc));
	}
	{	/* runtime settings (mdctl set, pause) last until the next up */
		char ctl[MD_PATH_LEN];

		snprintf(ctl, sizeof(ctl), RUN_DIR "/%s.ctl", res->name);
		unlink(ctl);
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
			return 0;
		}
		if (waitpid(pid, &status, WNOHANG) == pid) {
			close(fd);
			return err(MDCTL_EXIT_RUNTIME, "%s: mirrord exited (status %d); see "
				   LOG_DIR "/%s.log", name, WEXITSTATUS(status), name);
		}
		usleep(50000);
	}
	close(fd);
	return err(MDCTL_EXIT_RUNTIME, "%s: mirrord did not attach within 5 s; see "
		   LOG_DIR "/%s.log", name, name);
}

static int stop_daemon(const struct md_res_cfg *res)
{
	struct link_state ls;

	if (read_link_state(res, &ls) || !ls.pid)
		return 0;
	kill(ls.pid, SIGTERM);
	for (int i = 0; i < 200 && !kill(ls.pid, 0); i++) {
		waitpid(ls.pid, NULL, WNOHANG);
		usleep(50000);
	}
	if (!kill(ls.pid, 0)) {
		kill(ls.pid, SIGKILL);
		usleep(100000);
	}
	return 0;
}

static int cmd_down(const char *name)
{
	struct md_ioc_status st;
	struct md_res_cfg *res;
	int me, fd, rc;

	if ((rc = load_res(name, &res, &me)))
		return rc;
	if ((fd = open_ctl()) < 0)
		return -fd;
	rc = kctl_status(fd, (uint32_t)res->minor, &st);
	if (rc == -ENODEV) {
		close(fd);
		printf("%s: already down\n", name);
		return 0;
	}
	if (!rc && (st.flags & MD_SF_OPEN)) {
		close(fd);
		return err(MDCTL_EXIT_REFUSED, "%s: /dev/" MD_DISK_PREFIX "%d is in use (mounted or open); "
			   "stop its users first", name, res->minor);
	}
	if (o.dry_run) {
		close(fd);
		printf("would stop mirrord for %s and remove /dev/" MD_DISK_PREFIX "%d\n", name, res->minor);
		return 0;
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
	return 0;
}

static int read_sb_quiet(const struct md_res_cfg *res, int me, struct md_super *sb);

struct activate_arg {
	bool connected;
	bool force;
	char why[160];
};

static int activate_fn(struct md_super *sb, void *p)
{
	struct activate_arg *a = p;

	if (sb->disk_state != MD_DISK_UPTODATE) {
		if (!a->force) {
			snprintf(a->why, sizeof(a->why), "the local data is %s, not up to date",
				 sb->disk_state == MD_DISK_OUTDATED ? "outdated" : "inconsistent");
			return -EPERM;
		}
		/* Forced: this node's data becomes the reference. */
		sb->disk_state = MD_DISK_UPTODATE;
		sb->gen_current = md_gen_new();
		sb->gen_bitmap = 0;
	} else if (!a->connected && !sb->gen_bitmap) {
		/* Writing without the peer: start a new generation, and let the
		 * bitmap track everything since the old one. */
		sb->gen_bitmap = sb->gen_current;
		sb->gen_current = md_gen_new();
	}
	sb->flags |= MD_SBF_PRIMARY;
	return 1;
}

/*
 * Read-modify-write of this node's superblock under the lock mirrord takes
 * too.  Returns an mdctl exit code; failures of fn() other than -EPERM are
 * reported here, -EPERM is left to the caller (a refusal with a reason).
 */
static int sb_change(const struct md_res_cfg *res, int me, md_sb_fn fn, void *arg, int *sb_rc)
{
	struct md_super sb;
	struct md_geom g;
	char lock[MD_PATH_LEN];
	int fd, rc;

	*sb_rc = 0;
	if ((rc = open_meta(res, me, &g, &sb, &fd)))
		return rc;
	lock_path(res, lock, sizeof(lock));
	*sb_rc = md_sb_update(fd, g.area_offset, lock, fn, arg);
	close(fd);
	if (*sb_rc && *sb_rc != -EPERM)
		return err(MDCTL_EXIT_RUNTIME, "%s: updating metadata failed: %s", res->name,
			   strerror(-*sb_rc));
	return 0;
}

static int sb_before_activate(const struct md_res_cfg *res, int me, bool connected)
{
	struct activate_arg a = { .connected = connected, .force = o.force };
	int sb_rc, rc = sb_change(res, me, activate_fn, &a, &sb_rc);

	if (!rc && sb_rc == -EPERM)
		return err(MDCTL_EXIT_REFUSED, "%s: %s; use --force to make this node's data the "
			   "reference (the peer's differing data will be overwritten)", res->name, a.why);
	return rc;
}

static int deactivate_fn(struct md_super *sb, void *p)
{
	(void)p;
	if (!(sb->flags & MD_SBF_PRIMARY))
		return 0;
	sb->flags &= ~MD_SBF_PRIMARY;
	return 1;
}

static int sb_after_deactivate(const struct md_res_cfg *res, int me)
{
	int sb_rc;

	return sb_change(res, me, deactivate_fn, NULL, &sb_rc);
}

static int set_role(const char *name, uint32_t role)
{
	struct md_ioc_status st;
	struct link_state ls;
	struct md_res_cfg *res;
	int me, fd, rc;

	if ((rc = load_res(name, &res, &me)))
		return rc;
	if ((fd = open_ctl()) < 0)
		return -fd;
	rc = kctl_status(fd, (uint32_t)res->minor, &st);
	if (rc) {
		close(fd);
		return err(MDCTL_EXIT_NOTUP, "%s is not up on this node (run 'mdctl up %s')", name, name);
	}
	if (st.role == role) {
		struct md_super sb;
		bool granted = role == MD_ROLE_PRIMARY && read_sb_quiet(res, me, &sb) == 0 &&
			       !(sb.flags & MD_SBF_PRIMARY);

		if (granted && (sb.flags & MD_SBF_DETACHED)) {
			close(fd);
			return err(MDCTL_EXIT_REFUSED, "%s: this is a detached standby with access "
				   "granted; revoke and attach it, or keep its data with 'mdctl "
				   "rebuild %s --from %s' before activating", name, name, o.node);
		}
		if (!granted) {	/* a grant being turned into the primary goes on */
			close(fd);
			printf("%s: already %s\n", name, md_role_name(role));
			return 0;
		}
	}
	/*
	 * The peer's role reaches us through its daemon and ours (MDW_STATE),
	 * a fraction of a second after it changed: a switchover script that
	 * deactivates one node and at once activates the other must not fail
	 * on that lag, so give it a moment before refusing.
	 */
	for (int i = 0; i < 30; i++) {
		read_link_state(res, &ls);
		if (strcmp(ls.conn, "connected") || strcmp(ls.peer_role, "primary"))
			break;
		usleep(100000);
	}
	if (role == MD_ROLE_PRIMARY && !o.force) {
		struct md_super sb;

		if (read_sb_quiet(res, me, &sb) == 0 && (sb.flags & MD_SBF_DETACHED)) {
			close(fd);
			return err(MDCTL_EXIT_REFUSED, "%s: this node is detached: its copy lacks what "
				   "%s wrote since; attach it, or keep this copy with 'mdctl rebuild "
				   "%s --from %s' (or --force)", name, res->nodes[!me].name, name, o.node);
		}
	}
	if (role == MD_ROLE_PRIMARY && !o.force && !strcmp(ls.conn, "connected") &&
	    !strcmp(ls.peer_role, "primary")) {
		close(fd);
		return err(MDCTL_EXIT_REFUSED, "%s: peer %s is primary; deactivate it first "
			   "(or --force)", name, ls.peer);
	}
	if (o.dry_run) {
		close(fd);
		printf("would make %s %s\n", name, md_role_name(role));
		return 0;
	}
	if (role == MD_ROLE_PRIMARY)
		rc = sb_before_activate(res, me, !strcmp(ls.conn, "connected"));
	if (rc) {
		close(fd);
		return rc;
	}
	rc = kctl_set_role(fd, (uint32_t)res->minor, role, o.force ? MD_ROLEF_FORCE : 0);
	close(fd);
	if (rc == -EBUSY)
		return err(MDCTL_EXIT_REFUSED, "%s: /dev/" MD_DISK_PREFIX "%d is in use (mounted or open); "
			   "unmount it first", name, res->minor);
	if (rc)
		return err(MDCTL_EXIT_RUNTIME, "%s: cannot change role: %s", name, strerror(-rc));
	if (role == MD_ROLE_SECONDARY && (rc = sb_after_deactivate(res, me)))
		return rc;
	printf("%s: %s\n", name, md_role_name(role));
	return 0;
}

static int cmd_activate(const char *name)
{
	return set_role(name, MD_ROLE_PRIMARY);
}

static int cmd_deactivate(const char *name)
{
	return set_role(name, MD_ROLE_SECONDARY);
}

/* Health summary a failover script checks, per node. */
static const char *health(const struct md_ioc_status *st, const struct link_state *ls,
			  const struct md_super *sb)
{
	if (!ls->pid)
		return "stopped";
	if (!strcmp(ls->conn, "split-brain") || !strcmp(ls->conn, "unrelated"))
		return "needs-recovery";
	if (sb && sb->disk_state != MD_DISK_UPTODATE)
		return !strcmp(ls->sync_role, "target") ? "recovering" : "needs-recovery";
	if (!strcmp(ls->conn, "connected"))
		return st->oos_chunks || strcmp(ls->sync_role, "none") ? "recovering" : "normal";
	return st->oos_chunks ? "needs-recovery" : "degraded";
}

static const char *disk_state_name(uint32_t s)
{
	switch (s) {
	case MD_DISK_UPTODATE: return "up-to-date";
	case MD_DISK_INCONSISTENT: return "inconsistent";
	case MD_DISK_OUTDATED: return "outdated";
	}
	return "unknown";
}

static int read_sb_quiet(const struct md_res_cfg *res, int me, struct md_super *sb)
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

static json_object *json_time(uint64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t)
		return json_object_new_string("never");
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_object_new_string(buf);
}

static json_object *status_json(const struct md_res_cfg *res, int me, int fd)
{
	json_object *j = json_object_new_object();
	struct md_ioc_status st;
	struct link_state ls;
	struct md_super sb;
	bool have_sb;
	char dev[32], gen[24];

	snprintf(dev, sizeof(dev), "/dev/" MD_DISK_PREFIX "%d", res->minor);
	json_object_object_add(j, "resource", json_object_new_string(res->name));
	json_object_object_add(j, "node", json_object_new_string(res->nodes[me].name));
	json_object_object_add(j, "device", json_object_new_string(dev));
	json_object_object_add(j, "disk", json_object_new_string(res->nodes[me].disk));
	have_sb = read_sb_quiet(res, me, &sb) == 0;
	if (have_sb) {
		snprintf(gen, sizeof(gen), "%016llx", (unsigned long long)sb.gen_current);
		json_object_object_add(j, "disk_state", json_object_new_string(disk_state_name(sb.disk_state)));
		json_object_object_add(j, "generation", json_object_new_string(gen));
		json_object_object_add(j, "last_sync", json_time(sb.time_last_sync));
		json_object_object_add(j, "last_break", json_time(sb.time_last_break));
		json_object_object_add(j, "last_full_sync", json_time(sb.time_last_full_sync));
	} else {
		json_object_object_add(j, "disk_state", json_object_new_string("no-metadata"));
	}
	if (fd < 0 || kctl_status(fd, (uint32_t)res->minor, &st)) {
		json_object_object_add(j, "state", json_object_new_string("down"));
		json_object_object_add(j, "health", json_object_new_string("stopped"));
		return j;
	}
	read_link_state(res, &ls);
	json_object_object_add(j, "state", json_object_new_string("up"));
	json_object_object_add(j, "role", json_object_new_string(md_role_name(st.role)));
	json_object_object_add(j, "connection", json_object_new_string(
		st.conn == MD_CONN_CONNECTED ? "connected" : ls.pid ? ls.conn : "no-daemon"));
	json_object_object_add(j, "peer", json_object_new_string(res->nodes[!me].name));
	json_object_object_add(j, "peer_role", json_object_new_string(
		st.conn == MD_CONN_CONNECTED && ls.peer_role[0] ? ls.peer_role : "unknown"));
	json_object_object_add(j, "health", json_object_new_string(health(&st, &ls, have_sb ? &sb : NULL)));
	json_object_object_add(j, "detached", json_object_new_boolean(have_sb && (sb.flags & MD_SBF_DETACHED)));
	json_object_object_add(j, "granted", json_object_new_string(
		!have_sb || st.role != MD_ROLE_PRIMARY || (sb.flags & MD_SBF_PRIMARY) ? "none" :
		st.flags & MD_SF_READONLY ? "read-only" : "read-write"));
	json_object_object_add(j, "rebuild", json_object_new_string(
		!have_sb ? "none" : sb.flags & MD_SBF_DISCARD ? "discard-local" :
		sb.flags & MD_SBF_SURVIVOR ? "keep-local" : "none"));
	json_object_object_add(j, "paused", json_object_new_boolean(ls.pid && ls.paused));
	json_object_object_add(j, "verify", json_object_new_string(ls.pid && ls.verify[0] ? ls.verify : "none"));
	json_object_object_add(j, "verify_done_bytes", json_object_new_int64((int64_t)(ls.verify_done * st.chunk_bytes)));
	json_object_object_add(j, "verify_differ_bytes", json_object_new_int64((int64_t)(ls.verify_differ * st.chunk_bytes)));
	json_object_object_add(j, "resync_rate_limit_bytes", json_object_new_int64((int64_t)ls.rate_limit));
	json_object_object_add(j, "sync", json_object_new_string(ls.pid ? ls.sync : "unknown"));
	json_object_object_add(j, "sync_role", json_object_new_string(ls.pid ? ls.sync_role : "none"));
	json_object_object_add(j, "sync_done_bytes", json_object_new_int64((int64_t)(ls.sync_done * st.chunk_bytes)));
	json_object_object_add(j, "sync_total_bytes", json_object_new_int64((int64_t)(ls.sync_total * st.chunk_bytes)));
	json_object_object_add(j, "sync_rate_bytes", json_object_new_int64((int64_t)ls.sync_rate));
	json_object_object_add(j, "resynced_bytes", json_object_new_int64((int64_t)(st.resynced_chunks * st.chunk_bytes)));
	json_object_object_add(j, "size_bytes", json_object_new_int64((int64_t)st.size_bytes));
	json_object_object_add(j, "chunk_bytes", json_object_new_int64((int64_t)st.chunk_bytes));
	json_object_object_add(j, "out_of_sync_bytes",
			       json_object_new_int64((int64_t)(st.oos_chunks * st.chunk_bytes)));
	json_object_object_add(j, "writes", json_object_new_int64((int64_t)st.writes));
	json_object_object_add(j, "writes_replicated", json_object_new_int64((int64_t)st.writes_replicated));
	json_object_object_add(j, "inflight", json_object_new_int64((int64_t)st.inflight));
	json_object_object_add(j, "open", json_object_new_boolean(!!(st.flags & MD_SF_OPEN)));
	json_object_object_add(j, "daemon_pid", json_object_new_int(ls.pid));
	json_object_object_add(j, "io_backend", json_object_new_string(ls.io[0] ? ls.io : "-"));
	json_object_object_add(j, "last_change", json_object_new_int64(ls.since));
	json_object_object_add(j, "last_error", json_object_new_string(ls.last_error));
	return j;
}

static void print_status_text(json_object *j)
{
	json_object *v;

#define S(key) (json_object_object_get_ex(j, key, &v) ? json_object_get_string(v) : "-")
	printf("%s: %s", S("resource"), S("state"));
	if (!strcmp(S("state"), "up")) {
		printf(" role=%s connection=%s peer=%s(%s) health=%s\n", S("role"), S("connection"),
		       S("peer"), S("peer_role"), S("health"));
		printf("  device %s on %s, %s bytes, out of sync %s bytes, in flight %s\n",
		       S("device"), S("disk"), S("size_bytes"), S("out_of_sync_bytes"), S("inflight"));
		printf("  disk %s, generation %s, last sync %s (full %s), last break %s\n",
		       S("disk_state"), S("generation"), S("last_sync"), S("last_full_sync"),
		       S("last_break"));
		printf("  writes %s (%s replicated), daemon pid %s via %s\n", S("writes"),
		       S("writes_replicated"), S("daemon_pid"), S("io_backend"));
		if (!strcmp(S("detached"), "true") || strcmp(S("granted"), "none") || strcmp(S("rebuild"), "none"))
			printf("  detached %s, access granted %s, rebuild %s\n", S("detached"), S("granted"),
			       S("rebuild"));
		if (strcmp(S("sync_role"), "none"))
			printf("  resync %s (%s): %s of %s bytes at %s bytes/s%s\n", S("sync_role"), S("sync"),
			       S("sync_done_bytes"), S("sync_total_bytes"), S("sync_rate_bytes"),
			       !strcmp(S("paused"), "true") ? ", paused" : "");
		if (*S("last_error"))
			printf("  last error: %s\n", S("last_error"));
	} else {
		printf(" health=%s\n", S("health"));
	}
#undef S
}

static int cmd_status(const char *name)
{
	json_object *all = json_object_new_array();
	char e[512];
	int fd, rc = 0, found = 0;

	if (md_config_load(o.config, &cfg, e, sizeof(e)))
		return err(MDCTL_EXIT_CONFIG, "%s", e);
	if (name && !md_config_find(&cfg, name))
		return err(MDCTL_EXIT_CONFIG, "resource '%s' is not defined in %s", name, o.config);
	fd = kctl_open();
	for (int i = 0; i < cfg.nres; i++) {
		struct md_res_cfg *res = &cfg.res[i];
		int me = md_res_node_index(res, o.node);

		if (name && strcmp(res->name, name))
			continue;
		if (me < 0) {
			if (name)
				rc = err(MDCTL_EXIT_CONFIG, "this node (%s) is not part of resource %s",
					 o.node, name);
			continue;
		}
		found++;
		json_object_array_add(all, status_json(res, me, fd));
	}
	if (fd >= 0)
		close(fd);
	if (o.json) {
		json_object *top = json_object_new_object();

		json_object_object_add(top, "version", json_object_new_int(STATUS_JSON_VERSION));
		json_object_object_add(top, "resources", json_object_get(all));
		printf("%s\n", json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
	} else {
		for (size_t i = 0; i < json_object_array_length(all); i++)
			print_status_text(json_object_array_get_idx(all, i));
	}
	json_object_put(all);
	if (!rc && !found)
		return err(MDCTL_EXIT_CONFIG, "no resource of this node (%s) in %s", o.node, o.config);
	return rc;
}

/* ---- administrator flows: detach, attach, grant, revoke, rebuild, pause, set ---- */

/* The resource must be up here; fills *st and returns an open control fd. */
static int need_up(const struct md_res_cfg *res, struct md_ioc_status *st)
{
	int fd = open_ctl();

	if (fd < 0)
		return fd;
	if (kctl_status(fd, (uint32_t)res->minor, st)) {
		close(fd);
		return -err(MDCTL_EXIT_NOTUP, "%s is not up on this node (run 'mdctl up %s')",
			    res->name, res->name);
	}
	return fd;
}

/* Tell the running mirrord to read its settings again (0, or -ESRCH). */
static int poke_daemon(const struct md_res_cfg *res)
{
	struct link_state ls;

	if (read_link_state(res, &ls) || !ls.pid)
		return -ESRCH;
	return kill(ls.pid, SIGHUP) ? -errno : 0;
}

/* Wait up to ms for the daemon's link state to become one of the words in
 * 'want' (space separated).  Returns true when it did. */
static bool wait_link(const struct md_res_cfg *res, const char *want, int ms, struct link_state *ls)
{
	for (int t = 0; ; t += 100) {
		char w[64];

		read_link_state(res, ls);
		snprintf(w, sizeof(w), " %s ", ls->conn);
		if (strstr(want, w))
			return true;
		if (t >= ms)
			return false;
		usleep(100000);
	}
}

/* Who keeps /dev/mdiskN busy: mount points and processes, for messages. */
static void holders(const struct md_res_cfg *res, char *out, size_t len)
{
	char dev[32], line[1024], path[600], link[300];
	struct stat sb;
	size_t n = 0;
	FILE *f;

	out[0] = '\0';
	snprintf(dev, sizeof(dev), "/dev/" MD_DISK_PREFIX "%d", res->minor);
	if (stat(dev, &sb))
		return;
	f = fopen("/proc/self/mountinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char mnt[256];

		if (sscanf(line, "%*u %*u %u:%u %*s %255s", &maj, &min, mnt) == 3 &&
		    maj == major(sb.st_rdev) && min == minor(sb.st_rdev) && n < len)
			n += (size_t)snprintf(out + n, len - n, "%smounted on %s", n ? ", " : "", mnt);
	}
	if (f)
		fclose(f);
	DIR *proc = opendir("/proc");
	struct dirent *pe;

	while (proc && (pe = readdir(proc))) {
		DIR *fds;
		struct dirent *fe;
		char comm[64] = "?";

		if (pe->d_name[0] < '1' || pe->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", pe->d_name);
		if (!(fds = opendir(path)))
			continue;
		while ((fe = readdir(fds))) {
			ssize_t l;

			snprintf(path, sizeof(path), "/proc/%s/fd/%s", pe->d_name, fe->d_name);
			l = readlink(path, link, sizeof(link) - 1);
			if (l <= 0)
				continue;
			link[l] = '\0';
			if (strcmp(link, dev))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/comm", pe->d_name);
			FILE *c = fopen(path, "r");
			if (c) {
				if (fgets(comm, sizeof(comm), c))
					comm[strcspn(comm, "\n")] = '\0';
				fclose(c);
			}
			if (n < len)
				n += (size_t)snprintf(out + n, len - n, "%sopen by %s (pid %s)",
						      n ? ", " : "", comm, pe->d_name);
			break;
		}
		closedir(fds);
	}
	if (proc)
		closedir(proc);
	if (!out[0])
		snprintf(out, len, "open by a holder that /proc does not show (a kernel user?)");
}

static int refuse_busy(const struct md_res_cfg *res, const char *what)
{
	char who[512];

	holders(res, who, sizeof(who));
	return err(MDCTL_EXIT_REFUSED, "%s: cannot %s: /dev/" MD_DISK_PREFIX "%d is in use: %s; "
		   "unmount or close it first", res->name, what, res->minor, who);
}

struct flag_change {
	uint32_t set, clear;
	int disk_state;		/* 0: unchanged */
};

static int flags_fn(struct md_super *sb, void *p)
{
	const struct flag_change *c = p;
	uint32_t f = (sb->flags | c->set) & ~c->clear;

	if (f == sb->flags && (!c->disk_state || (uint32_t)c->disk_state == sb->disk_state))
		return 0;
	sb->flags = f;
	if (c->disk_state)
		sb->disk_state = (uint32_t)c->disk_state;
	return 1;
}

static int change_flags(const struct md_res_cfg *res, int me, uint32_t set, uint32_t clear,
			int disk_state)
{
	struct flag_change c = { set, clear, disk_state };
	int sb_rc;

	return sb_change(res, me, flags_fn, &c, &sb_rc);
}

/* A granted standby: the kernel lets it be opened, its metadata says it is
 * not the primary. */
static bool is_granted(const struct md_ioc_status *st, const struct md_super *sb)
{
	return st->role == MD_ROLE_PRIMARY && !(sb->flags & MD_SBF_PRIMARY);
}

/* What the admin commands start from: the resource up here, its status
 * and this node's superblock.  Returns 0 with ctl_fd open, or an exit code. */
struct admin {
	struct md_res_cfg *res;
	int me, fd;
	struct md_ioc_status st;
	struct md_super sb;
};

static int admin_open(const char *name, struct admin *a)
{
	int rc;

	if ((rc = load_res(name, &a->res, &a->me)))
		return rc;
	if ((a->fd = need_up(a->res, &a->st)) < 0)
		return -a->fd;
	rc = read_sb_quiet(a->res, a->me, &a->sb);
	if (rc) {
		close(a->fd);
		return err(MDCTL_EXIT_RUNTIME, "%s: cannot read the metadata: %s", name, strerror(-rc));
	}
	return 0;
}

static int admin_done(struct admin *a, int rc)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	return rc;
}

static int cmd_detach(const char *name)
{
	struct link_state ls;
	struct admin a;
	int rc;

	if ((rc = admin_open(name, &a)))
		return rc;
	admin_done(&a, 0);
	if (a.sb.flags & MD_SBF_DETACHED) {
		printf("%s: already detached\n", name);
		return 0;
	}
	if (o.dry_run) {
		printf("would detach %s from %s\n", name, a.res->nodes[!a.me].name);
		return 0;
	}
	if ((rc = change_flags(a.res, a.me, MD_SBF_DETACHED, 0, 0)))
		return rc;
	if (poke_daemon(a.res) || !wait_link(a.res, " detached ", 10000, &ls))
		return err(MDCTL_EXIT_RUNTIME, "%s: marked detached, but mirrord did not confirm "
			   "(link state %s); see " LOG_DIR "/%s.log", name, ls.conn, name);
	printf("%s: detached from %s; %s\n", name, a.res->nodes[!a.me].name,
	       a.st.role == MD_ROLE_PRIMARY ? "this primary goes on alone and records what changes" :
	       "the primary records what changes; 'mdctl grant' gives local access to this copy");
	return 0;
}

static int cmd_grant(const char *name)
{
	struct admin a;
	int rc;

	if ((rc = admin_open(name, &a)))
		return rc;
	if (a.st.role == MD_ROLE_PRIMARY && (a.sb.flags & MD_SBF_PRIMARY))
		return admin_done(&a, err(MDCTL_EXIT_REFUSED, "%s: this node is the primary; grant "
					  "is for a detached standby", name));
	if (!(a.sb.flags & MD_SBF_DETACHED))
		return admin_done(&a, err(MDCTL_EXIT_REFUSED, "%s: this standby is still in the "
					  "mirror; run 'mdctl detach %s' first", name, name));
	if (is_granted(&a.st, &a.sb) && !!(a.st.flags & MD_SF_READONLY) == !o.rw) {
		printf("%s: already granted (%s)\n", name, o.rw ? "read-write" : "read-only");
		return admin_done(&a, 0);
	}
	if (o.dry_run) {
		printf("would grant %s access to /dev/" MD_DISK_PREFIX "%d\n",
		       o.rw ? "read-write" : "read-only", a.res->minor);
		return admin_done(&a, 0);
	}
	/* Local changes will be overwritten from the primary on attach. */
	if (o.rw && (rc = change_flags(a.res, a.me, MD_SBF_DISCARD, 0, MD_DISK_OUTDATED)))
		return admin_done(&a, rc);
	rc = kctl_set_role(a.fd, (uint32_t)a.res->minor, MD_ROLE_PRIMARY, o.rw ? 0 : MD_ROLEF_READONLY);
	admin_done(&a, 0);
	if (rc == -EBUSY)
		return refuse_busy(a.res, "change the grant");
	if (rc)
		return err(MDCTL_EXIT_RUNTIME, "%s: grant failed: %s", name, strerror(-rc));
	printf("%s: %s access granted on /dev/" MD_DISK_PREFIX "%d%s\n", name,
	       o.rw ? "read-write" : "read-only", a.res->minor,
	       o.rw ? "; changes made here are overwritten from the primary on attach" : "");
	return 0;
}

/* Take a grant back; returns an exit code. */
static int ungrant(const struct md_res_cfg *res, int fd, const char *what)
{
	int rc = kctl_set_role(fd, (uint32_t)res->minor, MD_ROLE_SECONDARY, 0);

	if (rc == -EBUSY)
		return refuse_busy(res, what);
	if (rc)
		return err(MDCTL_EXIT_RUNTIME, "%s: cannot end the grant: %s", res->name, strerror(-rc));
	return 0;
}

static int cmd_revoke(const char *name)
{
	struct admin a;
	int rc;

	if ((rc = admin_open(name, &a)))
		return rc;
	if (!is_granted(&a.st, &a.sb)) {
		if (a.st.role == MD_ROLE_PRIMARY)
			return admin_done(&a, err(MDCTL_EXIT_REFUSED, "%s: this node is the primary, "
						  "not a granted standby (use deactivate)", name));
		printf("%s: no access granted\n", name);
		return admin_done(&a, 0);
	}
	rc = admin_done(&a, o.dry_run ? 0 : ungrant(a.res, a.fd, "revoke"));
	if (!rc)
		printf("%s: %saccess revoked\n", name, o.dry_run ? "would have " : "");
	return rc;
}

static int cmd_attach(const char *name)
{
	struct link_state ls;
	struct admin a;
	bool granted;
	int rc;

	if ((rc = admin_open(name, &a)))
		return rc;
	granted = is_granted(&a.st, &a.sb);
	if (!(a.sb.flags & MD_SBF_DETACHED)) {
		printf("%s: already attached\n", name);
		return admin_done(&a, 0);
	}
	if (granted && (a.st.flags & MD_SF_OPEN))
		return admin_done(&a, refuse_busy(a.res, "attach while access is granted"));
	if (o.dry_run) {
		printf("would attach %s to %s%s\n", name, a.res->nodes[!a.me].name,
		       granted ? " (ending the grant)" : "");
		return admin_done(&a, 0);
	}
	if ((rc = admin_done(&a, granted ? ungrant(a.res, a.fd, "attach") : 0)))
		return rc;
	if ((rc = change_flags(a.res, a.me, 0, MD_SBF_DETACHED, 0)))
		return rc;
	if (poke_daemon(a.res))
		return err(MDCTL_EXIT_RUNTIME, "%s: attached in the metadata, but mirrord is not "
			   "running (mdctl down/up %s)", name, name);
	if (!wait_link(a.res, " connected ", 15000, &ls)) {
		printf("%s: attached; waiting for %s (link %s%s%s)\n", name, a.res->nodes[!a.me].name,
		       ls.conn, ls.last_error[0] ? ": " : "", ls.last_error);
		return 0;
	}
	printf("%s: attached to %s (%s)\n", name, a.res->nodes[!a.me].name, ls.sync);
	return 0;
}

static int cmd_rebuild(const char *name)
{
	struct md_ioc_status st;
	struct md_res_cfg *res;
	struct md_super sb;
	int me, fd, rc, from;
	bool up, keep_local;
	char when[64] = "the last sync";

	if ((rc = load_res(name, &res, &me)))
		return rc;
	if (!o.from)
		return err(MDCTL_EXIT_USAGE, "usage: mdctl rebuild %s --from NODE [--full] [--yes]: "
			   "name the node whose data is kept", name);
	from = md_res_node_index(res, o.from);
	if (from < 0)
		return err(MDCTL_EXIT_CONFIG, "%s: no node '%s' in the resource (nodes: %s, %s)",
			   name, o.from, res->nodes[0].name, res->nodes[1].name);
	keep_local = from == me;
	if ((rc = read_sb_quiet(res, me, &sb)))
		return err(MDCTL_EXIT_REFUSED, "%s: no usable metadata on this node (%s); run "
			   "'mdctl create %s' first", name, strerror(-rc), name);
	fd = kctl_open();
	up = fd >= 0 && kctl_status(fd, (uint32_t)res->minor, &st) == 0;
	if (up && !keep_local && st.role == MD_ROLE_PRIMARY) {
		bool granted = is_granted(&st, &sb);

		close(fd);
		if (!granted)
			return err(MDCTL_EXIT_REFUSED, "%s: this node is primary; deactivate it before "
				   "its data is overwritten from %s", name, o.from);
		return err(MDCTL_EXIT_REFUSED, "%s: access is granted on this node; revoke it first",
			   name);
	}
	if (sb.time_last_sync) {
		time_t t = (time_t)sb.time_last_sync;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(when, sizeof(when), "the last sync (%Y-%m-%d %H:%M:%S UTC)", &tm);
	}
	if (keep_local)
		printf("%s: keeping the data of %s (this node). %s loses %s when it next "
		       "connects and is overwritten from here.\n", name, o.from, res->nodes[!me].name,
		       o.full ? "all its data" : "every change it made since its copies parted");
	else
		printf("%s: keeping the data of %s. This node (%s) loses %s and is "
		       "overwritten from %s when they connect.\n", name, o.from, res->nodes[me].name,
		       o.full ? "all its data" : "every change it made since", o.from);
	if (!o.full)
		printf("  differential: the chunks either side marked since %s are copied "
		       "(full if they share no history)\n", when);
	if (o.dry_run || !o.yes) {
		if (fd >= 0)
			close(fd);
		if (o.dry_run)
			return 0;
		return err(MDCTL_EXIT_REFUSED, "%s: not done; add --yes to confirm", name);
	}
	if (keep_local)
		rc = change_flags(res, me, MD_SBF_SURVIVOR | (o.full ? MD_SBF_FULL : 0),
				  MD_SBF_DISCARD | MD_SBF_DETACHED | (o.full ? 0 : MD_SBF_FULL),
				  MD_DISK_UPTODATE);
	else
		rc = change_flags(res, me, MD_SBF_DISCARD | (o.full ? MD_SBF_FULL : 0),
				  MD_SBF_SURVIVOR | MD_SBF_DETACHED | (o.full ? 0 : MD_SBF_FULL),
				  MD_DISK_OUTDATED);
	if (fd >= 0)
		close(fd);
	if (rc)
		return rc;
	if (up)
		poke_daemon(res);
	printf("%s: rebuild from %s %s\n", name, o.from,
	       up ? "starts when the nodes connect" : "starts when the resource is up on both nodes");
	return 0;
}

/* RUN_DIR/NAME.ctl: runtime settings mirrord reads on SIGHUP. */
static int ctl_set(const struct md_res_cfg *res, const char *key, unsigned long long val)
{
	char path[MD_PATH_LEN], tmp[MD_PATH_LEN + 8], line[128], out[1024] = "";
	size_t n = 0, klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), RUN_DIR "/%s.ctl", res->name);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) || line[klen] != '=')
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", line);
	if (f)
		fclose(f);
	snprintf(out + n, sizeof(out) - n, "%s=%llu\n", key, val);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(out, f) < 0 || fclose(f) || rename(tmp, path))
		return err(MDCTL_EXIT_RUNTIME, "%s: cannot write %s: %s", res->name, path, strerror(errno));
	return 0;
}

static int pause_resume(const char *name, int paused)
{
	struct md_ioc_status st;
	struct md_res_cfg *res;
	struct link_state ls;
	int me, fd, rc;

	if ((rc = load_res(name, &res, &me)))
		return rc;
	if ((fd = need_up(res, &st)) < 0)
		return -fd;
	close(fd);
	read_link_state(res, &ls);
	if (!ls.pid)
		return err(MDCTL_EXIT_NOTUP, "%s: mirrord is not running", name);
	if (!strcmp(ls.sync_role, "target"))
		return err(MDCTL_EXIT_REFUSED, "%s: this node receives the resync; %s it on %s, "
			   "which sends it", name, paused ? "pause" : "resume", res->nodes[!me].name);
	if ((rc = ctl_set(res, "paused", (unsigned long long)paused)))
		return rc;
	poke_daemon(res);
	printf("%s: resync %s%s\n", name, paused ? "paused" : "resumed",
	       strcmp(ls.sync_role, "source") ? " (no resync running now; the setting applies to "
	       "the next one)" : "");
	return 0;
}

static int cmd_pause(const char *name)
{
	return pause_resume(name, 1);
}

static int cmd_resume(const char *name)
{
	return pause_resume(name, 0);
}

static int cmd_verify(const char *name)
{
	struct md_ioc_status st;
	struct md_res_cfg *res;
	struct link_state ls;
	unsigned long long token;
	int me, fd, rc;

	if ((rc = load_res(name, &res, &me)))
		return rc;
	if ((fd = need_up(res, &st)) < 0)
		return -fd;
	close(fd);
	read_link_state(res, &ls);
	if (!ls.pid)
		return err(MDCTL_EXIT_NOTUP, "%s: mirrord is not running", name);
	if (strcmp(ls.conn, "connected"))
		return err(MDCTL_EXIT_REFUSED, "%s: not connected to %s (%s): verify compares the "
			   "two copies", name, res->nodes[!me].name, ls.conn);
	if (strcmp(ls.sync_role, "none"))
		return err(MDCTL_EXIT_REFUSED, "%s: a resync is running; verify when it is done", name);
	if (!strcmp(ls.verify, "running"))
		return err(MDCTL_EXIT_REFUSED, "%s: a verify is already running", name);
	if (o.dry_run) {
		printf("would compare every chunk of %s with %s\n", name, res->nodes[!me].name);
		return 0;
	}
	token = (unsigned long long)time(NULL) * 1000 + (unsigned long long)(getpid() % 1000);
	if ((rc = ctl_set(res, "verify", token)))
		return rc;
	if (poke_daemon(res))
		return err(MDCTL_EXIT_NOTUP, "%s: mirrord is not running", name);
	for (;;) {
		usleep(200000);
		if (read_link_state(res, &ls) || !ls.pid)
			return err(MDCTL_EXIT_RUNTIME, "%s: mirrord stopped during the verify", name);
		if (ls.verify_token == token && strcmp(ls.verify, "running"))
			break;
	}
	if (strcmp(ls.verify, "done"))
		return err(MDCTL_EXIT_RUNTIME, "%s: verify %s after %llu of %llu chunks%s", name,
			   ls.verify, ls.verify_done, ls.verify_total,
			   !strcmp(ls.verify, "unsupported") ? " (the peer's mirrord is too old)" :
			   " (the connection was lost)");
	printf("%s: verified %llu chunks against %s: %llu differ%s\n", name, ls.verify_done,
	       res->nodes[!me].name, ls.verify_differ,
	       ls.verify_errors ? ", some could not be read (see the log)" : "");
	if (ls.verify_differ) {
		printf("  first differing byte offsets: %s%s\n", ls.verify_first,
		       ls.verify_differ > 8 ? ", ... (all in " LOG_DIR "/NAME.log)" : "");
		printf("  they are marked out of sync here and copied from the primary at the next "
		       "resync\n  (for example 'mdctl detach %s; mdctl attach %s' on the secondary)\n",
		       name, name);
		return MDCTL_EXIT_DIFFER;
	}
	return ls.verify_errors ? MDCTL_EXIT_RUNTIME : 0;
}

static const char *set_kv;	/* mdctl set RESOURCE KEY=VALUE */

static int cmd_set(const char *name)
{
	struct md_ioc_status st;
	struct md_res_cfg *res;
	const char *eq = set_kv ? strchr(set_kv, '=') : NULL;
	char key[32];
	int me, fd, rc;

	if (!eq || eq == set_kv || (size_t)(eq - set_kv) >= sizeof(key))
		return err(MDCTL_EXIT_USAGE, "usage: mdctl set RESOURCE KEY=VALUE "
			   "(keys: resync-rate, mode, compression)");
	snprintf(key, sizeof(key), "%.*s", (int)(eq - set_kv), set_kv);
	eq++;
	if ((rc = load_res(name, &res, &me)))
		return rc;
	if (!strcmp(key, "resync-rate")) {
		uint64_t v;

		if (md_parse_size(eq, &v))
			return err(MDCTL_EXIT_USAGE, "resync-rate: '%s' is not a size (e.g. 40M, 0 for "
				   "no limit)", eq);
		if ((fd = need_up(res, &st)) < 0)
			return -fd;
		close(fd);
		if ((rc = ctl_set(res, "resync_rate", (unsigned long long)v)))
			return rc;
		if (poke_daemon(res))
			return err(MDCTL_EXIT_NOTUP, "%s: mirrord is not running", name);
		printf("%s: resync-rate %llu bytes/s%s (until the next 'mdctl up')\n", name,
		       (unsigned long long)v, v ? "" : " (no limit)");
		return 0;
	}
	if (!strcmp(key, "mode") || !strcmp(key, "compression")) {
		const char *only = !strcmp(key, "mode") ? "sync" : "none";

		if (!strcmp(eq, only)) {
			printf("%s: %s is %s\n", name, key, only);
			return 0;
		}
		return err(MDCTL_EXIT_REFUSED, "%s: %s=%s is not available in this version "
			   "(only %s)", name, key, eq, only);
	}
	return err(MDCTL_EXIT_USAGE, "unknown setting '%s' (keys: resync-rate, mode, compression)", key);
}

static int cmd_destroy_minor(const char *arg)
{
	char *end;
	long minor = strtol(arg, &end, 10);
	int fd, rc;

	if (*end || minor < 0 || minor >= MD_MAX_MINORS)
		return err(MDCTL_EXIT_USAGE, "bad minor '%s'", arg);
	if ((fd = open_ctl()) < 0)
		return -fd;
	rc = kctl_destroy(fd, (uint32_t)minor);
	close(fd);
	if (rc == -EBUSY)
		return err(MDCTL_EXIT_REFUSED, "minor %ld is open or served by a daemon", minor);
	if (rc)
		return err(rc == -ENODEV ? MDCTL_EXIT_NOTUP : MDCTL_EXIT_RUNTIME,
			   "minor %ld: %s", minor, strerror(-rc));
	return 0;
}

static int cmd_help(const char *arg);

struct cmd {
	const char *name;
	int (*fn)(const char *arg);
	int arg;		/* 0 none, 1 required, 2 optional, 3 RESOURCE and one more */
	const char *args;
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "create", cmd_create, 1, "RESOURCE", "write fresh metadata on this node's disk" },
	{ "up", cmd_up, 1, "RESOURCE", "create the mirror device (secondary) and start mirrord" },
	{ "down", cmd_down, 1, "RESOURCE", "stop mirrord and remove the mirror device" },
	{ "activate", cmd_activate, 1, "RESOURCE", "make this node the writable primary" },
	{ "deactivate", cmd_deactivate, 1, "RESOURCE", "give up the primary role (device must be closed)" },
	{ "primary", cmd_activate, 1, "RESOURCE", "same as activate" },
	{ "secondary", cmd_deactivate, 1, "RESOURCE", "same as deactivate" },
	{ "status", cmd_status, 2, "[RESOURCE]", "show state; --json for scripts" },
	{ "detach", cmd_detach, 1, "RESOURCE", "take this node out of the mirror (the other goes on alone)" },
	{ "attach", cmd_attach, 1, "RESOURCE", "bring a detached node back; resync from the primary" },
	{ "grant", cmd_grant, 1, "RESOURCE", "detached standby: local access, read-only (--rw: read-write)" },
	{ "revoke", cmd_revoke, 1, "RESOURCE", "end a grant" },
	{ "rebuild", cmd_rebuild, 1, "RESOURCE", "--from NODE [--full] --yes: keep NODE's data, overwrite the other" },
	{ "verify", cmd_verify, 1, "RESOURCE", "compare every chunk with the peer (xxh3); mark what differs" },
	{ "pause", cmd_pause, 1, "RESOURCE", "pause the resync this node sends" },
	{ "resume", cmd_resume, 1, "RESOURCE", "resume it" },
	{ "set", cmd_set, 3, "RESOURCE KEY=VALUE", "runtime setting: resync-rate=SIZE, mode=sync, compression=none" },
	{ "destroy-minor", cmd_destroy_minor, 1, "MINOR", "remove a mirror device by minor (recovery)" },
	{ "help", cmd_help, 0, "", "this list" },
};

static int cmd_help(const char *arg)
{
	(void)arg;
	printf("usage: mdctl [OPTIONS] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %-14s %-19s %s\n", cmds[i].name, cmds[i].args, cmds[i].summary);
	printf("\noptions:\n"
	       "  -c, --config FILE   configuration (default " MD_CONFIG_DEFAULT ")\n"
	       "  -n, --node NAME     this node's name (default $MD_NODE or the host name)\n"
	       "  -j, --json          machine-readable output (status)\n"
	       "  -f, --force         override a refusal (see mdctl(8))\n"
	       "      --dry-run       print what would be done\n"
	       "      --assume-clean  create: both disks hold the same data (e.g. blank): no initial sync\n"
	       "      --from NODE     rebuild: the node whose data is kept\n"
	       "      --full          rebuild: copy everything, not only the marked chunks\n"
	       "      --yes           rebuild: confirm\n"
	       "      --rw            grant: read-write instead of read-only\n"
	       "\nexit codes: 0 ok, 1 runtime error, 2 usage, 3 configuration, 4 refused, 5 not up,\n"
	       "            6 verify found differences\n");
	return 0;
}

static const struct option lopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "node", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "force", no_argument, NULL, 'f' },
	{ "dry-run", no_argument, NULL, 'D' },
	{ "assume-clean", no_argument, NULL, 'C' },
	{ "mirrord", required_argument, NULL, 'M' },
	{ "daemon-args", required_argument, NULL, 'A' },
	{ "from", required_argument, NULL, 'F' },
	{ "full", no_argument, NULL, 'U' },
	{ "yes", no_argument, NULL, 'y' },
	{ "rw", no_argument, NULL, 'w' },
	{ "read-write", no_argument, NULL, 'w' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

/* Options may stand before or after the command. Returns -1 to go on. */
static int parse_opts(int argc, char **argv, bool after_cmd)
{
	int opt;

	/* Before the command, stop at it; after it, options may follow the
	 * resource too (getopt moves the operands to the end). */
	while ((opt = getopt_long(argc, argv, after_cmd ? "c:n:jfh" : "+c:n:jfh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'c': o.config = optarg; break;
		case 'n': snprintf(o.node, sizeof(o.node), "%s", optarg); break;
		case 'j': o.json = 1; break;
		case 'f': o.force = 1; break;
		case 'D': o.dry_run = 1; break;
		case 'C': o.assume_clean = 1; break;
		case 'M': o.mirrord = optarg; break;
		case 'A': o.daemon_args = optarg; break;
		case 'F': o.from = optarg; break;
		case 'U': o.full = 1; break;
		case 'y': o.yes = 1; break;
		case 'w': o.rw = 1; break;
		case 'h': return cmd_help(NULL);
		default: return MDCTL_EXIT_USAGE;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	const struct cmd *c = NULL;
	int rc;

	o.config = getenv("MD_CONFIG") ? getenv("MD_CONFIG") : MD_CONFIG_DEFAULT;
	o.mirrord = getenv("MD_MIRRORD") ? getenv("MD_MIRRORD") : "mirrord";
	o.daemon_args = getenv("MD_DAEMON_ARGS");
	if ((rc = parse_opts(argc, argv, false)) >= 0)
		return rc;
	if (optind >= argc) {
		cmd_help(NULL);
		return MDCTL_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[optind], cmds[i].name))
			c = &cmds[i];
	if (!c)
		return err(MDCTL_EXIT_USAGE, "unknown command '%s' (try 'mdctl help')", argv[optind]);
	/* The rest (after the command) is parsed afresh, with permutation:
	 * getopt fixes its ordering mode when it starts. */
	argv[optind] = argv[0];
	argv += optind;
	argc -= optind;
	optind = 0;
	if ((rc = parse_opts(argc, argv, true)) >= 0)
		return rc;
	if (!o.node[0])
		md_local_node_name(o.node, sizeof(o.node));
	if ((c->arg == 1 && argc - optind != 1) || (c->arg == 0 && argc - optind != 0) ||
	    (c->arg == 2 && argc - optind > 1) || (c->arg == 3 && argc - optind != 2))
		return err(MDCTL_EXIT_USAGE, "usage: mdctl %s %s", c->name, c->args);
	if (c->arg == 3)
		set_kv = argv[optind + 1];
	return c->fn(optind < argc ? argv[optind] : NULL);
}
