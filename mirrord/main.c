/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mirrord - the mirror disk replication daemon.  One process per resource:
 *
 *   mirrord [-c CONFIG] [-n NODE] [--io auto|uring|aio] [-v] RESOURCE
 *
 * mdctl up starts it; it runs in the foreground and logs to stderr (mdctl
 * sends that to /var/log/mirrordisk/RESOURCE.log).  See mirrord(8).
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "config.h"
#include "log.h"
#include "repl.h"
#include "pidlock.h"
#include "runfile.h"
#include "version.h"

#ifndef PR_SET_IO_FLUSHER
#define PR_SET_IO_FLUSHER 57
#endif

/* Built with AddressSanitizer (make sanitize): gcc and clang say so. */
#if defined(__SANITIZE_ADDRESS__)
#define MD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MD_ASAN 1
#endif
#endif

static volatile int stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Who runs when (docs/design.md, "Who runs when"): under SCHED_BATCH a
 * wakeup of the daemon (a write in the channel, a packet, an ack) does not
 * preempt the task that is running, typically the application submitting
 * writes: it goes on until it waits, and the daemon then takes what came
 * in one read.  The daemon keeps an ordinary task's share of the CPU.  Set
 * before any thread or io_uring worker starts: each inherits it.  A policy
 * other than SCHED_OTHER that we were started with is someone's choice,
 * kept.  Only with --sched batch: design.md says why it is not the default.
 */
static void sched_apply(int policy)
{
	struct sched_param p = { .sched_priority = 0 };
	int now = sched_getscheduler(0);

	if (policy == SCHED_OTHER)
		return;
	if (now > SCHED_OTHER) {	/* who started us chose (systemd's CPUSchedulingPolicy=) */
		log_info("--sched batch: scheduling policy %d kept, as started", now);
		return;
	}
	if (now < 0 || sched_setscheduler(0, policy, &p))
		log_warn("cannot run under SCHED_BATCH: %s; the daemon's wakeups preempt "
			 "the application", strerror(errno));
	else
		log_info("running under SCHED_BATCH (--sched batch)");
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: mirrord [-c CONFIG] [-n NODE] [--io auto|uring|aio] [-v] RESOURCE\n"
		"  -c, --config FILE   configuration (default " MD_CONFIG_DEFAULT ")\n"
		"  -n, --node NAME     this node's name (default: $MD_NODE or the host name)\n"
		"      --io MODE       I/O backend: auto (default), uring, aio\n"
		"      --uring-on F    measuring: io_uring features on, F a comma list of\n"
		"                      chan-nowait (--chan-read nowait), defer-taskrun,\n"
		"                      send-zc (all off)\n"
		"      --chan-read M   how io_uring reads the kernel channel: adaptive\n"
		"                      (the default), blocking or nowait\n"
		"      --sched P       measuring: scheduling policy of the daemon's threads,\n"
		"                      other (the default) or batch\n"
		"      --state FILE    status file (default " MD_RUN_DIR "/RESOURCE" MD_RUN_STATE ")\n"
		"  -v, --verbose       debug logging (every packet received, state file errors)\n"
		"  -V, --version       print the version and exit\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, 'n' },
		{ "io", required_argument, NULL, 'i' },
		{ "state", required_argument, NULL, 's' },
		{ "proto-version", required_argument, NULL, 'P' },
		{ "uring-on", required_argument, NULL, 'U' },
		{ "chan-read", required_argument, NULL, 'R' },
		{ "sched", required_argument, NULL, 'S' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 }
	};
	const char *config = MD_CONFIG_DEFAULT;
	char node[MD_NAME_LEN] = "", err[512], state[MD_PATH_LEN];
	const char *state_path = NULL;
	static struct md_config cfg;
	static struct repl r;
	struct sigaction sa = { .sa_handler = on_signal };
	int c, rc, lockfd, holder;

	r.opt.io_mode = IO_AUTO;
	r.opt.chan_read = CHAN_READ_ADAPTIVE;	/* design.md, "The worker hop" */
	r.opt.sched = SCHED_OTHER;		/* design.md, "Who runs when" */
	r.opt.proto_min = MDW_PROTO_MIN;
	r.opt.proto_max = MDW_PROTO_MAX;
	while ((c = getopt_long(argc, argv, "c:n:vVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'n': snprintf(node, sizeof(node), "%s", optarg); break;
		case 's': state_path = optarg; break;
		case 'v': md_log_level = MD_LOG_DEBUG; break;
		case 'i':
			if (!strcmp(optarg, "auto")) r.opt.io_mode = IO_AUTO;
			else if (!strcmp(optarg, "uring")) r.opt.io_mode = IO_URING;
			else if (!strcmp(optarg, "aio")) r.opt.io_mode = IO_AIO;
			else { usage(stderr); return 2; }
			break;
		case 'U':	/* measuring: io_uring features on (mirrord.8) */
			for (char *t = strtok(optarg, ","); t; t = strtok(NULL, ",")) {
				if (!strcmp(t, "defer-taskrun"))
					r.opt.io_flags |= IO_DEFER;
				else if (!strcmp(t, "send-zc"))
					r.opt.send_zc = true;
				else if (!strcmp(t, "chan-nowait"))	/* --chan-read nowait */
					r.opt.chan_read = CHAN_READ_NOWAIT;
				else {
					usage(stderr);
					return 2;
				}
			}
			break;
		case 'R':	/* measuring: how the channel is read (mirrord.8) */
			if (!strcmp(optarg, "blocking")) {
				r.opt.chan_read = CHAN_READ_BLOCKING;
			} else if (!strcmp(optarg, "nowait")) {
				r.opt.chan_read = CHAN_READ_NOWAIT;
			} else if (!strcmp(optarg, "adaptive")) {
				r.opt.chan_read = CHAN_READ_ADAPTIVE;
			} else {
				usage(stderr);
				return 2;
			}
			break;
		case 'S':	/* measuring: the scheduling policy (mirrord.8) */
			if (!strcmp(optarg, "batch")) {
				r.opt.sched = SCHED_BATCH;
			} else if (!strcmp(optarg, "other")) {
				r.opt.sched = SCHED_OTHER;
			} else {
				usage(stderr);
				return 2;
			}
			break;
		case 'P':	/* test knob: offer only this protocol version */
			r.opt.proto_min = r.opt.proto_max = (uint32_t)atoi(optarg);
			break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("mirrord %s\n", MD_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	md_log_init("mirrord", argv[optind]);
	if (!node[0])
		md_local_node_name(node, sizeof(node));
	if (md_config_load(config, &cfg, err, sizeof(err))) {
		log_err("%s", err);
		return 3;
	}
	r.res = md_config_find(&cfg, argv[optind]);
	if (!r.res) {
		log_err("resource '%s' is not defined in %s", argv[optind], config);
		return 3;
	}
	r.me = md_res_node_index(r.res, node);
	if (r.me < 0) {
		log_err("this node (%s) is not part of resource %s", node, r.res->name);
		return 3;
	}
	r.peer = !r.me;
	r.opt.config_path = config;
	snprintf(r.opt.node, sizeof(r.opt.node), "%s", node);
	if (!state_path) {
		md_run_dir_make();
		if (md_run_path(state, sizeof(state), r.res->name, MD_RUN_STATE)) {
			log_err("resource name %s too long for a path", r.res->name);
			return 3;
		}
		state_path = state;
	}
	r.opt.state_path = state_path;
	/* Who holds NAME.pid is this resource's daemon (mdctl signals it
	 * through that lock, never through a pid that may have been reused). */
	lockfd = md_pidlock_take(r.res->name, &holder);
	if (lockfd < 0) {
		if (lockfd == -EBUSY)
			log_err("another mirrord (pid %d) serves resource %s", holder, r.res->name);
		else
			log_err("cannot take %s/%s%s: %s", MD_RUN_DIR, r.res->name, MD_RUN_PID,
				strerror(-lockfd));
		return 1;
	}

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Runtime requests come over the control socket (ctl.c); a SIGHUP,
	 * which older mdctl sent, must not end the daemon. */
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * We sit in the block I/O path: memory reclaim may wait on writes that
	 * only we can complete, so we must not recurse into reclaim-driven I/O
	 * ourselves, nor be paged out.
	 */
	if (prctl(PR_SET_IO_FLUSHER, 1, 0, 0, 0))
		log_warn("PR_SET_IO_FLUSHER failed: %s", strerror(errno));

	sched_apply(r.opt.sched);

	/* Served for the daemon's whole life, from before the channel is
	 * bound: 'mdctl events' right after 'mdctl up' sees it start. */
	if (ctl_start(&r, 0))
		return 1;
	rc = repl_init(&r);
	if (!rc) {
#ifdef MD_ASAN
		/* ASan's shadow memory is terabytes of address space:
		 * locking it would fail or exhaust the machine. */
		log_info("built with AddressSanitizer: mlockall skipped");
#else
		if (mlockall(MCL_CURRENT | MCL_FUTURE))
			log_warn("mlockall failed: %s", strerror(errno));
#endif
		rc = repl_run(&r, &stop);
		repl_fini(&r);
	}
	ctl_stop(&r);
	log_info("stopped");
	return rc ? 1 : 0;
}
