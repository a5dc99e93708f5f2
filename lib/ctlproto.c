/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctlproto.c - see ctlproto.h: the control socket's request and answer
 * lines, and the event stream's lines (the snapshot's "exists" line, the
 * differences between two snapshots, JSON for mdctl events --json).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "ctlproto.h"

int md_ctl_parse(const char *line, size_t len, struct md_ctl_req *q, char *why, size_t whylen)
{
	size_t w = 0;

	memset(q, 0, sizeof(*q));
	if (!len) {
		snprintf(why, whylen, "empty request");
		return -EINVAL;
	}
	if (len > MD_CTL_LINE_MAX) {
		snprintf(why, whylen, "request longer than %d bytes", MD_CTL_LINE_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ' ') {
			if (!w || i + 1 == len) {
				snprintf(why, whylen, "stray space at byte %zu", i);
				return -EINVAL;
			}
			q->argc++;
			w = 0;
			continue;
		}
		if (c < 0x21 || c > 0x7e) {
			snprintf(why, whylen, "byte 0x%02x at %zu is not printable ASCII", c, i);
			return -EINVAL;
		}
		if (q->argc >= MD_CTL_ARGS) {
			snprintf(why, whylen, "more than %d words", MD_CTL_ARGS);
			return -EINVAL;
		}
		if (w >= MD_CTL_WORD_MAX) {
			snprintf(why, whylen, "a word longer than %d bytes", MD_CTL_WORD_MAX);
			return -EINVAL;
		}
		q->argv[q->argc][w++] = (char)c;
	}
	q->argc++;
	return 0;
}

size_t md_ctl_answer(char *buf, size_t len, int status, const char *msg)
{
	int n;

	if (len < 8)
		return 0;
	if (status < 0 || status > 255)
		status = 1;
	n = snprintf(buf, len, "%d %s", status, msg ? msg : "");
	if (n < 0)
		n = 0;
	if ((size_t)n > len - 2)
		n = (int)(len - 2);
	for (int i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = ' ';
	buf[n++] = '\n';
	buf[n] = '\0';
	return (size_t)n;
}

int md_ctl_answer_parse(const char *line, int *status, const char **msg)
{
	int v = 0, d = 0;

	while (line[d] >= '0' && line[d] <= '9' && d < 3)
		v = v * 10 + (line[d++] - '0');
	if (!d || v > 255 || (line[d] != ' ' && line[d] != '\0'))
		return -EBADMSG;
	*status = v;
	*msg = line[d] ? line + d + 1 : line + d;
	return 0;
}

/* ---- events ---- */

struct lb {
	char *buf;
	size_t len, n;
};

static void lb_add(struct lb *b, const char *fmt, const char *v)
{
	int k;

	if (b->n >= b->len)
		return;
	k = snprintf(b->buf + b->n, b->len - b->n, fmt, v);
	if (k > 0)
		b->n = b->n + (size_t)k < b->len ? b->n + (size_t)k : b->len - 1;
}

static void lb_u64(struct lb *b, const char *key, uint64_t v)
{
	char s[32];

	snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	lb_add(b, " ", "");
	lb_add(b, "%s=", key);
	lb_add(b, "%s", s);
}

/* The compression counts, when there are any (md_ev_snap). */
static void lb_zstats(struct lb *b, const struct md_ev_snap *s)
{
	if (!s->z_sent)
		return;
	lb_u64(b, "sent-bytes", s->z_sent);
	lb_u64(b, "sent-wire-bytes", s->z_wire);
}

static int pct(const struct md_ev_snap *s)
{
	if (!s->rs_total)
		return 0;
	return (int)(s->rs_done >= s->rs_total ? 100 : s->rs_done * 100 / s->rs_total);
}

size_t md_ev_exists(char *buf, size_t len, const char *res, const struct md_ev_snap *s)
{
	struct lb b = { buf, len, 0 };

	if (!len)
		return 0;
	buf[0] = '\0';
	lb_add(&b, "exists resource name=%s", res);
	lb_add(&b, " role=%s", s->role);
	lb_add(&b, " conn=%s", s->conn);
	lb_add(&b, " disk=%s", s->disk);
	lb_add(&b, " peer-disk=%s", s->peer_disk);
	lb_add(&b, " resync=%s", s->resync);
	if (strcmp(s->resync, "none")) {
		lb_u64(&b, "done", s->rs_done);
		lb_u64(&b, "total", s->rs_total);
		lb_u64(&b, "percent", (uint64_t)pct(s));
	}
	lb_add(&b, " verify=%s", s->verify);
	return b.n;
}

int md_ev_diff(const char *res, const struct md_ev_snap *old, const struct md_ev_snap *cur,
	       struct md_ev_pace *pace, uint64_t now_ms, md_ev_sink sink, void *ctx)
{
	char line[MD_EV_LINE_MAX];
	struct lb b = { line, sizeof(line), 0 };
	bool rs_was = strcmp(old->resync, "none"), rs_is = strcmp(cur->resync, "none");
	int n = 0;

	line[0] = '\0';
	lb_add(&b, "change resource name=%s", res);
#define CH(f, key) if (strcmp(old->f, cur->f)) lb_add(&b, " " key "=%s", cur->f)
	CH(role, "role");
	CH(conn, "conn");
	CH(disk, "disk");
	CH(peer_disk, "peer-disk");
	if (old->mode[0] && strcmp(old->mode, cur->mode))
		lb_add(&b, " mode=%s", cur->mode);
#undef CH
	if (b.n > strlen("change resource name=") + strlen(res)) {
		sink(ctx, line);
		n++;
	}
	if (strcmp(old->conn, cur->conn) && !strcmp(cur->conn, "split-brain")) {
		b.n = 0;
		lb_add(&b, "split-brain resource name=%s", res);
		sink(ctx, line);
		n++;
	}
	/* A resync ended and the next (the other way) began between two
	 * snapshots: both.  Its total may grow while it runs (the source
	 * learns the target's bitmap): that is no new resync. */
	if (rs_was && (!rs_is || strcmp(old->resync, cur->resync))) {
		b.n = 0;
		lb_add(&b, "resync-end resource name=%s", res);
		lb_add(&b, " role=%s", old->resync);
		lb_add(&b, " result=%s", !strcmp(cur->conn, "connected") ? "done" : "aborted");
		/* The last chunks may have been counted only in the snapshot
		 * that says it ended. */
		lb_u64(&b, "done", cur->rs_total == old->rs_total && cur->rs_done > old->rs_done ?
			   cur->rs_done : old->rs_done);
		lb_u64(&b, "total", old->rs_total);
		lb_zstats(&b, cur);
		sink(ctx, line);
		n++;
		rs_was = false;
	}
	if (rs_is && !rs_was) {
		b.n = 0;
		lb_add(&b, "resync-start resource name=%s", res);
		lb_add(&b, " role=%s", cur->resync);
		lb_u64(&b, "total", cur->rs_total);
		sink(ctx, line);
		n++;
		pace->last_pct = 0;
		pace->last_ms = now_ms;
	} else if (rs_is && (pct(cur) != pace->last_pct ||
			     (now_ms - pace->last_ms >= MD_EV_PROGRESS_MS &&
			      cur->rs_done != old->rs_done))) {
		b.n = 0;
		lb_add(&b, "resync-progress resource name=%s", res);
		lb_u64(&b, "done", cur->rs_done);
		lb_u64(&b, "total", cur->rs_total);
		lb_u64(&b, "percent", (uint64_t)pct(cur));
		lb_zstats(&b, cur);
		sink(ctx, line);
		n++;
		pace->last_pct = pct(cur);
		pace->last_ms = now_ms;
	}
	if (!rs_is)
		pace->last_pct = -1;
	if (strcmp(old->verify, cur->verify) || old->verify_token != cur->verify_token) {
		bool start = !strcmp(cur->verify, "running");

		b.n = 0;
		lb_add(&b, start ? "verify-start resource name=%s" : "verify-end resource name=%s", res);
		if (!start) {
			lb_add(&b, " result=%s", cur->verify);
			lb_u64(&b, "differ", cur->verify_differ);
		}
		sink(ctx, line);
		n++;
	}
	/* The peer falls behind (mode = async), is behind (at most every
	 * MD_EV_PROGRESS_MS, when it changed), caught up. */
	if (cur->lag_writes != old->lag_writes &&
	    (!old->lag_writes || !cur->lag_writes || now_ms - pace->lag_ms >= MD_EV_PROGRESS_MS)) {
		b.n = 0;
		lb_add(&b, "lag resource name=%s", res);
		lb_add(&b, " state=%s", !cur->lag_writes ? "caught-up" : !old->lag_writes ? "behind" :
			   "behind-still");
		lb_u64(&b, "bytes", cur->lag_bytes);
		lb_u64(&b, "writes", cur->lag_writes);
		lb_u64(&b, "ms", cur->lag_ms);
		sink(ctx, line);
		n++;
		pace->lag_ms = now_ms;
	}
	return n;
}

size_t md_ev_time(char *buf, size_t len, uint64_t realtime_ms)
{
	time_t t = (time_t)(realtime_ms / 1000);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&t, &tm) || !(n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	if (snprintf(buf + n, len - n, ".%03uZ", (unsigned)(realtime_ms % 1000)) != 5)
		return 0;
	return n + 5;
}

static bool all_digits(const char *s, size_t n)
{
	if (!n || n > 18 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Append "s" (n bytes) JSON-quoted, or as a number when num. */
static int put_json(struct lb *b, const char *s, size_t n, bool num)
{
	if (!num)
		lb_add(b, "%s", "\"");
	for (size_t i = 0; i < n; i++) {
		char c[7];

		if (s[i] == '"' || s[i] == '\\')
			snprintf(c, sizeof(c), "\\%c", s[i]);
		else if ((unsigned char)s[i] < 0x20)
			snprintf(c, sizeof(c), "\\u%04x", (unsigned char)s[i]);
		else
			snprintf(c, sizeof(c), "%c", s[i]);
		lb_add(b, "%s", c);
	}
	if (!num)
		lb_add(b, "%s", "\"");
	return b->n + 1 >= b->len ? -ENOSPC : 0;
}

int md_ev_json(const char *line, bool has_time, char *out, size_t len)
{
	static const char *const fixed[] = { "time", "type", "object" };
	struct lb b = { out, len, 0 };
	const char *p = line;
	int i = has_time ? 0 : 1, fields = 0;

	if (len < 3)
		return -ENOSPC;
	out[0] = '\0';
	lb_add(&b, "%s", "{");
	while (*p) {
		const char *end = strchr(p, ' '), *eq;
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (!n)
			return -EBADMSG;
		if (fields++)
			lb_add(&b, "%s", ",");
		if (i < 3) {
			lb_add(&b, "\"%s\":", fixed[i]);
			if (put_json(&b, p, n, false))
				return -ENOSPC;
		} else {
			eq = memchr(p, '=', n);
			if (!eq || eq == p)
				return -EBADMSG;
			if (put_json(&b, p, (size_t)(eq - p), false))
				return -ENOSPC;
			lb_add(&b, "%s", ":");
			eq++;
			if (put_json(&b, eq, n - (size_t)(eq - p), all_digits(eq, n - (size_t)(eq - p))))
				return -ENOSPC;
		}
		i++;
		p += n;
		if (*p && !*++p)
			return -EBADMSG;	/* a trailing space */
	}
	if (i < 3)
		return -EBADMSG;
	lb_add(&b, "%s", "}");
	return b.n + 1 >= len ? -ENOSPC : 0;
}

bool md_ev_get(const char *line, const char *key, char *val, size_t len)
{
	size_t k = strlen(key);

	for (const char *p = line; p && *p; p = strchr(p, ' '), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, k) && p[k] == '=') {
			const char *v = p + k + 1, *e = strchr(v, ' ');
			size_t n = e ? (size_t)(e - v) : strlen(v);

			if (n >= len)
				return false;
			memcpy(val, v, n);
			val[n] = '\0';
			return true;
		}
	}
	return false;
}
