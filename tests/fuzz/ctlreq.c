/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlreq.c - fuzz target: the control socket's lines (lib/ctlproto.c).
 * The socket is root's only (SO_PEERCRED), but a root process is not
 * always a careful one (a script, a cluster agent, a half-written
 * request), and mirrord's control thread parses the bytes it reads
 * inside the daemon that holds the data path: a parser bug there would
 * take replication down.  So the request parser is fuzzed like the
 * peer's packets.
 *
 * Input, whatever the bytes:
 *   - md_ctl_parse of all of it: an accepted request is its words joined
 *     by single spaces, each 1..MD_CTL_WORD_MAX printable bytes;
 *   - md_ctl_answer with the input as message, then md_ctl_answer_parse:
 *     the status comes back, the line is one line of printable bytes;
 *   - md_ev_json of it as an event line, with and without a time: a line
 *     it accepts gives one JSON object; md_ev_get of a key never overruns.
 */
#include <stdint.h>
#include <string.h>
#include "ctlproto.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static char text[2048], line[MD_CTL_LINE_MAX + 2], ans[MD_CTL_ANSWER_MAX], json[4096];
	struct md_ctl_req q;
	char why[160], val[16];
	const char *msg;
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1, k = 0;
	int status;

	if (!md_ctl_parse((const char *)in, size, &q, why, sizeof(why))) {
		FUZZ_CHECK(q.argc >= 1 && q.argc <= MD_CTL_ARGS);
		for (int i = 0; i < q.argc; i++) {
			size_t w = strlen(q.argv[i]);

			FUZZ_CHECK(w >= 1 && w <= MD_CTL_WORD_MAX);
			for (size_t j = 0; j < w; j++)
				FUZZ_CHECK(q.argv[i][j] > 0x20 && q.argv[i][j] < 0x7f);
			memcpy(line + k, q.argv[i], w);
			k += w;
			if (i + 1 < q.argc)
				line[k++] = ' ';
		}
		FUZZ_CHECK(k == size && !memcmp(line, in, size));
	} else {
		FUZZ_CHECK(strlen(why) > 0);
	}

	memcpy(text, in, n);
	text[n] = '\0';
	k = md_ctl_answer(ans, sizeof(ans), size ? in[0] : 0, text);
	FUZZ_CHECK(k >= 3 && k < sizeof(ans) && ans[k - 1] == '\n' && strlen(ans) == k);
	for (size_t j = 0; j + 1 < k; j++)
		FUZZ_CHECK((unsigned char)ans[j] >= 0x20 && ans[j] != 0x7f);
	ans[k - 1] = '\0';
	FUZZ_CHECK(md_ctl_answer_parse(ans, &status, &msg) == 0);
	FUZZ_CHECK(status == (size ? in[0] : 0));

	for (int t = 0; t < 2; t++) {
		int rc = md_ev_json(text, t, json, sizeof(json));

		FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOSPC);
		if (!rc)
			FUZZ_CHECK(json[0] == '{' && json[strlen(json) - 1] == '}');
	}
	if (md_ev_get(text, "conn", val, sizeof(val)))
		FUZZ_CHECK(strlen(val) < sizeof(val));
	return 0;
}
