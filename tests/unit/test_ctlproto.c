/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_ctlproto.c - the control socket's lines (lib/ctlproto.c): request
 * parsing, including malformed and hostile requests; answers; the event
 * stream's "exists" line, the differences between two snapshots in their
 * order, the progress pacing, and the JSON form.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ctlproto.h"

static int parse(const char *s, struct md_ctl_req *q, char *why)
{
	return md_ctl_parse(s, strlen(s), q, why, 160);
}

static void parse_good(void **state)
{
	struct md_ctl_req q;
	char why[160];

	(void)state;
	assert_int_equal(parse("pause", &q, why), 0);
	assert_int_equal(q.argc, 1);
	assert_string_equal(q.argv[0], "pause");
	assert_int_equal(parse("set resync-rate 1048576", &q, why), 0);
	assert_int_equal(q.argc, 3);
	assert_string_equal(q.argv[1], "resync-rate");
	assert_string_equal(q.argv[2], "1048576");
	assert_int_equal(parse("a b c d", &q, why), 0);
	assert_int_equal(q.argc, 4);
}

static void parse_malformed(void **state)
{
	struct md_ctl_req q;
	char why[160], big[400], word[80];

	(void)state;
	assert_int_equal(md_ctl_parse("", 0, &q, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "empty request");
	assert_int_equal(parse(" pause", &q, why), -EINVAL);
	assert_int_equal(parse("pause ", &q, why), -EINVAL);
	assert_int_equal(parse("set  resync-rate 1", &q, why), -EINVAL);
	assert_non_null(strstr(why, "stray space"));
	assert_int_equal(parse("pause\r", &q, why), -EINVAL);
	assert_non_null(strstr(why, "0x0d"));
	assert_int_equal(parse("pa\tuse", &q, why), -EINVAL);
	assert_int_equal(parse("p\xc3\xa4use", &q, why), -EINVAL);
	assert_int_equal(parse("a b c d e", &q, why), -EINVAL);
	assert_non_null(strstr(why, "more than 4 words"));
	/* A NUL inside the line: the length counts, not the C string. */
	assert_int_equal(md_ctl_parse("pause\0x", 7, &q, why, sizeof(why)), -EINVAL);
	memset(word, 'w', 64);
	word[64] = '\0';
	assert_int_equal(parse(word, &q, why), -EINVAL);
	assert_non_null(strstr(why, "longer than 63"));
	word[63] = '\0';
	assert_int_equal(parse(word, &q, why), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(md_ctl_parse(big, MD_CTL_LINE_MAX + 1, &q, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "longer than 256"));
	/* A why buffer of one byte is still a string. */
	assert_int_equal(md_ctl_parse("", 0, &q, why, 1), -EINVAL);
	assert_string_equal(why, "");
}

/* Random bytes: never a crash, an accepted request is always words. */
static void parse_random(void **state)
{
	struct md_ctl_req q;
	char buf[300], why[160];

	(void)state;
	srand(21);
	for (int n = 0; n < 20000; n++) {
		size_t len = (size_t)rand() % sizeof(buf);

		for (size_t i = 0; i < len; i++)
			buf[i] = (char)(n & 1 ? 0x20 + rand() % 0x60 : rand());
		if (md_ctl_parse(buf, len, &q, why, sizeof(why)))
			continue;
		assert_true(q.argc >= 1 && q.argc <= MD_CTL_ARGS);
		for (int a = 0; a < q.argc; a++) {
			assert_true(strlen(q.argv[a]) >= 1 && strlen(q.argv[a]) <= MD_CTL_WORD_MAX);
			assert_null(strchr(q.argv[a], ' '));
		}
	}
}

static void answers(void **state)
{
	char buf[MD_CTL_ANSWER_MAX], longmsg[1000];
	const char *msg;
	int st;

	(void)state;
	assert_int_equal(md_ctl_answer(buf, sizeof(buf), 4, "no\nway"), strlen("4 no way\n"));
	assert_string_equal(buf, "4 no way\n");
	buf[strlen(buf) - 1] = '\0';
	assert_int_equal(md_ctl_answer_parse(buf, &st, &msg), 0);
	assert_int_equal(st, 4);
	assert_string_equal(msg, "no way");
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	assert_int_equal(md_ctl_answer(buf, sizeof(buf), 0, longmsg), sizeof(buf) - 1);
	assert_int_equal(buf[sizeof(buf) - 2], '\n');
	assert_int_equal(md_ctl_answer(buf, sizeof(buf), -3, ""), 3);
	assert_string_equal(buf, "1 \n");
	assert_int_equal(md_ctl_answer_parse("0", &st, &msg), 0);
	assert_string_equal(msg, "");
	assert_int_equal(md_ctl_answer_parse("x ok", &st, &msg), -EBADMSG);
	assert_int_equal(md_ctl_answer_parse("256 big", &st, &msg), -EBADMSG);
	assert_int_equal(md_ctl_answer_parse("1234 big", &st, &msg), -EBADMSG);
	assert_int_equal(md_ctl_answer_parse("0x", &st, &msg), -EBADMSG);
	assert_int_equal(md_ctl_answer_parse("", &st, &msg), -EBADMSG);
}

static const struct md_ev_snap base = {
	.role = "secondary", .conn = "connected", .disk = "up-to-date",
	.peer_disk = "up-to-date", .resync = "none", .verify = "none",
};

static void exists_line(void **state)
{
	struct md_ev_snap s = base;
	char buf[MD_EV_LINE_MAX];

	(void)state;
	md_ev_exists(buf, sizeof(buf), "r0", &s);
	assert_string_equal(buf, "exists resource name=r0 role=secondary conn=connected "
			    "disk=up-to-date peer-disk=up-to-date resync=none verify=none");
	snprintf(s.resync, sizeof(s.resync), "target");
	s.rs_done = 5;
	s.rs_total = 10;
	md_ev_exists(buf, sizeof(buf), "r0", &s);
	assert_non_null(strstr(buf, " resync=target done=5 total=10 percent=50 verify=none"));
	/* Cut, never overrun. */
	assert_int_equal(md_ev_exists(buf, 10, "r0", &s), 9);
	assert_string_equal(buf, "exists re");
}

struct lines {
	int n;
	char l[16][MD_EV_LINE_MAX];
};

static void sink(void *ctx, const char *line)
{
	struct lines *ls = ctx;

	assert_true(ls->n < 16);
	snprintf(ls->l[ls->n++], MD_EV_LINE_MAX, "%s", line);
}

static int diff(const struct md_ev_snap *a, const struct md_ev_snap *b, struct md_ev_pace *p,
		uint64_t now, struct lines *ls)
{
	ls->n = 0;
	return md_ev_diff("r0", a, b, p, now, sink, ls);
}

static void diff_sequence(void **state)
{
	struct md_ev_pace pace = { -1, 0, 0 };
	struct md_ev_snap a = base, b = base;
	struct lines ls;

	(void)state;
	assert_int_equal(diff(&a, &b, &pace, 0, &ls), 0);
	/* The partition: one change line with every changed key. */
	snprintf(b.conn, sizeof(b.conn), "connecting");
	snprintf(b.peer_disk, sizeof(b.peer_disk), "unknown");
	assert_int_equal(diff(&a, &b, &pace, 0, &ls), 1);
	assert_string_equal(ls.l[0], "change resource name=r0 conn=connecting peer-disk=unknown");
	/* Back, as the resync's source. */
	a = b;
	snprintf(b.conn, sizeof(b.conn), "connected");
	snprintf(b.peer_disk, sizeof(b.peer_disk), "inconsistent");
	snprintf(b.resync, sizeof(b.resync), "source");
	b.rs_total = 200;
	assert_int_equal(diff(&a, &b, &pace, 1000, &ls), 2);
	assert_string_equal(ls.l[0], "change resource name=r0 conn=connected peer-disk=inconsistent");
	assert_string_equal(ls.l[1], "resync-start resource name=r0 role=source total=200");
	/* Progress: a line per percent, none in between before 5 s. */
	a = b;
	b.rs_done = 1;
	assert_int_equal(diff(&a, &b, &pace, 1200, &ls), 0);
	a = b;
	b.rs_done = 2;
	assert_int_equal(diff(&a, &b, &pace, 1400, &ls), 1);
	assert_string_equal(ls.l[0], "resync-progress resource name=r0 done=2 total=200 percent=1");
	a = b;
	b.rs_done = 3;
	assert_int_equal(diff(&a, &b, &pace, 6399, &ls), 0);
	assert_int_equal(diff(&a, &b, &pace, 6400, &ls), 1);	/* 5 s since the last */
	/* ... but not when nothing moved (a paused resync). */
	a = b;
	assert_int_equal(diff(&a, &b, &pace, 20000, &ls), 0);
	/* The end. */
	a = b;
	b.rs_done = 200;
	snprintf(b.resync, sizeof(b.resync), "none");
	snprintf(b.peer_disk, sizeof(b.peer_disk), "up-to-date");
	assert_int_equal(diff(&a, &b, &pace, 21000, &ls), 2);
	assert_string_equal(ls.l[0], "change resource name=r0 peer-disk=up-to-date");
	assert_string_equal(ls.l[1], "resync-end resource name=r0 role=source result=done done=200 total=200");
	assert_int_equal(pace.last_pct, -1);
	/* With compression, progress and end carry the bytes sent before and
	 * after it (issue 23): half the resync, then all of it. */
	a = base;
	snprintf(a.resync, sizeof(a.resync), "source");
	a.rs_total = 100;
	for (int half = 1; half <= 2; half++) {
		b = a;
		if (half == 2)
			snprintf(b.resync, sizeof(b.resync), "none");
		b.rs_done = 50u * half;
		b.z_sent = 3276800u * half;
		b.z_wire = 819200u * half;
		assert_int_equal(diff(&a, &b, &pace, 30000u + 1000u * half, &ls), 1);
		assert_string_equal(ls.l[0], half == 1 ?
			"resync-progress resource name=r0 done=50 total=100 percent=50 "
			"sent-bytes=3276800 sent-wire-bytes=819200" :
			"resync-end resource name=r0 role=source result=done done=100 total=100 "
			"sent-bytes=6553600 sent-wire-bytes=1638400");
		a = b;
	}
}

/* mode = async (issue 24): the mode in the change line; the peer falls
 * behind, stays behind (a line at most every 5 s, when it moved), catches
 * up. */
static void diff_mode_and_lag(void **state)
{
	struct md_ev_pace pace = { -1, 0, 0 };
	struct md_ev_snap a = base, b = base;
	struct lines ls;

	(void)state;
	snprintf(a.mode, sizeof(a.mode), "sync");
	b = a;
	snprintf(b.mode, sizeof(b.mode), "async");
	assert_int_equal(diff(&a, &b, &pace, 1000, &ls), 1);
	assert_string_equal(ls.l[0], "change resource name=r0 mode=async");
	a = b;
	b.lag_bytes = 4096;
	b.lag_writes = 1;
	b.lag_ms = 12;
	assert_int_equal(diff(&a, &b, &pace, 2000, &ls), 1);
	assert_string_equal(ls.l[0], "lag resource name=r0 state=behind bytes=4096 writes=1 ms=12");
	a = b;
	b.lag_bytes = 8192;
	b.lag_writes = 2;
	assert_int_equal(diff(&a, &b, &pace, 6999, &ls), 0);	/* under 5 s since */
	assert_int_equal(diff(&a, &b, &pace, 7000, &ls), 1);
	assert_string_equal(ls.l[0], "lag resource name=r0 state=behind-still bytes=8192 writes=2 ms=12");
	a = b;
	assert_int_equal(diff(&a, &b, &pace, 20000, &ls), 0);	/* nothing moved */
	b.lag_bytes = b.lag_writes = b.lag_ms = 0;
	assert_int_equal(diff(&a, &b, &pace, 20001, &ls), 1);	/* at once */
	assert_string_equal(ls.l[0], "lag resource name=r0 state=caught-up bytes=0 writes=0 ms=0");
}

static void diff_abort_split_verify(void **state)
{
	struct md_ev_pace pace = { -1, 0, 0 };
	struct md_ev_snap a = base, b = base;
	struct lines ls;

	(void)state;
	snprintf(a.resync, sizeof(a.resync), "target");
	a.rs_total = 10;
	snprintf(b.conn, sizeof(b.conn), "split-brain");
	assert_int_equal(diff(&a, &b, &pace, 0, &ls), 3);
	assert_string_equal(ls.l[0], "change resource name=r0 conn=split-brain");
	assert_string_equal(ls.l[1], "split-brain resource name=r0");
	assert_string_equal(ls.l[2], "resync-end resource name=r0 role=target result=aborted done=0 total=10");
	/* A resync replaced by another between two snapshots: end, then start. */
	b = a;
	snprintf(b.resync, sizeof(b.resync), "source");
	assert_int_equal(diff(&a, &b, &pace, 0, &ls), 2);
	assert_non_null(strstr(ls.l[0], "resync-end "));
	assert_non_null(strstr(ls.l[1], "resync-start "));
	/* The total growing (the target's bitmap merged) is the same resync. */
	a = b;
	b.rs_total = 20;
	assert_int_equal(diff(&a, &b, &pace, 0, &ls), 0);
	/* Verify: start, then its result. */
	a = base;
	b = base;
	snprintf(b.verify, sizeof(b.verify), "running");
	b.verify_token = 7;
	assert_int_equal(diff(&a, &b, &pace, 0, &ls), 1);
	assert_string_equal(ls.l[0], "verify-start resource name=r0");
	a = b;
	snprintf(b.verify, sizeof(b.verify), "done");
	b.verify_differ = 3;
	assert_int_equal(diff(&a, &b, &pace, 0, &ls), 1);
	assert_string_equal(ls.l[0], "verify-end resource name=r0 result=done differ=3");
	/* Role and disk. */
	a = base;
	b = base;
	snprintf(b.role, sizeof(b.role), "primary");
	snprintf(b.disk, sizeof(b.disk), "inconsistent");
	assert_int_equal(diff(&a, &b, &pace, 0, &ls), 1);
	assert_string_equal(ls.l[0], "change resource name=r0 role=primary disk=inconsistent");
}

static void times(void **state)
{
	char buf[40];

	(void)state;
	assert_int_equal(md_ev_time(buf, sizeof(buf), 1796491947123ull), 24);
	assert_string_equal(buf, "2026-12-05T17:32:27.123Z");
	assert_int_equal(md_ev_time(buf, 10, 0), 0);
}

static void json(void **state)
{
	char out[600], v[32];

	(void)state;
	assert_int_equal(md_ev_json("2026-12-05T18:12:27.123Z change resource name=r0 conn=connected "
				    "done=12", true, out, sizeof(out)), 0);
	assert_string_equal(out, "{\"time\":\"2026-12-05T18:12:27.123Z\",\"type\":\"change\","
			    "\"object\":\"resource\",\"name\":\"r0\",\"conn\":\"connected\",\"done\":12}");
	assert_int_equal(md_ev_json("exists -", false, out, sizeof(out)), 0);
	assert_string_equal(out, "{\"type\":\"exists\",\"object\":\"-\"}");
	/* Numbers only for plain decimals; quotes and backslashes escaped. */
	assert_int_equal(md_ev_json("x y a=007 b=1a c=\"q\\", false, out, sizeof(out)), 0);
	assert_string_equal(out, "{\"type\":\"x\",\"object\":\"y\",\"a\":\"007\",\"b\":\"1a\","
			    "\"c\":\"\\\"q\\\\\"}");
	assert_int_equal(md_ev_json("x", false, out, sizeof(out)), -EBADMSG);
	assert_int_equal(md_ev_json("x y noequals", false, out, sizeof(out)), -EBADMSG);
	assert_int_equal(md_ev_json("x y =v", false, out, sizeof(out)), -EBADMSG);
	assert_int_equal(md_ev_json("x  y", false, out, sizeof(out)), -EBADMSG);
	assert_int_equal(md_ev_json("x y ", false, out, sizeof(out)), -EBADMSG);
	assert_int_equal(md_ev_json("change resource name=r0", false, out, 20), -ENOSPC);
	/* md_ev_get: whole keys only. */
	assert_true(md_ev_get("change resource name=r0 peer-disk=x disk=y", "disk", v, sizeof(v)));
	assert_string_equal(v, "y");
	assert_false(md_ev_get("change resource name=r0", "conn", v, sizeof(v)));
	assert_false(md_ev_get("a b conn=connected", "conn", v, 4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_good),
		cmocka_unit_test(parse_malformed),
		cmocka_unit_test(parse_random),
		cmocka_unit_test(answers),
		cmocka_unit_test(exists_line),
		cmocka_unit_test(diff_sequence),
		cmocka_unit_test(diff_mode_and_lag),
		cmocka_unit_test(diff_abort_split_verify),
		cmocka_unit_test(times),
		cmocka_unit_test(json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
