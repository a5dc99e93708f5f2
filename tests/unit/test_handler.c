/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_handler.c - the handler runner (mirrord/handler.c) and fencing's
 * decisions (mirrord/fence.c): exit codes, a hanging handler and its
 * children killed at the timeout, output to the log line by line, the
 * environment, fence-peer's result mapped to release or hold, and which
 * link losses fence at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "handler.h"
#include "repl.h"

static char logpath[64];
static int saved_err = -1;

/* mirrord's log (stderr) into a file the test reads back. */
static int log_capture(void **state)
{
	int fd;

	(void)state;
	snprintf(logpath, sizeof(logpath), "/tmp/mdhandlerXXXXXX");
	fd = mkstemp(logpath);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_err = dup(2);
	dup2(fd, 2);
	close(fd);
	return 0;
}

static int log_restore(void **state)
{
	(void)state;
	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);
	unlink(logpath);
	return 0;
}

static char *log_text(void)
{
	static char buf[65536];
	FILE *f = fopen(logpath, "r");

	assert_non_null(f);
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	return buf;
}

static void run_wait(struct hd_job *j, const char *name, const char *cmd, int timeout_s)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->name, sizeof(j->name), "%s", name);
	j->cmd = cmd;
	j->timeout_s = timeout_s;
	assert_int_equal(hd_start(j), 0);
	for (int i = 0; i < 1000 && !hd_done(j); i++)
		usleep(10000);
	assert_true(hd_done(j));
	hd_reap(j);
}

static void exit_codes(void **state)
{
	struct hd_job j;
	char txt[96];

	(void)state;
	for (int code = 0; code <= 7; code++) {
		char cmd[32];

		snprintf(cmd, sizeof(cmd), "exit %d", code);
		run_wait(&j, "fence-peer", cmd, 10);
		assert_int_equal(j.result, code);
	}
	assert_string_equal(hd_result_text(&j, txt, sizeof(txt)), "exit 7");
	run_wait(&j, "t", "exit 255", 10);
	assert_int_equal(j.result, 255);
	run_wait(&j, "t", "kill -TERM $$", 10);
	assert_int_equal(j.result, HD_RES_SIGNAL);
	assert_int_equal(j.signal, SIGTERM);
	assert_string_equal(hd_result_text(&j, txt, sizeof(txt)), "killed by signal 15");
	/* A handler done while a child it left behind holds its output: done
	 * when it exits, not when the child does. */
	run_wait(&j, "t", "sleep 5 & exit 3", 10);
	assert_int_equal(j.result, 3);
	assert_true(j.end_ms - j.start_ms < 2000);
}

static bool gone(pid_t pid)
{
	char path[64], st[256];
	FILE *f;
	char *p;

	if (kill(pid, 0) && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	p = fgets(st, sizeof(st), f);
	fclose(f);
	/* A zombie waiting for whoever reaps it now is dead too. */
	return !p || ((p = strrchr(st, ')')) && p[2] == 'Z');
}

/* A hanging handler and the children it started are killed at the
 * timeout: the whole process group, with SIGKILL. */
static void timeout_kills_the_group(void **state)
{
	char pidfile[] = "/tmp/mdhchildXXXXXX", cmd[160], txt[96];
	struct hd_job j;
	pid_t child = 0;
	FILE *f;
	int fd = mkstemp(pidfile);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "sleep 300 & echo $! > %s; echo waiting; sleep 300", pidfile);
	run_wait(&j, "hang", cmd, 1);
	assert_int_equal(j.result, HD_RES_TIMEOUT);
	assert_true(j.end_ms - j.start_ms >= 1000);
	assert_true(j.end_ms - j.start_ms < 3000);
	assert_string_equal(hd_result_text(&j, txt, sizeof(txt)), "killed at the 1 s timeout");
	assert_true(gone(j.pid));
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &child), 1);
	fclose(f);
	unlink(pidfile);
	for (int i = 0; i < 100 && !gone(child); i++)
		usleep(20000);
	assert_true(gone(child));
	assert_non_null(strstr(log_text(), "handler hang: waiting"));
	assert_non_null(strstr(log_text(), "handler hang did not finish within 1 s: killing its "
				"process group"));
	/* Even one that closed its output first. */
	run_wait(&j, "mute", "exec >/dev/null 2>&1; sleep 300", 1);
	assert_int_equal(j.result, HD_RES_TIMEOUT);
	assert_true(gone(j.pid));
}

static void output_to_log(void **state)
{
	struct hd_job j;

	(void)state;
	run_wait(&j, "split-brain", "echo one; echo two >&2; printf 'no newline'", 10);
	assert_int_equal(j.result, 0);
	assert_non_null(strstr(log_text(), "handler split-brain: one\n"));
	assert_non_null(strstr(log_text(), "handler split-brain: two\n"));
	assert_non_null(strstr(log_text(), "handler split-brain: no newline\n"));
}

static struct md_res_cfg res;

static struct repl *repl_new(uint32_t role, int fencing, const char *fence_cmd)
{
	static struct repl r;

	memset(&r, 0, sizeof(r));
	memset(&res, 0, sizeof(res));
	snprintf(res.name, sizeof(res.name), "r0");
	res.minor = 3;
	res.fencing = fencing;
	res.handler_timeout_s = 10;
	snprintf(res.handlers[MD_H_FENCE_PEER], MD_HANDLER_LEN, "%s", fence_cmd);
	res.nnodes = 2;
	snprintf(res.nodes[0].name, MD_NAME_LEN, "alpha");
	snprintf(res.nodes[0].address, MD_NAME_LEN, "10.0.0.1");
	snprintf(res.nodes[0].disk, MD_PATH_LEN, "/dev/vdb");
	snprintf(res.nodes[1].name, MD_NAME_LEN, "beta");
	snprintf(res.nodes[1].address, MD_NAME_LEN, "10.0.0.2");
	r.res = &res;
	r.me = 0;
	r.peer = 1;
	r.dev.role = role;
	r.fn.kfd = -1;		/* no module here: the release's ioctl fails, logged */
	return &r;
}

static void fence_wait(struct repl *r)
{
	for (int i = 0; i < 1000 && !hd_done(&r->fn.job[MD_H_FENCE_PEER]); i++)
		usleep(10000);
	assert_true(fence_poll(r));
}

static void environment(void **state)
{
	struct repl *r = repl_new(MD_ROLE_PRIMARY, MD_FENCING_RESOURCE_ONLY, "/x");
	struct hd_job j;

	(void)state;
	setenv("MD_PEER", "stale", 1);	/* the daemon's own is overridden */
	setenv("MD_TEST_KEEP", "kept", 1);
	memset(&j, 0, sizeof(j));
	fence_env(r, &j, "fence-peer");
	snprintf(j.name, sizeof(j.name), "env");
	j.cmd = "echo \"$MD_HANDLER $MD_RESOURCE $MD_NODE $MD_PEER $MD_PEER_ADDRESS $MD_MINOR "
		"$MD_DEVICE $MD_DISK $MD_FENCING $DRBD_RESOURCE $DRBD_MINOR $DRBD_PEER_ADDRESS "
		"$DRBD_PEERS $MD_TEST_KEEP\"";
	j.timeout_s = 10;
	assert_int_equal(hd_start(&j), 0);
	while (!hd_done(&j))
		usleep(10000);
	hd_reap(&j);
	assert_int_equal(j.result, 0);
	assert_non_null(strstr(log_text(), "handler env: fence-peer r0 alpha beta 10.0.0.2 3 "
				"/dev/mirror3 /dev/vdb resource-only r0 3 10.0.0.2 beta kept\n"));
	unsetenv("MD_PEER");
	unsetenv("MD_TEST_KEEP");
}

/* fence-peer's exit code -> what becomes of held writes (DRBD's codes). */
static void fence_result_mapping(void **state)
{
	(void)state;
	assert_true(fence_releases(3));		/* peer inconsistent */
	assert_true(fence_releases(4));		/* peer outdated */
	assert_true(fence_releases(7));		/* peer fenced */
	assert_false(fence_releases(5));	/* unreachable: nothing proved it down */
	assert_false(fence_releases(6));	/* primary, or refused */
	for (int c = 0; c <= 255; c++)
		if (c < 3 || c > 7)
			assert_false(fence_releases(c));
	assert_false(fence_releases(HD_RES_TIMEOUT));
	assert_false(fence_releases(HD_RES_SIGNAL));
	assert_false(fence_releases(HD_RES_SPAWN));
	assert_string_equal(fence_result_name(4), "peer outdated");
	assert_string_equal(fence_result_name(5), "peer unreachable");
	assert_string_equal(fence_result_name(6), "peer is primary or refused");
	assert_string_equal(fence_result_name(7), "peer fenced");
	assert_string_equal(fence_result_name(1), "fence-peer failed");
}

/* Which link losses fence, and which hold the writes. */
static void link_lost_decisions(void **state)
{
	struct repl *r;

	(void)state;
	r = repl_new(MD_ROLE_PRIMARY, MD_FENCING_RESOURCE_AND_STONITH, "exit 4");
	assert_int_equal(fence_conn_flags(r), MD_CONNF_HOLD);
	assert_int_equal(fence_link_lost(r), MD_CONN_HELD);
	assert_true(r->fn.held_since > 0);
	assert_string_equal(fence_state(r), "held-fencing");
	assert_non_null(strstr(log_text(), "writes held: waiting for fence-peer since "));
	fence_wait(r);
	assert_string_equal(r->fn.result, "peer outdated (exit 4)");
	assert_string_equal(r->fn.last_result, "exit 4");
	assert_int_equal(r->fn.held_since, 0);
	assert_string_equal(fence_state(r), "peer-fenced");

	/* 5: unreachable under resource-and-stonith: the writes stay held. */
	r = repl_new(MD_ROLE_PRIMARY, MD_FENCING_RESOURCE_AND_STONITH, "exit 5");
	assert_int_equal(fence_link_lost(r), MD_CONN_HELD);
	for (int i = 0; i < 1000 && !hd_done(&r->fn.job[MD_H_FENCE_PEER]); i++)
		usleep(10000);
	fence_poll(r);
	assert_string_equal(r->fn.result, "peer unreachable (exit 5)");
	assert_non_null(strstr(log_text(), "fence-peer: peer unreachable (exit 5): writes stay held"));
	fence_fini(r);

	/* resource-only: fence-peer runs, nothing is held. */
	r = repl_new(MD_ROLE_PRIMARY, MD_FENCING_RESOURCE_ONLY, "exit 7");
	assert_int_equal(fence_conn_flags(r), 0);
	assert_int_equal(fence_link_lost(r), MD_CONN_STANDALONE);
	assert_true(r->fn.job[MD_H_FENCE_PEER].started);
	assert_int_equal(r->fn.held_since, 0);
	fence_wait(r);
	assert_string_equal(r->fn.result, "peer fenced (exit 7)");

	/* No fencing for a secondary, a peer that was a resync target, a
	 * stopping daemon, or fencing = none. */
	r = repl_new(MD_ROLE_SECONDARY, MD_FENCING_RESOURCE_AND_STONITH, "exit 4");
	assert_int_equal(fence_link_lost(r), MD_CONN_STANDALONE);
	assert_false(r->fn.job[MD_H_FENCE_PEER].started);
	r = repl_new(MD_ROLE_PRIMARY, MD_FENCING_RESOURCE_AND_STONITH, "exit 4");
	r->hs.decision = MD_SYNC_SOURCE_BITMAP;
	assert_int_equal(fence_link_lost(r), MD_CONN_STANDALONE);
	r = repl_new(MD_ROLE_PRIMARY, MD_FENCING_RESOURCE_AND_STONITH, "exit 4");
	fence_stopping(r);
	assert_int_equal(fence_link_lost(r), MD_CONN_STANDALONE);
	r = repl_new(MD_ROLE_PRIMARY, MD_FENCING_NONE, "exit 4");
	assert_int_equal(fence_link_lost(r), MD_CONN_STANDALONE);
	assert_false(r->fn.job[MD_H_FENCE_PEER].started);
}

/* before-resync-target: refused while it runs, then its verdict once. */
static void before_resync_target_gate(void **state)
{
	struct repl *r = repl_new(MD_ROLE_SECONDARY, MD_FENCING_NONE, "");
	char why[160];

	(void)state;
	assert_int_equal(fence_before_resync_target(r, why, sizeof(why)), 0);	/* none set */
	snprintf(res.handlers[MD_H_BEFORE_RESYNC_TARGET], MD_HANDLER_LEN, "exit 2");
	assert_int_equal(fence_before_resync_target(r, why, sizeof(why)), -EAGAIN);
	assert_string_equal(why, "before-resync-target is running: the resync waits for it");
	while (!hd_done(&r->fn.job[MD_H_BEFORE_RESYNC_TARGET]))
		usleep(10000);
	assert_true(fence_poll(r));
	assert_int_equal(fence_before_resync_target(r, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "before-resync-target refused the resync: exit 2");
	snprintf(res.handlers[MD_H_BEFORE_RESYNC_TARGET], MD_HANDLER_LEN, "exit 0");
	assert_int_equal(fence_before_resync_target(r, why, sizeof(why)), -EAGAIN);
	assert_string_equal(why, "before-resync-target refused the resync: exit 2 (running it again)");
	while (!hd_done(&r->fn.job[MD_H_BEFORE_RESYNC_TARGET]))
		usleep(10000);
	fence_poll(r);
	assert_int_equal(fence_before_resync_target(r, why, sizeof(why)), 0);
	/* One approval per connection: the next one asks again. */
	assert_int_equal(fence_before_resync_target(r, why, sizeof(why)), -EAGAIN);
	assert_string_equal(why, "before-resync-target is running: the resync waits for it");
	fence_fini(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_codes),
		cmocka_unit_test(timeout_kills_the_group),
		cmocka_unit_test(output_to_log),
		cmocka_unit_test(environment),
		cmocka_unit_test(fence_result_mapping),
		cmocka_unit_test(link_lost_decisions),
		cmocka_unit_test(before_resync_target_gate),
	};

	return cmocka_run_group_tests(tests, log_capture, log_restore);
}
