/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wire.c - see wire.h. */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#define XXH_STATIC_LINKING_ONLY	/* XXH3_state_t on the stack */
#include <xxhash.h>
#include "wire.h"
#include "md_meta.h"

void mdw_hdr_encode(void *buf, uint16_t type, uint32_t len)
{
	struct mdw_hdr h = {
		.magic = htole32(MDW_MAGIC),
		.type = htole16(type),
		.len = htole32(len),
	};
	memcpy(buf, &h, sizeof(h));
}

/* The body length each type allows: exact, or [min, max]. */
static int body_len_ok(uint16_t type, uint32_t len)
{
	switch (type) {
	case MDW_HELLO:
		return len == sizeof(struct mdw_hello);
	case MDW_REJECT:
		return len == sizeof(struct mdw_reject);
	case MDW_DATA:
		return len >= sizeof(struct mdw_data) && len <= MDW_MAX_BODY;
	case MDW_ACK:
		return len == sizeof(struct mdw_ack);
	case MDW_PING:
	case MDW_PONG:
		return len == 0;
	case MDW_STATE:
		return len == sizeof(struct mdw_state);
	case MDW_BITMAP:
		return len >= sizeof(struct mdw_bitmap) + 8 &&
		       len <= mdw_bitmap_body_len(MDW_BITMAP_MAX_BITS);
	case MDW_BITMAP_END:
		return len == 0;
	case MDW_RS_DONE:
		return len == sizeof(struct mdw_rs_done);
	case MDW_RS_DIGEST:
	case MDW_VF_DIGEST:
		return len == sizeof(struct mdw_rs_digest);
	case MDW_RS_REPLY:
	case MDW_VF_REPLY:
		return len == sizeof(struct mdw_rs_reply);
	case MDW_AUTH:
		return len == sizeof(struct mdw_auth);
	}
	return 0;
}

int mdw_hdr_decode(const void *buf, uint16_t *type, uint32_t *len)
{
	struct mdw_hdr h;

	memcpy(&h, buf, sizeof(h));
	if (le32toh(h.magic) != MDW_MAGIC || h.flags || h.digest)
		return -EBADMSG;
	*type = le16toh(h.type);
	*len = le32toh(h.len);
	if (*type == 0 || *type > MDW_TYPE_MAX)
		return -EPROTO;
	if (!body_len_ok(*type, *len))
		return -EMSGSIZE;
	return 0;
}

static void put_name(char *dst, const char *src)
{
	memset(dst, 0, MD_NAME_LEN);
	memcpy(dst, src, strnlen(src, MD_NAME_LEN - 1));
}

/* A name on the wire must be NUL-terminated and zero-padded. */
static int get_name(char *dst, const char *src)
{
	size_t n = strnlen(src, MD_NAME_LEN);
	size_t i;

	if (n == 0 || n == MD_NAME_LEN)
		return -EBADMSG;
	for (i = n; i < MD_NAME_LEN; i++)
		if (src[i])
			return -EBADMSG;
	memcpy(dst, src, MD_NAME_LEN);
	return 0;
}

void mdw_hello_encode(void *body, const struct md_hello_info *h)
{
	struct mdw_hello w;

	memset(&w, 0, sizeof(w));
	w.proto_min = htole32(h->proto_min);
	w.proto_max = htole32(h->proto_max);
	w.features = htole64(h->features);
	w.size_bytes = htole64(h->size_bytes);
	w.chunk_bytes = htole32(h->chunk_bytes);
	w.role = htole32(h->role);
	put_name(w.resource, h->resource);
	put_name(w.node, h->node);
	put_name(w.peer, h->peer);
	w.gen_current = htole64(h->gen_current);
	w.gen_bitmap = htole64(h->gen_bitmap);
	w.gen_history[0] = htole64(h->gen_history[0]);
	w.gen_history[1] = htole64(h->gen_history[1]);
	w.oos_chunks = htole64(h->oos_chunks);
	w.sb_flags = htole32(h->sb_flags);
	/* What the decision reads: a consistent copy (started without meeting
	 * the peer since) is a good copy to it, as an up-to-date one; the
	 * wire keeps its values 1 to 3 for older peers. */
	w.disk_state = htole32(h->disk_state == MD_DISK_CONSISTENT ? MD_DISK_UPTODATE : h->disk_state);
	memcpy(body, &w, sizeof(w));
}

int mdw_hello_decode(const void *body, size_t len, struct md_hello_info *h)
{
	struct mdw_hello w;
	size_t i;

	if (len != sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, body, sizeof(w));
	for (i = 0; i < sizeof(w.reserved) / sizeof(w.reserved[0]); i++)
		if (w.reserved[i])
			return -EBADMSG;
	h->proto_min = le32toh(w.proto_min);
	h->proto_max = le32toh(w.proto_max);
	h->features = le64toh(w.features);
	h->size_bytes = le64toh(w.size_bytes);
	h->chunk_bytes = le32toh(w.chunk_bytes);
	h->role = le32toh(w.role);
	h->gen_current = le64toh(w.gen_current);
	h->gen_bitmap = le64toh(w.gen_bitmap);
	h->gen_history[0] = le64toh(w.gen_history[0]);
	h->gen_history[1] = le64toh(w.gen_history[1]);
	h->oos_chunks = le64toh(w.oos_chunks);
	h->sb_flags = le32toh(w.sb_flags);
	h->disk_state = le32toh(w.disk_state);
	if (h->sb_flags & ~MD_SBF_ALL || h->disk_state < MD_DISK_UPTODATE ||
	    h->disk_state > MD_DISK_OUTDATED)
		return -EBADMSG;
	if (h->proto_min == 0 || h->proto_min > h->proto_max)
		return -EBADMSG;
	if (h->role != MD_ROLE_PRIMARY && h->role != MD_ROLE_SECONDARY)
		return -EBADMSG;
	if (get_name(h->resource, w.resource) || get_name(h->node, w.node) ||
	    get_name(h->peer, w.peer))
		return -EBADMSG;
	return 0;
}

int mdw_hello_check(const struct md_hello_info *l, const struct md_hello_info *r,
		    uint32_t *version, char *why, size_t whylen)
{
	uint32_t lo = l->proto_min > r->proto_min ? l->proto_min : r->proto_min;
	uint32_t hi = l->proto_max < r->proto_max ? l->proto_max : r->proto_max;

	if (lo > hi) {
		snprintf(why, whylen, "no common protocol version: we speak %u-%u, peer %u-%u",
			 l->proto_min, l->proto_max, r->proto_min, r->proto_max);
		return MDW_REJ_PROTO;
	}
	*version = hi;
	if (strcmp(l->resource, r->resource)) {
		snprintf(why, whylen, "resource mismatch: we are '%s', peer is '%s'",
			 l->resource, r->resource);
		return MDW_REJ_RESOURCE;
	}
	if (strcmp(l->peer, r->node) || strcmp(l->node, r->peer)) {
		snprintf(why, whylen, "node mismatch: we are '%s' expecting '%s', peer is '%s' expecting '%s'",
			 l->node, l->peer, r->node, r->peer);
		return MDW_REJ_NODE;
	}
	if ((r->features & MDW_FEATURES_REQUIRED) != MDW_FEATURES_REQUIRED) {
		snprintf(why, whylen, "peer lacks required features 0x%llx",
			 (unsigned long long)(MDW_FEATURES_REQUIRED & ~r->features));
		return MDW_REJ_FEATURES;
	}
	if (l->size_bytes != r->size_bytes) {
		snprintf(why, whylen, "device size mismatch: ours %llu bytes, peer's %llu bytes",
			 (unsigned long long)l->size_bytes, (unsigned long long)r->size_bytes);
		return MDW_REJ_SIZE;
	}
	if (l->chunk_bytes != r->chunk_bytes) {
		snprintf(why, whylen, "bitmap chunk size mismatch: ours %u, peer's %u",
			 l->chunk_bytes, r->chunk_bytes);
		return MDW_REJ_CHUNK;
	}
	if (l->role == MD_ROLE_PRIMARY && r->role == MD_ROLE_PRIMARY) {
		snprintf(why, whylen, "both nodes are primary");
		return MDW_REJ_ROLE;
	}
	return 0;
}

void mdw_reject_encode(void *body, uint32_t code, const char *msg)
{
	struct mdw_reject w;

	memset(&w, 0, sizeof(w));
	w.code = htole32(code);
	memcpy(w.msg, msg, strnlen(msg, sizeof(w.msg) - 1));
	memcpy(body, &w, sizeof(w));
}

int mdw_reject_decode(const void *body, size_t len, uint32_t *code,
		      char *msg, size_t msglen)
{
	struct mdw_reject w;

	if (len != sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, body, sizeof(w));
	if (w.reserved)
		return -EBADMSG;
	w.msg[sizeof(w.msg) - 1] = '\0';
	*code = le32toh(w.code);
	snprintf(msg, msglen, "%s", w.msg);
	return 0;
}

void mdw_data_encode(void *body, const struct md_data_info *d)
{
	struct mdw_data w = {
		.id = htole64(d->id),
		.offset = htole64(d->offset),
		.len = htole32(d->len),
		.flags = htole16(d->flags),
		.seq = htole64(d->seq),
	};
	memcpy(body, &w, sizeof(w));
}

void mdw_data_frame(void *frame, const struct md_data_info *d)
{
	uint32_t plen = d->flags & MDW_DF_ZSTD ? d->plen : d->len;

	mdw_hdr_encode(frame, MDW_DATA, (uint32_t)(sizeof(struct mdw_data) + plen));
	mdw_data_encode((char *)frame + sizeof(struct mdw_hdr), d);
}

int mdw_data_decode(const void *body, size_t body_len, struct md_data_info *d)
{
	struct mdw_data w;

	if (body_len < sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, body, sizeof(w));
	if (w.reserved)
		return -EBADMSG;
	d->id = le64toh(w.id);
	d->offset = le64toh(w.offset);
	d->len = le32toh(w.len);
	d->flags = le16toh(w.flags);
	d->seq = le64toh(w.seq);
	d->plen = (uint32_t)(body_len - sizeof(w));
	if (d->len > MD_MAX_IO_BYTES)
		return -EMSGSIZE;
	/* A compressed payload is smaller than what it stands for, and not
	 * empty; what it decodes to is mdw_data_unpack's to check. */
	if (d->flags & MDW_DF_ZSTD ? !d->plen || d->plen >= d->len : d->plen != d->len)
		return -EMSGSIZE;
	if (d->flags & ~MDW_DF_ALL)
		return -EBADMSG;
	if (d->offset % 512 || d->len % 512)
		return -EBADMSG;
	if ((d->flags & MDW_DF_RESYNC) &&
	    (d->len == 0 || d->flags & ~(MDW_DF_RESYNC | MDW_DF_ZSTD)))
		return -EBADMSG;	/* resync data is plain data */
	if (d->len == 0 && !(d->flags & MDW_DF_PREFLUSH))
		return -EBADMSG;	/* an empty write must be a flush */
	return 0;
}

void mdw_ack_encode(void *body, uint64_t id, int32_t status)
{
	struct mdw_ack w = { .id = htole64(id), .status = (int32_t)htole32((uint32_t)status) };

	memcpy(body, &w, sizeof(w));
}

void mdw_ack_frame(void *frame, uint64_t id, int32_t status)
{
	mdw_hdr_encode(frame, MDW_ACK, sizeof(struct mdw_ack));
	mdw_ack_encode((char *)frame + sizeof(struct mdw_hdr), id, status);
}

int mdw_ack_decode(const void *body, size_t len, uint64_t *id, int32_t *status)
{
	struct mdw_ack w;

	if (len != sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, body, sizeof(w));
	if (w.reserved)
		return -EBADMSG;
	*id = le64toh(w.id);
	*status = (int32_t)le32toh((uint32_t)w.status);
	if (*status > 0 || *status < -4095)
		return -EBADMSG;
	return 0;
}

size_t mdw_bitmap_body_len(uint32_t nbits)
{
	return sizeof(struct mdw_bitmap) + ((size_t)nbits + 63) / 64 * 8;
}

void mdw_bitmap_encode(void *body, uint64_t start, uint32_t nbits, const uint64_t *words)
{
	struct mdw_bitmap w = { .start = htole64(start), .nbits = htole32(nbits) };
	unsigned char *p = (unsigned char *)body + sizeof(w);

	memcpy(body, &w, sizeof(w));
	for (uint32_t i = 0; i < (nbits + 63) / 64; i++) {
		uint64_t le = htole64(words[i]);

		memcpy(p + i * 8, &le, 8);
	}
}

int mdw_bitmap_decode(const void *body, size_t len, uint64_t nchunks, uint64_t *start,
		      uint32_t *nbits, const unsigned char **words)
{
	struct mdw_bitmap w;

	if (len < sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, body, sizeof(w));
	*start = le64toh(w.start);
	*nbits = le32toh(w.nbits);
	if (w.reserved || *start % 64 || !*nbits || *nbits > MDW_BITMAP_MAX_BITS)
		return -EBADMSG;
	if (len != mdw_bitmap_body_len(*nbits))
		return -EMSGSIZE;
	if (*start > nchunks || *nbits > nchunks - *start)
		return -ERANGE;
	*words = (const unsigned char *)body + sizeof(w);
	return 0;
}

void mdw_rs_done_encode(void *body, uint64_t gen, uint64_t sent)
{
	struct mdw_rs_done w = { .gen_current = htole64(gen), .sent = htole64(sent) };

	memcpy(body, &w, sizeof(w));
}

int mdw_rs_done_decode(const void *body, size_t len, uint64_t *gen, uint64_t *sent)
{
	struct mdw_rs_done w;

	if (len != sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, body, sizeof(w));
	*gen = le64toh(w.gen_current);
	*sent = le64toh(w.sent);
	return 0;
}

void mdw_rs_digest_encode(void *body, uint64_t id, uint64_t offset, uint32_t len, uint64_t digest)
{
	struct mdw_rs_digest w = { .id = htole64(id), .offset = htole64(offset),
				   .len = htole32(len), .digest = htole64(digest) };

	memcpy(body, &w, sizeof(w));
}

int mdw_rs_digest_decode(const void *body, size_t len, uint64_t *id, uint64_t *offset,
			 uint32_t *dlen, uint64_t *digest)
{
	struct mdw_rs_digest w;

	if (len != sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, body, sizeof(w));
	*id = le64toh(w.id);
	*offset = le64toh(w.offset);
	*dlen = le32toh(w.len);
	*digest = le64toh(w.digest);
	if (w.reserved || !*dlen || *dlen > MD_MAX_IO_BYTES || *offset % 512 || *dlen % 512)
		return -EBADMSG;
	return 0;
}

void mdw_rs_reply_encode(void *body, uint64_t id, bool same)
{
	struct mdw_rs_reply w = { .id = htole64(id), .same = htole32(same ? 1 : 0) };

	memcpy(body, &w, sizeof(w));
}

int mdw_rs_reply_decode(const void *body, size_t len, uint64_t *id, bool *same)
{
	struct mdw_rs_reply w;

	if (len != sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, body, sizeof(w));
	if (w.reserved || le32toh(w.same) > 1)
		return -EBADMSG;
	*id = le64toh(w.id);
	*same = le32toh(w.same) == 1;
	return 0;
}

void mdw_state_encode(void *body, uint32_t role, uint32_t disk)
{
	struct mdw_state w = { .role = htole32(role), .disk = htole32(disk) };

	memcpy(body, &w, sizeof(w));
}

int mdw_state_decode(const void *body, size_t len, uint32_t *role, uint32_t *disk)
{
	struct mdw_state w;

	if (len != sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, body, sizeof(w));
	*role = le32toh(w.role);
	*disk = le32toh(w.disk);
	if (*disk > MD_DISK_STORED_MAX || (*role != MD_ROLE_PRIMARY && *role != MD_ROLE_SECONDARY))
		return -EBADMSG;
	return 0;
}

const char *mdw_type_name(uint16_t type)
{
	static const char *const names[] = {
		[MDW_HELLO] = "HELLO", [MDW_REJECT] = "REJECT", [MDW_DATA] = "DATA",
		[MDW_ACK] = "ACK", [MDW_PING] = "PING", [MDW_PONG] = "PONG",
		[MDW_STATE] = "STATE", [MDW_BITMAP] = "BITMAP", [MDW_BITMAP_END] = "BITMAP_END",
		[MDW_RS_DONE] = "RS_DONE", [MDW_RS_DIGEST] = "RS_DIGEST",
		[MDW_RS_REPLY] = "RS_REPLY", [MDW_VF_DIGEST] = "VF_DIGEST",
		[MDW_VF_REPLY] = "VF_REPLY", [MDW_AUTH] = "AUTH",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return "unknown";
}

const char *mdw_reject_name(uint32_t code)
{
	static const char *const names[] = {
		[MDW_REJ_PROTO] = "protocol version", [MDW_REJ_RESOURCE] = "resource",
		[MDW_REJ_NODE] = "node name", [MDW_REJ_SIZE] = "device size",
		[MDW_REJ_ROLE] = "roles", [MDW_REJ_FEATURES] = "features",
		[MDW_REJ_CHUNK] = "chunk size",
		[MDW_REJ_SPLIT_BRAIN] = "split brain", [MDW_REJ_UNRELATED] = "unrelated data",
		[MDW_REJ_OLDER_PRIMARY] = "older primary", [MDW_REJ_DETACHED] = "detached",
		[MDW_REJ_CONFLICT] = "conflicting rebuild",
		[MDW_REJ_NO_GOOD_COPY] = "no good copy",
		[MDW_REJ_HANDLER] = "handler", [MDW_REJ_AHEAD] = "pulled ahead",
	};

	if (code < sizeof(names) / sizeof(names[0]) && names[code])
		return names[code];
	return "unknown";
}

static bool all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

void mdw_auth_encode(void *body, const struct md_auth_msg *m)
{
	struct mdw_auth w;

	memset(&w, 0, sizeof(w));
	w.version = htole32(MDW_AUTH_VERSION);
	w.method = htole16(m->method);
	w.step = htole16(m->step);
	w.flags = htole32(m->flags);
	if (m->step != 3)
		memcpy(w.nonce, m->nonce, sizeof(w.nonce));
	if (m->step != 1 && m->method != MDW_AUTH_NONE)
		memcpy(w.mac, m->mac, sizeof(w.mac));
	memcpy(body, &w, sizeof(w));
}

int mdw_auth_decode(const void *body, size_t len, struct md_auth_msg *m)
{
	struct mdw_auth w;

	if (len != sizeof(w))
		return -EMSGSIZE;
	memcpy(&w, body, sizeof(w));
	if (le32toh(w.version) != MDW_AUTH_VERSION)
		return -EPROTO;
	m->method = le16toh(w.method);
	m->step = le16toh(w.step);
	m->flags = le32toh(w.flags);
	if (m->method > MDW_AUTH_HMAC_SHA256 || m->step < 1 || m->step > 3 ||
	    (m->flags & ~MDW_AUTH_F_ALL) || w.reserved0 || w.reserved1 ||
	    (m->step == 3 && !all_zero(w.nonce, sizeof(w.nonce))) ||
	    ((m->step == 1 || m->method == MDW_AUTH_NONE) && !all_zero(w.mac, sizeof(w.mac))))
		return -EBADMSG;
	memcpy(m->nonce, w.nonce, sizeof(m->nonce));
	memcpy(m->mac, w.mac, sizeof(m->mac));
	return 0;
}

/*
 * data-integrity (MDW_FEAT_XXH3).  The digest covers the header with its
 * digest field zero, then the body; it is the low 32 bits of XXH3-64: a
 * corrupted packet passes with a chance of 2^-32, and the header keeps its
 * size.  A packet is sealed in place, its body given as iovecs.
 */
static uint32_t digest_of(const void *hdr, const struct iovec *body, int n, size_t len)
{
	struct mdw_hdr h;
	XXH3_state_t st;

	memcpy(&h, hdr, sizeof(h));
	h.digest = 0;
	XXH3_64bits_reset(&st);
	XXH3_64bits_update(&st, &h, sizeof(h));
	for (int i = 0; i < n && len; i++) {
		size_t l = body[i].iov_len < len ? body[i].iov_len : len;

		XXH3_64bits_update(&st, body[i].iov_base, l);
		len -= l;
	}
	return (uint32_t)XXH3_64bits_digest(&st);
}

/*
 * Seal every packet of a send queue item: iov holds whole packets, each
 * header inside one iovec (every sender builds them so).  -EINVAL if not.
 */
int mdw_seal(struct iovec *iov, int niov)
{
	int i = 0;
	size_t off = 0;

	for (;;) {
		struct iovec body[8];
		struct mdw_hdr h;
		size_t need;
		uint32_t len;
		char *p;
		int nb = 0;

		while (i < niov && off == iov[i].iov_len)
			i++, off = 0;
		if (i == niov)
			return 0;
		if (iov[i].iov_len - off < sizeof(h))
			return -EINVAL;
		p = (char *)iov[i].iov_base + off;
		memcpy(&h, p, sizeof(h));
		off += sizeof(h);
		need = len = le32toh(h.len);
		while (need) {
			size_t l;

			while (i < niov && off == iov[i].iov_len)
				i++, off = 0;
			if (i == niov || nb == (int)(sizeof(body) / sizeof(body[0])))
				return -EINVAL;
			l = iov[i].iov_len - off < need ? iov[i].iov_len - off : need;
			body[nb++] = (struct iovec){ (char *)iov[i].iov_base + off, l };
			off += l;
			need -= l;
		}
		h.digest = htole32(digest_of(&h, body, nb, len));
		memcpy(p, &h, sizeof(h));
	}
}

int mdw_hdr_decode_sealed(const void *buf, const void *body, uint16_t *type, uint32_t *len)
{
	struct mdw_hdr h;
	struct iovec b;
	int rc;

	memcpy(&h, buf, sizeof(h));
	h.digest = 0;
	rc = mdw_hdr_decode(&h, type, len);
	if (rc)
		return rc;
	b = (struct iovec){ (void *)body, *len };
	memcpy(&h, buf, sizeof(h));
	return le32toh(h.digest) == digest_of(&h, &b, 1, *len) ? 0 : -EILSEQ;
}
