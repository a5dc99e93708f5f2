/* SPDX-License-Identifier: GPL-2.0-or-later */
/* meta.c - see meta.h. */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include "meta.h"

#define ALIGN_DOWN(x, a)	((x) / (a) * (a))

/*
 * Internal metadata reserves room for a bitmap of 4 KiB chunks (1/32768 of
 * the device, DRBD's ratio), whatever the chunk size: the area then starts
 * at an offset that depends on the device size alone, so it can be found
 * before the superblock that names the chunk size is read.
 */
int md_geom_internal(uint64_t lower_bytes, uint32_t chunk_shift, struct md_geom *g)
{
	uint64_t meta = MD_META_SIZE(lower_bytes, 12);

	if (lower_bytes < meta + (1ull << 20))
		return -ENOSPC;
	g->area_offset = ALIGN_DOWN(lower_bytes - meta, 4096);
	g->data_bytes = g->area_offset;
	g->bitmap_bytes = MD_BITMAP_BYTES(g->data_bytes, chunk_shift);
	g->chunk_shift = chunk_shift;
	g->external = false;
	return 0;
}

int md_geom_external(uint64_t lower_bytes, uint64_t meta_bytes, uint32_t chunk_shift,
		     struct md_geom *g)
{
	g->data_bytes = ALIGN_DOWN(lower_bytes, 4096);
	g->bitmap_bytes = MD_BITMAP_BYTES(g->data_bytes, chunk_shift);
	g->area_offset = 0;
	g->chunk_shift = chunk_shift;
	g->external = true;
	if (!g->data_bytes)
		return -ENOSPC;
	return meta_bytes < MD_BITMAP_OFFSET + g->bitmap_bytes ? -ENOSPC : 0;
}

/* The struct's byte image is the format: convert each field to and from LE. */
static void sb_swab(struct md_super *s, bool to_le)
{
#define C32(f) (s->f = to_le ? htole32(s->f) : le32toh(s->f))
#define C64(f) (s->f = to_le ? htole64(s->f) : le64toh(s->f))
	C32(magic); C32(version); C64(csum); C64(seq); C32(flags); C32(disk_state);
	C64(data_bytes); C32(chunk_shift); C32(reserved0); C64(bitmap_bytes);
	C64(gen_current); C64(gen_bitmap); C64(gen_history[0]); C64(gen_history[1]);
	C64(time_created); C64(time_last_sync); C64(time_last_break);
	C64(time_last_full_sync); C32(peer_disk_state); C32(reserved1);
#undef C32
#undef C64
}

void md_sb_encode(const struct md_super *sb, void *slot)
{
	struct md_super s = *sb;

	s.magic = MD_SB_MAGIC;
	s.version = MD_SB_VERSION;
	s.csum = 0;
	sb_swab(&s, true);
	s.csum = htole64(XXH64(&s, sizeof(s), 0));
	memcpy(slot, &s, sizeof(s));
}

static bool name_ok(const char *n)
{
	size_t len = strnlen(n, MD_NAME_LEN);

	return len > 0 && len < MD_NAME_LEN;
}

int md_sb_decode(const void *slot, struct md_super *sb)
{
	struct md_super s;
	uint64_t csum;
	size_t i;

	memcpy(&s, slot, sizeof(s));
	if (le32toh(s.magic) != MD_SB_MAGIC)
		return -ENOENT;
	csum = le64toh(s.csum);
	s.csum = 0;
	if (XXH64(&s, sizeof(s), 0) != csum)
		return -EBADMSG;
	sb_swab(&s, false);
	s.csum = csum;
	if (s.version < MD_SB_VERSION_MIN || s.version > MD_SB_VERSION)
		return -EPROTO;
	for (i = 0; i < sizeof(s.reserved); i++)
		if (s.reserved[i])
			return -EINVAL;
	if (s.reserved0 || s.reserved1 || (s.flags & ~MD_SBF_ALL) || !name_ok(s.resource) || !name_ok(s.node))
		return -EINVAL;
	if (s.disk_state < MD_DISK_UPTODATE || s.disk_state > MD_DISK_STORED_MAX ||
	    s.peer_disk_state > MD_DISK_STORED_MAX)
		return -EINVAL;
	if (s.chunk_shift < MD_CHUNK_SHIFT_MIN || s.chunk_shift > MD_CHUNK_SHIFT_MAX ||
	    !s.data_bytes || s.bitmap_bytes != MD_BITMAP_BYTES(s.data_bytes, s.chunk_shift))
		return -EINVAL;
	*sb = s;
	return 0;
}

static void *aligned_block(size_t len)
{
	void *p;

	if (posix_memalign(&p, 4096, len))
		return NULL;
	memset(p, 0, len);
	return p;
}

int md_meta_read(int fd, uint64_t area_offset, struct md_super *sb, int *slot_out)
{
	struct md_super cand[MD_SB_SLOTS];
	int rc[MD_SB_SLOTS], best = -1, worst = -ENOENT;
	char *buf = aligned_block(MD_SB_SIZE * MD_SB_SLOTS);

	if (!buf)
		return -ENOMEM;
	if (pread(fd, buf, MD_SB_SIZE * MD_SB_SLOTS, (off_t)area_offset) !=
	    (ssize_t)(MD_SB_SIZE * MD_SB_SLOTS)) {
		free(buf);
		return -EIO;
	}
	for (int i = 0; i < MD_SB_SLOTS; i++) {
		rc[i] = md_sb_decode(buf + i * MD_SB_SIZE, &cand[i]);
		if (rc[i] == 0 && (best < 0 || cand[i].seq > cand[best].seq))
			best = i;
		else if (rc[i] && rc[i] != -ENOENT)
			worst = rc[i];
	}
	free(buf);
	if (best < 0)
		return worst;
	*sb = cand[best];
	if (slot_out)
		*slot_out = best;
	return 0;
}

static int write_slot(int fd, uint64_t area_offset, int slot, const struct md_super *sb)
{
	char *buf = aligned_block(MD_SB_SIZE);
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	md_sb_encode(sb, buf);
	n = pwrite(fd, buf, MD_SB_SIZE, (off_t)(area_offset + (uint64_t)slot * MD_SB_SIZE));
	free(buf);
	if (n != MD_SB_SIZE)
		return n < 0 ? -errno : -EIO;
	return fdatasync(fd) ? -errno : 0;
}

int md_meta_write(int fd, uint64_t area_offset, struct md_super *sb)
{
	sb->seq++;
	return write_slot(fd, area_offset, (int)(sb->seq % MD_SB_SLOTS), sb);
}

int md_meta_create(int fd, const struct md_geom *g, struct md_super *sb)
{
	size_t chunk = 1 << 20;
	char *zero = aligned_block(chunk);
	uint64_t done = 0;
	int rc = 0;

	if (!zero)
		return -ENOMEM;
	sb->data_bytes = g->data_bytes;
	sb->chunk_shift = g->chunk_shift;
	sb->bitmap_bytes = g->bitmap_bytes;
	sb->flags = (sb->flags & ~MD_SBF_EXTERNAL) | (g->external ? MD_SBF_EXTERNAL : 0);
	while (done < g->bitmap_bytes && !rc) {
		size_t n = g->bitmap_bytes - done < chunk ? (size_t)(g->bitmap_bytes - done) : chunk;

		if (pwrite(fd, zero, n, (off_t)(g->area_offset + MD_BITMAP_OFFSET + done)) != (ssize_t)n)
			rc = -EIO;
		done += n;
	}
	free(zero);
	sb->seq = 1;
	if (!rc)
		rc = write_slot(fd, g->area_offset, 1, sb);
	sb->seq = 2;
	if (!rc)
		rc = write_slot(fd, g->area_offset, 0, sb);
	return rc;
}

uint64_t md_gen_new(void)
{
	uint64_t v = 0;

	while (v < 16) {
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			v = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
	}
	return v;
}

static bool in_history(const struct md_gen_view *v, uint64_t g)
{
	for (int i = 0; i < MD_GEN_HISTORY; i++)
		if (v->history[i] && v->history[i] == g)
			return true;
	return false;
}

/*
 * The rules, in order (docs/metadata.md explains each):
 *  1. equal current ids: the same data as of that id.  Bits in a bitmap then
 *     stand for writes that may not have reached the other side (a crash
 *     while connected): the side that is or was primary sends them; if
 *     neither was, the side with bits; else nothing.
 *  2. both blank: nothing to copy from until one side becomes primary,
 *     which makes it the source of a full sync.
 *  3. one side blank: the other is the source of a full sync.
 *  3a. each side names the other's current id as its own past (rules 4 to
 *     7 both ways at once): a cycle no honest history makes (a corrupt
 *     superblock, a hostile peer): no common history, as in 9.
 *  4. our bitmap id is the peer's current: we moved on from the state the
 *     peer has, and our bitmap holds every change since: bitmap sync from us.
 *  5. the mirror image of 4.
 *  6. the peer's current is in our history: we are newer, but the bitmap
 *     that covers the gap was rotated away: full sync from us.
 *  7. the mirror image of 6.
 *  8. equal, non-zero bitmap ids and different current ids: both sides
 *     moved on from the same point: split brain.
 *  9. anything else: no common history.
 *
 * Only a copy known good can be a source.  A copy that knows it is wrong
 * (inconsistent: a resync target that did not finish, a disk that failed
 * a write from the peer, differences found by a verify against the
 * primary; outdated: known behind) holds bits that mean "missing here",
 * not "newer here".  So in rule 1 a known-good copy is the source whatever
 * the roles, bits and node order say (bitmap resync over both bitmaps; a
 * full one when no bit tells where the holes are), and both copies wrong
 * is no good copy; no other rule may make a known-wrong copy the source
 * either (no good copy, refused: an administrator decides with rebuild).
 */
/*
 * An administrator's choice (mdctl rebuild, or a grant that let the standby
 * change its copy) overrides the generations: the copy marked DISCARD, or
 * the peer of the one marked SURVIVOR, becomes the target.  Differential
 * when both bitmaps count from a shared generation, full otherwise.
 */
static enum md_sync_decision decide_by_admin(const struct md_gen_view *l,
					     const struct md_gen_view *p)
{
	bool l_yields = l->flags & MD_SBF_DISCARD || p->flags & MD_SBF_SURVIVOR;
	bool p_yields = p->flags & MD_SBF_DISCARD || l->flags & MD_SBF_SURVIVOR;
	bool full = (l->flags | p->flags) & MD_SBF_FULL;
	uint64_t la = l->bitmap ? l->bitmap : l->current;
	uint64_t pa = p->bitmap ? p->bitmap : p->current;

	if (l_yields && p_yields)
		return MD_SYNC_CONFLICT;
	if (l->current == MD_GEN_BLANK || p->current == MD_GEN_BLANK ||
	    (la != pa && la != p->current && pa != l->current))
		full = true;
	if (l_yields)
		return full ? MD_SYNC_TARGET_FULL : MD_SYNC_TARGET_BITMAP;
	return full ? MD_SYNC_SOURCE_FULL : MD_SYNC_SOURCE_BITMAP;
}

static bool known_wrong(const struct md_gen_view *v)
{
	return v->disk_state == MD_DISK_INCONSISTENT || v->disk_state == MD_DISK_OUTDATED;
}

/* Rules 1 to 9, before the check that the source is a known-good copy. */
static enum md_sync_decision decide_by_generations(const struct md_gen_view *l,
						   const struct md_gen_view *p)
{
	if (l->current == p->current) {
		bool lp = l->flags & MD_SBF_PRIMARY, pp = p->flags & MD_SBF_PRIMARY;
		bool lw = known_wrong(l), pw = known_wrong(p);

		if (l->current == MD_GEN_BLANK) {
			if (l->primary_now != p->primary_now)
				return l->primary_now ? MD_SYNC_SOURCE_FULL : MD_SYNC_TARGET_FULL;
			return MD_SYNC_WAIT_INITIAL;
		}
		if (lw != pw) {
			bool bits = l->oos_chunks || p->oos_chunks;

			if (lw)
				return bits ? MD_SYNC_TARGET_BITMAP : MD_SYNC_TARGET_FULL;
			return bits ? MD_SYNC_SOURCE_BITMAP : MD_SYNC_SOURCE_FULL;
		}
		if (lw)
			return MD_SYNC_NO_GOOD_COPY;
		if (!l->oos_chunks && !p->oos_chunks)
			return MD_SYNC_NONE;
		if (lp != pp)
			return lp ? MD_SYNC_SOURCE_BITMAP : MD_SYNC_TARGET_BITMAP;
		if (lp && pp && l->primary_now != p->primary_now)
			return l->primary_now ? MD_SYNC_SOURCE_BITMAP : MD_SYNC_TARGET_BITMAP;
		if (!!l->oos_chunks != !!p->oos_chunks)
			return l->oos_chunks ? MD_SYNC_SOURCE_BITMAP : MD_SYNC_TARGET_BITMAP;
		return l->node_index < p->node_index ? MD_SYNC_SOURCE_BITMAP : MD_SYNC_TARGET_BITMAP;
	}
	if (l->current == MD_GEN_BLANK)
		return MD_SYNC_TARGET_FULL;
	if (p->current == MD_GEN_BLANK)
		return MD_SYNC_SOURCE_FULL;
	/*
	 * Each side naming the other's generation as its own past is a cycle
	 * no two honest histories make (a corrupt superblock or a hostile peer
	 * can): both would take the source's part and wait for each other.
	 * Refused the same way from both ends.
	 */
	if (((l->bitmap && l->bitmap == p->current) || in_history(l, p->current)) &&
	    ((p->bitmap && p->bitmap == l->current) || in_history(p, l->current)))
		return MD_SYNC_UNRELATED;
	if (l->bitmap && l->bitmap == p->current)
		return MD_SYNC_SOURCE_BITMAP;
	if (p->bitmap && p->bitmap == l->current)
		return MD_SYNC_TARGET_BITMAP;
	if (in_history(l, p->current))
		return MD_SYNC_SOURCE_FULL;
	if (in_history(p, l->current))
		return MD_SYNC_TARGET_FULL;
	if (l->bitmap && l->bitmap == p->bitmap)
		return MD_SYNC_SPLIT_BRAIN;
	return MD_SYNC_UNRELATED;
}

enum md_sync_decision md_gen_decide(const struct md_gen_view *l, const struct md_gen_view *p)
{
	enum md_sync_decision d;

	if ((l->flags | p->flags) & (MD_SBF_DISCARD | MD_SBF_SURVIVOR))
		return decide_by_admin(l, p);
	d = decide_by_generations(l, p);
	if (((d == MD_SYNC_SOURCE_BITMAP || d == MD_SYNC_SOURCE_FULL) && known_wrong(l)) ||
	    ((d == MD_SYNC_TARGET_BITMAP || d == MD_SYNC_TARGET_FULL) && known_wrong(p)))
		return MD_SYNC_NO_GOOD_COPY;
	return d;
}

const char *md_sync_decision_name(enum md_sync_decision d)
{
	static const char *const n[] = {
		[MD_SYNC_NONE] = "in-sync",
		[MD_SYNC_SOURCE_BITMAP] = "source-bitmap",
		[MD_SYNC_TARGET_BITMAP] = "target-bitmap",
		[MD_SYNC_SOURCE_FULL] = "source-full",
		[MD_SYNC_TARGET_FULL] = "target-full",
		[MD_SYNC_WAIT_INITIAL] = "wait-initial",
		[MD_SYNC_SPLIT_BRAIN] = "split-brain",
		[MD_SYNC_UNRELATED] = "unrelated",
		[MD_SYNC_CONFLICT] = "conflict",
		[MD_SYNC_NO_GOOD_COPY] = "no-good-copy",
	};

	return (unsigned)d < sizeof(n) / sizeof(n[0]) ? n[d] : "unknown";
}

const char *md_disk_state_name(uint32_t d)
{
	switch (d) {
	case MD_DISK_UPTODATE: return "up-to-date";
	case MD_DISK_INCONSISTENT: return "inconsistent";
	case MD_DISK_OUTDATED: return "outdated";
	case MD_DISK_CONSISTENT: return "consistent";
	case MD_DISK_FAILED: return "failed";
	case MD_DISK_DISKLESS: return "diskless";
	}
	return "unknown";
}

int md_meta_locate(const char *disk, const char *meta, uint32_t chunk_shift,
		   struct md_geom *g, int *fd_out)
{
	int dfd, mfd, rc;
	off_t dsize, msize;

	dfd = open(disk, O_RDONLY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	dsize = lseek(dfd, 0, SEEK_END);
	close(dfd);
	if (dsize <= 0)
		return dsize < 0 ? -errno : -ENOSPC;
	mfd = open(meta && meta[0] ? meta : disk, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	if (meta && meta[0]) {
		msize = lseek(mfd, 0, SEEK_END);
		rc = md_geom_external((uint64_t)dsize, msize < 0 ? 0 : (uint64_t)msize, chunk_shift, g);
	} else {
		rc = md_geom_internal((uint64_t)dsize, chunk_shift, g);
	}
	if (rc) {
		close(mfd);
		return rc;
	}
	*fd_out = mfd;
	return 0;
}

int md_sb_update(int fd, uint64_t area_offset, const char *lock_path, md_sb_fn fn, void *arg)
{
	struct md_super sb;
	int lfd, rc;

	lfd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0)
		return -errno;
	if (flock(lfd, LOCK_EX)) {
		rc = -errno;
		close(lfd);
		return rc;
	}
	rc = md_meta_read(fd, area_offset, &sb, NULL);
	if (!rc) {
		rc = fn(&sb, arg);
		if (rc > 0)
			rc = md_meta_write(fd, area_offset, &sb);
	}
	close(lfd);	/* drops the lock */
	return rc;
}
