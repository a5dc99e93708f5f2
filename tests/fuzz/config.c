/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.c - fuzz target: the configuration parser (md_config_load in
 * lib/config.c, on top of the system's inih).  An administrator writes
 * the file, not an attacker, but a typo must give an error message, never
 * a crash or a configuration that says something else than the file.
 *
 * Input: the file's bytes, written to a scratch file.  The error buffer is
 * 512 bytes for inputs of even length, 16 for odd ones (on the heap, so
 * that ASan sees a message that does not fit).
 *
 * Checked: a configuration accepted is one mirrord can use (the limits of
 * config.h and mirrordisk.conf(5)); a refusal has a message; and an
 * accepted configuration printed back in canonical form parses to the
 * same values (there is no encoder in lib/, this is the round trip).
 * inih itself is the system's library, not instrumented: ASan still sees
 * what it writes into our buffers and what our callbacks do.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>
#include "config.h"
#include "fuzz.h"
#include "md_meta.h"

static struct md_config cfg, cfg2;

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size);

static bool name_ok(const char *s)
{
	size_t n = strnlen(s, MD_NAME_LEN);

	if (n == 0 || n == MD_NAME_LEN)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

static bool str_ok(const char *s, size_t size)
{
	return strnlen(s, size) < size;
}

static void check_valid(const struct md_config *c)
{
	FUZZ_CHECK(c->nres >= 1 && c->nres <= MD_MAX_RESOURCES);
	for (int i = 0; i < c->nres; i++) {
		const struct md_res_cfg *r = &c->res[i];

		FUZZ_CHECK(name_ok(r->name));
		FUZZ_CHECK(r->minor >= 0 && r->minor < MD_MAX_MINORS);
		FUZZ_CHECK(r->port >= 1 && r->port <= 65535);
		FUZZ_CHECK(r->timeout_s >= 1 && r->timeout_s <= 600);
		FUZZ_CHECK(r->chunk_shift >= MD_CHUNK_SHIFT_MIN &&
			   r->chunk_shift <= MD_CHUNK_SHIFT_MAX);
		FUZZ_CHECK(r->checksum_resync == 0 || r->checksum_resync == 1);
		FUZZ_CHECK(r->ko_count >= 1 && r->ko_count <= 100);
		FUZZ_CHECK(r->auth_none == 0 || r->auth_none == 1);
		FUZZ_CHECK(r->data_integrity == 0 || r->data_integrity == 1);
		FUZZ_CHECK(!r->secret_file[0] || r->secret_file[0] == '/');
		FUZZ_CHECK(r->nnodes == 2);
		FUZZ_CHECK(strcmp(r->nodes[0].name, r->nodes[1].name) != 0);
		for (int j = 0; j < 2; j++) {
			const struct md_node_cfg *nd = &r->nodes[j];

			FUZZ_CHECK(name_ok(nd->name));
			FUZZ_CHECK(str_ok(nd->address, sizeof(nd->address)) && nd->address[0]);
			FUZZ_CHECK(str_ok(nd->disk, sizeof(nd->disk)) && nd->disk[0] == '/');
			FUZZ_CHECK(str_ok(nd->meta, sizeof(nd->meta)) &&
				   (!nd->meta[0] || nd->meta[0] == '/'));
		}
		FUZZ_CHECK(md_config_find((struct md_config *)c, r->name) == r);
		for (int j = 0; j < i; j++)
			FUZZ_CHECK(c->res[j].minor != r->minor);
	}
}

/*
 * The file that says what c says, with every setting spelled out, or 0
 * when a line of it would be too long for inih (INI_MAX_LINE): a value
 * can reach that length through a continuation line, which has a shorter
 * prefix than "disk=", and such a file has no canonical form.
 */
static size_t print_canonical(const struct md_config *c, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");
	long n;

	FUZZ_CHECK(f);
	for (int i = 0; i < c->nres; i++) {
		const struct md_res_cfg *r = &c->res[i];

		if (strlen(r->secret_file) + 12 > INI_MAX_LINE - 2) {
			fclose(f);
			return 0;
		}
		for (int j = 0; j < r->nnodes; j++)
			if (strlen(r->nodes[j].disk) + 5 > INI_MAX_LINE - 2 ||
			    strlen(r->nodes[j].meta) + 5 > INI_MAX_LINE - 2 ||
			    strlen(r->nodes[j].address) + 8 > INI_MAX_LINE - 2) {
				fclose(f);
				return 0;
			}
		fprintf(f, "[resource %s]\nminor=%d\nport=%d\nchunk-size=%llu\n"
			"timeout=%d\nresync-rate=%llu\nchecksum-resync=%s\nko-count=%d\n"
			"auth=%s\ndata-integrity=%s\n",
			r->name, r->minor, r->port, 1ull << r->chunk_shift, r->timeout_s,
			(unsigned long long)r->resync_rate, r->checksum_resync ? "yes" : "no",
			r->ko_count, r->auth_none ? "none" : "hmac-sha256",
			r->data_integrity ? "yes" : "no");
		if (r->secret_file[0])
			fprintf(f, "secret-file=%s\n", r->secret_file);
		for (int j = 0; j < r->nnodes; j++) {
			const struct md_node_cfg *nd = &r->nodes[j];

			fprintf(f, "[resource %s node %s]\naddress=%s\ndisk=%s\nmeta=%s\n",
				r->name, nd->name, nd->address, nd->disk,
				nd->meta[0] ? nd->meta : "internal");
		}
	}
	FUZZ_CHECK(!ferror(f));
	n = ftell(f);
	fclose(f);
	FUZZ_CHECK(n >= 0 && (size_t)n < len);
	return (size_t)n;
}

static void check_same(const struct md_config *a, const struct md_config *b)
{
	FUZZ_CHECK(a->nres == b->nres);
	for (int i = 0; i < a->nres; i++) {
		const struct md_res_cfg *x = &a->res[i], *y = &b->res[i];

		FUZZ_CHECK(!strcmp(x->name, y->name) && x->minor == y->minor &&
			   x->port == y->port && x->chunk_shift == y->chunk_shift &&
			   x->timeout_s == y->timeout_s && x->resync_rate == y->resync_rate &&
			   x->checksum_resync == y->checksum_resync && x->nnodes == y->nnodes &&
			   x->ko_count == y->ko_count && x->auth_none == y->auth_none &&
			   x->data_integrity == y->data_integrity &&
			   !strcmp(x->secret_file, y->secret_file));
		for (int j = 0; j < x->nnodes; j++) {
			const struct md_node_cfg *p = &x->nodes[j], *q = &y->nodes[j];

			FUZZ_CHECK(!strcmp(p->name, q->name) && !strcmp(p->address, q->address) &&
				   !strcmp(p->disk, q->disk) && !strcmp(p->meta, q->meta));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t size)
{
	static char canon[64 * 1024];
	size_t errlen = size % 2 ? 16 : 512;
	char *err = malloc(errlen);
	const char *path;
	int rc;

	FUZZ_CHECK(err);
	path = fuzz_file("in", in, size);
	rc = md_config_load(path, &cfg, err, errlen);
	FUZZ_CHECK(strnlen(err, errlen) < errlen);
	if (rc) {
		FUZZ_CHECK(rc == -EINVAL && err[0]);
		free(err);
		return 0;
	}
	FUZZ_CHECK(err[0] == '\0');
	check_valid(&cfg);

	size_t n = print_canonical(&cfg, canon, sizeof(canon));

	if (!n) {
		free(err);
		return 0;
	}
	path = fuzz_file("out", (const uint8_t *)canon, n);
	rc = md_config_load(path, &cfg2, err, errlen);
	if (rc)
		fprintf(stderr, "canonical form refused: %s\n%.*s", err, (int)n, canon);
	FUZZ_CHECK(rc == 0);
	check_same(&cfg, &cfg2);
	free(err);
	return 0;
}
