/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_compress.c - compression in mirrord (mirrord/compress.c and the
 * DATA paths that use lib/zdata.c) on the fake I/O loop (fake_io.h):
 *   - a channel batch of writes goes out with each payload compressed or
 *     raw as the codec decides, the frames in the send buffer's second
 *     half at their payloads' places, and every packet decodes back to
 *     the write it stands for;
 *   - the secondary decodes a compressed write into the arena and writes
 *     exactly the data; a broken frame, or a compressed packet on a
 *     connection that did not negotiate compression, resets the link with
 *     the data-integrity reason and writes and acknowledges nothing;
 *   - auto compresses while the send queue is backed up in at least half
 *     of the last 8 batches, zstd always, none (set at run time) never,
 *     and nothing without negotiation;
 *   - the counts reach the state file at most once a second while moving.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "fake_io.h"

static char buf[SBUF_SIZE];

/* Text-like data that compresses about 4x. */
static void fill_text(char *p, size_t n, unsigned seed)
{
	size_t i = 0;

	while (i < n) {
		char tmp[48];
		int k;

		seed = seed * 1103515245u + 12345u;
		k = snprintf(tmp, sizeof(tmp), "chunk %u of /var/lib/db ", (seed >> 16) % 1000);
		for (int j = 0; j < k && i < n; j++)
			p[i++] = tmp[j];
	}
}

static void fill_random(char *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
		p[i] = (char)seed;
	}
}

/* A repl with compression configured and negotiated, as handshake.c and
 * repl_connected leave it. */
static struct repl *compressing(uint32_t role, int mode)
{
	struct repl *r = fake_repl_new(role);

	r->res->compression = mode;
	r->res->compression_level = 1;
	assert_int_equal(zc_init(r), 0);
	r->hs.zstd = true;
	zc_connected(r);
	return r;
}

static void done(struct repl *r)
{
	zc_fini(r);
	fake_repl_free(r);
}

/* Append one channel record (request header, payload) to buf at *pos. */
static void record(size_t *pos, uint64_t id, uint64_t off, uint32_t op, uint32_t len,
		   const char *data)
{
	struct md_chan_req q = { .id = id, .offset = off, .op = op, .len = len };

	memcpy(buf + *pos, &q, sizeof(q));
	if (len)
		memcpy(buf + *pos + sizeof(q), data, len);
	*pos += sizeof(q) + len;
}

/* The next packet on the wire is DATA id, standing for len bytes of data,
 * compressed or not as said; decoded, it is those bytes. */
static void expect_packet(struct repl *r, struct md_zdec *zd, uint64_t id, uint32_t len,
			  bool compressed, const char *data)
{
	static char out[MD_MAX_IO_BYTES];
	struct md_data_info d;
	const char *body;
	uint16_t type;
	uint32_t blen;

	assert_true(fake_wire_next(r->io, &type, &body, &blen));
	assert_int_equal(type, MDW_DATA);
	assert_int_equal(mdw_data_decode(body, blen, &d), 0);
	assert_int_equal(d.id, id);
	assert_int_equal(d.len, len);
	assert_int_equal(!!(d.flags & MDW_DF_ZSTD), compressed);
	if (compressed)
		assert_true(d.plen <= len - len / 8);
	assert_int_equal(mdw_data_unpack(zd, &d, body + sizeof(struct mdw_data), out), 0);
	if (len)
		assert_memory_equal(out, data, len);
}

static void batch_goes_out_compressed_where_it_pays(void **state)
{
	struct repl *r = compressing(MD_ROLE_PRIMARY, MD_COMP_ZSTD);
	static char text[65536], rnd[4096], small[512];
	struct md_zdec zd = { 0 };
	size_t pos = 0;

	(void)state;
	assert_int_equal(md_zdec_init(&zd), 0);
	fill_text(text, sizeof(text), 1);
	fill_random(rnd, sizeof(rnd), 2);
	fill_text(small, sizeof(small), 3);
	send_start(r);
	assert_non_null(r->snd.sb[0].zbuf);
	record(&pos, 1, 0, MD_OP_WRITE, sizeof(text), text);
	record(&pos, 2, 1 << 20, MD_OP_WRITE, sizeof(rnd), rnd);
	record(&pos, 3, 2 << 20, MD_OP_WRITE, sizeof(small), small);
	record(&pos, 4, 0, MD_OP_FLUSH, 0, NULL);
	record(&pos, 5, 3 << 20, MD_OP_WRITE, 8192, text + 1000);
	fake_read(r->io, r->dev.ctl_fd, buf, pos);
	fake_send_all(r->io);
	expect_packet(r, &zd, 1, sizeof(text), true, text);
	expect_packet(r, &zd, 2, sizeof(rnd), false, rnd);
	expect_packet(r, &zd, 3, sizeof(small), false, small);
	expect_packet(r, &zd, 4, 0, false, NULL);
	expect_packet(r, &zd, 5, 8192, true, text + 1000);
	assert_false(r->conn.failing);
	/* The counts status shows: the flush has no payload. */
	assert_int_equal(r->zc.enc.st.msgs, 4);
	assert_int_equal(r->zc.enc.st.raw_msgs, 2);
	assert_int_equal(r->zc.enc.st.in_bytes, sizeof(text) + sizeof(rnd) + sizeof(small) + 8192);
	assert_int_equal(r->zc.enc.st.raw_bytes, sizeof(rnd) + sizeof(small));
	assert_true(r->zc.enc.st.out_bytes < r->zc.enc.st.in_bytes / 2);
	md_zdec_fini(&zd);
	done(r);
}

/* Without negotiation nothing is compressed, whatever the setting. */
static void not_negotiated_sends_raw(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_PRIMARY);
	static char text[65536];
	size_t pos = 0;

	(void)state;
	r->res->compression = MD_COMP_ZSTD;
	assert_int_equal(zc_init(r), 0);
	zc_connected(r);
	fill_text(text, sizeof(text), 4);
	send_start(r);
	assert_null(r->snd.sb[0].zbuf);
	assert_null(zc_encoder(r));
	record(&pos, 1, 0, MD_OP_WRITE, sizeof(text), text);
	fake_read(r->io, r->dev.ctl_fd, buf, pos);
	fake_send_all(r->io);
	expect_packet(r, NULL, 1, sizeof(text), false, text);
	assert_int_equal(r->zc.enc.st.msgs, 0);
	done(r);
}

/* A DATA packet from the peer, packed by the codec, to the handler. */
static int feed(struct repl *r, uint64_t id, uint64_t off, const char *data, uint32_t len,
		int flip_at)
{
	static char body[sizeof(struct mdw_data) + MD_MAX_IO_BYTES], out[MD_MAX_IO_BYTES];
	struct md_zenc z = { 0 };
	struct md_data_info d = { .id = id, .offset = off, .len = len, .seq = id };
	unsigned char frame[MDW_DATA_FRAME];
	const void *p;
	uint32_t plen;

	assert_int_equal(md_zenc_init(&z, 1), 0);
	p = mdw_data_pack(&z, frame, &d, data, out, &plen);
	md_zenc_fini(&z);
	assert_true(d.flags & MDW_DF_ZSTD);
	memcpy(body, frame + sizeof(struct mdw_hdr), sizeof(struct mdw_data));
	memcpy(body + sizeof(struct mdw_data), p, plen);
	if (flip_at >= 0)
		body[sizeof(struct mdw_data) + (uint32_t)flip_at % plen] ^= 0x08;
	return handle_data(r, body, (uint32_t)(sizeof(struct mdw_data) + plen));
}

static void secondary_decodes_into_the_arena(void **state)
{
	struct repl *r = compressing(MD_ROLE_SECONDARY, MD_COMP_ZSTD);
	static char text[65536];
	struct io_op *op;

	(void)state;
	fill_text(text, sizeof(text), 5);
	assert_int_equal(feed(r, 1, 1 << 20, text, sizeof(text), -1), 1);
	op = fake_find(r->io, IO_WRITE, 1 << 20);
	assert_non_null(op);
	assert_int_equal(op->len, sizeof(text));
	assert_memory_equal(op->buf, text, sizeof(text));
	assert_int_equal(r->zc.dec.st.in_bytes, sizeof(text));
	assert_true(r->zc.dec.st.out_bytes < sizeof(text) / 2);
	fake_complete(r->io, op, (int)op->len);
	assert_false(r->conn.failing);
	done(r);
}

/* A frame changed on the way: refused like a failed digest, nothing
 * written, nothing acknowledged, the reason in status. */
static void broken_frame_resets_the_link(void **state)
{
	struct repl *r = compressing(MD_ROLE_SECONDARY, MD_COMP_ZSTD);
	static char text[65536];

	(void)state;
	fill_text(text, sizeof(text), 6);
	assert_int_equal(feed(r, 1, 0, text, sizeof(text), 1024), -1);
	assert_true(r->conn.failing);
	if (!strstr(r->conn.fail_reason, "data integrity: a compressed DATA packet of 65536 bytes "
		    "at offset 0 was refused"))
		fail_msg("reason: %s", r->conn.fail_reason);
	assert_null(fake_find(r->io, IO_WRITE, -1));
	fake_send_all(r->io);
	assert_false(fake_on_wire(r, MDW_ACK));
	done(r);
}

/* Compressed data on a connection that negotiated none: refused. */
static void compressed_without_negotiation_is_refused(void **state)
{
	struct repl *r = compressing(MD_ROLE_SECONDARY, MD_COMP_ZSTD);
	static char text[8192];

	(void)state;
	r->hs.zstd = false;
	fill_text(text, sizeof(text), 7);
	assert_int_equal(feed(r, 1, 0, text, sizeof(text), -1), -1);
	if (!strstr(r->conn.fail_reason, "compressed, but compression was not negotiated"))
		fail_msg("reason: %s", r->conn.fail_reason);
	assert_null(fake_find(r->io, IO_WRITE, -1));
	done(r);
}

/* auto: the encoder pauses unless half of the last 8 batches found the
 * send queue backed up. */
static void auto_follows_the_send_queue(void **state)
{
	struct repl *r = compressing(MD_ROLE_PRIMARY, MD_COMP_AUTO);
	struct txitem t = { 0 };
	static const struct { bool busy, paused; } steps[] = {
		{ false, true }, { true, true }, { true, true }, { true, true },
		{ true, false },	/* 4 of the last 8 */
		{ false, false }, { false, false }, { false, false }, { false, false },
		{ false, true },	/* 3 of the last 8 */
		{ true, true }, { false, true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct md_zenc *z;

		r->tx.q = steps[i].busy ? &t : NULL;
		assert_true(tx_backlog(r) == steps[i].busy);
		z = zc_encoder(r);
		assert_non_null(z);
		if (z->paused != steps[i].paused)
			fail_msg("step %zu: paused %d", i, z->paused);
	}
	r->tx.q = NULL;
	/* zstd: always; none at run time: never, the encoder still counting. */
	r->res->compression = MD_COMP_ZSTD;
	assert_false(zc_encoder(r)->paused);
	r->res->compression = MD_COMP_NONE;
	assert_true(zc_encoder(r)->paused);
	done(r);
}

/* The socket's own backlog counts: over TCP whose peer does not read, the
 * send buffer fills with bytes not yet sent, and the link is behind even
 * with our queue empty; drained, it is not. */
static void socket_backlog_counts(void **state)
{
	struct repl *r = compressing(MD_ROLE_PRIMARY, MD_COMP_AUTO);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0), s, keep;
	static char junk[65536];

	(void)state;
	assert_true(l >= 0 && c >= 0);
	assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	s = accept(l, NULL, NULL);
	assert_true(s >= 0);
	keep = r->conn.sock;
	r->conn.sock = c;
	assert_false(tx_backlog(r));
	while (send(c, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	assert_true(tx_backlog(r));
	while (tx_backlog(r))
		assert_true(recv(s, junk, sizeof(junk), 0) > 0);
	r->conn.sock = keep;
	close(s); close(c); close(l);
	done(r);
}

/* The counts reach the state file while data flows: at most once a
 * second, and only when they moved. */
static void counts_published_once_a_second(void **state)
{
	struct repl *r = compressing(MD_ROLE_PRIMARY, MD_COMP_ZSTD);
	uint64_t t = 10000;

	(void)state;
	assert_false(zc_publish_due(r, t));		/* nothing moved */
	r->zc.enc.st.in_bytes = 4096;
	assert_true(zc_publish_due(r, t));
	r->zc.enc.st.in_bytes = 8192;
	assert_false(zc_publish_due(r, t + 999));
	assert_true(zc_publish_due(r, t + 1000));
	r->zc.dec.st.in_bytes = 512;			/* received counts too */
	assert_true(zc_publish_due(r, t + 2000));
	assert_false(zc_publish_due(r, t + 5000));
	done(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(batch_goes_out_compressed_where_it_pays),
		cmocka_unit_test(not_negotiated_sends_raw),
		cmocka_unit_test(secondary_decodes_into_the_arena),
		cmocka_unit_test(broken_frame_resets_the_link),
		cmocka_unit_test(compressed_without_negotiation_is_refused),
		cmocka_unit_test(auto_follows_the_send_queue),
		cmocka_unit_test(counts_published_once_a_second),
		cmocka_unit_test(socket_backlog_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
