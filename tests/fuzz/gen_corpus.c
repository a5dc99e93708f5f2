/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * gen_corpus.c - writes the seed corpora of tests/fuzz/corpus/ with the
 * project's own encoders and writers, so that every seed is a valid input
 * of the current formats.  `make fuzz-corpus` builds and runs it; the
 * generated files are committed (a fuzz run never writes there: see
 * tests/fuzz/run.sh).
 *
 *   gen_corpus DIR      writes DIR/{wire,meta,config,runfile,rx,listen,zdata}/NAME
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include "meta.h"
#include "runfile.h"
#include "auth.h"
#include "wire.h"
#include "zdata.h"
#include "rx_input.h"

static const char *root;

static void put(const char *target, const char *name, const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, target);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", root, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* A packet: header and body, as the wire carries it. */
static void packet(const char *name, uint16_t type, const void *body, uint32_t len)
{
	unsigned char *p = calloc(1, sizeof(struct mdw_hdr) + len);

	mdw_hdr_encode(p, type, len);
	memcpy(p + sizeof(struct mdw_hdr), body, len);
	put("wire", name, p, sizeof(struct mdw_hdr) + len);
	free(p);
}

static void wire(void)
{
	unsigned char b[sizeof(struct mdw_bitmap) + 256];
	struct md_hello_info h = {
		.proto_min = MDW_PROTO_MIN, .proto_max = MDW_PROTO_MAX,
		.features = MDW_FEATURES_SUPPORTED, .size_bytes = 1ull << 30,
		.chunk_bytes = 1u << 16, .role = MD_ROLE_SECONDARY,
		.resource = "r0", .node = "beta", .peer = "alpha",
		.gen_current = 0x2222222222222222ull, .gen_bitmap = 0,
		.gen_history = { 0x4444444444444444ull, 0 }, .oos_chunks = 0,
		.disk_state = MD_DISK_UPTODATE,
	};
	struct md_data_info d = { .id = 1, .offset = 4096, .len = 512, .seq = 1 };
	uint64_t words[4] = { 1, 0x8000000000000000ull, 0, 0xff };
	unsigned char data[sizeof(struct mdw_data) + 512] = { 0 };

	mdw_hello_encode(b, &h);
	packet("hello", MDW_HELLO, b, sizeof(struct mdw_hello));
	h.role = MD_ROLE_PRIMARY;
	h.sb_flags = MD_SBF_PRIMARY;
	h.gen_current = 0x1111111111111111ull;
	h.gen_bitmap = 0x2222222222222222ull;
	h.oos_chunks = 5;
	mdw_hello_encode(b, &h);
	packet("hello-primary", MDW_HELLO, b, sizeof(struct mdw_hello));
	mdw_reject_encode(b, MDW_REJ_SPLIT_BRAIN, "split brain: both nodes changed");
	packet("reject", MDW_REJECT, b, sizeof(struct mdw_reject));
	mdw_data_encode(data, &d);
	memset(data + sizeof(struct mdw_data), 0x5a, 512);
	packet("data", MDW_DATA, data, sizeof(data));
	d = (struct md_data_info){ .id = 2, .flags = MDW_DF_PREFLUSH | MDW_DF_FUA, .seq = 2 };
	mdw_data_encode(b, &d);
	packet("data-flush", MDW_DATA, b, sizeof(struct mdw_data));
	mdw_ack_encode(b, 1, -5);
	packet("ack", MDW_ACK, b, sizeof(struct mdw_ack));
	packet("ping", MDW_PING, b, 0);
	mdw_state_encode(b, MD_ROLE_PRIMARY, 0);
	packet("state", MDW_STATE, b, sizeof(struct mdw_state));
	mdw_bitmap_encode(b, 64, 200, words);
	packet("bitmap", MDW_BITMAP, b, (uint32_t)mdw_bitmap_body_len(200));
	packet("bitmap-end", MDW_BITMAP_END, b, 0);
	mdw_rs_done_encode(b, 0x1111111111111111ull, 3);
	packet("rs-done", MDW_RS_DONE, b, sizeof(struct mdw_rs_done));
	mdw_rs_digest_encode(b, 3, 65536, 65536, 0x0123456789abcdefull);
	packet("rs-digest", MDW_RS_DIGEST, b, sizeof(struct mdw_rs_digest));
	packet("vf-digest", MDW_VF_DIGEST, b, sizeof(struct mdw_rs_digest));
	mdw_rs_reply_encode(b, 3, true);
	packet("rs-reply", MDW_RS_REPLY, b, sizeof(struct mdw_rs_reply));
	packet("vf-reply", MDW_VF_REPLY, b, sizeof(struct mdw_rs_reply));
	{
		struct md_auth_msg m = { .method = MDW_AUTH_HMAC_SHA256, .step = 2 };

		memset(m.nonce, 0x5a, sizeof(m.nonce));
		memset(m.mac, 0xa5, sizeof(m.mac));
		mdw_auth_encode(b, &m);
		packet("auth-2", MDW_AUTH, b, sizeof(struct mdw_auth));
		m.step = 1;
		mdw_auth_encode(b, &m);
		packet("auth-1", MDW_AUTH, b, sizeof(struct mdw_auth));
	}
}

static struct md_super sb_sample(const char *node, uint64_t seq)
{
	struct md_super sb;

	memset(&sb, 0, sizeof(sb));
	snprintf(sb.resource, sizeof(sb.resource), "r0");
	snprintf(sb.node, sizeof(sb.node), "%s", node);
	sb.disk_state = MD_DISK_UPTODATE;
	sb.data_bytes = 1ull << 30;
	sb.chunk_shift = MD_CHUNK_SHIFT_DEFAULT;
	sb.bitmap_bytes = MD_BITMAP_BYTES(sb.data_bytes, sb.chunk_shift);
	sb.seq = seq;
	return sb;
}

/* Control byte (see meta.c), then the two slots. */
static void area(const char *name, uint8_t ctl, const struct md_super *s0,
		 const struct md_super *s1, size_t len)
{
	static unsigned char a[1 + 2 * MD_SB_SIZE];

	memset(a, 0, sizeof(a));
	a[0] = ctl;
	if (s0)
		md_sb_encode(s0, a + 1);
	if (s1)
		md_sb_encode(s1, a + 1 + MD_SB_SIZE);
	put("meta", name, a, len);
}

static void meta(void)
{
	struct md_super a = sb_sample("alpha", 2), b = sb_sample("alpha", 1);

	area("blank", 0x03, &a, &b, 1 + 2 * MD_SB_SIZE);
	/* Two nodes' superblocks: alpha moved on from beta's generation. */
	a.flags = MD_SBF_PRIMARY;
	a.gen_current = 0x1111111111111111ull;
	a.gen_bitmap = 0x2222222222222222ull;
	a.gen_history[0] = 0x3333333333333333ull;
	b = sb_sample("beta", 7);
	b.gen_current = 0x2222222222222222ull;
	b.gen_bitmap = 0x4444444444444444ull;
	b.gen_history[0] = 0x3333333333333333ull;
	b.disk_state = MD_DISK_OUTDATED;
	area("pair", 0x3f, &a, &b, 1 + 2 * MD_SB_SIZE);
	/* A rebuild mark, external metadata. */
	b.flags = MD_SBF_DISCARD | MD_SBF_FULL | MD_SBF_EXTERNAL;
	b.chunk_shift = MD_CHUNK_SHIFT_MIN;
	b.bitmap_bytes = MD_BITMAP_BYTES(b.data_bytes, b.chunk_shift);
	area("rebuild", 0x13, &a, &b, 1 + 2 * MD_SB_SIZE);
	/* Slot 1 torn (all zero), slot 0 alone valid. */
	area("torn", 0, &a, NULL, 1 + 2 * MD_SB_SIZE);
	/* A device too short for both slots. */
	area("short", 0x01, &a, NULL, 1 + MD_SB_SIZE + 100);
}

static void text(const char *target, const char *name, const char *s)
{
	put(target, name, s, strlen(s));
}

/* ctlreq: requests of the control socket and event lines (lib/ctlproto.h). */
static void ctlreq(void)
{
	text("ctlreq", "pause", "pause");
	text("ctlreq", "set", "set resync-rate 41943040");
	text("ctlreq", "verify", "verify 1733412345678");
	text("ctlreq", "events-now", "events now");
	text("ctlreq", "event-change", "2026-12-05T15:32:27.123Z change resource name=r0 "
	     "conn=connecting peer-disk=unknown");
	text("ctlreq", "event-exists", "exists resource name=r0 role=primary conn=connected "
	     "disk=up-to-date peer-disk=up-to-date resync=source done=5 total=10 percent=50 "
	     "verify=none");
}

static void config(void)
{
	text("config", "guest", "; the two-guest bench\n"
	     "[resource r0]\nminor = 0\nport = 7790\ntimeout = 5\n\n"
	     "[resource r0 node node-a]\naddress = 10.77.0.1\ndisk = /dev/vda\n\n"
	     "[resource r0 node node-b]\naddress = 10.77.0.2\ndisk = /dev/vda\n");
	text("config", "full", "# every setting\n"
	     "[resource db]\nminor = 3\nport = 7791\nchunk-size = 1M\ntimeout = 600\n"
	     "resync-rate = 50MiB\nchecksum-resync = yes\nko-count = 7\n"
	     "secret-file = /etc/mirrordisk/db.secret\nauth = hmac-sha256\ndata-integrity = yes\n"
	     "[resource db node n1]\naddress = 192.168.1.1\ndisk = /dev/sdb1\nmeta = /dev/sdc1\n"
	     "[resource db node n2]\naddress = n2.example\ndisk = /dev/sdb1\nmeta = internal\n"
	     "[resource web]\nminor = 4\nchunk-size = 4K\nresync-rate = 0\nauth = none\n"
	     "[resource web node n1]\naddress = 10.0.0.1\ndisk = /dev/sdd\n"
	     "[resource web node n2]\naddress = 10.0.0.2\ndisk = /dev/sdd\n");
	text("config", "comments", "[resource t1]  # trailing\n"
	     "minor = 7 # the second database\nresync-rate = 10M ; at night\n"
	     "[resource t1 node node-a]\naddress = 10.77.0.1\t# tab before\n"
	     "disk = /nonexistent/a#1 ; a '#' inside a word is data\n"
	     "[resource t1 node node-b]\naddress = 10.77.0.2\ndisk = /nonexistent/b\n"
	     "  /nonexistent/b2\n");
	text("config", "bad", "[resource r0]\nminor = 300\n[resource r0 node a]\ndisk = dev\n"
	     "[resource r0 node b]\n[resource r0 node c]\nfoo = bar\n");
	text("config", "twice", "[resource r0]\nminor = 0\nsecret-file = /etc/mirrordisk/r0.secret\n"
	     "[resource r0 node a]\naddress = 10.0.0.1\ndisk = /dev/sdb\n"
	     "[resource r0 node b]\naddress = 10.0.0.2\ndisk = /dev/sdb\n"
	     "[resource r0]\nsecret-file = /tmp/r0.secret\nencryption = none\n");
}

static char *slurp(const char *path, size_t *len)
{
	static char buf[8192];
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		exit(1);
	}
	buf[0] = 0;	/* the mode byte, set by the caller */
	*len = 1 + fread(buf + 1, 1, sizeof(buf) - 1, f);
	fclose(f);
	return buf;
}

static void runfile(void)
{
	char path[] = "/tmp/mdgen.XXXXXX", file[64];
	struct md_state s;
	char *buf;
	size_t len;

	if (!mkdtemp(path)) {
		perror("mkdtemp");
		exit(1);
	}
	snprintf(file, sizeof(file), "%s/f", path);
	memset(&s, 0, sizeof(s));
	s.pid = 1234;
	s.link = MD_LINK_CONNECTED;
	snprintf(s.peer, sizeof(s.peer), "beta");
	snprintf(s.peer_role, sizeof(s.peer_role), "secondary");
	snprintf(s.io, sizeof(s.io), "io_uring");
	s.since = 1700000000;
	snprintf(s.last_error, sizeof(s.last_error), "peer refused: split brain");
	snprintf(s.verify, sizeof(s.verify), "done");
	s.verify_token = 9;
	s.verify_done = s.verify_total = 16384;
	s.verify_differ = 2;
	s.verify_first[0] = 65536;
	s.verify_first[1] = 1ull << 40;
	s.verify_nfirst = 2;
	s.resync_rate = 100 << 20;
	snprintf(s.sync, sizeof(s.sync), "source-bitmap");
	snprintf(s.sync_role, sizeof(s.sync_role), "source");
	s.sync_done = 10;
	s.sync_total = 20;
	if (md_state_write(file, &s)) {
		fprintf(stderr, "md_state_write failed\n");
		exit(1);
	}
	buf = slurp(file, &len);
	buf[0] = 0;
	put("runfile", "state", buf, len);

	unlink(file);
	rmdir(path);

	buf = malloc(1 + sizeof(s));
	buf[0] = 1;
	memcpy(buf + 1, &s, sizeof(s));
	put("runfile", "struct", buf, 1 + sizeof(s));
	free(buf);
}

/*
 * rx: connections scripted in tests/fuzz/rx_input.h's format, each a valid
 * exchange of its state: data applied and acknowledged, a bitmap resync
 * and a checksum resync on both sides, a verify, the control packets.
 */
static uint8_t rxs[4096];
static size_t rxn;

static void rx_b(unsigned v) { rxs[rxn++] = (uint8_t)v; }
static void rx_16(unsigned v) { rx_b(v & 0xff); rx_b(v >> 8 & 0xff); }

static void rx_begin(unsigned how, unsigned marks)
{
	rxn = 0;
	rx_b(how);
	rx_b(marks);
}

/* A packet whose body starts with head (len bytes of body in all). */
static void rx_pkt(uint16_t type, const void *head, uint32_t nhead, uint32_t len)
{
	rx_b(RXF_PKT);
	rx_b(type);
	rx_b(len & 0xff); rx_b(len >> 8 & 0xff); rx_b(len >> 16 & 0xff);
	rx_b(nhead);
	memcpy(rxs + rxn, head, nhead);
	rxn += nhead;
}

static void rx_recv(void) { rx_b(RXF_RECV); rx_16(0); }
static void rx_send(void) { rx_b(RXF_SEND); rx_16(0); }
static void rx_disk(void) { rx_b(RXF_DISK); rx_b(0); rx_b(0); }

static void rx_kernel(unsigned what, unsigned chunk, unsigned shape)
{
	rx_b(RXF_KERNEL); rx_b(what); rx_16(chunk); rx_b(shape);
}

static void rx_data(uint64_t id, uint64_t off, uint32_t len, uint16_t flags)
{
	struct md_data_info d = { .id = id, .offset = off, .len = len, .flags = flags, .seq = id };
	unsigned char b[sizeof(struct mdw_data)];

	mdw_data_encode(b, &d);
	rx_pkt(MDW_DATA, b, sizeof(b), sizeof(b) + len);
}

static void rx_ack(uint64_t id, int32_t status)
{
	unsigned char b[sizeof(struct mdw_ack)];

	mdw_ack_encode(b, id, status);
	rx_pkt(MDW_ACK, b, sizeof(b), sizeof(b));
}

static void rx_rs_done(uint64_t sent)
{
	unsigned char b[sizeof(struct mdw_rs_done)];

	mdw_rs_done_encode(b, 0x5eed0001ull, sent);
	rx_pkt(MDW_RS_DONE, b, sizeof(b), sizeof(b));
}

static void rx_put(const char *name) { put("rx", name, rxs, rxn); }

static void rx(void)
{
	const uint32_t chunk = 64u << 10;
	/* The harness's first request has id 1 << 32 in slot 0. */
	const uint64_t kid1 = 1ull << 32;
	static char zeros[64u << 10];
	unsigned char b[512];
	uint64_t words[16] = { 1ull << 5 };

	for (unsigned integrity = 0; integrity <= RXF_INTEGRITY; integrity += RXF_INTEGRITY) {
		/* secondary: DATA written, acked; a PING answered */
		rx_begin(integrity, 0);
		rx_data(1, 4096, 8192, MDW_DF_FUA);
		rx_pkt(MDW_PING, NULL, 0, 0);
		rx_recv();
		rx_disk();
		rx_send();
		put("rx", integrity ? "secondary-data-integrity" : "secondary-data", rxs, rxn);
	}

	/* primary: a write to the peer, its ACK to the kernel */
	rx_begin(RXF_PRIMARY, 0);
	rx_kernel(0, 3, 0x12);
	rx_send();
	rx_ack(kid1, 0);
	rx_pkt(MDW_PONG, NULL, 0, 0);
	rx_recv();
	rx_b(RXF_TICK);
	rx_send();
	rx_put("primary-ack");

	/* both: STATE, then the peer's REJECT */
	rx_begin(RXF_PRIMARY, 0);
	mdw_state_encode(b, MD_ROLE_SECONDARY, MD_DISK_INCONSISTENT);
	rx_pkt(MDW_STATE, b, sizeof(struct mdw_state), sizeof(struct mdw_state));
	mdw_reject_encode(b, MDW_REJ_ROLE, "both primary");
	rx_pkt(MDW_REJECT, b, sizeof(struct mdw_reject), sizeof(struct mdw_reject));
	rx_recv();
	rx_put("state-reject");

	/* resync target: bitmap out, two chunks in, RS_DONE, flush */
	rx_begin(RXF_SYNC_TARGET_BITMAP << RXF_SYNC_SHIFT, 0x03);
	rx_send();
	rx_data(7, 0, chunk, MDW_DF_RESYNC);
	rx_data(8, chunk, chunk, MDW_DF_RESYNC);
	rx_recv();
	rx_disk();
	rx_disk();
	rx_rs_done(2);
	rx_recv();
	rx_disk();
	rx_send();
	rx_put("target-resync");

	/* checksum resync target: a digest that matches our (zero) chunk */
	rx_begin(RXF_CSUM | RXF_SYNC_TARGET_BITMAP << RXF_SYNC_SHIFT, 0x01);
	rx_send();
	mdw_rs_digest_encode(b, 9, 0, chunk, XXH3_64bits(zeros, chunk));
	rx_pkt(MDW_RS_DIGEST, b, sizeof(struct mdw_rs_digest), sizeof(struct mdw_rs_digest));
	rx_recv();
	rx_disk();
	rx_rs_done(1);
	rx_recv();
	rx_disk();
	rx_send();
	rx_put("target-csum");

	/* resync source: the target's bitmap, a chunk read and sent, acked,
	 * then the flush and RS_DONE */
	for (unsigned csum = 0; csum <= RXF_CSUM; csum += RXF_CSUM) {
		unsigned char rep[sizeof(struct mdw_rs_reply)];

		rx_begin(RXF_PRIMARY | csum | RXF_SYNC_SOURCE_BITMAP << RXF_SYNC_SHIFT, 0x00);
		mdw_bitmap_encode(b, 0, 1024, words);
		rx_pkt(MDW_BITMAP, b, (uint32_t)mdw_bitmap_body_len(1024),
		       (uint32_t)mdw_bitmap_body_len(1024));
		rx_pkt(MDW_BITMAP_END, NULL, 0, 0);
		rx_recv();
		rx_b(RXF_TICK);
		rx_kernel(3, 0, 0);
		rx_send();
		if (csum) {
			mdw_rs_reply_encode(rep, kid1, true);
			rx_pkt(MDW_RS_REPLY, rep, sizeof(rep), sizeof(rep));
		} else {
			rx_ack(kid1, 0);
		}
		rx_recv();
		rx_b(RXF_TICK);
		rx_disk();
		rx_send();
		rx_put(csum ? "source-csum" : "source-resync");
	}

	/* verify on the primary: chunk 0 read, its digest out, the reply in */
	rx_begin(RXF_PRIMARY | RXF_VERIFY, 0);
	rx_disk();
	rx_send();
	mdw_rs_reply_encode(b, 0, true);
	rx_pkt(MDW_VF_REPLY, b, sizeof(struct mdw_rs_reply), sizeof(struct mdw_rs_reply));
	rx_recv();
	rx_put("verify");

	/* the peer's verify: its digest, our read and reply */
	rx_begin(0, 0);
	mdw_rs_digest_encode(b, 3, chunk, chunk, XXH3_64bits(zeros, chunk));
	rx_pkt(MDW_VF_DIGEST, b, sizeof(struct mdw_rs_digest), sizeof(struct mdw_rs_digest));
	rx_recv();
	rx_disk();
	rx_send();
	rx_put("verify-peer");
}

/*
 * listen: byte 0 the listener's configuration (tests/fuzz/listen.c), then
 * what a connector sends: AUTH step 1, AUTH step 3, its HELLO.
 */
static void listen_seeds(void)
{
	struct md_hello_info h = {
		.proto_min = MDW_PROTO_MIN, .proto_max = MDW_PROTO_MAX,
		.features = MDW_FEATURES_SUPPORTED, .size_bytes = 64ull << 20,
		.chunk_bytes = 1u << 16, .role = MD_ROLE_SECONDARY,
		.resource = "r0", .node = "beta", .peer = "alpha", .gen_current = 0x1234abcdull,
		.disk_state = MD_DISK_UPTODATE,
	};
	size_t a = sizeof(struct mdw_hdr) + sizeof(struct mdw_auth);
	unsigned char b[1 + 2 * (sizeof(struct mdw_hdr) + sizeof(struct mdw_auth)) +
			sizeof(struct mdw_hdr) + sizeof(struct mdw_hello)];
	static const struct { const char *name; uint8_t how; uint32_t flags; size_t len; } s[] = {
		{ "none-hello", 0, 0, sizeof(b) },
		{ "tls", 2, MDW_AUTH_F_TLS, 1 + 2 * (sizeof(struct mdw_hdr) + sizeof(struct mdw_auth)) },
		{ "secret", 1, 0, sizeof(b) },
		{ "full-table-stranger", 12, 0, sizeof(b) },
		{ "tls-mismatch", 0, MDW_AUTH_F_TLS, 1 + sizeof(struct mdw_hdr) + sizeof(struct mdw_auth) },
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		struct md_auth_msg m = { .method = s[i].how & 1 ? MDW_AUTH_HMAC_SHA256 : MDW_AUTH_NONE,
					 .step = 1, .flags = s[i].flags };

		memset(b, 0, sizeof(b));
		memset(m.nonce, 0x5a, sizeof(m.nonce));
		b[0] = s[i].how;
		mdw_hdr_encode(b + 1, MDW_AUTH, sizeof(struct mdw_auth));
		mdw_auth_encode(b + 1 + sizeof(struct mdw_hdr), &m);
		m.step = 3;
		mdw_hdr_encode(b + 1 + a, MDW_AUTH, sizeof(struct mdw_auth));
		mdw_auth_encode(b + 1 + a + sizeof(struct mdw_hdr), &m);
		mdw_hdr_encode(b + 1 + 2 * a, MDW_HELLO, sizeof(struct mdw_hello));
		mdw_hello_encode(b + 1 + 2 * a + sizeof(struct mdw_hdr), &h);
		put("listen", s[i].name, b, s[i].len);
	}
}

/* zdata: DATA bodies (header and payload) as the codec frames them, and
 * the shapes the receiver must refuse: a skippable frame, two frames. */
static void zdata_seeds(void)
{
	static unsigned char src[65536], out[65536], body[sizeof(struct mdw_data) + 65536];
	static const struct { const char *name; uint32_t len; uint16_t flags; int random; } seeds[] = {
		{ "compressed-4k", 4096, MDW_DF_FUA, 0 },
		{ "compressed-resync-64k", 65536, MDW_DF_RESYNC, 0 },
		{ "raw-random-4k", 4096, 0, 1 },
		{ "raw-small", 512, 0, 0 },
	};
	struct md_zenc z = { 0 };
	uint32_t seed = 1;

	for (size_t i = 0; i < sizeof(src); i++)	/* text-like: compresses ~4x */
		src[i] = (unsigned char)"mirror disk chunk 0123456789\n"[(i * 7 + i / 64) % 29];
	if (md_zenc_init(&z, 1))
		exit(1);
	for (size_t k = 0; k < sizeof(seeds) / sizeof(seeds[0]); k++) {
		struct md_data_info d = { .id = k, .offset = 8192, .len = seeds[k].len,
					  .flags = seeds[k].flags, .seq = k };
		unsigned char frame[MDW_DATA_FRAME], data[65536];
		const void *p;
		uint32_t plen;

		memcpy(data, src, d.len);
		for (uint32_t j = 0; seeds[k].random && j < d.len; j++) {
			seed = seed * 1103515245u + 12345u;
			data[j] = (unsigned char)(seed >> 16);
		}
		p = mdw_data_pack(&z, frame, &d, data, out, &plen);
		memcpy(body, frame + sizeof(struct mdw_hdr), sizeof(struct mdw_data));
		memcpy(body + sizeof(struct mdw_data), p, plen);
		put("zdata", seeds[k].name, body, sizeof(struct mdw_data) + plen);
	}
	{
		/* A skippable frame where the data should be (16 bytes for 4 KiB),
		 * and two frames of 4 KiB each standing for 8 KiB. */
		struct md_data_info d = { .id = 9, .offset = 0, .len = 4096, .flags = MDW_DF_ZSTD };
		static const unsigned char skippable[16] = { 0x50, 0x2a, 0x4d, 0x18, 8, 0, 0, 0,
							     '1', '2', '3', '4', '5', '6', '7', '8' };
		unsigned char frame[MDW_DATA_FRAME];
		const void *p;
		uint32_t plen;

		mdw_data_encode(body, &d);
		memcpy(body + sizeof(struct mdw_data), skippable, sizeof(skippable));
		put("zdata", "skippable", body, sizeof(struct mdw_data) + sizeof(skippable));
		d = (struct md_data_info){ .id = 10, .len = 4096 };
		p = mdw_data_pack(&z, frame, &d, src, out, &plen);
		d.len = 8192;
		mdw_data_encode(body, &d);
		memcpy(body + sizeof(struct mdw_data), p, plen);
		memcpy(body + sizeof(struct mdw_data) + plen, p, plen);
		put("zdata", "two-frames", body, sizeof(struct mdw_data) + 2 * plen);
	}
	md_zenc_fini(&z);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	root = argv[1];
	if (mkdir(root, 0755) && errno != EEXIST) {
		perror(root);
		return 1;
	}
	wire();
	meta();
	config();
	runfile();
	ctlreq();
	rx();
	listen_seeds();
	zdata_seeds();
	return 0;
}
