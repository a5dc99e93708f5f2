/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * admin.c - the administrator's flows around a standby: detach (leave the
 * mirror), grant and revoke (local access to the detached copy), attach
 * (come back and resync), and rebuild (after a split brain or both nodes
 * down: which node's data is kept).
 *
 * Each flow is a transition of this node's superblock (lib/gen.h: its
 * flags MD_SBF_* and disk state), sometimes with a role change in the
 * module; mirrord is asked to read the flags again (the control socket's
 * "reread", poke_daemon) and its state file tells how far it got.  The
 * superblock is only written through sb_change(), under mirrord's lock.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "gen.h"
#include "kctl.h"
#include "mdctl.h"

/* A granted standby: the kernel lets it be opened, its metadata says it is
 * not the primary. */
static bool is_granted(const struct md_ioc_status *st, const struct md_super *sb)
{
	return st->role == MD_ROLE_PRIMARY && !(sb->flags & MD_SBF_PRIMARY);
}

/* What the flows start from: the resource up here, its status and this
 * node's superblock. */
struct admin {
	struct md_res_cfg *res;
	int me, fd;
	struct md_ioc_status st;
	struct md_super sb;
};

/* a->res and a->me set: 0 with a->fd open, or -errno (need_up's verdict). */
static int admin_open(struct admin *a)
{
	int rc;

	if ((a->fd = need_up(a->res, &a->st)) < 0)
		return a->fd;
	rc = read_sb_quiet(a->res, a->me, &a->sb);
	if (rc) {
		close(a->fd);
		return err(rc, "%s: cannot read the metadata: %s", a->res->name, strerror(-rc));
	}
	return 0;
}

/*
 * The first step of each flow, and so part of its command boundary: 0, or
 * the exit code to end the command with.
 */
static int admin_begin(const char *name, struct admin *a)
{
	if (load_res(name, &a->res, &a->me))
		return MDCTL_EXIT_CONFIG;
	return exit_of(admin_open(a));
}

/* Close the control device; returns rc, so that it can end a command. */
static int admin_done(struct admin *a, int rc)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	return rc;
}

int cmd_detach(const char *name)
{
	struct md_state s = { .link = MD_LINK_NO_DAEMON };
	struct admin a;
	int rc;

	if ((rc = admin_begin(name, &a)))
		return rc;
	admin_done(&a, 0);
	if (a.sb.flags & MD_SBF_DETACHED) {
		printf("%s: already detached\n", name);
		return MDCTL_EXIT_OK;
	}
	if (o.dry_run) {
		printf("would detach %s from %s\n", name, a.res->nodes[!a.me].name);
		return MDCTL_EXIT_OK;
	}
	if ((rc = sb_change(a.res, a.me, md_tr_detach, NULL)))
		return exit_of(rc);
	if (poke_daemon(a.res) || !wait_link(a.res, MD_LINK_DETACHED, 10000, &s))
		return err(MDCTL_EXIT_RUNTIME, "%s: marked detached, but mirrord did not confirm "
			   "(link state %s); see " MD_LOG_DIR "/%s" MD_RUN_LOG, name,
			   md_link_name(s.link), name);
	printf("%s: detached from %s; %s\n", name, a.res->nodes[!a.me].name,
	       a.st.role == MD_ROLE_PRIMARY ? "this primary goes on alone and records what changes" :
	       "the primary records what changes; 'mdctl grant' gives local access to this copy");
	return MDCTL_EXIT_OK;
}

int cmd_grant(const char *name)
{
	struct admin a;
	int rc;

	if ((rc = admin_begin(name, &a)))
		return rc;
	if (a.st.role == MD_ROLE_PRIMARY && (a.sb.flags & MD_SBF_PRIMARY))
		return admin_done(&a, err(MDCTL_EXIT_REFUSED, "%s: this node is the primary; grant "
					  "is for a detached standby", name));
	if (!(a.sb.flags & MD_SBF_DETACHED))
		return admin_done(&a, err(MDCTL_EXIT_REFUSED, "%s: this standby is still in the "
					  "mirror; run 'mdctl detach %s' first", name, name));
	if (is_granted(&a.st, &a.sb) && !!(a.st.flags & MD_SF_READONLY) == !o.rw) {
		printf("%s: already granted (%s)\n", name, o.rw ? "read-write" : "read-only");
		return admin_done(&a, MDCTL_EXIT_OK);
	}
	if (o.dry_run) {
		printf("would grant %s access to /dev/" MD_DISK_PREFIX "%d\n",
		       o.rw ? "read-write" : "read-only", a.res->minor);
		return admin_done(&a, MDCTL_EXIT_OK);
	}
	/* Local changes will be overwritten from the primary on attach. */
	if (o.rw && (rc = sb_change(a.res, a.me, md_tr_grant_rw, NULL)))
		return admin_done(&a, exit_of(rc));
	rc = kctl_set_role(a.fd, (uint32_t)a.res->minor, MD_ROLE_PRIMARY, o.rw ? 0 : MD_ROLEF_READONLY);
	admin_done(&a, 0);
	if (rc == -EBUSY)
		return exit_of(refuse_busy(a.res, "change the grant"));
	if (rc)
		return err(MDCTL_EXIT_RUNTIME, "%s: grant failed: %s", name, strerror(-rc));
	printf("%s: %s access granted on /dev/" MD_DISK_PREFIX "%d%s\n", name,
	       o.rw ? "read-write" : "read-only", a.res->minor,
	       o.rw ? "; changes made here are overwritten from the primary on attach" : "");
	return MDCTL_EXIT_OK;
}

/* Take a grant back: 0, MDCTL_E_REFUSED (the device is open) or -errno. */
static int ungrant(const struct md_res_cfg *res, int fd, const char *what)
{
	int rc = kctl_set_role(fd, (uint32_t)res->minor, MD_ROLE_SECONDARY, 0);

	if (rc == -EBUSY)
		return refuse_busy(res, what);
	if (rc)
		return err(rc, "%s: cannot end the grant: %s", res->name, strerror(-rc));
	return 0;
}

int cmd_revoke(const char *name)
{
	struct admin a;
	int rc;

	if ((rc = admin_begin(name, &a)))
		return rc;
	if (!is_granted(&a.st, &a.sb)) {
		if (a.st.role == MD_ROLE_PRIMARY)
			return admin_done(&a, err(MDCTL_EXIT_REFUSED, "%s: this node is the primary, "
						  "not a granted standby (use deactivate)", name));
		printf("%s: no access granted\n", name);
		return admin_done(&a, MDCTL_EXIT_OK);
	}
	rc = admin_done(&a, o.dry_run ? 0 : ungrant(a.res, a.fd, "revoke"));
	if (rc)
		return exit_of(rc);
	printf("%s: %saccess revoked\n", name, o.dry_run ? "would have " : "");
	return MDCTL_EXIT_OK;
}

int cmd_attach(const char *name)
{
	struct md_state s;
	struct admin a;
	bool granted;
	int rc;

	if ((rc = admin_begin(name, &a)))
		return rc;
	granted = is_granted(&a.st, &a.sb);
	if (!(a.sb.flags & MD_SBF_DETACHED)) {
		printf("%s: already attached\n", name);
		return admin_done(&a, MDCTL_EXIT_OK);
	}
	if (granted && (a.st.flags & MD_SF_OPEN))
		return admin_done(&a, exit_of(refuse_busy(a.res, "attach while access is granted")));
	if (o.dry_run) {
		printf("would attach %s to %s%s\n", name, a.res->nodes[!a.me].name,
		       granted ? " (ending the grant)" : "");
		return admin_done(&a, MDCTL_EXIT_OK);
	}
	if ((rc = admin_done(&a, granted ? ungrant(a.res, a.fd, "attach") : 0)))
		return exit_of(rc);
	if ((rc = sb_change(a.res, a.me, md_tr_attach, NULL)))
		return exit_of(rc);
	if (poke_daemon(a.res))
		return err(MDCTL_EXIT_RUNTIME, "%s: attached in the metadata, but mirrord is not "
			   "running (mdctl down/up %s)", name, name);
	if (!wait_link(a.res, MD_LINK_CONNECTED, 15000, &s)) {
		printf("%s: attached; waiting for %s (link %s%s%s)\n", name, a.res->nodes[!a.me].name,
		       md_link_name(s.link), s.last_error[0] ? ": " : "", s.last_error);
		return MDCTL_EXIT_OK;
	}
	printf("%s: attached to %s (%s)\n", name, a.res->nodes[!a.me].name, s.sync);
	return MDCTL_EXIT_OK;
}

int cmd_rebuild(const char *name)
{
	struct md_ioc_status st;
	struct md_res_cfg *res;
	struct md_super sb;
	int me, fd, rc, from;
	bool up, keep_local;
	char when[64] = "the last sync";

	if (load_res(name, &res, &me))
		return MDCTL_EXIT_CONFIG;
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
	if (fd >= 0)
		close(fd);
	if (up && !keep_local && st.role == MD_ROLE_PRIMARY) {
		if (!is_granted(&st, &sb))
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
	if (o.dry_run)
		return MDCTL_EXIT_OK;
	if (!o.yes)
		return err(MDCTL_EXIT_REFUSED, "%s: not done; add --yes to confirm", name);
	rc = sb_change(res, me, keep_local ? md_tr_rebuild_keep : md_tr_rebuild_yield,
		       &(struct md_tr){ .full = o.full });
	if (rc)
		return exit_of(rc);
	if (up)
		poke_daemon(res);
	printf("%s: rebuild from %s %s\n", name, o.from,
	       up ? "starts when the nodes connect" : "starts when the resource is up on both nodes");
	return MDCTL_EXIT_OK;
}
