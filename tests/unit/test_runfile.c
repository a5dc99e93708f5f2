/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_runfile.c - the runtime files (lib/runfile.c, proto/md_run.h): the
 * state file mirrord writes and mdctl reads.  The golden texts below are the format: a change
 * that breaks them breaks an older mdctl or mirrord on the same node.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "runfile.h"

static char dir[] = "/tmp/mdrunXXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	(void)state;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	return rmdir(dir);
}

/* NAME in the test's directory, in a buffer the next call reuses. */
static const char *tpath(const char *name)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static void put_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void put(const char *path, const char *text)
{
	put_file(path, text, strlen(text));
}

/* The whole file, in a buffer the next call reuses. */
static char *get(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static struct md_state full_state(void)
{
	struct md_state s;

	memset(&s, 0, sizeof(s));
	s.pid = 4242;
	s.link = MD_LINK_CONNECTED;
	snprintf(s.peer, sizeof(s.peer), "beta");
	snprintf(s.peer_role, sizeof(s.peer_role), "secondary");
	snprintf(s.io, sizeof(s.io), "io_uring");
	s.since = 1700000000;
	snprintf(s.last_error, sizeof(s.last_error), "peer beta: connection reset");
	snprintf(s.verify, sizeof(s.verify), "done");
	s.verify_token = 7;
	s.verify_done = 16384;
	s.verify_total = 16384;
	s.verify_differ = 9;
	s.verify_errors = 1;
	for (unsigned i = 0; i < MD_VF_FIRST_MAX; i++)
		s.verify_first[i] = (uint64_t)(i + 1) << 16;
	s.verify_nfirst = MD_VF_FIRST_MAX;
	s.sync_same = 12;
	s.detached = 1;
	s.paused = 1;
	s.resync_rate = 100ull << 20;
	snprintf(s.sync, sizeof(s.sync), "source-bitmap");
	snprintf(s.sync_role, sizeof(s.sync_role), "source");
	s.sync_done = 3;
	s.sync_total = UINT64_MAX;
	s.sync_rate = 2048;
	snprintf(s.compression, sizeof(s.compression), "auto");
	s.compression_level = -3;
	s.compression_active = 1;
	s.zsent_bytes = 1u << 30;
	s.zsent_wire_bytes = 300u << 20;
	s.zsent_raw_bytes = 5u << 20;
	s.zrecv_bytes = 4096;
	s.zrecv_wire_bytes = 1024;
	snprintf(s.mode, sizeof(s.mode), "async");
	s.async_active = 1;
	s.lag_bytes = 3u << 20;
	s.lag_writes = 768;
	s.lag_ms = 1250;
	s.drain_ms = 2500;
	snprintf(s.on_congestion, sizeof(s.on_congestion), "pull-ahead");
	s.congestions = 3;
	s.ahead_until = 1700000020;
	s.peer_inconsistent_since = 1699999990;
	s.lag_since_ms = 1699999999123ull;
	s.lag_spill_bytes = 2097152;
	s.spill_size = 1073741824;
	s.chan_reads = 101;
	s.chan_requests = 2002;
	s.socket_sends = 303;
	s.zc_sends = 202;
	s.ack_writes = 404;
	s.batches_copied = 55;
	s.batches_spilled = 6;
	s.sent_writes = 77;
	s.send_ns = 7700000;
	s.applied_writes = 88;
	s.apply_ns = 8800000;
	snprintf(s.chan_read, sizeof(s.chan_read), "adaptive");
	s.chan_read_nowait = 1;
	s.chan_read_switches = 3;
	return s;
}

static void state_round_trip(void **state)
{
	struct md_state in = full_state(), out;

	(void)state;
	assert_int_equal(md_state_write(tpath("rt.state"), &in), 0);
	assert_int_equal(md_state_read(tpath("rt.state"), &out), 0);
	assert_int_equal(out.pid, in.pid);
	assert_int_equal(out.link, in.link);
	assert_string_equal(out.peer, in.peer);
	assert_string_equal(out.peer_role, in.peer_role);
	assert_string_equal(out.io, in.io);
	assert_int_equal(out.since, in.since);
	assert_string_equal(out.last_error, in.last_error);
	assert_string_equal(out.verify, in.verify);
	assert_int_equal(out.verify_token, in.verify_token);
	assert_int_equal(out.verify_done, in.verify_done);
	assert_int_equal(out.verify_total, in.verify_total);
	assert_int_equal(out.verify_differ, in.verify_differ);
	assert_int_equal(out.verify_errors, in.verify_errors);
	assert_int_equal(out.verify_nfirst, in.verify_nfirst);
	assert_memory_equal(out.verify_first, in.verify_first, sizeof(in.verify_first));
	assert_int_equal(out.sync_same, in.sync_same);
	assert_int_equal(out.detached, in.detached);
	assert_int_equal(out.paused, in.paused);
	assert_int_equal(out.resync_rate, in.resync_rate);
	assert_string_equal(out.sync, in.sync);
	assert_string_equal(out.sync_role, in.sync_role);
	assert_int_equal(out.sync_done, in.sync_done);
	assert_int_equal(out.sync_total, in.sync_total);
	assert_int_equal(out.sync_rate, in.sync_rate);
	assert_string_equal(out.compression, in.compression);
	assert_int_equal(out.compression_level, in.compression_level);
	assert_int_equal(out.compression_active, in.compression_active);
	assert_int_equal(out.zsent_bytes, in.zsent_bytes);
	assert_int_equal(out.zsent_wire_bytes, in.zsent_wire_bytes);
	assert_int_equal(out.zsent_raw_bytes, in.zsent_raw_bytes);
	assert_int_equal(out.zrecv_bytes, in.zrecv_bytes);
	assert_int_equal(out.zrecv_wire_bytes, in.zrecv_wire_bytes);
	assert_string_equal(out.mode, in.mode);
	assert_int_equal(out.async_active, in.async_active);
	assert_int_equal(out.lag_bytes, in.lag_bytes);
	assert_int_equal(out.lag_writes, in.lag_writes);
	assert_int_equal(out.lag_ms, in.lag_ms);
	assert_int_equal(out.drain_ms, in.drain_ms);
	assert_string_equal(out.on_congestion, in.on_congestion);
	assert_int_equal(out.congestions, in.congestions);
	assert_int_equal(out.ahead_until, in.ahead_until);
	assert_int_equal(out.peer_inconsistent_since, in.peer_inconsistent_since);
	assert_int_equal(out.lag_since_ms, in.lag_since_ms);
	assert_int_equal(out.lag_spill_bytes, in.lag_spill_bytes);
	assert_int_equal(out.spill_size, in.spill_size);
	assert_int_equal(out.chan_requests, in.chan_requests);
	assert_int_equal(out.batches_spilled, in.batches_spilled);
	/* Nothing else either: the reader zeroes, the strings are zero-padded. */
	assert_memory_equal(&out, &in, sizeof(in));
	/* The rename left no temporary file behind. */
	assert_int_equal(access(tpath("rt.state.tmp"), F_OK), -1);
}

/* The format as mirrord has written it since the first release. */
static void state_golden(void **state)
{
	struct md_state s = full_state();

	(void)state;
	s.verify_nfirst = 2;
	s.sync_total = 10;
	assert_int_equal(md_state_write(tpath("g.state"), &s), 0);
	assert_string_equal(get(tpath("g.state")),
		"pid=4242\nconn=connected\npeer=beta\npeer_role=secondary\nio=io_uring\n"
		"since=1700000000\nlast_error=peer beta: connection reset\n"
		"verify=done\nverify_token=7\nverify_done=16384\nverify_total=16384\n"
		"verify_differ=9\nverify_errors=1\nverify_first=65536,131072\n"
		"sync_same=12\ndetached=1\npaused=1\nresync_rate=104857600\n"
		"sync=source-bitmap\nsync_role=source\nsync_done=3\nsync_total=10\nsync_rate=2048\n"
		"disk_stall_ms=0\ndisk_stall_offset=0\n"
		"fence_state=\nio_held_since=0\nfence_result=\nhandler=\nhandler_result=\nhandler_time=0\n"
		"compression=auto\ncompression_level=-3\ncompression_active=1\n"
		"zsent_bytes=1073741824\nzsent_wire_bytes=314572800\nzsent_raw_bytes=5242880\n"
		"zrecv_bytes=4096\nzrecv_wire_bytes=1024\n"
		"mode=async\nasync_active=1\nlag_bytes=3145728\nlag_writes=768\nlag_ms=1250\n"
		"drain_ms=2500\non_congestion=pull-ahead\ncongestions=3\nahead_until=1700000020\n"
		"peer_inconsistent_since=1699999990\nlag_since_ms=1699999999123\n"
		"lag_spill_bytes=2097152\nspill_size=1073741824\n"
		"chan_reads=101\nchan_requests=2002\nsocket_sends=303\nzc_sends=202\nack_writes=404\n"
		"batches_copied=55\nbatches_spilled=6\n"
		"sent_writes=77\nsend_ns=7700000\napplied_writes=88\napply_ns=8800000\n"
		"chan_read=adaptive\nchan_read_nowait=1\nchan_read_switches=3\n");

	/* Not connected: empty strings and list, the caller's "unknown", "-". */
	memset(&s, 0, sizeof(s));
	s.pid = 7;
	s.link = MD_LINK_CONNECTING;
	snprintf(s.peer, sizeof(s.peer), "beta");
	snprintf(s.peer_role, sizeof(s.peer_role), "unknown");
	snprintf(s.io, sizeof(s.io), "-");
	snprintf(s.verify, sizeof(s.verify), "none");
	snprintf(s.sync, sizeof(s.sync), "none");
	snprintf(s.sync_role, sizeof(s.sync_role), "none");
	assert_int_equal(md_state_write(tpath("g.state"), &s), 0);
	assert_string_equal(get(tpath("g.state")),
		"pid=7\nconn=connecting\npeer=beta\npeer_role=unknown\nio=-\n"
		"since=0\nlast_error=\n"
		"verify=none\nverify_token=0\nverify_done=0\nverify_total=0\n"
		"verify_differ=0\nverify_errors=0\nverify_first=\n"
		"sync_same=0\ndetached=0\npaused=0\nresync_rate=0\n"
		"sync=none\nsync_role=none\nsync_done=0\nsync_total=0\nsync_rate=0\n"
		"disk_stall_ms=0\ndisk_stall_offset=0\n"
		"fence_state=\nio_held_since=0\nfence_result=\nhandler=\nhandler_result=\nhandler_time=0\n"
		"compression=\ncompression_level=0\ncompression_active=0\n"
		"zsent_bytes=0\nzsent_wire_bytes=0\nzsent_raw_bytes=0\n"
		"zrecv_bytes=0\nzrecv_wire_bytes=0\n"
		"mode=\nasync_active=0\nlag_bytes=0\nlag_writes=0\nlag_ms=0\ndrain_ms=0\n"
		"on_congestion=\ncongestions=0\nahead_until=0\npeer_inconsistent_since=0\n"
		"lag_since_ms=0\nlag_spill_bytes=0\nspill_size=0\n"
		"chan_reads=0\nchan_requests=0\nsocket_sends=0\nzc_sends=0\nack_writes=0\n"
		"batches_copied=0\nbatches_spilled=0\n"
		"sent_writes=0\nsend_ns=0\napplied_writes=0\napply_ns=0\n"
		"chan_read=\nchan_read_nowait=0\nchan_read_switches=0\n");
}

/* A '\n' in a string must not end the line and smuggle in a key. */
static void state_write_newline_in_string(void **state)
{
	struct md_state in = full_state(), out;

	(void)state;
	in.paused = 0;
	snprintf(in.last_error, sizeof(in.last_error), "bad\npaused=1");
	assert_int_equal(md_state_write(tpath("nl.state"), &in), 0);
	assert_int_equal(md_state_read(tpath("nl.state"), &out), 0);
	assert_string_equal(out.last_error, "bad paused=1");
	assert_int_equal(out.paused, 0);
}

static void state_write_errors(void **state)
{
	struct md_state s = full_state();
	char longp[PATH_MAX + 16];

	(void)state;
	s.link = MD_LINK_NO_DAEMON;
	assert_int_equal(md_state_write(tpath("e.state"), &s), -EINVAL);
	s.link = MD_LINK_COUNT;
	assert_int_equal(md_state_write(tpath("e.state"), &s), -EINVAL);
	assert_int_equal(access(tpath("e.state"), F_OK), -1);
	s.link = MD_LINK_STOPPED;
	assert_int_equal(md_state_write(tpath("nodir/e.state"), &s), -ENOENT);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(md_state_write(longp, &s), -ENAMETOOLONG);
	/* More offsets than the format lists: the first MD_VF_FIRST_MAX. */
	s.verify_nfirst = 1000;
	assert_int_equal(md_state_write(tpath("e.state"), &s), 0);
	assert_int_equal(md_state_read(tpath("e.state"), &s), 0);
	assert_int_equal(s.verify_nfirst, MD_VF_FIRST_MAX);
}

static void link_names(void **state)
{
	static const char *const names[MD_LINK_COUNT] = {
		"no-daemon", "connecting", "connected", "detached", "split-brain",
		"unrelated", "refused", "stopped", "starting", "ahead",
	};
	struct md_state in = full_state(), out;
	char text[64];

	(void)state;
	for (int l = 0; l < MD_LINK_COUNT; l++) {
		assert_string_equal(md_link_name((enum md_link)l), names[l]);
		assert_int_equal(md_link_parse(names[l]), l);
		/* Through a file: the writer refuses no-daemon, the reader takes it. */
		if (l == MD_LINK_NO_DAEMON) {
			snprintf(text, sizeof(text), "pid=1\nconn=%s\n", names[l]);
			put(tpath("l.state"), text);
		} else {
			in.link = (enum md_link)l;
			assert_int_equal(md_state_write(tpath("l.state"), &in), 0);
		}
		assert_int_equal(md_state_read(tpath("l.state"), &out), 0);
		assert_int_equal(out.link, l);
	}
	assert_string_equal(md_link_name(MD_LINK_COUNT), "unknown");
	assert_string_equal(md_link_name((enum md_link)-1), "unknown");
	assert_int_equal(md_link_parse("unknown"), -EINVAL);
	assert_int_equal(md_link_parse("Connected"), -EINVAL);
	assert_int_equal(md_link_parse("connected "), -EINVAL);
	assert_int_equal(md_link_parse(""), -EINVAL);

	/* An unknown name in a file: the rest is read, the link says nothing. */
	put(tpath("l.state"), "pid=5\nconn=sleeping\npeer=beta\n");
	assert_int_equal(md_state_read(tpath("l.state"), &out), -EBADMSG);
	assert_int_equal(out.link, MD_LINK_NO_DAEMON);
	assert_int_equal(out.pid, 5);
	assert_string_equal(out.peer, "beta");
}

static void state_missing(void **state)
{
	struct md_state s;

	(void)state;
	memset(&s, 0xa5, sizeof(s));
	assert_int_equal(md_state_read(tpath("none.state"), &s), -ENOENT);
	assert_int_equal(s.pid, 0);
	assert_int_equal(s.link, MD_LINK_NO_DAEMON);
	assert_string_equal(s.peer, "");
	assert_int_equal(s.verify_nfirst, 0);
}

/* Files mdctl's former reader took: each must read back as it did. */
static void state_lenient(void **state)
{
	struct md_state s;

	(void)state;
	/* Last line without '\n', empty lines, unknown keys, empty list. */
	put(tpath("ok.state"), "pid=9\n\nfuture_key=whatever\nverify_first=\nconn=stopped");
	assert_int_equal(md_state_read(tpath("ok.state"), &s), 0);
	assert_int_equal(s.pid, 9);
	assert_int_equal(s.link, MD_LINK_STOPPED);
	assert_int_equal(s.verify_nfirst, 0);
	/* A string longer than its field is cut to it; later lines win. */
	put(tpath("ok.state"), "peer=a\npeer=0123456789012345678901234567890123456789"
	    "012345678901234567890123456789\nio==x\n");
	assert_int_equal(md_state_read(tpath("ok.state"), &s), 0);
	assert_int_equal(strlen(s.peer), sizeof(s.peer) - 1);
	assert_memory_equal(s.peer, "0123456789", 10);
	assert_string_equal(s.io, "=x");
	/* A line of exactly MD_RUN_LINE_MAX bytes is still a line. */
	{
		static char text[MD_RUN_LINE_MAX + 32];
		size_t n = (size_t)snprintf(text, sizeof(text), "last_error=");

		memset(text + n, 'e', MD_RUN_LINE_MAX - n);
		memcpy(text + MD_RUN_LINE_MAX, "\npid=3\n", 8);
		put(tpath("ok.state"), text);
		assert_int_equal(md_state_read(tpath("ok.state"), &s), 0);
		assert_int_equal(strlen(s.last_error), sizeof(s.last_error) - 1);
		assert_int_equal(s.pid, 3);
	}
}

/*
 * Each malformed line: -EBADMSG, the line changes nothing, the well-formed
 * lines around it are applied.
 */
static void state_malformed(void **state)
{
	static const char *const bad[] = {
		"garbage without equals sign",
		"=",
		"pid=12x", "pid=", "pid= 12", "pid=+12", "pid=99999999999", "pid=--1",
		"since=1.5", "since=99999999999999999999",
		"verify_token=-1", "verify_token=0x10", "verify_token=",
		"verify_token=18446744073709551616",
		"detached=yes", "paused=1 ",
		"verify_first=1,2,3,4,5,6,7,8,9",
		"verify_first=1,,2", "verify_first=1,", "verify_first=,1", "verify_first=a",
		"verify_first=1;2", "verify_first=-1",
		"conn=CONNECTED", "conn=",
	};
	char text[512];
	struct md_state s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "pid=42\nverify_token=5\nsince=6\n"
			 "verify_first=10,20\ndetached=1\npaused=0\nconn=refused\n"
			 "%s\nsync_done=77\n", bad[i]);
		put(tpath("bad.state"), text);
		if (md_state_read(tpath("bad.state"), &s) != -EBADMSG) {
			print_error("case %zu '%s' not rejected\n", i, bad[i]);
			fail();
		}
		assert_int_equal(s.pid, 42);
		assert_int_equal(s.verify_token, 5);
		assert_int_equal(s.since, 6);
		assert_int_equal(s.verify_nfirst, 2);
		assert_int_equal(s.verify_first[1], 20);
		assert_int_equal(s.detached, 1);
		assert_int_equal(s.paused, 0);
		assert_int_equal(s.link, MD_LINK_REFUSED);
		assert_int_equal(s.sync_done, 77);
	}
}

static void state_hostile_bytes(void **state)
{
	static char text[3 * 65536];
	struct md_state s;
	size_t n;

	(void)state;
	/* An overlong line (its end is still found) between good ones. */
	n = (size_t)snprintf(text, sizeof(text), "pid=8\nlast_error=");
	memset(text + n, 'x', 5000);
	n += 5000;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "\npeer=beta\n");
	put_file(tpath("h.state"), text, n);
	assert_int_equal(md_state_read(tpath("h.state"), &s), -EBADMSG);
	assert_int_equal(s.pid, 8);
	assert_string_equal(s.last_error, "");
	assert_string_equal(s.peer, "beta");

	/* One overlong line, no '\n' at all. */
	memset(text, '=', sizeof(text));
	put_file(tpath("h.state"), text, sizeof(text));
	assert_int_equal(md_state_read(tpath("h.state"), &s), -EBADMSG);

	/* A NUL byte inside a line. */
	put_file(tpath("h.state"), "peer=be\0ta\npid=4\n", 17);
	assert_int_equal(md_state_read(tpath("h.state"), &s), -EBADMSG);
	assert_string_equal(s.peer, "");
	assert_int_equal(s.pid, 4);

	/* Random bytes, many short lines among them: no crash, no overflow. */
	srand(1);
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < sizeof(text); i++) {
			int r = rand();

			text[i] = r % 7 == 0 ? '\n' : r % 11 == 0 ? '=' : r % 13 == 0 ? ',' :
				  (char)(r >> 8);
		}
		put_file(tpath("h.state"), text, (size_t)(rand() % (int)sizeof(text)));
		md_state_read(tpath("h.state"), &s);
		assert_true(s.verify_nfirst <= MD_VF_FIRST_MAX);
		assert_true(s.link < MD_LINK_COUNT);
		assert_true(memchr(s.last_error, '\0', sizeof(s.last_error)) != NULL);
		assert_true(memchr(s.peer, '\0', sizeof(s.peer)) != NULL);
	}
}

static void run_path(void **state)
{
	char buf[64], name[300];

	(void)state;
	assert_int_equal(md_run_path(buf, sizeof(buf), "r0", MD_RUN_STATE), 0);
	assert_string_equal(buf, "/run/mirrordisk/r0.state");
	assert_int_equal(md_run_path(buf, sizeof(buf), "r0", NULL), 0);
	assert_string_equal(buf, "/run/mirrordisk/r0");
	/* "/run/mirrordisk/r0.pid" is 22 bytes: 23 fit, 22 do not. */
	assert_int_equal(md_run_path(buf, 23, "r0", MD_RUN_PID), 0);
	assert_string_equal(buf, "/run/mirrordisk/r0.pid");
	assert_int_equal(md_run_path(buf, 22, "r0", MD_RUN_PID), -ENAMETOOLONG);
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(md_run_path(buf, sizeof(buf), name, MD_RUN_LOCK), -ENAMETOOLONG);
	assert_int_equal(md_run_path(buf, sizeof(buf), "", MD_RUN_LOCK), -EINVAL);
	assert_int_equal(md_run_path(buf, sizeof(buf), "../etc/x", MD_RUN_LOCK), -EINVAL);
}

static void run_dir(void **state)
{
	struct stat st;
	int rc = md_run_dir_make();

	(void)state;
	if (rc == -EACCES || rc == -EPERM || rc == -EROFS)
		skip();		/* not root: the directory is not ours to make */
	assert_int_equal(rc, 0);
	assert_int_equal(stat(MD_RUN_DIR, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(md_run_dir_make(), 0);	/* already there: fine */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(state_round_trip),
		cmocka_unit_test(state_golden),
		cmocka_unit_test(state_write_newline_in_string),
		cmocka_unit_test(state_write_errors),
		cmocka_unit_test(link_names),
		cmocka_unit_test(state_missing),
		cmocka_unit_test(state_lenient),
		cmocka_unit_test(state_malformed),
		cmocka_unit_test(state_hostile_bytes),
		cmocka_unit_test(run_path),
		cmocka_unit_test(run_dir),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
