/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * compat.h - every difference between the kernels we build for (6.1 and
 * 6.12 today) lives here, so the rest of the module is written once.
 *
 * The block layer API changed in ways a compile-time feature probe cannot
 * see without a configure step (same symbol names, new argument lists), so
 * we key on LINUX_VERSION_CODE at the release that made each change and
 * name that release next to the shim.
 */
#ifndef MD_COMPAT_H
#define MD_COMPAT_H

#include <linux/version.h>
#include <linux/blkdev.h>
#include <linux/fs.h>

/*
 * Lower device claim.  6.9 replaced blkdev_get_by_path() with
 * bdev_file_open_by_path(), which returns a struct file.
 */
struct md_lower {
	struct block_device *bdev;
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	struct file *file;
#endif
};

static inline int md_lower_open(struct md_lower *l, const char *path, void *holder)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	struct file *f = bdev_file_open_by_path(path, BLK_OPEN_READ | BLK_OPEN_WRITE,
						holder, NULL);
	if (IS_ERR(f))
		return PTR_ERR(f);
	l->file = f;
	l->bdev = file_bdev(f);
#else
	struct block_device *b = blkdev_get_by_path(path,
			FMODE_READ | FMODE_WRITE | FMODE_EXCL, holder);
	if (IS_ERR(b))
		return PTR_ERR(b);
	l->bdev = b;
#endif
	return 0;
}

static inline void md_lower_close(struct md_lower *l)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0)
	fput(l->file);
#else
	blkdev_put(l->bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
#endif
	l->bdev = NULL;
}

/*
 * Disk allocation with queue limits.  6.9 takes the limits (and, since
 * 6.11, the write-cache/FUA/stable-writes features) at allocation; 6.1
 * sets them on the queue afterwards.
 *
 * Stable writes: the local disk and the daemon read a write's pages at
 * different moments, so a page changed in between would leave the two
 * disks different for one completed write.  With stable writes declared,
 * the page cache keeps pages under writeback unchanged (writers wait).
 */
struct md_limits {
	unsigned int lbs;		/* logical block size */
	unsigned int pbs;		/* physical block size */
	unsigned int max_sectors;
	bool nowait;			/* REQ_NOWAIT taken (BLK_FEAT_NOWAIT) */
};

static inline struct gendisk *md_alloc_disk(const struct md_limits *ml)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	struct queue_limits lim = {
		.logical_block_size = ml->lbs,
		.physical_block_size = ml->pbs,
		.max_hw_sectors = ml->max_sectors,
		.max_sectors = ml->max_sectors,
		.features = BLK_FEAT_WRITE_CACHE | BLK_FEAT_FUA | BLK_FEAT_STABLE_WRITES |
			    (ml->nowait ? BLK_FEAT_NOWAIT : 0),
	};

	return blk_alloc_disk(&lim, NUMA_NO_NODE);
#else
	struct gendisk *disk = blk_alloc_disk(NUMA_NO_NODE);

	if (!disk)
		return ERR_PTR(-ENOMEM);
	blk_queue_logical_block_size(disk->queue, ml->lbs);
	blk_queue_physical_block_size(disk->queue, ml->pbs);
	blk_queue_max_hw_sectors(disk->queue, ml->max_sectors);
	blk_queue_write_cache(disk->queue, true, true);
	blk_queue_flag_set(QUEUE_FLAG_STABLE_WRITES, disk->queue);
	if (ml->nowait)
		blk_queue_flag_set(QUEUE_FLAG_NOWAIT, disk->queue);
	return disk;
#endif
}

/* block_device_operations.open/release: 6.5 passes the gendisk and mode. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#define MD_BDOPS_OPEN_ARGS	struct gendisk *disk, blk_mode_t mode
#define MD_BDOPS_OPEN_DISK	disk
#define MD_OPEN_WRITE		(mode & BLK_OPEN_WRITE)
#define MD_OPEN_NDELAY		(mode & BLK_OPEN_NDELAY)
#define MD_BDOPS_RELEASE_ARGS	struct gendisk *disk
#else
#define MD_BDOPS_OPEN_ARGS	struct block_device *bdev, fmode_t mode
#define MD_BDOPS_OPEN_DISK	bdev->bd_disk
#define MD_OPEN_WRITE		(mode & FMODE_WRITE)
#define MD_OPEN_NDELAY		(mode & FMODE_NDELAY)
#define MD_BDOPS_RELEASE_ARGS	struct gendisk *disk, fmode_t mode
#endif

#endif /* MD_COMPAT_H */
