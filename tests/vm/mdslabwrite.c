// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mdslabwrite.c - a test module for the VM scenarios: one write to a block
 * device whose data lives in a slab object of a cache of its own, as
 * jbd2's frozen journal blocks do on an ext4 with 1 KiB blocks (the
 * jbd2_1k cache).  Such a cache has no usercopy whitelist, so a
 * copy_to_user out of it is refused by hardened usercopy (Debian's
 * kernels: a BUG that kills the copying task).  The mirror's channel must
 * carry the write all the same (scenario slab_write).
 *
 *   insmod mdslabwrite.ko dev=/dev/mirror0 sector=2048 fill=0x5a
 *
 * writes 1 KiB of the byte 'fill' at 'sector' at load and fails the load
 * with the write's error; rmmod it afterwards.  Never packaged.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/bio.h>
#include <linux/slab.h>
#include "compat.h"

#define MDSW_LEN	1024

static char *dev;
module_param(dev, charp, 0444);
MODULE_PARM_DESC(dev, "Block device to write to");
static ulong sector;
module_param(sector, ulong, 0444);
MODULE_PARM_DESC(sector, "Where (512-byte sectors)");
static int fill = 0x5a;
module_param(fill, int, 0444);
MODULE_PARM_DESC(fill, "The byte written");

static int __init mdsw_init(void)
{
	struct kmem_cache *cache;
	struct md_lower l;
	struct bio *bio;
	void *buf;
	int rc;

	if (!dev)
		return -EINVAL;
	/* No usercopy region: as jbd2's caches are created. */
	cache = kmem_cache_create("mdslabwrite_1k", MDSW_LEN, MDSW_LEN, 0, NULL);
	if (!cache)
		return -ENOMEM;
	buf = kmem_cache_alloc(cache, GFP_KERNEL);
	if (!buf) {
		rc = -ENOMEM;
		goto out_cache;
	}
	memset(buf, fill, MDSW_LEN);
	rc = md_lower_open(&l, dev, THIS_MODULE);
	if (rc)
		goto out_buf;
	bio = bio_alloc(l.bdev, 1, REQ_OP_WRITE | REQ_SYNC, GFP_KERNEL);
	bio->bi_iter.bi_sector = sector;
	if (bio_add_page(bio, virt_to_page(buf), MDSW_LEN, offset_in_page(buf)) != MDSW_LEN)
		rc = -EIO;
	else
		rc = submit_bio_wait(bio);
	bio_put(bio);
	md_lower_close(&l);
	pr_info("1 KiB from a slab object written to %s at sector %lu: %d\n", dev, sector, rc);
out_buf:
	kmem_cache_free(cache, buf);
out_cache:
	kmem_cache_destroy(cache);
	return rc;
}

static void __exit mdsw_exit(void)
{
}

module_init(mdsw_init);
module_exit(mdsw_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("mirrordisk VM test: a write whose data is a slab object");
