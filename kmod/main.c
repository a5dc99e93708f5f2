// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - module life, the control device and mirror device life.
 *
 * One misc device, MD_CTL_PATH, carries every control operation as an ioctl
 * (create, destroy, role, status here; the bitmap transfer in bitmap.c;
 * bind and connection state in chan.c) and, once a file on it is bound to
 * a mirror device, that device's data channel to mirrord (chan.c).  This
 * file dispatches them.
 *
 * Locking: md_ctl_mutex guards only the table md_devs[] (the reservation
 * and publication of a minor in create, the start of destroy, and md_get).
 * Everything a device does for its own ioctls, including what may wait on
 * its disks (reading the bitmap in create, flushing bitmap pages for
 * SET_OOS, waiting for in-flight I/O in destroy), runs under a reference
 * of that device (md_get/md_put) or before it is published, and under its
 * own lock, never under md_ctl_mutex: a slow or hung disk under one
 * resource must not freeze the daemons of the others.
 * A bound channel file holds a reference for as long as it is bound.
 *
 * Module life: every device pins the module (a module reference taken at
 * create, dropped at the end of destroy), as loop does for a bound loop
 * device.  A gendisk pins nothing by itself, and a device runs timers and
 * work on md_wq whether or not anyone holds it open or serves it, so an
 * unload with a device present would leave them to run in freed code.
 * rmmod is refused instead (the kernel's "in use"); md_exit never meets a
 * device.  Tearing the devices down in md_exit was the other choice, but a
 * device may be mounted, and the data path's state (unreplicated writes,
 * marks) is for mdctl down to end, not for an unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include "mirrordisk.h"

DEFINE_MUTEX(md_ctl_mutex);
struct workqueue_struct *md_wq;
static int md_major;
static struct md_dev *md_devs[MD_MAX_MINORS];

/* The device at minor, with a reference; NULL if none (or being destroyed). */
struct md_dev *md_get(u32 minor)
{
	struct md_dev *md = NULL;

	if (minor >= MD_MAX_MINORS)
		return NULL;
	mutex_lock(&md_ctl_mutex);
	if (md_devs[minor] && md_devs[minor]->live && !READ_ONCE(md_devs[minor]->dying)) {
		md = md_devs[minor];
		refcount_inc(&md->ref);
	}
	mutex_unlock(&md_ctl_mutex);
	return md;
}

void md_put(struct md_dev *md)
{
	if (refcount_dec_and_test(&md->ref))
		complete(&md->released);
}

/*
 * The geometry must fit the devices: no write may cross into the metadata,
 * and the bitmap must cover every chunk.  Every sum is checked for
 * overflow (a meta_offset near 2^64 must not wrap bm_pos to the start of
 * the data), and external metadata may not lie on the data it describes:
 * the same device, or a partition overlapping the data's range.
 */
static int md_check_geometry(struct md_dev *md, u64 meta_offset)
{
	struct block_device *l = md->lower.bdev, *m = md->meta_bdev;
	u64 end, bm_end;

	if (md->size_bytes > bdev_nr_bytes(l) || md->bm_bytes * 8 < md->nchunks)
		return -EINVAL;
	if (check_add_overflow(meta_offset, (u64)MD_BITMAP_OFFSET, &md->bm_pos) ||
	    check_add_overflow(md->bm_pos, md->bm_bytes, &bm_end) || bm_end > bdev_nr_bytes(m))
		return -EINVAL;
	if (m == l)		/* internal: the metadata follows the data */
		return meta_offset < md->size_bytes ? -EINVAL : 0;
	if (bdev_whole(m) == bdev_whole(l)) {
		/* Two partitions (or a disk and its partition) of one disk:
		 * their sector ranges on the whole disk must not meet. */
		u64 ls = (u64)l->bd_start_sect << SECTOR_SHIFT, ms = (u64)m->bd_start_sect << SECTOR_SHIFT;

		end = ls + md->size_bytes;
		if (ms < end && ls < ms + bm_end)
			return -EINVAL;
	}
	return 0;
}

/*
 * /sys/block/mirrorN/mirror/name: the resource's name, for udev's
 * /dev/mirror/<resource> link (packaging/60-mirrordisk.rules), the way
 * device-mapper exposes dm/name.  Present before the "add" uevent.
 */
static ssize_t md_name_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct md_dev *md = dev_to_disk(dev)->private_data;

	return sysfs_emit(buf, "%s\n", md->name);
}
static DEVICE_ATTR(name, 0444, md_name_show, NULL);

/*
 * .../mirror/nowait: 1 if the device takes REQ_NOWAIT (io_uring issues
 * its writes inline instead of from io-wq workers), decided at create
 * (module parameter nowait, and the lower device taking it too);
 * .../mirror/nowait_requeues: local writes that would have waited under
 * REQ_NOWAIT and md_wq submitted instead (req.c, md_submit_local).
 */
static ssize_t md_nowait_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct md_dev *md = dev_to_disk(dev)->private_data;

	return sysfs_emit(buf, "%d\n", md->nowait);
}
static DEVICE_ATTR(nowait, 0444, md_nowait_show, NULL);

static ssize_t md_nowait_requeues_show(struct device *dev, struct device_attribute *attr,
				       char *buf)
{
	struct md_dev *md = dev_to_disk(dev)->private_data;

	return sysfs_emit(buf, "%lld\n", (long long)atomic64_read(&md->nowait_requeues));
}
static DEVICE_ATTR(nowait_requeues, 0444, md_nowait_requeues_show, NULL);

static struct attribute *md_attrs[] = {
	&dev_attr_name.attr,
	&dev_attr_nowait.attr,
	&dev_attr_nowait_requeues.attr,
	NULL,
};

static const struct attribute_group md_attr_group = {
	.name = "mirror",
	.attrs = md_attrs,
};

static const struct attribute_group *md_attr_groups[] = {
	&md_attr_group,
	NULL,
};

/*
 * REQ_NOWAIT on the mirror device (nowait=1 at load, or for the devices
 * created after a change): an io_uring application's O_DIRECT writes are
 * issued from its own task instead of an io-wq worker's (a thread hop per
 * write).  Off by default: measured side by side in the test guests (one
 * vCPU each), it gained nothing at 512 B QD1 and cost a fifth of the
 * IOPS at 4 KiB QD32 (docs/design.md, section 2, step 4); a tester on
 * hardware with cores to spare compares for themselves.
 */
static bool md_nowait;
module_param_named(nowait, md_nowait, bool, 0644);
MODULE_PARM_DESC(nowait, "Mirror devices created from now on take REQ_NOWAIT (io_uring submits inline) if their lower device does (default N)");

static int md_create(struct md_ioc_create *c)
{
	struct md_limits lim;
	struct md_dev *md;
	struct gendisk *disk;
	int ret;

	if (c->minor >= MD_MAX_MINORS || c->flags ||
	    memchr_inv(c->reserved, 0, sizeof(c->reserved)))
		return -EINVAL;
	if (c->role != MD_ROLE_PRIMARY && c->role != MD_ROLE_SECONDARY)
		return -EINVAL;
	if (!c->chunk_shift)
		c->chunk_shift = MD_CHUNK_SHIFT_DEFAULT;
	if (c->chunk_shift < MD_CHUNK_SHIFT_MIN || c->chunk_shift > MD_CHUNK_SHIFT_MAX)
		return -EINVAL;
	c->name[MD_NAME_LEN - 1] = '\0';
	c->lower[MD_PATH_LEN - 1] = '\0';
	c->meta[MD_PATH_LEN - 1] = '\0';
	if (!c->data_bytes || c->data_bytes % SECTOR_SIZE || c->bitmap_bytes % MD_BM_PAGE ||
	    !c->bitmap_bytes || c->bitmap_bytes > (256ULL << 20) || c->meta_offset % MD_BM_PAGE)
		return -EINVAL;

	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md)
		return -ENOMEM;
	/*
	 * Reserve the minor, then build the device without md_ctl_mutex:
	 * claiming the disks and reading the bitmap wait on them, and a slow
	 * metadata device under this resource must not block every other
	 * device's md_get.  Until it is published (live) the entry is
	 * invisible to md_get and destroy, and a second create of the minor
	 * gets -EBUSY.
	 */
	mutex_lock(&md_ctl_mutex);
	if (md_devs[c->minor]) {
		ret = md_devs[c->minor]->live && !md_devs[c->minor]->dying ? -EEXIST : -EBUSY;
		mutex_unlock(&md_ctl_mutex);
		kfree(md);
		return ret;
	}
	md_devs[c->minor] = md;
	mutex_unlock(&md_ctl_mutex);
	md->minor = c->minor;
	strscpy(md->name, c->name[0] ? c->name : "mirror", sizeof(md->name));
	strscpy(md->lower_path, c->lower, sizeof(md->lower_path));
	strscpy(md->meta_path, c->meta, sizeof(md->meta_path));
	md->role = c->role;
	md->conn = MD_CONN_STANDALONE;
	md->chunk_shift = c->chunk_shift;
	spin_lock_init(&md->lock);
	refcount_set(&md->ref, 1);		/* the table's */
	init_completion(&md->released);
	mutex_init(&md->chan_mutex);
	init_waitqueue_head(&md->chan_wait);
	init_waitqueue_head(&md->idle_wait);
	INIT_LIST_HEAD(&md->queued);
	INIT_LIST_HEAD(&md->sent);
	INIT_LIST_HEAD(&md->held);
	bio_list_init(&md->deferred);
	INIT_WORK(&md->defer_work, md_defer_work);
	md_reqs_init(md);
	md_deadline_init(md);
	atomic64_set(&md->writes, 0);
	atomic64_set(&md->writes_replicated, 0);
	atomic64_set(&md->resynced, 0);
	atomic64_set(&md->bm_page_writes, 0);
	atomic64_set(&md->bm_waits, 0);
	atomic64_set(&md->bm_rounds, 0);
	atomic64_set(&md->epochs, 0);
	atomic64_set(&md->ns_to_daemon, 0);
	atomic64_set(&md->ns_remote, 0);
	atomic64_set(&md->ns_local, 0);
	atomic64_set(&md->nowait_requeues, 0);

	ret = md_lower_open(&md->lower, md->lower_path, md);
	if (ret) {
		pr_err("%s: cannot claim lower device %s: %d\n", md->name,
		       md->lower_path, ret);
		goto free_md;
	}
	md->meta_bdev = md->lower.bdev;
	if (md->meta_path[0]) {
		ret = md_lower_open(&md->meta, md->meta_path, md);
		if (ret) {
			pr_err("%s: cannot claim metadata device %s: %d\n", md->name,
			       md->meta_path, ret);
			goto close_lower;
		}
		md->meta_bdev = md->meta.bdev;
	}
	/* The geometry must fit the devices: no write may cross into the
	 * metadata area, and the bitmap must cover every chunk. */
	md->size_bytes = c->data_bytes;
	md->nchunks = DIV_ROUND_UP_ULL(md->size_bytes, 1ULL << md->chunk_shift);
	md->bm_bytes = c->bitmap_bytes;
	ret = md_check_geometry(md, c->meta_offset);
	if (ret) {
		pr_err("%s: metadata geometry does not fit the devices\n", md->name);
		goto close_meta;
	}
	ret = md_bm_init(md);
	if (ret)
		goto free_bm;
	ret = bioset_init(&md->bs, BIO_POOL_SIZE, 0, 0);
	if (ret)
		goto free_bm;

	lim.lbs = bdev_logical_block_size(md->lower.bdev);
	lim.pbs = bdev_physical_block_size(md->lower.bdev);
	lim.max_sectors = MD_MAX_IO_BYTES >> SECTOR_SHIFT;
	/* The local write goes on to the lower device with REQ_NOWAIT: only
	 * if that takes it (md_submit_local copes if it stops; a read, which
	 * goes straight through, then fails with EOPNOTSUPP, which io_uring
	 * reissues from a worker, as over device-mapper). */
	md->nowait = md_nowait && bdev_nowait(md->lower.bdev);
	lim.nowait = md->nowait;
	disk = md_alloc_disk(&lim);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto exit_bioset;
	}
	disk->major = md_major;
	disk->first_minor = md->minor;
	disk->minors = 1;
	disk->fops = &md_bdops;
	disk->private_data = md;
	disk->flags |= GENHD_FL_NO_PART;
	snprintf(disk->disk_name, DISK_NAME_LEN, MD_DISK_PREFIX "%d", md->minor);
	set_capacity(disk, md->size_bytes >> SECTOR_SHIFT);
	md->disk = disk;

	ret = device_add_disk(NULL, disk, md_attr_groups);
	if (ret)
		goto put_disk;

	/* Our caller holds the control file open: the module is pinned. */
	__module_get(THIS_MODULE);
	md_bm_start(md);
	mutex_lock(&md_ctl_mutex);
	md->live = true;
	mutex_unlock(&md_ctl_mutex);
	c->size_bytes = md->size_bytes;
	pr_info("%s: /dev/%s over %s, %llu bytes, %s, %u chunks out of sync\n", md->name,
		disk->disk_name, md->lower_path, md->size_bytes,
		md->role == MD_ROLE_PRIMARY ? "primary" : "secondary",
		bitmap_weight(md->oos, md->nchunks));
	return 0;

put_disk:
	put_disk(disk);
exit_bioset:
	bioset_exit(&md->bs);
free_bm:
	md_bm_free(md);
close_meta:
	if (md->meta_path[0])
		md_lower_close(&md->meta);
close_lower:
	md_lower_close(&md->lower);
free_md:
	mutex_lock(&md_ctl_mutex);
	md_devs[c->minor] = NULL;
	mutex_unlock(&md_ctl_mutex);
	kfree(md);
	return ret;
}

/* No request active and none deferred (md_destroy). */
static bool md_quiet(struct md_dev *md)
{
	bool quiet;

	spin_lock_irq(&md->lock);
	quiet = !md->nr_active && bio_list_empty(&md->deferred);
	spin_unlock_irq(&md->lock);
	return quiet;
}

/*
 * Remove a device nobody holds open and no daemon serves.  The check and
 * the "dying" mark are one step under md->lock, so an open racing with us
 * either counted before (we refuse) or is refused by md_open; from then on
 * the device can only go away.  The slow part (in-flight I/O, the final
 * bitmap write) runs without md_ctl_mutex; the table keeps the minor
 * reserved until it is done.
 */
static int md_destroy(u32 minor)
{
	struct md_dev *md;

	if (minor >= MD_MAX_MINORS)
		return -ENODEV;
	mutex_lock(&md_ctl_mutex);
	md = md_devs[minor];
	if (!md || !md->live || md->dying) {
		mutex_unlock(&md_ctl_mutex);
		return -ENODEV;
	}
	spin_lock_irq(&md->lock);
	if (md->openers || md->chan_file || md->conn == MD_CONN_HELD) {
		spin_unlock_irq(&md->lock);
		mutex_unlock(&md_ctl_mutex);
		return -EBUSY;
	}
	WRITE_ONCE(md->dying, true);
	spin_unlock_irq(&md->lock);
	mutex_unlock(&md_ctl_mutex);

	md_put(md);				/* the table's reference */
	wait_for_completion(&md->released);	/* ioctls still using it */
	del_gendisk(md->disk);
	/*
	 * No new request from here: the application's are gone with the
	 * disk and the daemon's with its channel; the deadline and the
	 * cleaner (which starts epoch flushes) stop first.  Then until no
	 * request is active and none deferred: a completion kicks the
	 * deferred ones, which start as new requests (md_defer_work), so
	 * idle alone is not the end.  The lock taken last: md_req_put frees
	 * the last slot under it and touches nothing of md after it.
	 */
	md_deadline_stop(md);
	md_bm_quiesce(md);
	wait_event(md->idle_wait, md_quiet(md));
	flush_work(&md->defer_work);
	md_bm_stop(md);
	put_disk(md->disk);
	bioset_exit(&md->bs);
	md_bm_free(md);
	if (md->meta_path[0])
		md_lower_close(&md->meta);
	md_lower_close(&md->lower);
	pr_info("%s: destroyed\n", md->name);
	mutex_lock(&md_ctl_mutex);
	md_devs[minor] = NULL;
	mutex_unlock(&md_ctl_mutex);
	kfree(md);
	/* The device's reference; the caller's open file still pins us. */
	module_put(THIS_MODULE);
	return 0;
}

/* noinline: tests/vm/mdfault.c probes its entry. */
static noinline int md_set_role(struct md_dev *md, struct md_ioc_role *r)
{
	int ret = 0;
	bool ro = r->flags & MD_ROLEF_READONLY;
	bool if_conn = r->flags & MD_ROLEF_IF_CONNECTED;

	if ((r->role != MD_ROLE_PRIMARY && r->role != MD_ROLE_SECONDARY) ||
	    (r->flags & ~(MD_ROLEF_READONLY | MD_ROLEF_IF_CONNECTED)) || r->reserved ||
	    ((ro || if_conn) && r->role != MD_ROLE_PRIMARY))
		return -EINVAL;
	spin_lock_irq(&md->lock);
	if (md->openers && (r->role == MD_ROLE_SECONDARY || ro != md->readonly))
		ret = -EBUSY;	/* still mounted or open: give it up first */
	else if (if_conn && (md->role != MD_ROLE_PRIMARY || md->readonly) &&
		 md->conn != MD_CONN_CONNECTED)
		ret = -ENOTCONN;	/* the link went down since mdctl read it */
	else {
		md_bm_role_locked(md, r->role);
		md->role = r->role;
		md->readonly = ro;
	}
	spin_unlock_irq(&md->lock);
	if (!ret) {
		set_disk_ro(md->disk, ro);
		pr_info("%s: role %s%s\n", md->name,
			r->role == MD_ROLE_PRIMARY ? "primary" : "secondary", ro ? " (read-only)" : "");
	}
	return ret;
}

static void md_fill_status(struct md_dev *md, struct md_ioc_status *s)
{
	spin_lock_irq(&md->lock);
	s->role = md->role;
	s->conn = md->conn;
	s->flags = (md->chan_file ? MD_SF_BOUND : 0) |
		   (md->openers ? MD_SF_OPEN : 0) |
		   (md->readonly ? MD_SF_READONLY : 0) |
		   (md->meta_failed ? MD_SF_META_FAILED : 0) |
		   (md->daemon_late ? MD_SF_DAEMON_LATE : 0) |
		   (md->nowait ? MD_SF_NOWAIT : 0);
	s->daemon_misses = md->daemon_misses;
	s->late_offset = md->late_offset;
	md_oldest_locked(md, s);	/* oldest_ms, local_oldest_ms and _offset */
	s->inflight = md->nr_active;
	spin_unlock_irq(&md->lock);
	s->size_bytes = md->size_bytes;
	s->chunk_bytes = 1ULL << md->chunk_shift;
	s->oos_chunks = bitmap_weight(md->oos, md->nchunks);
	s->writes = atomic64_read(&md->writes);
	s->writes_replicated = atomic64_read(&md->writes_replicated);
	s->resynced_chunks = atomic64_read(&md->resynced);
	s->bm_page_writes = atomic64_read(&md->bm_page_writes);
	s->bm_waits = atomic64_read(&md->bm_waits);
	s->bm_rounds = atomic64_read(&md->bm_rounds);
	s->epochs = atomic64_read(&md->epochs);
	s->ns_to_daemon = atomic64_read(&md->ns_to_daemon);
	s->ns_remote = atomic64_read(&md->ns_remote);
	s->ns_local = atomic64_read(&md->ns_local);
	strscpy(s->name, md->name, sizeof(s->name));
	strscpy(s->lower, md->lower_path, sizeof(s->lower));
}

union md_ioc_args {
	struct md_ioc_create create;
	struct md_ioc_role role;
	struct md_ioc_status status;
	struct md_ioc_bind bind;
	struct md_ioc_conn conn;
	struct md_ioc_oos oos;
	struct md_ioc_resync rs;
	u32 minor;
};

/* The ioctls addressed to one device by minor: under its reference only. */
static long md_ctl_ioctl_minor(unsigned int cmd, union md_ioc_args *u)
{
	u32 minor = cmd == MD_IOC_SET_ROLE ? u->role.minor :
		    cmd == MD_IOC_STATUS ? u->status.minor :
		    cmd == MD_IOC_RESUME_IO ? u->minor : u->oos.minor;
	struct md_dev *md = md_get(minor);
	long ret;

	if (!md)
		return -ENODEV;
	switch (cmd) {
	case MD_IOC_SET_ROLE:
		ret = md_set_role(md, &u->role);
		break;
	case MD_IOC_RESUME_IO:
		ret = md_chan_resume_io(md);
		break;
	case MD_IOC_STATUS:
		md_fill_status(md, &u->status);
		ret = 0;
		break;
	default:
		ret = md_bm_oos_xfer(md, &u->oos, cmd);
	}
	md_put(md);
	return ret;
}

long md_ctl_ioctl_dev(struct file *f, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	union md_ioc_args *u;
	long ret;

	if (cmd == MD_IOC_VERSION)
		return MD_CHAN_VERSION;
	if (_IOC_TYPE(cmd) != MD_IOC_MAGIC || _IOC_SIZE(cmd) > sizeof(*u))
		return -ENOTTY;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	if ((_IOC_DIR(cmd) & _IOC_WRITE) && copy_from_user(u, uarg, _IOC_SIZE(cmd))) {
		ret = -EFAULT;
		goto out;
	}

	switch (cmd) {
	case MD_IOC_CREATE:
		ret = md_create(&u->create);
		break;
	case MD_IOC_DESTROY:
		ret = md_destroy(u->minor);
		break;
	case MD_IOC_BIND:
		ret = md_chan_bind(f, &u->bind);
		break;
	case MD_IOC_SET_CONN:
		ret = md_chan_set_conn(f, &u->conn);
		break;
	case MD_IOC_RESYNC:
		if (!f->private_data)
			ret = -ENOTCONN;
		else if (u->rs.reserved)
			ret = -EINVAL;
		else
			ret = md_resync_chunks(f->private_data, u->rs.chunk,
					       u->rs.count ? u->rs.count : 1);
		break;
	case MD_IOC_SET_ROLE:
	case MD_IOC_STATUS:
	case MD_IOC_RESUME_IO:
	case MD_IOC_GET_OOS:
	case MD_IOC_CLEAR_OOS:
	case MD_IOC_SET_OOS:
		ret = md_ctl_ioctl_minor(cmd, u);
		break;
	default:
		ret = -ENOTTY;
	}

	if (!ret && (_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, u, _IOC_SIZE(cmd)))
		ret = -EFAULT;
out:
	kfree(u);
	return ret;
}

static struct miscdevice md_ctl_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = MD_CTL_NAME,
	.fops = &md_ctl_fops,
	.mode = 0600,
};

static int __init md_init(void)
{
	int ret;

	md_wq = alloc_workqueue("mirrordisk", WQ_MEM_RECLAIM, 0);
	if (!md_wq)
		return -ENOMEM;
	md_major = register_blkdev(0, "mirrordisk");
	if (md_major < 0) {
		ret = md_major;
		goto destroy_wq;
	}
	ret = misc_register(&md_ctl_misc);
	if (ret)
		goto unregister_blkdev;
	pr_info("loaded, channel version %d\n", MD_CHAN_VERSION);
	return 0;

unregister_blkdev:
	unregister_blkdev(md_major, "mirrordisk");
destroy_wq:
	destroy_workqueue(md_wq);
	return ret;
}

static void __exit md_exit(void)
{
	misc_deregister(&md_ctl_misc);
	unregister_blkdev(md_major, "mirrordisk");
	destroy_workqueue(md_wq);
	pr_info("unloaded\n");
}

module_init(md_init);
module_exit(md_exit);
MODULE_DESCRIPTION("Mirror disk: replicated block device for two-node clusters");
MODULE_LICENSE("GPL");
