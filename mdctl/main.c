/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * main.c - mdctl's command line: the options, the one table of commands
 * (cmds[] below) with a one-line summary each, help and help COMMAND,
 * --version, and the dispatch to a command.  See mdctl(8).
 *
 *   mdctl [OPTIONS] COMMAND [RESOURCE] [ARGS]
 *
 * No prefix matching: a command is named in full or not at all.
 *
 * --dry-run is decided here for every command: its table entry says what
 * a dry run of it does, help COMMAND prints that, and a command whose entry
 * does not say is refused with --dry-run rather than trusted to honour it.
 * The commands themselves only choose where, between their checks and
 * their first change, they print "would ..." and stop.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "mdctl.h"
#include "version.h"

struct opts o;

/* What --dry-run does for a command. */
enum dry {
	DRY_REFUSED = 0,	/* refused: exit 2, nothing done (the default for a new command) */
	DRY_CHECKS,		/* every check the command makes, then "would ..." */
	DRY_ARGS,		/* the command line and configuration only, then "would ..." */
	DRY_READS,		/* nothing to leave out: it changes nothing */
};

static const char *const dry_text[] = {
	[DRY_REFUSED] = "refused (exit 2)",
	[DRY_CHECKS] = "makes every check, then prints what it would do",
	[DRY_ARGS] = "checks the arguments and the configuration only, then prints what it would do",
	[DRY_READS] = "changes nothing, as without it",
};

/* What follows the command on the command line. */
enum operands { OPS_ONE, OPS_OPTIONAL, OPS_TWO };

struct cmd {
	const char *name;
	int (*fn)(const char *arg);
	enum operands ops;
	enum dry dry;
	const char *args;
	const char *summary;
};

static int cmd_help(const char *arg);

static const struct cmd cmds[] = {
	{ "create", cmd_create, OPS_ONE, DRY_CHECKS, "RESOURCE", "write fresh metadata on this node's disk" },
	{ "up", cmd_up, OPS_ONE, DRY_ARGS, "RESOURCE", "create the mirror device (secondary) and start mirrord" },
	{ "down", cmd_down, OPS_ONE, DRY_CHECKS, "RESOURCE", "stop mirrord and remove the mirror device" },
	{ "activate", cmd_activate, OPS_ONE, DRY_CHECKS, "RESOURCE", "make this node the writable primary" },
	{ "deactivate", cmd_deactivate, OPS_ONE, DRY_CHECKS, "RESOURCE", "give up the primary role (device must be closed)" },
	{ "primary", cmd_activate, OPS_ONE, DRY_CHECKS, "RESOURCE", "same as activate" },
	{ "secondary", cmd_deactivate, OPS_ONE, DRY_CHECKS, "RESOURCE", "same as deactivate" },
	{ "outdate", cmd_outdate, OPS_ONE, DRY_CHECKS, "RESOURCE", "mark this node's copy behind the peer's (not on a primary, not while connected)" },
	{ "status", cmd_status, OPS_OPTIONAL, DRY_READS, "[RESOURCE]", "show state; --json for scripts" },
	{ "detach", cmd_detach, OPS_ONE, DRY_CHECKS, "RESOURCE", "take this node out of the mirror (the other goes on alone)" },
	{ "attach", cmd_attach, OPS_ONE, DRY_CHECKS, "RESOURCE", "bring a detached node back; resync from the primary" },
	{ "grant", cmd_grant, OPS_ONE, DRY_CHECKS, "RESOURCE", "detached standby: local access, read-only (--rw: read-write)" },
	{ "revoke", cmd_revoke, OPS_ONE, DRY_CHECKS, "RESOURCE", "end a grant" },
	{ "rebuild", cmd_rebuild, OPS_ONE, DRY_CHECKS, "RESOURCE", "--from NODE [--full] --yes: keep NODE's data, overwrite the other" },
	{ "verify", cmd_verify, OPS_ONE, DRY_CHECKS, "RESOURCE", "compare every chunk with the peer (xxh3); mark what differs" },
	{ "pause", cmd_pause, OPS_ONE, DRY_ARGS, "RESOURCE", "pause the resync this node sends" },
	{ "resume", cmd_resume, OPS_ONE, DRY_ARGS, "RESOURCE", "resume it" },
	{ "resume-io", cmd_resume_io, OPS_ONE, DRY_CHECKS, "RESOURCE", "release writes held for fencing (the peer is not fenced)" },
	{ "adjust", cmd_adjust, OPS_ONE, DRY_ARGS, "RESOURCE", "apply the configuration file's runtime settings to the running resource" },
	{ "set", cmd_set, OPS_TWO, DRY_ARGS, "RESOURCE KEY=VALUE", "runtime setting: resync-rate=SIZE, compression=none|zstd|auto, compression-level=N, mode=sync|async, async-buffer=SIZE, max-lag=SECONDS, on-congestion=block|disconnect|pull-ahead" },
	{ "events", cmd_events, OPS_OPTIONAL, DRY_READS, "[RESOURCE]", "state, then every change (--now: state only; --json, --timestamps)" },
	{ "wait-connect", cmd_wait_connect, OPS_ONE, DRY_READS, "RESOURCE", "wait until connected (--timeout S: exit 7 after S s)" },
	{ "wait-sync", cmd_wait_sync, OPS_ONE, DRY_READS, "RESOURCE", "wait until connected and in sync (--timeout S: exit 7)" },
	{ "destroy-minor", cmd_destroy_minor, OPS_ONE, DRY_ARGS, "MINOR", "remove a mirror device by minor (recovery)" },
	{ "help", cmd_help, OPS_OPTIONAL, DRY_READS, "[COMMAND]", "this list, or one command's usage" },
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(name, cmds[i].name))
			return &cmds[i];
	return NULL;
}

static int unknown_cmd(const char *name)
{
	return err(MDCTL_EXIT_USAGE, "unknown command '%s' (try 'mdctl help')", name);
}

static int cmd_help(const char *arg)
{
	const struct cmd *c;

	if (arg) {
		if (!(c = find_cmd(arg)))
			return unknown_cmd(arg);
		printf("usage: mdctl [OPTIONS] %s %s\n  %s\n  --dry-run: %s\n"
		       "options and exit codes: 'mdctl help'; more in mdctl(8)\n", c->name, c->args,
		       c->summary, dry_text[c->dry]);
		return MDCTL_EXIT_OK;
	}
	printf("usage: mdctl [OPTIONS] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %-14s %-19s %s\n", cmds[i].name, cmds[i].args, cmds[i].summary);
	printf("\noptions:\n"
	       "  -c, --config FILE   configuration (default " MD_CONFIG_DEFAULT ")\n"
	       "  -n, --node NAME     this node's name (default $MD_NODE or the host name)\n"
	       "  -j, --json          machine-readable output (status)\n"
	       "  -f, --force         override a refusal (see mdctl(8))\n"
	       "      --dry-run       print what would be done ('mdctl help COMMAND' says how far it checks)\n"
	       "      --assume-clean  create: both disks hold the same data (e.g. blank): no initial sync\n"
	       "      --new-secret    create: also write a new secret to the resource's secret-file\n"
	       "      --mirrord PATH  up: the daemon to start (default $MD_MIRRORD, else PREFIX/sbin/mirrord)\n"
	       "      --from NODE     rebuild: the node whose data is kept\n"
	       "      --full          rebuild: copy everything, not only the marked chunks\n"
	       "      --yes           rebuild: confirm\n"
	       "      --rw            grant: read-write instead of read-only\n"
	       "      --now           events: the current state only, then exit\n"
	       "      --timestamps    events: each line starts with its time (UTC)\n"
	       "      --timeout S     wait-connect, wait-sync: give up after S seconds (exit 7)\n"
	       "  -V, --version       print mdctl's version\n"
	       "\nexit codes: 0 ok, 1 runtime error, 2 usage, 3 configuration, 4 refused, 5 not up,\n"
	       "            6 verify found differences, 7 wait-connect/wait-sync timed out\n");
	return MDCTL_EXIT_OK;
}

static const struct option lopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "node", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "force", no_argument, NULL, 'f' },
	{ "dry-run", no_argument, NULL, 'D' },
	{ "assume-clean", no_argument, NULL, 'C' },
	{ "new-secret", no_argument, NULL, 'S' },
	{ "mirrord", required_argument, NULL, 'M' },
	{ "daemon-args", required_argument, NULL, 'A' },
	{ "from", required_argument, NULL, 'F' },
	{ "full", no_argument, NULL, 'U' },
	{ "yes", no_argument, NULL, 'y' },
	{ "rw", no_argument, NULL, 'w' },
	{ "read-write", no_argument, NULL, 'w' },
	{ "now", no_argument, NULL, 'N' },
	{ "timestamps", no_argument, NULL, 'T' },
	{ "timeout", required_argument, NULL, 'O' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 }
};

/*
 * mirrord where `make install` put it (PREFIX/sbin, fixed at build time):
 * a cluster manager or cron starts mdctl with a minimal PATH.  Installed
 * elsewhere (the test guests' /usr/sbin), it is looked up in PATH.
 */
static const char *default_mirrord(void)
{
#ifdef MD_SBINDIR
	if (!access(MD_SBINDIR "/mirrord", X_OK))
		return MD_SBINDIR "/mirrord";
#endif
	return "mirrord";
}

/* Options may stand before or after the command.  Returns -1 to go on,
 * else the exit code (help, --version, a bad option). */
static int parse_opts(int argc, char **argv, bool after_cmd)
{
	int opt;

	/* Before the command, stop at it; after it, options may follow the
	 * resource too (getopt moves the operands to the end). */
	while ((opt = getopt_long(argc, argv, after_cmd ? "c:n:jfhV" : "+c:n:jfhV", lopts, NULL)) != -1) {
		switch (opt) {
		case 'c': o.config = optarg; break;
		case 'n': snprintf(o.node, sizeof(o.node), "%s", optarg); break;
		case 'j': o.json = 1; break;
		case 'f': o.force = 1; break;
		case 'D': o.dry_run = 1; break;
		case 'C': o.assume_clean = 1; break;
		case 'S': o.new_secret = 1; break;
		case 'M': o.mirrord = optarg; break;
		case 'A': o.daemon_args = optarg; break;
		case 'F': o.from = optarg; break;
		case 'U': o.full = 1; break;
		case 'y': o.yes = 1; break;
		case 'w': o.rw = 1; break;
		case 'N': o.now = 1; break;
		case 'T': o.timestamps = 1; break;
		case 'O': {
			char *end;

			o.timeout_s = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || o.timeout_s > 100000000)
				return err(MDCTL_EXIT_USAGE, "--timeout: '%s' is not a number of seconds",
					   optarg);
			break;
		}
		case 'h': return cmd_help(NULL);
		case 'V': printf("mdctl %s\n", MD_VERSION); return MDCTL_EXIT_OK;
		default: return MDCTL_EXIT_USAGE;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int rc, nops;

	o.config = getenv("MD_CONFIG") ? getenv("MD_CONFIG") : MD_CONFIG_DEFAULT;
	o.mirrord = getenv("MD_MIRRORD") ? getenv("MD_MIRRORD") : default_mirrord();
	o.daemon_args = getenv("MD_DAEMON_ARGS");
	o.timeout_s = -1;
	if ((rc = parse_opts(argc, argv, false)) >= 0)
		return rc;
	if (optind >= argc) {
		cmd_help(NULL);
		return MDCTL_EXIT_USAGE;
	}
	if (!(c = find_cmd(argv[optind])))
		return unknown_cmd(argv[optind]);
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
	nops = argc - optind;
	if ((c->ops == OPS_ONE && nops != 1) || (c->ops == OPS_OPTIONAL && nops > 1) ||
	    (c->ops == OPS_TWO && nops != 2))
		return err(MDCTL_EXIT_USAGE, "usage: mdctl %s %s", c->name, c->args);
	if (o.dry_run && c->dry == DRY_REFUSED)
		return err(MDCTL_EXIT_USAGE, "%s has no --dry-run; nothing done", c->name);
	if (c->ops == OPS_TWO)
		o.kv = argv[optind + 1];
	return c->fn(nops ? argv[optind] : NULL);
}
