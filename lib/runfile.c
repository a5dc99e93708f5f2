/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * runfile.c - see runfile.h.  The only code that parses or writes the
 * files of proto/md_run.h: NAME.state (mirrord writes, mdctl reads).
 * Requests from mdctl to mirrord go over the control socket
 * (lib/ctlproto.h), not through a file.
 *
 * One table, state_keys[], is the state file's format: the writer walks it
 * in order (so the table's order is the key order on disk, pinned by a
 * golden test) and the reader looks keys up in it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "md_chan.h"
#include "runfile.h"

/* MD_RUN_DIR, or $MD_RUN_DIR for tests that run without root. */
const char *md_run_dir(void)
{
	const char *d = getenv("MD_RUN_DIR");

	return d && *d == '/' ? d : MD_RUN_DIR;
}

int md_run_path(char *buf, size_t len, const char *name, const char *suffix)
{
	int n;

	/* A name with '/' would leave the run directory. */
	if (!name || !*name || strchr(name, '/'))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s%s", md_run_dir(), name, suffix ? suffix : "");
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

int md_run_dir_make(void)
{
	char path[MD_PATH_LEN];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s", md_run_dir()) >= (int)sizeof(path))
		return -ENAMETOOLONG;

	/* mkdir -p: each prefix in turn; the last one gets 0755 whatever the
	 * umask, so that an unprivileged "mdctl status" can read the files. */
	for (char *p = path + 1; ; p++) {
		bool last = !*p;

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(path, 0755)) {
			if (errno != EEXIST)
				return -errno;
			if (stat(path, &st))
				return -errno;
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
		} else if (last && chmod(path, 0755)) {
			return -errno;
		}
		if (last)
			return 0;
		*p = '/';
	}
}

static const char *const link_names[MD_LINK_COUNT] = {
	[MD_LINK_NO_DAEMON]	= "no-daemon",
	[MD_LINK_CONNECTING]	= "connecting",
	[MD_LINK_CONNECTED]	= "connected",
	[MD_LINK_DETACHED]	= "detached",
	[MD_LINK_SPLIT_BRAIN]	= "split-brain",
	[MD_LINK_UNRELATED]	= "unrelated",
	[MD_LINK_REFUSED]	= "refused",
	[MD_LINK_STOPPED]	= "stopped",
	[MD_LINK_STARTING]	= "starting",
	[MD_LINK_AHEAD]		= "ahead",
};

const char *md_link_name(enum md_link l)
{
	if ((unsigned)l >= MD_LINK_COUNT || !link_names[l])
		return "unknown";
	return link_names[l];
}

int md_link_parse(const char *name)
{
	for (int i = 0; i < MD_LINK_COUNT; i++)
		if (link_names[i] && !strcmp(name, link_names[i]))
			return i;
	return -EINVAL;
}

/* ---- lines and values ---- */

enum { LINE_EOF, LINE_OK, LINE_BAD };

/*
 * One line into buf (cap >= MD_RUN_LINE_MAX + 1), without its '\n'.  The
 * last line may lack the '\n'.  A line too long for buf or holding a NUL
 * byte is read to its end, so the next line starts cleanly, and is
 * LINE_BAD.  Byte by byte: the files are a few hundred bytes, and this
 * bounds memory whatever the file holds, which getline() would not.
 */
static int read_line(FILE *f, char *buf, size_t cap)
{
	bool any = false, bad = false;
	size_t n = 0;
	int c;

	while ((c = getc(f)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0' || n + 1 >= cap)
			bad = true;
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	if (!any)
		return LINE_EOF;
	return bad ? LINE_BAD : LINE_OK;
}

/* Decimal digits only: strtoull alone would take " 7", "+7", "-7" and "7x". */
static int parse_u64(const char *s, const char **end, uint64_t *v)
{
	unsigned long long x;
	char *e;

	if (!isdigit((unsigned char)*s))
		return -EBADMSG;
	errno = 0;
	x = strtoull(s, &e, 10);
	if (errno)
		return -EBADMSG;
	*end = e;
	*v = x;
	return 0;
}

static int parse_u64_all(const char *s, uint64_t *v)
{
	const char *end;

	if (parse_u64(s, &end, v) || *end)
		return -EBADMSG;
	return 0;
}

static int parse_ll(const char *s, long long lo, long long hi, long long *v)
{
	const char *d = s + (*s == '-');
	long long x;
	char *end;

	if (!isdigit((unsigned char)*d))
		return -EBADMSG;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -EBADMSG;
	*v = x;
	return 0;
}

/* "" or "N,N,...": at most MD_VF_FIRST_MAX offsets. */
static int parse_list(const char *s, uint64_t *list, unsigned *n)
{
	uint64_t tmp[MD_VF_FIRST_MAX];
	unsigned i = 0;

	while (*s) {
		const char *end;

		if (i == MD_VF_FIRST_MAX || parse_u64(s, &end, &tmp[i]))
			return -EBADMSG;
		i++;
		if (*end == ',' && end[1])
			end++;
		else if (*end)
			return -EBADMSG;
		s = end;
	}
	memcpy(list, tmp, i * sizeof(tmp[0]));
	*n = i;
	return 0;
}

/* ---- the state file ---- */

enum key_type { K_STR, K_INT, K_LL, K_U64, K_LINK, K_LIST };

static const struct state_key {
	const char *key;
	enum key_type type;
	size_t off, size;
} state_keys[] = {
#define F(k, t, f) { k, t, offsetof(struct md_state, f), sizeof(((struct md_state *)0)->f) }
	F("pid", K_INT, pid),
	F("conn", K_LINK, link),
	F("peer", K_STR, peer),
	F("peer_role", K_STR, peer_role),
	F("io", K_STR, io),
	F("since", K_LL, since),
	F("last_error", K_STR, last_error),
	F("verify", K_STR, verify),
	F("verify_token", K_U64, verify_token),
	F("verify_done", K_U64, verify_done),
	F("verify_total", K_U64, verify_total),
	F("verify_differ", K_U64, verify_differ),
	F("verify_errors", K_U64, verify_errors),
	F("verify_first", K_LIST, verify_first),
	F("sync_same", K_U64, sync_same),
	F("detached", K_INT, detached),
	F("paused", K_INT, paused),
	F("resync_rate", K_U64, resync_rate),
	F("sync", K_STR, sync),
	F("sync_role", K_STR, sync_role),
	F("sync_done", K_U64, sync_done),
	F("sync_total", K_U64, sync_total),
	F("sync_rate", K_U64, sync_rate),
	F("disk_stall_ms", K_U64, disk_stall_ms),
	F("disk_stall_offset", K_U64, disk_stall_offset),
	F("fence_state", K_STR, fence_state),
	F("io_held_since", K_LL, io_held_since),
	F("fence_result", K_STR, fence_result),
	F("handler", K_STR, handler),
	F("handler_result", K_STR, handler_result),
	F("handler_time", K_LL, handler_time),
	F("compression", K_STR, compression),
	F("compression_level", K_INT, compression_level),
	F("compression_active", K_INT, compression_active),
	F("zsent_bytes", K_U64, zsent_bytes),
	F("zsent_wire_bytes", K_U64, zsent_wire_bytes),
	F("zsent_raw_bytes", K_U64, zsent_raw_bytes),
	F("zrecv_bytes", K_U64, zrecv_bytes),
	F("zrecv_wire_bytes", K_U64, zrecv_wire_bytes),
	F("mode", K_STR, mode),
	F("async_active", K_INT, async_active),
	F("lag_bytes", K_U64, lag_bytes),
	F("lag_writes", K_U64, lag_writes),
	F("lag_ms", K_U64, lag_ms),
	F("drain_ms", K_U64, drain_ms),
	F("on_congestion", K_STR, on_congestion),
	F("congestions", K_U64, congestions),
	F("ahead_until", K_LL, ahead_until),
	F("peer_inconsistent_since", K_LL, peer_inconsistent_since),
	F("lag_since_ms", K_U64, lag_since_ms),
	F("lag_spill_bytes", K_U64, lag_spill_bytes),
	F("spill_size", K_U64, spill_size),
	F("chan_reads", K_U64, chan_reads),
	F("chan_requests", K_U64, chan_requests),
	F("socket_sends", K_U64, socket_sends),
	F("zc_sends", K_U64, zc_sends),
	F("ack_writes", K_U64, ack_writes),
	F("batches_copied", K_U64, batches_copied),
	F("batches_spilled", K_U64, batches_spilled),
	F("sent_writes", K_U64, sent_writes),
	F("send_ns", K_U64, send_ns),
	F("applied_writes", K_U64, applied_writes),
	F("apply_ns", K_U64, apply_ns),
	F("chan_read", K_STR, chan_read),
	F("chan_read_nowait", K_INT, chan_read_nowait),
	F("chan_read_switches", K_U64, chan_read_switches),
#undef F
};

#define NKEYS	(sizeof(state_keys) / sizeof(state_keys[0]))

/* A string field up to its NUL or its size, '\n' as ' ' (see runfile.h). */
static void put_str(FILE *f, const char *s, size_t size)
{
	for (size_t i = 0; i < size && s[i]; i++)
		putc(s[i] == '\n' ? ' ' : s[i], f);
}

static void put_value(FILE *f, const struct state_key *k, const struct md_state *s)
{
	const char *field = (const char *)s + k->off;
	unsigned n;

	switch (k->type) {
	case K_STR:
		put_str(f, field, k->size);
		break;
	case K_INT:
		fprintf(f, "%d", *(const int *)field);
		break;
	case K_LL:
		fprintf(f, "%lld", *(const long long *)field);
		break;
	case K_U64:
		fprintf(f, "%llu", (unsigned long long)*(const uint64_t *)field);
		break;
	case K_LINK:
		fputs(md_link_name(s->link), f);
		break;
	case K_LIST:
		n = s->verify_nfirst < MD_VF_FIRST_MAX ? s->verify_nfirst : MD_VF_FIRST_MAX;
		for (unsigned i = 0; i < n; i++)
			fprintf(f, "%s%llu", i ? "," : "",
				(unsigned long long)s->verify_first[i]);
		break;
	}
}

/* Open PATH.tmp for writing; *f NULL on error. */
static int tmp_open(const char *path, char *tmp, size_t len, FILE **f)
{
	int n = snprintf(tmp, len, "%s.tmp", path);

	*f = NULL;
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	*f = fopen(tmp, "we");
	return *f ? 0 : -errno;
}

/*
 * Close the temporary file and put it in place, or remove it if anything
 * failed on the way (rc, or a write error only fclose reports): a reader
 * must never see half a file.
 */
static int tmp_commit(FILE *f, const char *tmp, const char *path, int rc)
{
	if (ferror(f) && !rc)
		rc = -EIO;
	if (fclose(f) && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path))
		rc = -errno;
	if (rc)
		unlink(tmp);
	return rc;
}

int md_state_write(const char *path, const struct md_state *s)
{
	char tmp[PATH_MAX];
	FILE *f;
	int rc;

	if (s->link == MD_LINK_NO_DAEMON || (unsigned)s->link >= MD_LINK_COUNT)
		return -EINVAL;
	rc = tmp_open(path, tmp, sizeof(tmp), &f);
	if (rc)
		return rc;
	for (size_t i = 0; i < NKEYS; i++) {
		fprintf(f, "%s=", state_keys[i].key);
		put_value(f, &state_keys[i], s);
		putc('\n', f);
	}
	return tmp_commit(f, tmp, path, 0);
}

/* Apply one "key=value" line (already split) to *s, or change nothing. */
static int state_apply(struct md_state *s, const char *key, const char *v)
{
	const struct state_key *k = NULL;
	char *field;
	long long ll;
	uint64_t u;
	int l;

	for (size_t i = 0; i < NKEYS && !k; i++)
		if (!strcmp(key, state_keys[i].key))
			k = &state_keys[i];
	if (!k)
		return 0;		/* a newer writer's key */
	field = (char *)s + k->off;
	switch (k->type) {
	case K_STR:
		snprintf(field, k->size, "%s", v);
		return 0;
	case K_INT:
		if (parse_ll(v, INT_MIN, INT_MAX, &ll))
			return -EBADMSG;
		*(int *)field = (int)ll;
		return 0;
	case K_LL:
		if (parse_ll(v, LLONG_MIN, LLONG_MAX, &ll))
			return -EBADMSG;
		*(long long *)field = ll;
		return 0;
	case K_U64:
		if (parse_u64_all(v, &u))
			return -EBADMSG;
		*(uint64_t *)field = u;
		return 0;
	case K_LINK:
		l = md_link_parse(v);
		if (l < 0)
			return -EBADMSG;
		s->link = (enum md_link)l;
		return 0;
	case K_LIST:
		return parse_list(v, s->verify_first, &s->verify_nfirst);
	}
	return 0;
}

/*
 * Feed each well-formed line of f to apply(); -EBADMSG if any line was
 * malformed or apply() refused one, -EIO on a read error.
 */
static int read_lines(FILE *f, int (*apply)(void *obj, const char *key, const char *v),
		      void *obj)
{
	char line[MD_RUN_LINE_MAX + 1];
	int rc = 0, r;

	while ((r = read_line(f, line, sizeof(line))) != LINE_EOF) {
		char *v;

		if (r == LINE_BAD) {
			rc = -EBADMSG;
			continue;
		}
		if (!*line)
			continue;
		v = strchr(line, '=');
		if (!v || v == line) {
			rc = -EBADMSG;
			continue;
		}
		*v++ = '\0';
		if (apply(obj, line, v))
			rc = -EBADMSG;
	}
	if (ferror(f))
		rc = -EIO;
	return rc;
}

static int state_apply_cb(void *obj, const char *key, const char *v)
{
	return state_apply(obj, key, v);
}

int md_state_read(const char *path, struct md_state *s)
{
	FILE *f;
	int rc;

	memset(s, 0, sizeof(*s));
	s->link = MD_LINK_NO_DAEMON;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	rc = read_lines(f, state_apply_cb, s);
	fclose(f);
	return rc;
}
