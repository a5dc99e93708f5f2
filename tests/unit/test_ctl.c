/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_ctl.c - mirrord's control socket (mirrord/ctl.c) over a real Unix
 * socket in a temporary run directory: the file's mode, a stale file
 * replaced, SO_PEERCRED refusing another uid, requests answered by the
 * thread (malformed, unknown, too long, silent) and by the main loop
 * (pause, set), the event stream (state, marker, changes, --now), and a
 * subscriber that never reads: dropped with a last "lost" line while the
 * publisher never waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include "repl.h"

static char dir[] = "/tmp/md-ctl-XXXXXX";
static char sock_path[100];
static struct md_res_cfg res;
static struct repl r;

static const struct md_ev_snap base = {
	.role = "secondary", .conn = "connected", .disk = "up-to-date",
	.peer_disk = "up-to-date", .resync = "none", .verify = "none",
};

static int setup(void **state)
{
	(void)state;
	memset(&r, 0, sizeof(r));
	memset(&res, 0, sizeof(res));
	snprintf(res.name, sizeof(res.name), "r0");
	snprintf(res.nodes[1].name, sizeof(res.nodes[1].name), "b");
	res.resync_rate = 1000;
	r.res = &res;
	r.peer = 1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ctl_stop(&r);
	return 0;
}

static int client(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* One line within 5 s, serving the main loop's side meanwhile. */
static void get_line(int fd, char *buf, size_t len)
{
	size_t n = 0;

	for (int t = 0; t < 500 && n + 1 < len; ) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		ctl_serve(&r);
		if (poll(&p, 1, 10) <= 0) {
			t++;
			continue;
		}
		assert_int_equal(read(fd, buf + n, 1), 1);
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return;
		}
		n++;
	}
	buf[n] = '\0';
	fail_msg("no line, got '%s'", buf);
}

static void expect_eof(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	assert_int_equal(poll(&p, 1, 10000), 1);
	/* A reset when it left bytes unread (refused, too long): also the end. */
	if (read(fd, &c, 1) != 0 && errno != ECONNRESET)
		fail_msg("not the end: %s (%d)", strerror(errno), __LINE__);
}

static void ask(const char *req, size_t len, char *ans, size_t anslen)
{
	int fd = client();

	assert_int_equal(write(fd, req, len), (ssize_t)len);
	get_line(fd, ans, anslen);
	expect_eof(fd);
	close(fd);
}

static void socket_file(void **state)
{
	struct stat st;

	(void)state;
	/* A stale socket file is replaced; anything else is refused. */
	assert_int_equal(mknod(sock_path, S_IFSOCK | 0666, 0), 0);
	assert_int_equal(ctl_start(&r, getuid()), 0);
	assert_int_equal(stat(sock_path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	ctl_stop(&r);
	assert_int_equal(access(sock_path, F_OK), -1);
	assert_int_equal(mkdir(sock_path, 0700), 0);
	assert_int_equal(ctl_start(&r, getuid()), -EEXIST);
	assert_null(r.ctl.srv);
	assert_int_equal(rmdir(sock_path), 0);
}

static void peer_credentials(void **state)
{
	char ans[600];
	uid_t uid;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_true(ctl_peer_allowed(sv[0], getuid(), &uid));
	assert_int_equal(uid, getuid());
	assert_false(ctl_peer_allowed(sv[0], getuid() + 1, &uid));
	close(sv[0]);
	close(sv[1]);
	/* The server that serves another uid refuses us with status 4. */
	assert_int_equal(ctl_start(&r, getuid() + 1), 0);
	ask("pause\n", 6, ans, sizeof(ans));
	assert_int_equal(strncmp(ans, "4 refused: the control socket serves uid", 40), 0);
	assert_false(r.adm.paused);
}

static void requests(void **state)
{
	char ans[600], big[600];
	int fd;

	(void)state;
	assert_int_equal(ctl_start(&r, getuid()), 0);
	ask("pause\n", 6, ans, sizeof(ans));
	assert_string_equal(ans, "0 resync paused");
	assert_true(r.adm.paused);
	ask("resume\n", 7, ans, sizeof(ans));
	assert_string_equal(ans, "0 resync resumed");
	assert_false(r.adm.paused);
	ask("set resync-rate 4096\n", 21, ans, sizeof(ans));
	assert_string_equal(ans, "0 resync-rate 4096 bytes/s");
	assert_int_equal(res.resync_rate, 4096);
	ask("set resync-rate -1\n", 19, ans, sizeof(ans));
	assert_string_equal(ans, "2 resync-rate: '-1' is not a number of bytes per second");
	ask("set colour blue\n", 16, ans, sizeof(ans));
	assert_string_equal(ans, "2 unknown setting 'colour' (runtime settings: resync-rate, "
			    "compression, compression-level, mode, async-buffer, max-lag, on-congestion)");
	/* Mode (issue 24): not connected, the setting alone changes. */
	ask("set mode async\n", 15, ans, sizeof(ans));
	assert_string_equal(ans, "0 mode async, async-buffer 0 bytes, max-lag 0 s, on-congestion block");
	assert_int_equal(res.mode, MD_MODE_ASYNC);
	ask("set mode fast\n", 14, ans, sizeof(ans));
	assert_string_equal(ans, "2 mode: 'fast' is not sync or async");
	ask("set async-buffer 1K\n", 20, ans, sizeof(ans));
	assert_string_equal(ans, "2 async-buffer: '1K' is not a size from 1M to 16G");
	ask("set max-lag 9999\n", 17, ans, sizeof(ans));
	assert_string_equal(ans, "2 max-lag: '9999' is not 0..3600 seconds");
	ask("set max-lag 5\n", 14, ans, sizeof(ans));
	assert_string_equal(ans, "0 mode async, async-buffer 0 bytes, max-lag 5 s, on-congestion block");
	ask("set on-congestion pull-ahead\n", 29, ans, sizeof(ans));
	assert_string_equal(ans, "0 mode async, async-buffer 0 bytes, max-lag 5 s, on-congestion pull-ahead");
	assert_int_equal(res.on_congestion, MD_CONG_PULL_AHEAD);
	ask("set on-congestion drop\n", 23, ans, sizeof(ans));
	assert_string_equal(ans, "2 on-congestion: 'drop' is not block, disconnect or pull-ahead");
	assert_int_equal(res.on_congestion, MD_CONG_PULL_AHEAD);
	ask("set mode sync\n", 14, ans, sizeof(ans));
	assert_int_equal(res.mode, MD_MODE_SYNC);
	/* Compression (issue 23): the setting and its contexts change at
	 * once; not connected, nothing more to say. */
	ask("set compression zstd\n", 21, ans, sizeof(ans));
	assert_string_equal(ans, "0 compression zstd, level 0");
	assert_int_equal(res.compression, MD_COMP_ZSTD);
	assert_non_null(r.zc.enc.cctx);
	assert_non_null(r.zc.dec.dctx);
	ask("set compression-level -7\n", 25, ans, sizeof(ans));
	assert_string_equal(ans, "0 compression zstd, level -7");
	assert_int_equal(r.zc.enc.level, -7);
	ask("set compression-level 20\n", 25, ans, sizeof(ans));
	assert_string_equal(ans, "2 compression-level: '20' is not a level from -50 to 19");
	ask("set compression lz4\n", 20, ans, sizeof(ans));
	assert_string_equal(ans, "2 compression: 'lz4' is not none, zstd or auto");
	/* Connected without compression negotiated: on at the next connection. */
	r.adm.link = MD_LINK_CONNECTED;
	ask("set compression auto\n", 21, ans, sizeof(ans));
	assert_non_null(strstr(ans, "0 compression auto, level -7; this connection negotiated "
			       "none: compressing starts at the next connection"));
	r.hs.zstd = true;
	ask("set compression none\n", 21, ans, sizeof(ans));
	assert_non_null(strstr(ans, "this node stops compressing now"));
	assert_int_equal(res.compression, MD_COMP_NONE);
	r.hs.zstd = false;
	r.adm.link = MD_LINK_NO_DAEMON;
	zc_fini(&r);
	ask("verify 0\n", 9, ans, sizeof(ans));
	assert_int_equal(ans[0], '2');
	ask("verify 12\n", 10, ans, sizeof(ans));
	assert_string_equal(ans, "0 verify 12 requested");
	assert_int_equal(r.adm.vf_request, 12);
	/* Answered by the thread, without the main loop. */
	ask("fly\n", 4, ans, sizeof(ans));
	assert_string_equal(ans, "2 unknown request 'fly'");
	ask("pause now\n", 10, ans, sizeof(ans));
	assert_string_equal(ans, "2 usage: pause");
	ask("events later\n", 13, ans, sizeof(ans));
	assert_string_equal(ans, "2 usage: events [now]");
	ask("\n", 1, ans, sizeof(ans));
	assert_string_equal(ans, "2 empty request");
	ask("pa\x01se\n", 6, ans, sizeof(ans));
	assert_string_equal(ans, "2 byte 0x01 at 2 is not printable ASCII");
	memset(big, 'x', sizeof(big));
	ask(big, sizeof(big), ans, sizeof(ans));
	assert_string_equal(ans, "2 request line too long");
	/* The target of a resync: pause refused with where to run it. */
	r.rs.active = true;
	ask("pause\n", 6, ans, sizeof(ans));
	assert_string_equal(ans, "4 r0: this node receives the resync; pause it on b, which sends it");
	r.rs.active = false;
	/* A client that says nothing is closed after its 5 s. */
	fd = client();
	expect_eof(fd);
	close(fd);
}

static void events(void **state)
{
	struct md_ev_snap s = base;
	char line[600];
	int fd, now;

	(void)state;
	assert_int_equal(ctl_start(&r, getuid()), 0);
	ctl_publish(&r, &s);
	fd = client();
	assert_int_equal(write(fd, "events\n", 7), 7);
	get_line(fd, line, sizeof(line));
	assert_string_equal(line, "0 events follow");
	get_line(fd, line, sizeof(line));
	/* "2026-...Z exists resource ..." */
	assert_int_equal(line[4], '-');
	assert_int_equal(line[23], 'Z');
	assert_string_equal(line + 25, "exists resource name=r0 role=secondary conn=connected "
			    "disk=up-to-date peer-disk=up-to-date resync=none verify=none");
	get_line(fd, line, sizeof(line));
	assert_string_equal(line + 25, "exists -");
	/* --now: the same, then the end. */
	now = client();
	assert_int_equal(write(now, "events now\n", 11), 11);
	get_line(now, line, sizeof(line));
	get_line(now, line, sizeof(line));
	assert_non_null(strstr(line, " exists resource name=r0 "));
	get_line(now, line, sizeof(line));
	assert_string_equal(line + 25, "exists -");
	expect_eof(now);
	close(now);
	/* Changes, in order; the hook for what no snapshot shows. */
	snprintf(s.conn, sizeof(s.conn), "connecting");
	snprintf(s.peer_disk, sizeof(s.peer_disk), "unknown");
	ctl_publish(&r, &s);
	ev_emit(&r, "writes", "state=%s", "held");
	get_line(fd, line, sizeof(line));
	assert_string_equal(line + 25, "change resource name=r0 conn=connecting peer-disk=unknown");
	get_line(fd, line, sizeof(line));
	assert_string_equal(line + 25, "writes resource name=r0 state=held");
	close(fd);
}

static void slow_reader_dropped(void **state)
{
	struct md_ev_snap a = base, b = base;
	char line[600], last[600] = "";
	int fd, lines = 0;

	(void)state;
	snprintf(b.conn, sizeof(b.conn), "connecting");
	assert_int_equal(ctl_start(&r, getuid()), 0);
	ctl_publish(&r, &a);
	fd = client();
	assert_int_equal(write(fd, "events\n", 7), 7);
	get_line(fd, line, sizeof(line));
	assert_string_equal(line, "0 events follow");
	/* Far more than the socket and the 32 KiB queue hold, unread: the
	 * publisher goes on at once every time. */
	for (int i = 0; i < 20000; i++)
		ctl_publish(&r, i & 1 ? &a : &b);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		size_t n = 0;
		char c;

		assert_int_equal(poll(&p, 1, 10000), 1);
		while (read(fd, &c, 1) == 1 && c != '\n' && n + 1 < sizeof(line))
			line[n++] = c;
		line[n] = '\0';
		if (!n)
			break;		/* the end of the stream */
		lines++;
		snprintf(last, sizeof(last), "%s", line);
	}
	assert_true(lines > 100 && lines < 20000);
	assert_string_equal(last + 25, "lost - reason=reader-too-slow");
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(socket_file, setup, teardown),
		cmocka_unit_test_setup_teardown(peer_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(requests, setup, teardown),
		cmocka_unit_test_setup_teardown(events, setup, teardown),
		cmocka_unit_test_setup_teardown(slow_reader_dropped, setup, teardown),
	};
	char cmd[64];
	int rc;

	/* This process hosts the control thread, which writes to clients
	 * that may have gone: mirrord ignores SIGPIPE (main.c), so must we
	 * (unit run: exit 141 when a dropped client was written to). */
	signal(SIGPIPE, SIG_IGN);
	if (!mkdtemp(dir))
		return 1;
	setenv("MD_RUN_DIR", dir, 1);
	snprintf(sock_path, sizeof(sock_path), "%s/r0%s", dir, MD_RUN_SOCK);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = rc ? rc : 1;
	return rc;
}
