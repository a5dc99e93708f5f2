/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mirrordisk.h - internal declarations of the mirror disk module.
 */
#ifndef MIRRORDISK_H
#define MIRRORDISK_H

#include <linux/blkdev.h>
#include <linux/bio.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/refcount.h>
#include <linux/completion.h>
#include "compat.h"
#include "md_chan.h"
#include "md_meta.h"

/* Bitmap pages bm_work writes together (bitmap.c, md_bm_write_round). */
#define MD_BM_BATCH	16

/*
 * touched, bm_cand, bm_pending and bm_writing hold one bit per group of
 * 1 << MD_BM_GROUP_SHIFT chunks (2 MiB at the default 64 KiB chunk), the
 * exact bitmaps (ondisk, oos) one per chunk: bitmap.c says why.  A group
 * never straddles a bitmap page (32768 chunks per page).
 */
#define MD_BM_GROUP_SHIFT	5
#define MD_BM_PAGE_GROUPS	(MD_BM_PAGE * 8 >> MD_BM_GROUP_SHIFT)
#define md_grp(chunk)		((unsigned long)((chunk) >> MD_BM_GROUP_SHIFT))

/* Life of a write request slot; see the comment at the top of req.c. */
enum md_req_state {
	MD_RS_FREE = 0,
	MD_RS_BM_WAIT,		/* waits on md->bm_wait for its bitmap bits */
	MD_RS_LOCAL,		/* local write only; the peer is not sent it */
	MD_RS_QUEUED,		/* waits on md->queued for the daemon's read() */
	MD_RS_COPYING,		/* being copied to the daemon by read() */
	MD_RS_SENT,		/* on md->sent, waits for the daemon's ack */
	MD_RS_REMOTE_DONE,	/* ack (or failure) seen; local part may run */
	MD_RS_HELD,		/* on md->held: MD_CONN_HELD, its remote part waits */
};

struct md_dev;

struct md_req {
	struct list_head list;		/* on md->queued, md->sent or md->held */
	struct md_dev *md;
	struct bio *bio;		/* the application's bio */
	u64 offset;
	u64 seq;
	u32 len;
	u16 op;				/* MD_OP_* */
	u16 flags;			/* MD_RF_* */
	u32 gen;			/* bumped on reuse; high half of the id */
	u32 conn_gen;			/* resync: md->conn_gen it was asked under */
	u64 bm_gen;			/* bitmap write that must complete first */
	unsigned long started;		/* jiffies: slot taken (status: oldest_ms) */
	unsigned long queued_at;	/* jiffies: queued for the daemon (deadline.c) */
	unsigned long taken_at;		/* jiffies: read by the daemon (deadline.c) */
	u64 t_start, t_taken, t_acked, t_local;	/* ns: slot taken, read by the
					 * daemon, acked, local write done
					 * (md_ioc_status's ns_* sums) */
	struct bvec_iter iter;		/* the bio's data, as it was at the start */
	enum md_req_state state;
	atomic_t pending;		/* parts outstanding: local, remote */
	blk_status_t local_status;
	int remote_status;		/* 0: the peer holds it */
	bool shipped;
	bool local_done;		/* its local part completed (status:
					 * local_oldest_ms, deadline.c) */
	bool clean_epoch;		/* bitmap.c's flush of both disks (no application bio) */
	bool unrecorded;		/* metadata failed: completes only if replicated */
	struct work_struct local_work;	/* the local write again, where it may
					 * wait (req.c, md_submit_local) */
};

struct md_dev {
	int minor;
	refcount_t ref;			/* the table's, ioctls', a bound channel's */
	struct completion released;	/* ref dropped to zero (destroy waits) */
	bool live;			/* create finished: md_get and destroy see it */
	bool dying;			/* destroy has begun: no open, no md_get */
	char name[MD_NAME_LEN];
	char lower_path[MD_PATH_LEN];
	struct md_lower lower;
	struct md_lower meta;		/* external metadata device, if any */
	struct block_device *meta_bdev;	/* meta.bdev or lower.bdev */
	char meta_path[MD_PATH_LEN];
	struct gendisk *disk;
	struct bio_set bs;
	u64 size_bytes;

	spinlock_t lock;		/* everything below up to chan_mutex */
	u32 role;
	bool readonly;			/* primary for reads only (a read-only grant) */
	u32 conn;
	u32 conn_gen;			/* bumped each time the link comes up */
	unsigned int openers;
	struct file *chan_file;		/* bound daemon, or NULL */
	struct md_req reqs[MD_MAX_INFLIGHT];
	DECLARE_BITMAP(slot_map, MD_MAX_INFLIGHT);
	unsigned int nr_active;
	struct list_head queued;
	struct list_head sent;
	struct list_head held;		/* MD_CONN_HELD: remote parts waiting (chan.c) */
	bool hold_on_loss;		/* MD_CONNF_HOLD of the current connection */
	bool async;			/* MD_CONNF_ASYNC of the current connection */
	unsigned long held_since;	/* jiffies: entered MD_CONN_HELD */
	bool hold_unannounced;		/* HELD by md_chan_held_locked, md_chan_hold to follow */
	struct bio_list deferred;
	u64 next_seq;

	struct mutex chan_mutex;	/* serialises read() against fail_all */
	wait_queue_head_t chan_wait;	/* daemon: requests queued */
	wait_queue_head_t idle_wait;	/* nr_active dropped to zero */
	struct work_struct defer_work;

	/* write-intent bitmap: see bitmap.c; under lock */
	u64 nchunks;
	u32 chunk_shift;
	u64 ngroups;			/* groups of chunks (MD_BM_GROUP_SHIFT) */
	unsigned long *oos;
	unsigned long *touched;		/* per group */
	void *ondisk;
	unsigned long *bm_dirty;	/* pages of ondisk to write */
	unsigned long *bm_pending;	/* per group: bits set in ondisk since its page's snapshot */
	unsigned long *bm_writing;	/* per group: ... in a page write in flight */
	unsigned long *bm_cover;	/* bm_work: pending groups of the pages being written */
	unsigned long *bm_cand;		/* primary, per group: what the epoch flush in flight covers */
	bool bm_epoch_busy;		/* ... that flush is in flight */
	bool bm_epoch_ok;		/* ... and how it ended (epoch_work) */
	bool bm_demoted;		/* secondary holding bits no epoch covered */
	struct work_struct epoch_work;
	bool meta_failed;		/* a bitmap write failed: see md_bm_work */
	u64 bm_pos;			/* byte offset of the bitmap on meta_bdev */
	u64 bm_bytes;
	u64 bm_npages;
	u64 bm_snap_gen;
	struct list_head bm_wait;
	struct work_struct bm_work;
	struct delayed_work clean_work;

	/* the daemon's deadline: see deadline.c; under lock */
	unsigned long deadline;		/* jiffies */
	unsigned long last_take;	/* jiffies: the daemon last read a request */
	unsigned long last_progress;	/* jiffies: its async backlog last moved */
	bool daemon_late;		/* went standalone by the deadline */
	u64 late_offset;
	u64 daemon_misses;
	struct delayed_work deadline_work;
	struct page *bm_bounce[MD_BM_BATCH];	/* bm_work's page snapshots */

	atomic64_t writes;
	atomic64_t writes_replicated;
	atomic64_t resynced;
	unsigned long bm_hand;		/* bitmap_hot_chunks: the next pick's start */
	atomic64_t bm_page_writes;	/* md_ioc_status's counters */
	atomic64_t bm_waits;
	atomic64_t bm_rounds;
	atomic64_t epochs;
	atomic64_t ns_to_daemon;	/* md_ioc_status's stage times */
	atomic64_t ns_remote;
	atomic64_t ns_local;
	bool nowait;			/* takes REQ_NOWAIT (req.c, md_submit_local) */
	atomic64_t nowait_requeues;	/* local writes md_wq submitted again */
};

extern struct workqueue_struct *md_wq;
extern const struct block_device_operations md_bdops;

/* req.c */
void md_defer_work(struct work_struct *work);
void md_dispatch(struct md_req *req);
void md_reqs_init(struct md_dev *md);
void md_req_put(struct md_req *req);
void md_mark_oos(struct md_dev *md, u64 offset, u64 len);
bool md_overlaps_active(struct md_dev *md, u64 off, u32 len);
int md_resync_chunks(struct md_dev *md, u64 chunk, u32 count);
int md_flush_both(struct md_dev *md, bio_end_io_t *endio);

/* bitmap.c */
int md_bm_init(struct md_dev *md);
void md_bm_start(struct md_dev *md);
void md_bm_quiesce(struct md_dev *md);
void md_bm_stop(struct md_dev *md);
void md_bm_free(struct md_dev *md);
void md_bm_work(struct work_struct *work);
bool md_bm_set_locked(struct md_dev *md, u64 first, u64 last, bool touch);
void md_bm_epoch_endio(struct bio *bio);
void md_bm_epoch_done(struct md_dev *md, bool ok);
void md_bm_link_lost(struct md_dev *md);
void md_bm_oos_clear_locked(struct md_dev *md, u64 c);
void md_bm_role_locked(struct md_dev *md, u32 role);
bool md_bm_pending(struct md_dev *md, u64 first, u64 last);
int md_bm_oos_xfer(struct md_dev *md, struct md_ioc_oos *o, unsigned int cmd);

/* deadline.c */
void md_deadline_init(struct md_dev *md);
void md_deadline_start_locked(struct md_dev *md, u32 deadline_s);
void md_deadline_stop(struct md_dev *md);
void md_oldest_locked(struct md_dev *md, struct md_ioc_status *s);

/* chan.c */
extern const struct file_operations md_ctl_fops;
void md_chan_fail_all(struct md_dev *md, int status);
void md_chan_hold(struct md_dev *md);
void md_chan_held_locked(struct md_dev *md);
int md_chan_resume_io(struct md_dev *md);
int md_chan_bind(struct file *f, struct md_ioc_bind *b);
int md_chan_set_conn(struct file *f, struct md_ioc_conn *c);

/* main.c */
extern struct mutex md_ctl_mutex;
struct md_dev *md_get(u32 minor);
void md_put(struct md_dev *md);
long md_ctl_ioctl_dev(struct file *f, unsigned int cmd, unsigned long arg);

#endif /* MIRRORDISK_H */
