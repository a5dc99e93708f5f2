/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_pidlock.c - the daemon is whoever holds NAME.pid's lock
 * (lib/pidlock.c): a pid left in the file by a dead daemon, even one now
 * used by another process, is never reported nor signalled.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "pidlock.h"
#include "runfile.h"

static char dir[] = "/tmp/md-pidlock-XXXXXX";

/* A child that takes the lock for "r0", tells us, and waits to be killed. */
static pid_t daemon_child(void)
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		int fd = md_pidlock_take("r0", NULL);

		c = fd >= 0 ? 'y' : 'n';
		if (write(p[1], &c, 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'y');
	close(p[0]);
	close(p[1]);
	return pid;
}

static void no_file_no_daemon(void **state)
{
	(void)state;
	assert_int_equal(md_pidlock_holder("nosuch"), 0);
	assert_int_equal(md_pidlock_signal("nosuch", SIGTERM), -ESRCH);
}

static void holder_is_the_lock_owner(void **state)
{
	pid_t d = daemon_child();
	int holder = -1, st;

	(void)state;
	assert_int_equal(md_pidlock_holder("r0"), d);
	/* A second daemon for the same resource is refused and told who. */
	assert_int_equal(md_pidlock_take("r0", &holder), -EBUSY);
	assert_int_equal(holder, d);
	assert_int_equal(md_pidlock_signal("r0", SIGTERM), 0);
	assert_int_equal(waitpid(d, &st, 0), d);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	/* Dead: the lock went with it, although the file still names it. */
	assert_int_equal(md_pidlock_holder("r0"), 0);
	assert_int_equal(md_pidlock_signal("r0", SIGTERM), -ESRCH);
}

/* The file names a live process that does not hold the lock (a reused
 * pid): it must be neither reported nor signalled. */
static void stale_pid_is_not_signalled(void **state)
{
	char path[512], buf[32];
	pid_t other;
	int st;
	FILE *f;

	(void)state;
	other = fork();
	assert_true(other >= 0);
	if (!other) {
		for (;;)
			pause();
	}
	assert_int_equal(md_run_path(path, sizeof(path), "r1", MD_RUN_PID), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	snprintf(buf, sizeof(buf), "%d\n", other);
	fputs(buf, f);
	fclose(f);
	assert_int_equal(md_pidlock_holder("r1"), 0);
	assert_int_equal(md_pidlock_signal("r1", SIGKILL), -ESRCH);
	assert_int_equal(waitpid(other, &st, WNOHANG), 0);	/* still alive */
	kill(other, SIGKILL);
	waitpid(other, &st, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_file_no_daemon),
		cmocka_unit_test(holder_is_the_lock_owner),
		cmocka_unit_test(stale_pid_is_not_signalled),
	};
	int rc;

	if (!mkdtemp(dir))
		return 1;
	setenv("MD_RUN_DIR", dir, 1);
	char cmd[64];

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
