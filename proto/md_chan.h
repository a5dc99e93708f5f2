/* SPDX-License-Identifier: (GPL-2.0-only WITH Linux-syscall-note) OR MIT */
/*
 * md_chan.h - the kernel <-> mirrord channel of the mirror disk.
 *
 * Shared verbatim by kmod/ and user space.  Both sides run on the same host,
 * so these structures use the host's byte order; the wire (md_wire.h) and
 * on-disk (md_meta.h) formats are little-endian.  Fixed-width types only,
 * explicit padding, reserved fields must be zero.  Sizes are pinned at the
 * bottom of this file.
 *
 * The channel is the control misc device MD_CTL_PATH:
 *   - mdctl uses its ioctls to create, destroy and configure mirror devices;
 *   - mirrord binds one open file to one device (MD_IOC_BIND); from then on
 *     read() on that file returns a batch of captured requests, each an
 *     md_chan_req header followed by its payload, and write() takes a batch
 *     of md_chan_ack records.  poll() reports EPOLLIN while requests wait.
 *     A read never splits a record; a buffer of MD_CHAN_MIN_READ bytes
 *     always holds at least one.
 * Closing the bound file (daemon exit or crash) completes every request the
 * daemon had not acknowledged as "not replicated": the kernel marks its
 * chunks out of sync and the application's I/O goes on, degraded.
 */
#ifndef MD_CHAN_H
#define MD_CHAN_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/ioctl.h>
#else
#include <linux/types.h>
#include <sys/ioctl.h>
#endif

#define MD_CTL_NAME		"mirrordisk-ctl"
#define MD_CTL_PATH		"/dev/" MD_CTL_NAME
#define MD_DISK_PREFIX		"mirror"	/* /dev/mirror<minor> */
#define MD_CHAN_VERSION		8	/* 2: MD_RF_READ_ERROR records; 3: deadlines;
					 * 4: MD_CONN_HELD, md_ioc_conn.flags, MD_IOC_RESUME_IO;
					 * 5: MD_CONNF_ASYNC, MD_RF_ASYNC,
					 * MD_CHAN_ACK_PROGRESS;
					 * 6: md_ioc_status's counters (bm_page_writes,
					 * bm_waits, epochs) and reserved room;
					 * 7: md_ioc_resync.count, several chunks per
					 * resync read;
					 * 8: md_ioc_status.local_oldest_ms and
					 * local_oldest_offset (the primary's own disk),
					 * the struct 40 bytes longer: MD_IOC_STATUS's
					 * number changed with its size */
#define MD_MAX_MINORS		64
#define MD_NAME_LEN		64
#define MD_PATH_LEN		256

/* Largest payload of one request; the device's max_sectors enforces it. */
#define MD_MAX_IO_BYTES		(1024u * 1024u)
#define MD_CHAN_MIN_READ	(MD_MAX_IO_BYTES + 4096u)
/* Requests the kernel keeps in flight to the daemon, per device. */
#define MD_MAX_INFLIGHT		256

/* Roles (md_ioc_role.role, md_ioc_status.role). Numbers are never reused. */
#define MD_ROLE_SECONDARY	1
#define MD_ROLE_PRIMARY		2

/* Replication link state as the daemon reports it (md_ioc_conn.state). */
#define MD_CONN_STANDALONE	0	/* no peer: writes are only marked */
#define MD_CONN_CONNECTED	1	/* writes are shipped and awaited */
/*
 * The link is lost and the peer is not known to be fenced yet (fencing =
 * resource-and-stonith): no write completes.  Every request the daemon
 * held or had not read yet, and every new write, is written locally and
 * then held, its remote part neither shipped nor failed; reads go on.
 * Left by MD_IOC_SET_CONN (STANDALONE or CONNECTED: the daemon's fence
 * handler succeeded, or a new connection) or by MD_IOC_RESUME_IO (the
 * administrator): the held writes then complete as not replicated, marked
 * out of sync, exactly as at MD_CONN_STANDALONE.  Neither the daemon's
 * death nor the kernel's deadline ends it: a held device stays held
 * without a daemon, and a new daemon finds it so (MD_IOC_STATUS.conn).
 */
#define MD_CONN_HELD		2

/* md_chan_req.op */
#define MD_OP_WRITE		1
#define MD_OP_FLUSH		2	/* empty flush (REQ_PREFLUSH, no data) */
#define MD_OP_RESYNC		3	/* a chunk read for resync (MD_IOC_RESYNC) */

/* md_chan_req.flags */
#define MD_RF_FUA		(1u << 0)
#define MD_RF_PREFLUSH		(1u << 1)
#define MD_RF_READ_ERROR	(1u << 2)	/* MD_OP_RESYNC: the chunk could not be read
						 * from the lower disk; no payload (len 0).
						 * Ack it (with an error): the chunk stays
						 * out of sync. */
#define MD_RF_ASYNC		(1u << 3)	/* MD_CONNF_ASYNC: this request completed to
						 * the application (once its local part
						 * did) when read; the kernel waits for no
						 * ack of it and takes none.  Its bitmap
						 * bits stay set until an epoch flush the
						 * peer acknowledged covers it. */

/* md_chan_ack.status: 0, or a negative errno from the peer or the link. */

struct md_chan_req {
	__u64 id;		/* echoed in md_chan_ack; its low 32 bits are a
				 * slot below MD_MAX_INFLIGHT, unique among the
				 * requests outstanding (the daemon indexes by it) */
	__u64 offset;		/* byte offset on the device */
	__u32 len;		/* payload bytes that follow (0 for FLUSH) */
	__u16 op;		/* MD_OP_* */
	__u16 flags;		/* MD_RF_* */
	__u64 seq;		/* per-device submission order */
};

/*
 * An ack with this id (status 0) answers no request: the daemon's
 * asynchronous backlog moved (the peer acknowledged some of it), so the
 * requests the kernel waits for behind it are the link's doing, not a
 * stopped daemon's (kmod/deadline.c).  No request has it: gen starts at 1.
 */
#define MD_CHAN_ACK_PROGRESS	0ull

struct md_chan_ack {
	__u64 id;
	__s32 status;
	__u32 reserved;		/* must be zero */
};

/* ---- ioctls on MD_CTL_PATH ---- */

/*
 * Create a mirror device.  The caller (mdctl) has read and checked the
 * node's metadata (md_meta.h) and passes its geometry: the device exposes
 * data_bytes of the lower device, and the write-intent bitmap lives at
 * meta_offset + MD_BITMAP_OFFSET on the meta device (the lower device itself
 * when meta is empty).  The module loads that bitmap: every bit set in it
 * counts as out of sync.
 */
struct md_ioc_create {
	__u32 minor;			/* in */
	__u32 flags;			/* in: reserved, must be zero */
	__u32 chunk_shift;		/* in: log2 of the bitmap chunk size */
	__u32 role;			/* in: initial MD_ROLE_* */
	__u64 size_bytes;		/* out: device size (== data_bytes) */
	char name[MD_NAME_LEN];		/* in: resource name */
	char lower[MD_PATH_LEN];	/* in: lower block device path */
	char meta[MD_PATH_LEN];		/* in: external meta device, or "" */
	__u64 data_bytes;		/* in: bytes of lower exposed */
	__u64 meta_offset;		/* in: byte offset of the metadata area */
	__u64 bitmap_bytes;		/* in: bytes of bitmap on disk */
	__u64 reserved[4];		/* must be zero */
};

struct md_ioc_role {
	__u32 minor;
	__u32 role;
	__u32 flags;			/* MD_ROLEF_* */
	__u32 reserved;
};
/*
 * Bit 0 was MD_ROLEF_FORCE: the module accepted it and did nothing with it
 * (forcing a role is mdctl's policy, not the kernel's).  It is rejected
 * now like any unknown flag (an older mdctl's activate --force gets
 * -EINVAL); never reuse it, or that older mdctl would ask for whatever it
 * came to mean.
 */
#define MD_ROLEF_RESERVED0	(1u << 0)	/* was FORCE; never reuse */
#define MD_ROLEF_READONLY	(1u << 1)	/* primary: reads only (a read-only grant) */
/*
 * Primary only while the link is up: refused with -ENOTCONN, under the
 * lock that orders the link's changes, when the module is not connected
 * to the peer.  mdctl activate asks for it when it went without
 * fence-peer only because it read the link as up (lib/gen.c,
 * md_promote_needs_fence), so that a link lost between that read and
 * the promotion cannot make a primary whose peer nobody fenced.  A
 * module before this flag refuses it as unknown (-EINVAL), and mdctl then
 * promotes without it: the channel is unchanged, so MD_CHAN_VERSION is
 * too (the daemon and the module need not be upgraded together for it).
 */
#define MD_ROLEF_IF_CONNECTED	(1u << 2)

struct md_ioc_bind {
	__u32 minor;
	__u32 version;			/* MD_CHAN_VERSION the daemon speaks */
	__u64 reserved[2];
};

/*
 * The kernel's deadline for the daemon: while CONNECTED, a request that
 * waits longer than deadline_s seconds for the daemon (queued and not read,
 * or read and not acknowledged) makes the module give up on the daemon as
 * if it had set STANDALONE itself: every request it holds completes as not
 * replicated (marked out of sync), MD_SF_DAEMON_LATE is set and
 * daemon_misses counts it.  A daemon that runs again finds the device
 * standalone and reconnects (docs/design.md, "Timeouts").  deadline_s 0:
 * the module parameter daemon_timeout_s; STANDALONE takes 0 only.
 */
struct md_ioc_conn {
	__u32 state;			/* MD_CONN_* */
	__u32 deadline_s;		/* CONNECTED: see above; max MD_DEADLINE_MAX_S */
	__u32 flags;			/* CONNECTED: MD_CONNF_*; others: 0 */
	__u32 reserved;			/* must be zero */
};
#define MD_DEADLINE_MAX_S	3600
/*
 * CONNECTED with MD_CONNF_HOLD (fencing = resource-and-stonith): a loss
 * of this link that the daemon does not report itself (its death closing
 * the channel, the deadline above) goes to MD_CONN_HELD instead of
 * STANDALONE while the device is primary, so that no write completes
 * before someone has fenced the peer.  A secondary has no writes to hold.
 */
#define MD_CONNF_HOLD		(1u << 0)
/*
 * CONNECTED with MD_CONNF_ASYNC (mode = async): an application write or
 * flush completes when its local part did and the daemon has read it
 * (MD_RF_ASYNC in its header), not when the peer acknowledged it.  Not
 * the bitmap's epoch flushes, and not a write whose bit could not be
 * recorded: those still wait for the peer.  Durability: a write's bits
 * are cleared only by an epoch flush the peer acknowledged, which the
 * peer orders after every write read before it (MDW_DF_BARRIER), so a
 * write the peer may lack stays in the bitmap (docs/design.md,
 * "Asynchronous replication").
 */
#define MD_CONNF_ASYNC		(1u << 1)

/* Daemon state bits in md_ioc_status.flags */
#define MD_SF_BOUND		(1u << 0)	/* a daemon holds the channel */
#define MD_SF_OPEN		(1u << 1)	/* the mirror device is open */
#define MD_SF_READONLY		(1u << 2)	/* primary, but read-only (MD_ROLEF_READONLY) */
#define MD_SF_META_FAILED	(1u << 3)	/* a bitmap write failed: full resync after a crash */
#define MD_SF_DAEMON_LATE	(1u << 4)	/* standalone because the daemon missed its deadline */
#define MD_SF_NOWAIT		(1u << 5)	/* the device takes REQ_NOWAIT: io_uring submits
						 * inline (zero from a module before) */

struct md_ioc_status {
	__u32 minor;			/* in */
	__u32 role;
	__u32 conn;
	__u32 flags;			/* MD_SF_* */
	__u64 size_bytes;
	__u64 chunk_bytes;
	__u64 oos_chunks;		/* chunks the peer may lack */
	__u64 writes;			/* write requests completed */
	__u64 writes_replicated;	/* ... acknowledged by the peer */
	__u64 inflight;
	__u64 resynced_chunks;		/* chunks brought to the peer by resync */
	__u64 daemon_misses;		/* times the daemon missed its deadline */
	__u64 oldest_ms;		/* age of the oldest request in flight, 0: none */
	__u64 late_offset;		/* MD_SF_DAEMON_LATE: the request that waited */
	char name[MD_NAME_LEN];
	char lower[MD_PATH_LEN];
	/* Counters for performance testers (since the device was created). */
	__u64 bm_page_writes;		/* write-intent bitmap pages written (FUA) */
	__u64 bm_waits;			/* writes that waited for one (a new bit,
					 * or one set but not durable yet) */
	__u64 epochs;			/* clean epochs started: flushes that let
					 * bits clear */
	__u64 bm_rounds;		/* rounds of bitmap page writes: the pages
					 * of one went to the disk together (was
					 * reserved[0], zero from a module before) */
	/*
	 * Where a replicated write's time goes (reserved[0..2] before: zero
	 * from a module before).  Sums in nanoseconds over the writes counted
	 * in writes_replicated, each from the moment it took its request slot
	 * (a wait for a new write-intent bit included): until the daemon's
	 * read() took it; from that read until the daemon's ack of it (the
	 * daemon, the network, the peer's write); until the local write
	 * completed.  Divided by writes_replicated: the mean of each stage.
	 */
	__u64 ns_to_daemon;
	__u64 ns_remote;
	__u64 ns_local;
	/*
	 * This node's own disk (reserved[0] before; version 8 added the
	 * rest): the oldest request whose local part has not completed (its
	 * write-intent bitmap page, its data write or flush, a resync's
	 * read), its age in ms from when it took its slot and its byte
	 * offset; 0 and 0 when none.  mirrord calls the disk stalled when
	 * the age passes its progress bound (docs/design.md, "Timeouts").
	 */
	__u64 local_oldest_ms;
	__u64 local_oldest_offset;
	__u64 reserved[4];		/* zero: room for more without a new size */
};

/*
 * Out-of-sync bitmap transfer: copy nbits bits starting at chunk 'start'
 * into the user buffer at 'addr' (MD_IOC_GET_OOS), or clear the chunks set
 * in that buffer (MD_IOC_CLEAR_OOS, used once the peer holds them), or set
 * them (MD_IOC_SET_OOS).  Bits are little-endian within 64-bit words.
 */
struct md_ioc_oos {
	__u32 minor;
	__u32 reserved;
	__u64 start;
	__u64 nbits;
	__u64 addr;
};

/*
 * Resync a run of chunks (daemon, on its bound file): count chunks from
 * chunk (0 counts as 1; at most MD_MAX_IO_BYTES' worth, cut at the end of
 * the device).  The module reads the run from the lower device as one
 * request of its own, so it is ordered against application writes exactly
 * like one (no overlapping write runs while it is in flight), and hands it
 * to the daemon through read() as one MD_OP_RESYNC record.  When the daemon
 * acknowledges that record with status 0 (the peer holds it) the module
 * clears the run's out-of-sync bits.  The record goes only to the
 * connection that asked for it: a read that completes after the link
 * dropped, or after it came back (a new MD_CONN_CONNECTED), is dropped and
 * the run stays out of sync.  Returns at once; -EBUSY when the first chunk
 * is not out of sync (nothing to do), -EINVAL for a run too long.
 * Why runs: a resync request costs a system call, a bio, a channel record,
 * a packet and an ack whatever its size; at 64 KiB chunks those fixed
 * costs, not the bytes, bounded a resync (docs/design.md section 8).
 */
struct md_ioc_resync {
	__u64 chunk;
	__u32 count;		/* chunks in the run; 0 means 1 */
	__u32 reserved;		/* 0 */
};

#define MD_IOC_MAGIC		0xEE
#define MD_IOC_VERSION		_IO(MD_IOC_MAGIC, 0x00)
#define MD_IOC_CREATE		_IOWR(MD_IOC_MAGIC, 0x01, struct md_ioc_create)
#define MD_IOC_DESTROY		_IOW(MD_IOC_MAGIC, 0x02, __u32)
#define MD_IOC_SET_ROLE		_IOW(MD_IOC_MAGIC, 0x03, struct md_ioc_role)
#define MD_IOC_STATUS		_IOWR(MD_IOC_MAGIC, 0x04, struct md_ioc_status)
#define MD_IOC_BIND		_IOW(MD_IOC_MAGIC, 0x05, struct md_ioc_bind)
#define MD_IOC_SET_CONN		_IOW(MD_IOC_MAGIC, 0x06, struct md_ioc_conn)
#define MD_IOC_GET_OOS		_IOW(MD_IOC_MAGIC, 0x07, struct md_ioc_oos)
#define MD_IOC_CLEAR_OOS	_IOW(MD_IOC_MAGIC, 0x08, struct md_ioc_oos)
#define MD_IOC_SET_OOS		_IOW(MD_IOC_MAGIC, 0x09, struct md_ioc_oos)
#define MD_IOC_RESYNC		_IOW(MD_IOC_MAGIC, 0x0a, struct md_ioc_resync)
/*
 * Release the writes of a device in MD_CONN_HELD (by minor; mdctl
 * resume-io, or mirrord once fence-peer succeeded): they complete as not
 * replicated, marked, and the device is STANDALONE.  -EALREADY when it
 * was not held.  Needs no bound daemon.
 */
#define MD_IOC_RESUME_IO	_IOW(MD_IOC_MAGIC, 0x0b, __u32)

/* Sizes are part of the ABI; kernel and user space check them alike. */
_Static_assert(sizeof(struct md_chan_req) == 32, "md_chan_req size");
_Static_assert(sizeof(struct md_chan_ack) == 16, "md_chan_ack size");
_Static_assert(sizeof(struct md_ioc_create) == 656, "md_ioc_create size");
_Static_assert(sizeof(struct md_ioc_role) == 16, "md_ioc_role size");
_Static_assert(sizeof(struct md_ioc_bind) == 24, "md_ioc_bind size");
_Static_assert(sizeof(struct md_ioc_conn) == 16, "md_ioc_conn size");
_Static_assert(sizeof(struct md_ioc_status) == 520, "md_ioc_status size");
_Static_assert(sizeof(struct md_ioc_oos) == 32, "md_ioc_oos size");
_Static_assert(sizeof(struct md_ioc_resync) == 16, "md_ioc_resync size");

#endif /* MD_CHAN_H */
