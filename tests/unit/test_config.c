/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_config.c - the configuration parser (lib/config.c) and size parsing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "config.h"
#include "md_meta.h"

static struct md_config cfg;
static char err[512];

static int load(const char *text)
{
	char path[] = "/tmp/mdconfXXXXXX";
	int fd = mkstemp(path), rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rc = md_config_load(path, &cfg, err, sizeof(err));
	unlink(path);
	return rc;
}

#define NODES \
	"[resource r0 node alpha]\naddress = 10.0.0.1\ndisk = /dev/sdb\n" \
	"[resource r0 node beta]\naddress = 10.0.0.2\ndisk = /dev/sdc\nmeta = /dev/sdd1\n"

static void valid(void **state)
{
	struct md_res_cfg *r;

	(void)state;
	assert_int_equal(load("; comment\n[resource r0]\nminor = 3\nport = 7000\nchunk-size = 1M\n"
			      "timeout = 9\nko-count = 7\nresync-rate = 50M\nchecksum-resync = yes\n"
			      "secret-file = /etc/mirrordisk/r0.secret\ndata-integrity = yes\n" NODES), 0);
	r = md_config_find(&cfg, "r0");
	assert_non_null(r);
	assert_int_equal(r->minor, 3);
	assert_int_equal(r->port, 7000);
	assert_int_equal(r->chunk_shift, 20);
	assert_int_equal(r->timeout_s, 9);
	assert_int_equal(r->ko_count, 7);
	assert_string_equal(r->secret_file, "/etc/mirrordisk/r0.secret");
	assert_int_equal(r->auth_none, 0);
	assert_int_equal(r->data_integrity, 1);
	assert_true(md_res_tls(r));
	assert_int_equal(r->resync_rate, 50u << 20);
	assert_int_equal(r->checksum_resync, 1);
	assert_int_equal(md_res_node_index(r, "beta"), 1);
	assert_int_equal(md_res_node_index(r, "gamma"), -1);
	assert_string_equal(r->nodes[0].address, "10.0.0.1");
	assert_string_equal(r->nodes[0].disk, "/dev/sdb");
	assert_string_equal(r->nodes[0].meta, "");
	assert_string_equal(r->nodes[1].meta, "/dev/sdd1");
	assert_null(md_config_find(&cfg, "r9"));
}

static void defaults(void **state)
{
	struct md_res_cfg *r;

	(void)state;
	assert_int_equal(load("[resource r0]\nminor = 0\n" NODES), 0);
	r = md_config_find(&cfg, "r0");
	assert_int_equal(r->port, 7790);
	assert_int_equal(r->chunk_shift, 16);
	assert_int_equal(r->timeout_s, 5);
	assert_int_equal(r->ko_count, 4);
	assert_string_equal(r->secret_file, "");
	assert_int_equal(r->auth_none, 0);
	assert_int_equal(r->data_integrity, 0);
	assert_int_equal(r->resync_rate, 0);
	assert_int_equal(r->checksum_resync, 0);
	assert_int_equal(r->compression, MD_COMP_NONE);
	assert_int_equal(r->compression_level, 1);
	/* Encrypted by default; not with auth = none (no key), unless asked. */
	assert_true(md_res_tls(r));
	assert_int_equal(load("[resource r0]\nminor = 0\nauth = none\n" NODES), 0);
	assert_false(md_res_tls(md_config_find(&cfg, "r0")));
	assert_int_equal(load("[resource r0]\nminor = 0\nencryption = none\n" NODES), 0);
	assert_false(md_res_tls(md_config_find(&cfg, "r0")));
	assert_int_equal(load("[resource r0]\nminor = 0\nencryption = tls\n" NODES), 0);
	assert_true(md_res_tls(md_config_find(&cfg, "r0")));
	assert_int_equal(load("[resource r0]\nminor = 0\nauth = none\nencryption = tls\n" NODES), -EINVAL);
	assert_non_null(strstr(err, "encryption = tls needs a secret-file"));
}

/* Fencing and handlers (issue 21, items 3 and 4): values, defaults, and
 * the refusals with their reasons. */
static void fencing_and_handlers(void **state)
{
	static const struct { const char *text; const char *want; } bad[] = {
		{ "[resource r0]\nminor = 0\nfencing = stonith\n",
		  "line 3: fencing must be none, resource-only or resource-and-stonith, got 'stonith'" },
		{ "[resource r0]\nminor = 0\nhandler-timeout = 0\n",
		  "line 3: handler-timeout must be 1..3600 seconds, got '0'" },
		{ "[resource r0]\nminor = 0\nhandler-timeout = 3601\n", "handler-timeout must be 1..3600" },
		{ "[resource r0]\nminor = 0\nhandler-timeout = 5s\n", "handler-timeout must be 1..3600" },
		{ "[resource r0]\nminor = 0\nfence-peer = fence.sh\n",
		  "line 3: fence-peer must be a command whose program is an absolute path" },
		{ "[resource r0]\nminor = 0\nsplit-brain = \n", "split-brain must be a command" },
		{ "[resource r0]\nminor = 0\nbefore-resync-target = ./snap\n",
		  "before-resync-target must be a command" },
		{ "[resource r0]\nminor = 0\nfence-peer = /a\nfence-peer = /b\n",
		  "'fence-peer' given twice in [resource r0] (first on line 3)" },
		{ "[resource r0]\nminor = 0\nfencing = resource-and-stonith\n" NODES,
		  "resource r0: fencing = resource-and-stonith needs a fence-peer handler" },
		{ "[resource r0]\nminor = 0\nfencing = resource-only\nunfence-peer = /bin/true\n" NODES,
		  "resource r0: fencing = resource-only needs a fence-peer handler" },
	};
	struct md_res_cfg *r;

	(void)state;
	assert_int_equal(load("[resource r0]\nminor = 0\n" NODES), 0);
	r = md_config_find(&cfg, "r0");
	assert_int_equal(r->fencing, MD_FENCING_NONE);
	assert_int_equal(r->handler_timeout_s, 60);
	for (int h = 0; h < MD_H_COUNT; h++)
		assert_string_equal(r->handlers[h], "");

	assert_int_equal(load("[resource r0]\nminor = 0\nfencing = resource-and-stonith\n"
			      "fence-peer = /usr/lib/mirrordisk/fence-peer-ssh 192.168.2.2\n"
			      "unfence-peer = /bin/true\nsplit-brain = /etc/mirrordisk/sb.sh r0\n"
			      "out-of-sync = /x/oos\nbefore-resync-target = /x/snap --lvm\n"
			      "after-resync-target = /x/after\nhandler-timeout = 7\n" NODES), 0);
	r = md_config_find(&cfg, "r0");
	assert_int_equal(r->fencing, MD_FENCING_RESOURCE_AND_STONITH);
	assert_int_equal(r->handler_timeout_s, 7);
	assert_string_equal(r->handlers[MD_H_FENCE_PEER], "/usr/lib/mirrordisk/fence-peer-ssh 192.168.2.2");
	assert_string_equal(r->handlers[MD_H_UNFENCE_PEER], "/bin/true");
	assert_string_equal(r->handlers[MD_H_SPLIT_BRAIN], "/etc/mirrordisk/sb.sh r0");
	assert_string_equal(r->handlers[MD_H_OUT_OF_SYNC], "/x/oos");
	assert_string_equal(r->handlers[MD_H_BEFORE_RESYNC_TARGET], "/x/snap --lvm");
	assert_string_equal(r->handlers[MD_H_AFTER_RESYNC_TARGET], "/x/after");
	assert_int_equal(load("[resource r0]\nminor = 0\nfencing = resource-only\nfence-peer = /f\n"
			      NODES), 0);
	assert_int_equal(md_config_find(&cfg, "r0")->fencing, MD_FENCING_RESOURCE_ONLY);
	assert_string_equal(md_fencing_name(MD_FENCING_RESOURCE_ONLY), "resource-only");
	assert_string_equal(md_handler_name(MD_H_BEFORE_RESYNC_TARGET), "before-resync-target");
	assert_null(md_handler_name(MD_H_COUNT));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load(bad[i].text), -EINVAL);
		if (!strstr(err, bad[i].want)) {
			print_error("case %zu: '%s' lacks '%s'\n", i, err, bad[i].want);
			fail();
		}
	}
}

static void entry_errors_name_the_line(void **state)
{
	static const struct { const char *text; const char *want; } cases[] = {
		{ "[resource r0]\nminor = 0\nbogus = 1\n", "line 3" },
		{ "[resource r0]\nminor = 64\n", "line 2" },
		{ "[resource r0]\nminor = -1\n", "line 2" },
		{ "[resource r0]\nminor = 0\nko-count = 0\n", "ko-count must be 1..100" },
		{ "[resource r0]\nminor = 0\nko-count = 101\n", "line 3" },
		{ "[resource r0]\nsecret-file = r0.secret\n", "absolute path" },
		{ "[resource r0]\nauth = md5\n", "auth must be hmac-sha256 or none" },
		{ "[resource r0]\ndata-integrity = maybe\n", "line 2" },
		{ "[resource r0]\nencryption = aes\n", "encryption must be tls or none" },
		{ "[resource r0]\nminor = x\n", "line 2" },
		{ "[resource r0]\nport = 70000\n", "line 2" },
		{ "[resource r0]\nchunk-size = 48K\n", "line 2" },
		{ "[resource r0]\nchunk-size = 2K\n", "line 2" },
		{ "[resource r0]\nchunk-size = 2M\n", "line 2" },
		{ "[resource r0]\nchecksum-resync = maybe\n", "line 2" },
		{ "[resource r0 node a]\ndisk = dev/sdb\n", "line 2" },
		{ "[resource r0 node a]\nmeta = sdb\n", "line 2" },
		{ "[res r0]\nminor = 1\n", "line 2" },
		{ "[resource r0 nod a]\nminor = 1\n", "line 2" },
		{ "[resource r0]\nminor = 0\n" NODES "[resource r0 node gamma]\naddress = x\n", "more than two nodes" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(load(cases[i].text), -EINVAL);
		if (!strstr(err, cases[i].want)) {
			print_error("case %zu: '%s' lacks '%s'\n", i, err, cases[i].want);
			fail();
		}
	}
}

static void file_errors(void **state)
{
	(void)state;
	assert_int_equal(load("[resource r0]\nport = 1\n" NODES), -EINVAL);
	assert_non_null(strstr(err, "no minor"));
	assert_int_equal(load("[resource r0]\nminor = 0\n[resource r0 node a]\naddress = x\ndisk = /d\n"), -EINVAL);
	assert_non_null(strstr(err, "exactly two nodes"));
	assert_int_equal(load("[resource r0]\nminor = 0\n[resource r0 node a]\naddress = x\n"
			      "[resource r0 node b]\naddress = y\ndisk = /d\n"), -EINVAL);
	assert_non_null(strstr(err, "address and disk are required"));
	assert_int_equal(load("[resource r0]\nminor = 1\n" NODES
			      "[resource r1]\nminor = 1\n[resource r1 node a]\naddress = x\ndisk = /d\n"
			      "[resource r1 node b]\naddress = y\ndisk = /e\n"), -EINVAL);
	assert_non_null(strstr(err, "share minor 1"));
	assert_int_equal(load("; nothing\n"), -EINVAL);
	assert_non_null(strstr(err, "no resource"));
	assert_int_equal(md_config_load("/nonexistent/md.conf", &cfg, err, sizeof(err)), -ENOENT);
}

/*
 * A key given twice in one section is refused, naming both lines: the
 * last one winning silently, a second secret-file or encryption line
 * lower in the file would change the link's security without a word.
 * Every key of both kinds of section, the same value or another, and a
 * section opened again further down.
 */
static void key_given_twice_refused(void **state)
{
	static const struct { const char *key, *v1, *v2; } res_keys[] = {
		{ "minor", "0", "1" }, { "port", "7790", "7791" }, { "timeout", "5", "5" },
		{ "chunk-size", "64K", "1M" }, { "ko-count", "4", "5" },
		{ "resync-rate", "10M", "0" }, { "checksum-resync", "no", "yes" },
		{ "secret-file", "/etc/mirrordisk/r0.secret", "/tmp/other.secret" },
		{ "auth", "hmac-sha256", "none" }, { "encryption", "tls", "none" },
		{ "data-integrity", "yes", "yes" },
	}, node_keys[] = {
		{ "address", "10.0.0.1", "10.0.0.9" }, { "disk", "/dev/sdb", "/dev/sdc" },
		{ "meta", "internal", "/dev/sdd1" },
	};
	char text[512], want[160];

	(void)state;
	for (size_t i = 0; i < sizeof(res_keys) / sizeof(res_keys[0]); i++) {
		snprintf(text, sizeof(text), "[resource r0]\n%s = %s\n; between\n%s = %s\n",
			 res_keys[i].key, res_keys[i].v1, res_keys[i].key, res_keys[i].v2);
		assert_int_equal(load(text), -EINVAL);
		snprintf(want, sizeof(want), "line 4: '%s' given twice in [resource r0] "
			 "(first on line 2)", res_keys[i].key);
		if (!strstr(err, want))
			fail_msg("'%s' lacks '%s'", err, want);
	}
	for (size_t i = 0; i < sizeof(node_keys) / sizeof(node_keys[0]); i++) {
		snprintf(text, sizeof(text), "[resource r0]\nminor = 0\n[resource r0 node alpha]\n"
			 "%s = %s\n%s = %s\n", node_keys[i].key, node_keys[i].v1,
			 node_keys[i].key, node_keys[i].v2);
		assert_int_equal(load(text), -EINVAL);
		snprintf(want, sizeof(want), "line 5: '%s' given twice in [resource r0 node alpha] "
			 "(first on line 4)", node_keys[i].key);
		if (!strstr(err, want))
			fail_msg("'%s' lacks '%s'", err, want);
	}
	/* The section opened again lower in the file is the same section. */
	assert_int_equal(load("[resource r0]\nminor = 0\nsecret-file = /etc/mirrordisk/r0.secret\n"
			      NODES "[resource r0]\nsecret-file = /tmp/r0.secret\n"), -EINVAL);
	assert_non_null(strstr(err, "line 12: 'secret-file' given twice in [resource r0] "
			       "(first on line 3)"));
	assert_int_equal(load("[resource r0]\nminor = 0\n" NODES
			      "[resource r0 node alpha]\ndisk = /dev/sdx\n"), -EINVAL);
	assert_non_null(strstr(err, "line 11: 'disk' given twice in [resource r0 node alpha] "
			       "(first on line 5)"));
	/* The same key in another section is another setting. */
	assert_int_equal(load("[resource r0]\nminor = 0\nsecret-file = /etc/mirrordisk/r0.secret\n"
			      NODES "[resource r1]\nminor = 1\nsecret-file = /etc/mirrordisk/r1.secret\n"
			      "[resource r1 node alpha]\naddress = 10.0.0.1\ndisk = /dev/sde\n"
			      "[resource r1 node beta]\naddress = 10.0.0.2\ndisk = /dev/sdf\n"), 0);
}

/* chunk-size: powers of two from 1 << MD_CHUNK_SHIFT_MIN to 1 << ..._MAX. */
static void chunk_size_limits(void **state)
{
	static const char *const bad[] = { "0", "2K", "3K", "4097", "12K", "2M", "1G" };
	char text[256];

	(void)state;
	assert_int_equal(load("[resource r0]\nminor = 0\n" NODES), 0);
	assert_int_equal(cfg.res[0].chunk_shift, MD_CHUNK_SHIFT_DEFAULT);
	assert_int_equal(load("[resource r0]\nminor = 0\nchunk-size = 4K\n" NODES), 0);
	assert_int_equal(cfg.res[0].chunk_shift, MD_CHUNK_SHIFT_MIN);
	assert_int_equal(load("[resource r0]\nminor = 0\nchunk-size = 1M\n" NODES), 0);
	assert_int_equal(cfg.res[0].chunk_shift, MD_CHUNK_SHIFT_MAX);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[resource r0]\nminor = 0\nchunk-size = %s\n" NODES, bad[i]);
		assert_int_equal(load(text), -EINVAL);
		assert_non_null(strstr(err, "chunk-size must be a power of two"));
	}
}

/* ';' and '#' after white space start a comment; elsewhere they are data. */
static void inline_comments(void **state)
{
	struct md_res_cfg *r;

	(void)state;
	assert_int_equal(load("# whole line\n[resource r0]  # trailing\nminor = 5 # the database\n"
			      "port = 7000\t# tab before\nresync-rate = 10M ; inih's own\n"
			      "[resource r0 node alpha]\naddress = 10.0.0.1 # rack 1\n"
			      "disk = /dev/disk/by-id/x#1 # a '#' inside a word stays\n"
			      "  # an indented comment line\n"
			      "[resource r0 node beta]\naddress = 10.0.0.2\ndisk = /dev/sdc ; old\n"), 0);
	r = md_config_find(&cfg, "r0");
	assert_non_null(r);
	assert_int_equal(r->minor, 5);
	assert_int_equal(r->port, 7000);
	assert_int_equal(r->resync_rate, 10u << 20);
	assert_string_equal(r->nodes[0].address, "10.0.0.1");
	assert_string_equal(r->nodes[0].disk, "/dev/disk/by-id/x#1");
	assert_string_equal(r->nodes[1].disk, "/dev/sdc");
	/* Not after white space: part of the value, and so an error here. */
	assert_int_equal(load("[resource r0]\nminor = 5#x\n" NODES), -EINVAL);
	assert_non_null(strstr(err, "line 2: minor must be"));
}

/* inih would take an indented line for a continuation of the previous
 * value, and keep its comment: "disk = /dev/sdb" then "  /dev/sdc ; old"
 * meant disk "/dev/sdc ; old" (found by tests/fuzz/config.c).  Refused. */
static void continuation_line_refused(void **state)
{
	(void)state;
	assert_int_equal(load("[resource r0]\nminor = 0\n[resource r0 node a]\naddress = 10.0.0.1\n"
			      "disk = /dev/sdb\n  /dev/sdc ; old\n[resource r0 node b]\n"
			      "address = 10.0.0.2\ndisk = /dev/sdb\n"), -EINVAL);
	assert_non_null(strstr(err, "line 6: indented line"));
}

/*
 * Names of up to 48 characters per section (inih cuts longer ones without
 * a word, so they are refused), lines of up to 199 (inih would split
 * longer ones).
 */
static void name_and_line_limits(void **state)
{
	char text[1024], name[64];

	(void)state;
	/* "resource " + 16 + " node " + 17 = 48 characters: the longest. */
	memset(name, 'n', 17);
	name[17] = '\0';
	snprintf(text, sizeof(text), "[resource rrrrrrrrrrrrrrrr]\nminor = 0\n"
		 "[resource rrrrrrrrrrrrrrrr node %s]\naddress = x\ndisk = /d\n"
		 "[resource rrrrrrrrrrrrrrrr node b]\naddress = y\ndisk = /e\n", name);
	assert_int_equal(load(text), 0);
	assert_int_equal(md_res_node_index(&cfg.res[0], name), 0);
	strcat(name, "n");
	snprintf(text, sizeof(text), "[resource rrrrrrrrrrrrrrrr]\nminor = 0\n"
		 "[resource rrrrrrrrrrrrrrrr node %s]\naddress = x\n", name);
	assert_int_equal(load(text), -EINVAL);
	assert_non_null(strstr(err, "line 4: section [resource rrrrrrrrrrrrrrrr node"));
	assert_non_null(strstr(err, "longer than 48 characters"));
	/* "disk = /" and 191 more: 199 characters. */
	memset(text, 0, sizeof(text));
	strcpy(text, "[resource r0]\nminor = 0\n[resource r0 node a]\naddress = x\ndisk = /");
	memset(text + strlen(text), 'd', 191);
	strcat(text, "\n[resource r0 node b]\naddress = y\ndisk = /e\n");
	assert_int_equal(load(text), 0);
	assert_int_equal(strlen(cfg.res[0].nodes[0].disk), 192);
	strcpy(strstr(text, "ddd\n"), "dddd\n[resource r0 node b]\naddress = y\ndisk = /e\n");
	assert_int_equal(load(text), -EINVAL);
	assert_non_null(strstr(err, "line 5: longer than 199 characters"));
}

static void sizes(void **state)
{
	uint64_t v;

	(void)state;
	assert_int_equal(md_parse_size("4096", &v), 0); assert_int_equal(v, 4096);
	assert_int_equal(md_parse_size("64K", &v), 0); assert_int_equal(v, 65536);
	assert_int_equal(md_parse_size("64KiB", &v), 0); assert_int_equal(v, 65536);
	assert_int_equal(md_parse_size("1M", &v), 0); assert_int_equal(v, 1u << 20);
	assert_int_equal(md_parse_size("2G", &v), 0); assert_int_equal(v, 2ull << 30);
	assert_int_equal(md_parse_size("1T", &v), 0); assert_int_equal(v, 1ull << 40);
	assert_int_equal(md_parse_size("", &v), -EINVAL);
	assert_int_equal(md_parse_size("-1", &v), -EINVAL);
	assert_int_equal(md_parse_size("12X", &v), -EINVAL);
	assert_int_equal(md_parse_size("K", &v), -EINVAL);
	assert_int_equal(md_parse_size("99999999999999T", &v), -EINVAL);
}

/* mdctl adjust: what a running resource takes from the file again, and
 * what needs a restart (refused with the key). */
static struct md_res_cfg adjust_cur;

static int adjust_to(const char *extra, const char *nodes, char *what, size_t len)
{
	char text[2048];

	snprintf(text, sizeof(text), "[resource r0]\nminor = 0\nsecret-file = /etc/mirrordisk/r0.secret\n%s%s",
		 extra, nodes);
	assert_int_equal(load(text), 0);
	return md_res_adjust(&adjust_cur, md_config_find(&cfg, "r0"), what, len, err, sizeof(err));
}

/* A resource section with line and NODES, loaded. */
static const struct md_res_cfg *load_line(const char *line)
{
	char text[512];

	snprintf(text, sizeof(text), "[resource r0]\nminor = 0\n%s" NODES, line);
	assert_int_equal(load(text), 0);
	return md_config_find(&cfg, "r0");
}

/* Each line (in a resource section with NODES) is refused with its reason. */
struct refusal { const char *line, *why; };
static void expect_refusals(const struct refusal *bad, size_t n)
{
	char text[512];

	for (size_t i = 0; i < n; i++) {
		snprintf(text, sizeof(text), "[resource r0]\nminor = 0\n%s" NODES, bad[i].line);
		assert_int_equal(load(text), -EINVAL);
		if (!strstr(err, bad[i].why))
			fail_msg("'%s': got '%s'", bad[i].line, err);
	}
}

/* compression and compression-level (issue 23): values, limits, reasons. */
static void compression_settings(void **state)
{
	static const struct { const char *line; int comp, level; } ok[] = {
		{ "compression = none\n", MD_COMP_NONE, 1 },
		{ "compression = zstd\n", MD_COMP_ZSTD, 1 },
		{ "compression = auto\ncompression-level = 3\n", MD_COMP_AUTO, 3 },
		{ "compression = zstd\ncompression-level = -50\n", MD_COMP_ZSTD, -50 },
		{ "compression-level = 19\n", MD_COMP_NONE, 19 },
	};
	static const struct refusal bad[] = {
		{ "compression = lz4\n", "compression must be none, zstd or auto, got 'lz4'" },
		{ "compression = ZSTD\n", "compression must be none, zstd or auto" },
		{ "compression = \n", "compression must be none, zstd or auto" },
		{ "compression-level = 20\n", "compression-level must be -50..19" },
		{ "compression-level = -51\n", "compression-level must be -50..19" },
		{ "compression-level = fast\n", "compression-level must be -50..19" },
		{ "compression = zstd\ncompression = none\n", "'compression' given twice" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const struct md_res_cfg *res = load_line(ok[i].line);

		assert_int_equal(res->compression, ok[i].comp);
		assert_int_equal(res->compression_level, ok[i].level);
	}
	expect_refusals(bad, sizeof(bad) / sizeof(bad[0]));
	assert_string_equal(md_compression_name(MD_COMP_AUTO), "auto");
	assert_null(md_compression_name(7));
	assert_int_equal(md_compression_parse("zstd"), MD_COMP_ZSTD);
	assert_int_equal(md_compression_parse("gzip"), -1);
}

/* mode, async-buffer, max-lag and on-congestion (issue 24): defaults,
 * values, limits. */
static void async_settings(void **state)
{
	static const struct { const char *line; int mode; uint64_t buffer; int lag, cong; } ok[] = {
		{ "", MD_MODE_SYNC, 64ull << 20, 0, MD_CONG_BLOCK },
		{ "mode = async\n", MD_MODE_ASYNC, 64ull << 20, 0, MD_CONG_BLOCK },
		{ "mode = sync\nasync-buffer = 1M\n", MD_MODE_SYNC, 1ull << 20, 0, MD_CONG_BLOCK },
		{ "mode = async\nasync-buffer = 16G\nmax-lag = 3600\n", MD_MODE_ASYNC, 16ull << 30, 3600,
		  MD_CONG_BLOCK },
		{ "mode = async\non-congestion = pull-ahead\n", MD_MODE_ASYNC, 64ull << 20, 0,
		  MD_CONG_PULL_AHEAD },
		{ "on-congestion = disconnect\n", MD_MODE_SYNC, 64ull << 20, 0, MD_CONG_DISCONNECT },
		{ "on-congestion = block\n", MD_MODE_SYNC, 64ull << 20, 0, MD_CONG_BLOCK },
	};
	static const struct refusal bad[] = {
		{ "mode = A\n", "mode must be sync or async, got 'A'" },
		{ "mode = \n", "mode must be sync or async" },
		{ "async-buffer = 1023K\n", "async-buffer must be a size from 1M to 16G, got '1023K'" },
		{ "async-buffer = 17G\n", "async-buffer must be a size from 1M to 16G" },
		{ "async-buffer = lots\n", "async-buffer must be a size from 1M to 16G" },
		{ "max-lag = -1\n", "max-lag must be 0 (none) .. 3600 seconds, got '-1'" },
		{ "max-lag = 3601\n", "max-lag must be 0 (none) .. 3600 seconds" },
		{ "mode = async\nmode = sync\n", "'mode' given twice" },
		{ "on-congestion = Block\n", "on-congestion must be block, disconnect or pull-ahead, got 'Block'" },
		{ "on-congestion = \n", "on-congestion must be block, disconnect or pull-ahead" },
		{ "async-spill = spill\n", "async-spill must be an absolute path" },
		{ "async-spill-size = 15M\n", "async-spill-size must be a size from 16M to 16T, got '15M'" },
		{ "async-spill-size = 17T\n", "async-spill-size must be a size from 16M to 16T" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const struct md_res_cfg *res = load_line(ok[i].line);

		assert_int_equal(res->mode, ok[i].mode);
		assert_int_equal(res->async_buffer, ok[i].buffer);
		assert_int_equal(res->max_lag_s, ok[i].lag);
		assert_int_equal(res->on_congestion, ok[i].cong);
		assert_string_equal(res->async_spill, "");
		assert_int_equal(res->async_spill_size, 1ull << 30);
	}
	/* The spill file (mirrord/backlog.c): a path and its size. */
	{
		const struct md_res_cfg *res = load_line("mode = async\nasync-spill = /var/lib/md/r0.spill\n"
							 "async-spill-size = 16M\n");

		assert_string_equal(res->async_spill, "/var/lib/md/r0.spill");
		assert_int_equal(res->async_spill_size, 16ull << 20);
	}
	expect_refusals(bad, sizeof(bad) / sizeof(bad[0]));
	assert_string_equal(md_mode_name(MD_MODE_ASYNC), "async");
	assert_null(md_mode_name(2));
	assert_int_equal(md_mode_parse("sync"), MD_MODE_SYNC);
	assert_int_equal(md_mode_parse("Async"), -1);
	assert_string_equal(md_congestion_name(MD_CONG_PULL_AHEAD), "pull-ahead");
	assert_null(md_congestion_name(3));
	assert_null(md_congestion_name(-1));
	assert_int_equal(md_congestion_parse("disconnect"), MD_CONG_DISCONNECT);
	assert_int_equal(md_congestion_parse("pull_ahead"), -1);
}

static void adjust_runtime_and_restart_keys(void **state)
{
	char what[256];

	(void)state;
	assert_int_equal(load("[resource r0]\nminor = 0\nsecret-file = /etc/mirrordisk/r0.secret\n" NODES), 0);
	adjust_cur = *md_config_find(&cfg, "r0");
	assert_int_equal(adjust_to("", NODES, what, sizeof(what)), 0);
	assert_string_equal(what, "");
	assert_int_equal(adjust_to("timeout = 9\nresync-rate = 10M\n", NODES, what, sizeof(what)), 2);
	assert_string_equal(what, "timeout, resync-rate");
	assert_int_equal(adjust_to("ko-count = 9\nchecksum-resync = yes\nhandler-timeout = 5\n"
				   "fencing = resource-only\nfence-peer = /bin/true\n", NODES, what,
				   sizeof(what)), 5);
	assert_string_equal(what, "ko-count, checksum-resync, fencing, handler-timeout, handlers");
	/* Compression is taken at run time (issue 23): level at once, the
	 * mode within what the connection negotiated. */
	assert_int_equal(adjust_to("compression = auto\ncompression-level = -5\n", NODES, what,
				   sizeof(what)), 2);
	assert_string_equal(what, "compression, compression-level");
	/* Each key a running resource cannot take, named. */
	static const struct { const char *extra, *key; } restart[] = {
		{ "port = 7000\n", "port changed" },
		{ "chunk-size = 1M\n", "chunk-size changed" },
		{ "encryption = none\n", "encryption changed" },
		{ "data-integrity = yes\n", "data-integrity changed" },
	};
	for (size_t i = 0; i < sizeof(restart) / sizeof(restart[0]); i++) {
		assert_int_equal(adjust_to(restart[i].extra, NODES, what, sizeof(what)), -EBUSY);
		assert_non_null(strstr(err, restart[i].key));
		assert_non_null(strstr(err, "'mdctl down r0' and 'mdctl up r0'"));
	}
	assert_int_equal(adjust_to("", "[resource r0 node alpha]\naddress = 10.0.0.9\ndisk = /dev/sdb\n"
				   "[resource r0 node beta]\naddress = 10.0.0.2\ndisk = /dev/sdc\n"
				   "meta = /dev/sdd1\n", what, sizeof(what)), -EBUSY);
	assert_non_null(strstr(err, "node sections"));
	/* A runtime change beside a restart one: refused as a whole. */
	assert_int_equal(adjust_to("timeout = 9\nport = 7000\n", NODES, what, sizeof(what)), -EBUSY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(adjust_runtime_and_restart_keys),
		cmocka_unit_test(valid),
		cmocka_unit_test(defaults),
		cmocka_unit_test(compression_settings),
		cmocka_unit_test(async_settings),
		cmocka_unit_test(fencing_and_handlers),
		cmocka_unit_test(entry_errors_name_the_line),
		cmocka_unit_test(file_errors),
		cmocka_unit_test(key_given_twice_refused),
		cmocka_unit_test(chunk_size_limits),
		cmocka_unit_test(inline_comments),
		cmocka_unit_test(continuation_line_refused),
		cmocka_unit_test(name_and_line_limits),
		cmocka_unit_test(sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
