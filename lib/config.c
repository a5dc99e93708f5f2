/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.c - see config.h. */
#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "md_meta.h"
#include "md_wire.h"
#include "zdata.h"

/* What read_line() reads from, and the line it stopped at, if any. */
struct line_src {
	FILE *f;
	int line;		/* the line read last: the one inih is parsing */
	int too_long;		/* the number of a line longer than max, 0: none */
	int max;
	int indented;		/* the number of an indented (continuation) line */
};

/* Every key of a resource's section and of a node's, as on_entry knows
 * them: the columns of parse_ctx's tables of lines. */
static const char *const res_keys[] = {
	"minor", "port", "timeout", "secret-file", "data-integrity", "encryption", "auth",
	"ko-count", "checksum-resync", "resync-rate", "chunk-size",
	"fencing", "handler-timeout", "fence-peer", "unfence-peer", "split-brain", "out-of-sync",
	"before-resync-target", "after-resync-target", "compression", "compression-level",
	"mode", "async-buffer", "max-lag", "on-congestion",
};
static const char *const node_keys[] = { "address", "meta", "disk" };
#define NKEYS(keys)	(sizeof(keys) / sizeof((keys)[0]))

struct parse_ctx {
	struct md_config *cfg;
	char *err;
	size_t errlen;
	const struct line_src *src;
	/* The line each key was first given on (0: not yet), per resource
	 * (an index into cfg->res) and per node of it. */
	int res_line[MD_MAX_RESOURCES][NKEYS(res_keys)];
	int node_line[MD_MAX_RESOURCES][2][NKEYS(node_keys)];
};

int md_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* A setting with two words: *out = 1 for `one`, 0 for `zero`; -1 else. */
static int parse_choice(const char *s, const char *one, const char *zero, int *out)
{
	if (!strcmp(s, one))
		*out = 1;
	else if (!strcmp(s, zero))
		*out = 0;
	else
		return -1;
	return 0;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= MD_NAME_LEN)
		return 0;
	for (; *s; s++)
		if (!(*s == '-' || *s == '_' || *s == '.' ||
		      (*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z')))
			return 0;
	return 1;
}

const char *md_handler_name(enum md_handler h)
{
	static const char *const names[MD_H_COUNT] = {
		[MD_H_FENCE_PEER] = "fence-peer", [MD_H_UNFENCE_PEER] = "unfence-peer",
		[MD_H_SPLIT_BRAIN] = "split-brain", [MD_H_OUT_OF_SYNC] = "out-of-sync",
		[MD_H_BEFORE_RESYNC_TARGET] = "before-resync-target",
		[MD_H_AFTER_RESYNC_TARGET] = "after-resync-target",
	};

	return (unsigned)h < MD_H_COUNT ? names[h] : NULL;
}

const char *md_compression_name(int c)
{
	static const char *const names[] = {
		[MD_COMP_NONE] = "none", [MD_COMP_ZSTD] = "zstd", [MD_COMP_AUTO] = "auto",
	};

	return c >= 0 && c < (int)(sizeof(names) / sizeof(names[0])) ? names[c] : NULL;
}

const char *md_mode_name(int m)
{
	return m == MD_MODE_SYNC ? "sync" : m == MD_MODE_ASYNC ? "async" : NULL;
}

int md_mode_parse(const char *s)
{
	return !strcmp(s, "sync") ? MD_MODE_SYNC : !strcmp(s, "async") ? MD_MODE_ASYNC : -1;
}

static const char *const congestion_names[] = {
	[MD_CONG_BLOCK] = "block", [MD_CONG_DISCONNECT] = "disconnect",
	[MD_CONG_PULL_AHEAD] = "pull-ahead",
};

const char *md_congestion_name(int c)
{
	return c >= 0 && c < (int)(sizeof(congestion_names) / sizeof(congestion_names[0])) ?
	       congestion_names[c] : NULL;
}

int md_congestion_parse(const char *s)
{
	for (int c = 0; c < (int)(sizeof(congestion_names) / sizeof(congestion_names[0])); c++)
		if (!strcmp(s, congestion_names[c]))
			return c;
	return -1;
}

int md_async_buffer_check(uint64_t v)
{
	return v >= MD_ASYNC_BUFFER_MIN && v <= MD_ASYNC_BUFFER_MAX ? 0 : -ERANGE;
}

int md_compression_parse(const char *s)
{
	for (int c = MD_COMP_NONE; c <= MD_COMP_AUTO; c++)
		if (!strcmp(s, md_compression_name(c)))
			return c;
	return -1;
}

const char *md_fencing_name(int fencing)
{
	switch (fencing) {
	case MD_FENCING_RESOURCE_ONLY: return "resource-only";
	case MD_FENCING_RESOURCE_AND_STONITH: return "resource-and-stonith";
	}
	return "none";
}

/* A handler's command: run by /bin/sh -c, its program named by an absolute
 * path (a cluster manager starts us with a minimal PATH); 0 or -1. */
static int parse_handler(const char *value, char *out)
{
	if (value[0] != '/' || strlen(value) >= MD_HANDLER_LEN)
		return -1;
	snprintf(out, MD_HANDLER_LEN, "%s", value);
	return 0;
}

struct md_res_cfg *md_config_find(struct md_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->nres; i++)
		if (!strcmp(cfg->res[i].name, name))
			return &cfg->res[i];
	return NULL;
}

int md_res_node_index(const struct md_res_cfg *res, const char *name)
{
	for (int i = 0; i < res->nnodes; i++)
		if (!strcmp(res->nodes[i].name, name))
			return i;
	return -1;
}

void md_local_node_name(char *buf, size_t len)
{
	const char *e = getenv("MD_NODE");

	if (e && *e) {
		snprintf(buf, len, "%s", e);
		return;
	}
	if (gethostname(buf, len))
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
}

/* inih reports the line of the first entry a handler refuses. */
#define FAIL(ctx, ...) do { \
	snprintf((ctx)->err, (ctx)->errlen, __VA_ARGS__); \
	return 0; } while (0)

/*
 * inih keeps at most this many characters of a section name (its
 * MAX_SECTION, 50 with the NUL, fixed when the library is built) and cuts
 * the rest without a word: "[resource r0 node alpha-long...]" would come
 * out as a node of another name.  A name that reaches the limit may have
 * been cut, so it is refused; mirrordisk.conf(5) gives the limits this
 * leaves for resource and node names.
 */
#define SECTION_MAX	49

/*
 * inih hands over every line, so of a key given twice in one section the
 * last would win without a word: a second secret-file or encryption line
 * lower in the file would change the link's security unseen.  Is key
 * (one of keys, whose first lines are in lines) given again?  Then err
 * names both lines.  A key not in keys is left to on_entry's "unknown".
 */
static bool given_twice(struct parse_ctx *ctx, const char *section, const char *key,
			const char *const *keys, size_t nkeys, int *lines)
{
	for (size_t i = 0; i < nkeys; i++) {
		if (strcmp(keys[i], key))
			continue;
		if (lines[i]) {
			snprintf(ctx->err, ctx->errlen, "'%s' given twice in [%s] (first on line %d)",
				 key, section, lines[i]);
			return true;
		}
		lines[i] = ctx->src->line;
		return false;
	}
	return false;
}

static int on_entry(void *user, const char *section, const char *key,
		    const char *value)
{
	struct parse_ctx *ctx = user;
	char rname[MD_NAME_LEN + 1], nname[MD_NAME_LEN + 1], extra[8];
	struct md_res_cfg *res;
	int n;

	if (strlen(section) >= SECTION_MAX)
		FAIL(ctx, "section [%s...]: longer than %d characters", section, SECTION_MAX - 1);
	n = sscanf(section, "resource %64s node %64s %7s", rname, nname, extra);
	if (n < 1)
		FAIL(ctx, "section [%s]: expected [resource NAME] or [resource NAME node NODE]", section);
	{
		/* The whole section name must be one of the two forms, nothing more. */
		char canon[2 * MD_NAME_LEN + 32];

		if (n == 2)
			snprintf(canon, sizeof(canon), "resource %s node %s", rname, nname);
		else
			snprintf(canon, sizeof(canon), "resource %s", rname);
		if (n == 3 || strcmp(canon, section))
			FAIL(ctx, "section [%s]: expected [resource NAME] or [resource NAME node NODE]",
			     section);
	}
	if (!valid_name(rname))
		FAIL(ctx, "invalid resource name '%s'", rname);

	res = md_config_find(ctx->cfg, rname);
	if (!res) {
		if (ctx->cfg->nres == MD_MAX_RESOURCES)
			FAIL(ctx, "too many resources (at most %d)", MD_MAX_RESOURCES);
		res = &ctx->cfg->res[ctx->cfg->nres++];
		memset(res, 0, sizeof(*res));
		memcpy(res->name, rname, strlen(rname) + 1);
		res->minor = -1;
		res->port = MDW_DEFAULT_PORT;
		res->chunk_shift = MD_CHUNK_SHIFT_DEFAULT;
		res->timeout_s = 5;
		res->ko_count = 4;
		res->handler_timeout_s = MD_HANDLER_TIMEOUT_DEFAULT;
		res->compression_level = MDZ_LEVEL_DEFAULT;
		res->async_buffer = MD_ASYNC_BUFFER_DEFAULT;
		res->async_spill_size = MD_SPILL_SIZE_DEFAULT;
	}
	if (n == 2) {
		struct md_node_cfg *node;
		int idx;

		if (!valid_name(nname))
			FAIL(ctx, "invalid node name '%s'", nname);
		idx = md_res_node_index(res, nname);
		if (idx < 0) {
			if (res->nnodes == 2)
				FAIL(ctx, "resource %s: more than two nodes", rname);
			idx = res->nnodes++;
			memcpy(res->nodes[idx].name, nname, strlen(nname) + 1);
		}
		node = &res->nodes[idx];
		if (given_twice(ctx, section, key, node_keys, NKEYS(node_keys),
				ctx->node_line[res - ctx->cfg->res][idx]))
			return 0;
		if (!strcmp(key, "address")) {
			if (strlen(value) >= sizeof(node->address) || !*value)
				FAIL(ctx, "bad address '%s'", value);
			snprintf(node->address, sizeof(node->address), "%s", value);
		} else if (!strcmp(key, "meta")) {
			if (!strcmp(value, "internal"))
				node->meta[0] = '\0';
			else if (value[0] != '/' || strlen(value) >= sizeof(node->meta))
				FAIL(ctx, "meta must be 'internal' or an absolute path, got '%s'", value);
			else
				snprintf(node->meta, sizeof(node->meta), "%s", value);
		} else if (!strcmp(key, "disk")) {
			if (value[0] != '/' || strlen(value) >= sizeof(node->disk))
				FAIL(ctx, "disk must be an absolute path, got '%s'", value);
			snprintf(node->disk, sizeof(node->disk), "%s", value);
		} else {
			FAIL(ctx, "unknown node setting '%s'", key);
		}
		return 1;
	}

	if (given_twice(ctx, section, key, res_keys, NKEYS(res_keys),
			ctx->res_line[res - ctx->cfg->res]))
		return 0;
	if (!strcmp(key, "minor")) {
		if (parse_int(value, 0, MD_MAX_MINORS - 1, &res->minor))
			FAIL(ctx, "minor must be 0..%d, got '%s'", MD_MAX_MINORS - 1, value);
	} else if (!strcmp(key, "port")) {
		if (parse_int(value, 1, 65535, &res->port))
			FAIL(ctx, "port must be 1..65535, got '%s'", value);
	} else if (!strcmp(key, "timeout")) {
		if (parse_int(value, 1, 600, &res->timeout_s))
			FAIL(ctx, "timeout must be 1..600 seconds, got '%s'", value);
	} else if (!strcmp(key, "secret-file")) {
		if (value[0] != '/' || strlen(value) >= sizeof(res->secret_file))
			FAIL(ctx, "secret-file must be an absolute path, got '%s'", value);
		snprintf(res->secret_file, sizeof(res->secret_file), "%s", value);
	} else if (!strcmp(key, "data-integrity")) {
		if (parse_choice(value, "yes", "no", &res->data_integrity))
			FAIL(ctx, "data-integrity must be yes or no, got '%s'", value);
	} else if (!strcmp(key, "encryption")) {
		int tls;

		if (parse_choice(value, "tls", "none", &tls))
			FAIL(ctx, "encryption must be tls or none, got '%s'", value);
		res->encryption = tls ? MD_ENC_TLS : MD_ENC_NONE;
	} else if (!strcmp(key, "auth")) {
		if (parse_choice(value, "none", "hmac-sha256", &res->auth_none))
			FAIL(ctx, "auth must be hmac-sha256 or none, got '%s'", value);
	} else if (!strcmp(key, "ko-count")) {
		if (parse_int(value, 1, 100, &res->ko_count))
			FAIL(ctx, "ko-count must be 1..100, got '%s'", value);
	} else if (!strcmp(key, "checksum-resync")) {
		if (parse_choice(value, "yes", "no", &res->checksum_resync))
			FAIL(ctx, "checksum-resync must be yes or no, got '%s'", value);
	} else if (!strcmp(key, "compression")) {
		if ((res->compression = md_compression_parse(value)) < 0)
			FAIL(ctx, "compression must be none, zstd or auto, got '%s'", value);
	} else if (!strcmp(key, "compression-level")) {
		if (parse_int(value, MDZ_LEVEL_MIN, MDZ_LEVEL_MAX, &res->compression_level))
			FAIL(ctx, "compression-level must be %d..%d (zstd's levels; negative: faster), "
			     "got '%s'", MDZ_LEVEL_MIN, MDZ_LEVEL_MAX, value);
	} else if (!strcmp(key, "mode")) {
		if ((res->mode = md_mode_parse(value)) < 0)
			FAIL(ctx, "mode must be sync or async, got '%s'", value);
	} else if (!strcmp(key, "async-buffer")) {
		if (md_parse_size(value, &res->async_buffer) || md_async_buffer_check(res->async_buffer))
			FAIL(ctx, "async-buffer must be a size from 1M to 16G, got '%s'", value);
	} else if (!strcmp(key, "async-spill")) {
		if (value[0] != '/' || strlen(value) >= sizeof(res->async_spill))
			FAIL(ctx, "async-spill must be an absolute path (shorter than %zu bytes), "
			     "got '%s'", sizeof(res->async_spill), value);
		memcpy(res->async_spill, value, strlen(value) + 1);
	} else if (!strcmp(key, "async-spill-size")) {
		if (md_parse_size(value, &res->async_spill_size) ||
		    res->async_spill_size < MD_SPILL_SIZE_MIN || res->async_spill_size > MD_SPILL_SIZE_MAX)
			FAIL(ctx, "async-spill-size must be a size from 16M to 16T, got '%s'", value);
	} else if (!strcmp(key, "on-congestion")) {
		if ((res->on_congestion = md_congestion_parse(value)) < 0)
			FAIL(ctx, "on-congestion must be block, disconnect or pull-ahead, got '%s'", value);
	} else if (!strcmp(key, "max-lag")) {
		if (parse_int(value, 0, MD_MAX_LAG_MAX, &res->max_lag_s))
			FAIL(ctx, "max-lag must be 0 (none) .. %d seconds, got '%s'", MD_MAX_LAG_MAX, value);
	} else if (!strcmp(key, "resync-rate")) {
		if (md_parse_size(value, &res->resync_rate))
			FAIL(ctx, "resync-rate must be a size per second such as 50M, got '%s'", value);
	} else if (!strcmp(key, "chunk-size")) {
		uint64_t v;

		if (md_parse_size(value, &v) || v < (1u << MD_CHUNK_SHIFT_MIN) ||
		    v > (1u << MD_CHUNK_SHIFT_MAX) || (v & (v - 1)))
			FAIL(ctx, "chunk-size must be a power of two from 4K to 1M, got '%s'", value);
		res->chunk_shift = (uint32_t)__builtin_ctzll(v);
	} else if (!strcmp(key, "fencing")) {
		if (!strcmp(value, "none"))
			res->fencing = MD_FENCING_NONE;
		else if (!strcmp(value, "resource-only"))
			res->fencing = MD_FENCING_RESOURCE_ONLY;
		else if (!strcmp(value, "resource-and-stonith"))
			res->fencing = MD_FENCING_RESOURCE_AND_STONITH;
		else
			FAIL(ctx, "fencing must be none, resource-only or resource-and-stonith, got '%s'",
			     value);
	} else if (!strcmp(key, "handler-timeout")) {
		if (parse_int(value, 1, MD_HANDLER_TIMEOUT_MAX, &res->handler_timeout_s))
			FAIL(ctx, "handler-timeout must be 1..%d seconds, got '%s'",
			     MD_HANDLER_TIMEOUT_MAX, value);
	} else {
		for (int h = 0; h < MD_H_COUNT; h++) {
			if (strcmp(key, md_handler_name(h)))
				continue;
			if (parse_handler(value, res->handlers[h]))
				FAIL(ctx, "%s must be a command whose program is an absolute path "
				     "(at most %d characters), got '%s'", key, MD_HANDLER_LEN - 1, value);
			return 1;
		}
		FAIL(ctx, "unknown resource setting '%s'", key);
	}
	return 1;
}

/*
 * inih reads lines through here (ini_parse_stream), for two things its
 * build fixes otherwise:
 *
 * A '#' that follows white space starts a comment, as a ';' does for inih:
 * its inline comment characters are fixed when the library is built, and
 * admins write both.  Kept as part of the value, "minor = 1 # the database"
 * is an error at best and "disk = /dev/sdb # old" a wrong path at worst.
 *
 * A line longer than inih's buffer (num - 1 characters) ends the parse and
 * is reported: inih would take the rest of it for a line of its own.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct line_src *src = stream;
	size_t n;

	if (!fgets(str, num, src->f))
		return NULL;
	src->line++;
	n = strlen(str);
	if (n && str[n - 1] != '\n') {
		int c = getc(src->f);

		if (c != '\n' && c != EOF) {
			src->too_long = src->line;
			src->max = num - 1;
			return NULL;
		}
	}
	for (char *p = str + 1; *p; p++)
		if ((*p == '#' || *p == ';') && (p[-1] == ' ' || p[-1] == '\t')) {
			*p = '\0';
			break;
		}
	/* inih takes an indented line for a continuation of the previous
	 * value and hands it over as that key again, its comment kept:
	 * "disk = /dev/sdb" then "  /dev/sdc" would silently mean /dev/sdc.
	 * Values fit on one line here; an indented line is refused. */
	if (str[0] == ' ' || str[0] == '\t') {
		const char *q = str + strspn(str, " \t\r\n");

		if (*q && *q != '#' && *q != ';') {
			src->indented = src->line;
			return NULL;
		}
	}
	return str;
}

int md_config_load(const char *path, struct md_config *cfg, char *err, size_t errlen)
{
	struct parse_ctx ctx = { .cfg = cfg, .err = err, .errlen = errlen };
	struct line_src src = { 0 };
	FILE *f;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	err[0] = '\0';
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	src.f = f;
	ctx.src = &src;
	rc = ini_parse_stream(read_line, &src, on_entry, &ctx);
	fclose(f);
	if (rc == 0 && src.too_long)
		snprintf(err, errlen, "line %d: longer than %d characters", src.too_long, src.max);
	else if (rc == 0 && src.indented)
		snprintf(err, errlen, "line %d: indented line: a value must be on one line "
			 "(continuation lines are not supported)", src.indented);
	if (rc > 0 && err[0]) {
		char tmp[400];

		snprintf(tmp, sizeof(tmp), "line %d: %s", rc, err);
		snprintf(err, errlen, "%s", tmp);
	} else if (rc != 0) {
		snprintf(err, errlen, "line %d: syntax error", rc);
	}
	if (rc == 0) {
		for (int i = 0; i < cfg->nres && !err[0]; i++) {
			struct md_res_cfg *r = &cfg->res[i];

			if (r->minor < 0)
				snprintf(err, errlen, "resource %s: no minor", r->name);
			else if (r->nnodes != 2)
				snprintf(err, errlen, "resource %s: needs exactly two nodes, has %d",
					 r->name, r->nnodes);
			for (int j = 0; j < r->nnodes && !err[0]; j++)
				if (!r->nodes[j].address[0] || !r->nodes[j].disk[0])
					snprintf(err, errlen, "resource %s node %s: address and disk are required",
						 r->name, r->nodes[j].name);
			if (!err[0] && r->fencing != MD_FENCING_NONE && !r->handlers[MD_H_FENCE_PEER][0])
				snprintf(err, errlen, "resource %s: fencing = %s needs a fence-peer handler",
					 r->name, md_fencing_name(r->fencing));
			if (!err[0] && r->auth_none && r->encryption == MD_ENC_TLS)
				snprintf(err, errlen, "resource %s: encryption = tls needs a secret-file "
					 "(the TLS key is derived from it), not auth = none", r->name);
			for (int j = 0; j < i && !err[0]; j++)
				if (cfg->res[j].minor == r->minor)
					snprintf(err, errlen, "resources %s and %s share minor %d",
						 cfg->res[j].name, r->name, r->minor);
		}
		if (!err[0] && cfg->nres == 0)
			snprintf(err, errlen, "no resource defined");
	}
	if (err[0]) {
		char tmp[512];

		snprintf(tmp, sizeof(tmp), "%s: %s", path, err);
		snprintf(err, errlen, "%s", tmp);
		return -EINVAL;
	}
	return 0;
}

/* A setting mdctl adjust compares: where it lies, and whether a running
 * daemon takes it (lib/config.h, md_res_adjust). */
struct adjust_key {
	const char *key;
	size_t off, size;
	bool runtime;
};

#define AK(k, field, rt) { k, offsetof(struct md_res_cfg, field), \
			   sizeof(((struct md_res_cfg *)0)->field), rt }
static const struct adjust_key adjust_keys[] = {
	AK("name", name, false), AK("minor", minor, false), AK("port", port, false),
	AK("chunk-size", chunk_shift, false), AK("secret-file", secret_file, false),
	AK("auth", auth_none, false), AK("data-integrity", data_integrity, false),
	AK("encryption", encryption, false), AK("nodes", nnodes, false),
	AK("node sections (name, address, disk, meta)", nodes, false),
	AK("timeout", timeout_s, true), AK("ko-count", ko_count, true),
	AK("resync-rate", resync_rate, true), AK("checksum-resync", checksum_resync, true),
	AK("compression", compression, true), AK("compression-level", compression_level, true),
	AK("mode", mode, true), AK("async-buffer", async_buffer, true), AK("max-lag", max_lag_s, true),
	AK("on-congestion", on_congestion, true),
	AK("async-spill", async_spill, true), AK("async-spill-size", async_spill_size, true),
	AK("fencing", fencing, true), AK("handler-timeout", handler_timeout_s, true),
	AK("handlers", handlers, true),
};

int md_res_adjust(const struct md_res_cfg *cur, const struct md_res_cfg *next, char *changed,
		  size_t changed_len, char *why, size_t why_len)
{
	int n = 0;
	size_t used = 0;

	if (changed_len)
		changed[0] = '\0';
	for (size_t i = 0; i < sizeof(adjust_keys) / sizeof(adjust_keys[0]); i++) {
		const struct adjust_key *k = &adjust_keys[i];

		if (!memcmp((const char *)cur + k->off, (const char *)next + k->off, k->size))
			continue;
		if (!k->runtime) {
			snprintf(why, why_len, "%s changed: a running resource cannot take it "
				 "('mdctl down %s' and 'mdctl up %s' apply it)", k->key, cur->name,
				 cur->name);
			return -EBUSY;
		}
		if (used < changed_len) {
			int w = snprintf(changed + used, changed_len - used, "%s%s", n ? ", " : "",
					 k->key);

			used += w > 0 ? (size_t)w : 0;
		}
		n++;
	}
	return n;
}
