/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * create.c - mdctl create: fresh metadata (superblock and an empty
 * write-intent bitmap) on this node's disk or meta device.  The only
 * command that writes metadata without reading a valid superblock first,
 * so it is the one that refuses to overwrite what it finds there: mirror
 * metadata, or a file system, volume or swap signature (--force overrides).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "auth.h"
#include "mdctl.h"

/* A file system, volume or swap signature in the first 128 KiB, or "". */
static const char *foreign_signature(int fd)
{
	static const struct { off_t off; const char *magic; size_t len; const char *name; } sigs[] = {
		{ 1080, "\x53\xef", 2, "an ext2/3/4 file system" },
		{ 0, "XFSB", 4, "an XFS file system" },
		{ 65600, "_BHRfS_M", 8, "a btrfs file system" },
		{ 4086, "SWAPSPACE2", 10, "swap space" },
		{ 512, "LABELONE", 8, "an LVM physical volume" },
		{ 0, "LUKS\xba\xbe", 6, "a LUKS volume" },
	};
	char *buf;
	const char *found = "";

	if (posix_memalign((void **)&buf, 4096, 128 << 10))
		return "";
	if (pread(fd, buf, 128 << 10, 0) == 128 << 10)
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			if (!memcmp(buf + sigs[i].off, sigs[i].magic, sigs[i].len))
				found = sigs[i].name;
	free(buf);
	return found;
}

/* Refuse (unless --force) what would be lost; 0 or MDCTL_E_REFUSED. */
static int check_overwrite(const struct md_res_cfg *res, int me, int fd, uint64_t area_offset)
{
	const char *name = res->name, *disk = res->nodes[me].disk, *sig;
	struct md_super sb;
	int rc;

	if (o.force)
		return 0;
	rc = md_meta_read(fd, area_offset, &sb, NULL);
	if (rc == 0)
		return err(MDCTL_E_REFUSED, "%s: %s already holds metadata of resource %s "
			   "(node %s); --force overwrites it", name, disk, sb.resource, sb.node);
	if (rc != -ENOENT)
		return err(MDCTL_E_REFUSED, "%s: %s holds damaged mirror metadata (%s); "
			   "--force overwrites it", name, disk, strerror(-rc));
	if (!res->nodes[me].meta[0] && (sig = foreign_signature(fd))[0])
		return err(MDCTL_E_REFUSED, "%s: %s holds %s; --force overwrites it", name, disk, sig);
	return 0;
}

int cmd_create(const char *name)
{
	struct md_res_cfg *res;
	struct md_super sb;
	struct md_geom g;
	int me, fd, rc;

	if (load_res(name, &res, &me))
		return MDCTL_EXIT_CONFIG;
	rc = md_meta_locate(res->nodes[me].disk, res->nodes[me].meta, res->chunk_shift, &g, &fd);
	if (rc)
		return err(rc == -ENOSPC ? MDCTL_EXIT_REFUSED : MDCTL_EXIT_RUNTIME,
			   "%s: cannot use %s%s%s: %s", name, res->nodes[me].disk,
			   res->nodes[me].meta[0] ? " with metadata on " : "", res->nodes[me].meta,
			   rc == -ENOSPC ? "too small" : strerror(-rc));
	if ((rc = check_overwrite(res, me, fd, g.area_offset))) {
		close(fd);
		return exit_of(rc);
	}
	if (o.new_secret && !res->secret_file[0]) {
		close(fd);
		return err(MDCTL_EXIT_CONFIG, "%s: --new-secret needs a secret-file in the "
			   "configuration", name);
	}
	if (o.new_secret) {
		/* mirrord would refuse the secret in such a directory: say so
		 * before anything is written. */
		char e[400];

		rc = md_secret_dir_check(res->secret_file, e, sizeof(e));
		if (rc) {
			close(fd);
			return err(MDCTL_EXIT_CONFIG, "%s: %s", name, e);
		}
	}
	if (o.new_secret && !access(res->secret_file, F_OK)) {
		close(fd);
		return err(MDCTL_EXIT_REFUSED, "%s: %s exists; a new secret would lock the "
			   "peer out (remove it first to replace it on both nodes)", name,
			   res->secret_file);
	}
	if (o.dry_run) {
		close(fd);
		printf("would write metadata for %s on %s: %llu bytes of data, %u KiB chunks, %s\n",
		       name, meta_dev(res, me), (unsigned long long)g.data_bytes,
		       1u << (g.chunk_shift - 10),
		       o.assume_clean ? "assumed clean" : "needs an initial sync");
		return MDCTL_EXIT_OK;
	}
	memset(&sb, 0, sizeof(sb));
	snprintf(sb.resource, sizeof(sb.resource), "%s", name);
	snprintf(sb.node, sizeof(sb.node), "%s", res->nodes[me].name);
	for (size_t i = 0; i < sizeof(sb.uuid); i += 8) {
		uint64_t v = md_gen_new();

		memcpy(sb.uuid + i, &v, 8);
	}
	sb.gen_current = o.assume_clean ? MD_GEN_CLEAN : MD_GEN_BLANK;
	sb.disk_state = o.assume_clean ? MD_DISK_UPTODATE : MD_DISK_INCONSISTENT;
	sb.time_created = (uint64_t)time(NULL);
	rc = md_meta_create(fd, &g, &sb);
	close(fd);
	if (rc)
		return err(MDCTL_EXIT_RUNTIME, "%s: writing metadata failed: %s", name, strerror(-rc));
	if (o.new_secret) {
		rc = md_secret_create(res->secret_file);
		if (rc)
			return err(MDCTL_EXIT_RUNTIME, "%s: cannot write %s: %s", name,
				   res->secret_file, strerror(-rc));
		printf("%s: new secret in %s (mode 0600): copy it to the peer, same path, "
		       "same mode, before 'mdctl up'\n", name, res->secret_file);
	}
	printf("%s: metadata written at byte %llu of %s: %llu bytes of data, %u KiB chunks, %s\n",
	       name, (unsigned long long)g.area_offset, meta_dev(res, me),
	       (unsigned long long)g.data_bytes, 1u << (g.chunk_shift - 10),
	       o.assume_clean ? "assumed clean (no initial sync)" : "needs an initial sync");
	return MDCTL_EXIT_OK;
}
