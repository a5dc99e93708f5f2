/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * config.h - the resource configuration file (mirrordisk.conf(5)).
 *
 *   [resource r0]
 *   minor = 0                 ; /dev/mirror0
 *   port = 7790
 *   chunk-size = 64K          ; write-intent bitmap granularity
 *   timeout = 5               ; seconds without a sign of the peer
 *   ko-count = 4              ; a request unacknowledged for ko-count x timeout
 *                             ; seconds: the peer is too slow, go on without it
 *   resync-rate = 100M        ; bytes per second; 0 = unlimited
 *   checksum-resync = no      ; yes: send only chunks whose xxh3 digests differ
 *   secret-file = /etc/mirrordisk/r0.secret   ; both nodes prove they hold it
 *   auth = hmac-sha256        ; or none (closed test networks only)
 *   data-integrity = no       ; yes: an xxh3 digest in every packet
 *   compression = none        ; zstd: DATA payloads compressed; auto: only
 *                             ; while the link is the bottleneck
 *   compression-level = 1     ; zstd's level, -50 (fastest) .. 19
 *   mode = sync               ; async: a write completes on the local disk,
 *                             ; the peer catches up in order (a prefix)
 *   async-buffer = 64M        ; async: bytes the peer may lag by before
 *                             ; new writes wait (1M .. 16G)
 *   max-lag = 0               ; async: seconds the peer may lag by before
 *                             ; new writes wait (0: no bound in time)
 *   on-congestion = block     ; async, the buffer full: new writes wait;
 *                             ; disconnect, or pull-ahead (a resync later)
 *   fencing = none            ; resource-only | resource-and-stonith
 *   fence-peer = /usr/lib/mirrordisk/fence-peer-ssh 192.168.2.2
 *   unfence-peer = COMMAND    ; and split-brain, out-of-sync,
 *                             ; before-resync-target, after-resync-target
 *   handler-timeout = 60      ; seconds a handler may run before SIGKILL
 *
 *   [resource r0 node alpha]  ; exactly two nodes per resource
 *   address = 10.0.0.1
 *   disk = /dev/sdb1
 *   meta = internal           ; or a separate small device: /dev/sdc1
 *
 * Parsed with inih (libinih), a small and well-kept INI parser.
 */
#ifndef MD_LIB_CONFIG_H
#define MD_LIB_CONFIG_H

#include <stdint.h>
#include "md_chan.h"

#define MD_CONFIG_DEFAULT	"/etc/mirrordisk/mirrordisk.conf"
#define MD_MAX_RESOURCES	16

struct md_node_cfg {
	char name[MD_NAME_LEN];
	char address[MD_NAME_LEN];
	char disk[MD_PATH_LEN];
	char meta[MD_PATH_LEN];		/* external metadata device; "" = internal */
};

/* Fencing (mirrordisk.conf(5), docs/design.md "Fencing"). */
enum md_fencing {
	MD_FENCING_NONE = 0,
	MD_FENCING_RESOURCE_ONLY,	/* fence-peer runs, writes go on meanwhile */
	MD_FENCING_RESOURCE_AND_STONITH,/* ... and writes are held until it succeeds */
};

/* Handlers, each optional; the configuration key is the name. */
enum md_handler {
	MD_H_FENCE_PEER = 0,
	MD_H_UNFENCE_PEER,
	MD_H_SPLIT_BRAIN,
	MD_H_OUT_OF_SYNC,
	MD_H_BEFORE_RESYNC_TARGET,
	MD_H_AFTER_RESYNC_TARGET,
	MD_H_COUNT
};
#define MD_HANDLER_LEN		256	/* a command line, run by /bin/sh -c */
#define MD_HANDLER_TIMEOUT_DEFAULT	60
#define MD_HANDLER_TIMEOUT_MAX	3600

/* "fence-peer", ...; NULL out of range. */
const char *md_handler_name(enum md_handler h);
/* "none", "resource-only", "resource-and-stonith". */
const char *md_fencing_name(int fencing);


struct md_res_cfg {
	char name[MD_NAME_LEN];
	int minor;
	int port;
	uint32_t chunk_shift;
	int timeout_s;
	int ko_count;			/* progress timeout: ko_count x timeout_s */
	char secret_file[MD_PATH_LEN];	/* the peers' shared secret (lib/auth.h) */
	int auth_none;			/* auth = none: no secret, explicitly */
	int data_integrity;		/* every packet digested (MDW_FEAT_XXH3) */
	int encryption;			/* MD_ENC_*: encryption = tls|none */
	uint64_t resync_rate;		/* bytes per second, 0 = unlimited */
	int checksum_resync;		/* compare digests before sending chunks */
	int compression;		/* MD_COMP_*: none, zstd, auto (MDW_FEAT_ZSTD) */
	int compression_level;		/* zstd's level (lib/zdata.h MDZ_LEVEL_*) */
	int mode;			/* MD_MODE_*: sync, async */
	uint64_t async_buffer;		/* async: most bytes read and not acknowledged */
	int max_lag_s;			/* async: no write completes while the oldest
					 * unacknowledged one is older; 0: none */
	int on_congestion;		/* MD_CONG_*: async, async-buffer full */
	char async_spill[MD_PATH_LEN];	/* async: the backlog's file beyond
					 * async-buffer, "" = none (mirrord/backlog.c) */
	uint64_t async_spill_size;	/* ... its size */
	int fencing;			/* enum md_fencing */
	int handler_timeout_s;		/* a handler is killed after this */
	char handlers[MD_H_COUNT][MD_HANDLER_LEN];	/* "" = none */
	int nnodes;
	struct md_node_cfg nodes[2];
};

/* compression: both nodes say the same, or the HELLO refuses the pair;
 * zstd compresses every message worth it, auto only while the send queue
 * is backed up (the link, not the CPU, is the bottleneck). */
enum { MD_COMP_NONE = 0, MD_COMP_ZSTD, MD_COMP_AUTO };
/* "none", "zstd", "auto"; NULL out of range. */
const char *md_compression_name(int c);
/* The value for a name, or -1. */
int md_compression_parse(const char *s);

/* mode: sync (a write completes when the peer holds it) or async (when
 * the local disk does and the daemon has it; the peer a prefix behind,
 * at most async-buffer bytes: docs/design.md, "Asynchronous replication"). */
enum { MD_MODE_SYNC = 0, MD_MODE_ASYNC };
#define MD_ASYNC_BUFFER_DEFAULT	(64ull << 20)
#define MD_ASYNC_BUFFER_MIN	(1ull << 20)
#define MD_ASYNC_BUFFER_MAX	(16ull << 30)
#define MD_MAX_LAG_MAX		3600
#define MD_SPILL_SIZE_DEFAULT	(1ull << 30)
#define MD_SPILL_SIZE_MIN	(16ull << 20)
#define MD_SPILL_SIZE_MAX	(16ull << 40)
/* "sync", "async"; NULL out of range. */
const char *md_mode_name(int m);
/* The value for a name, or -1. */
int md_mode_parse(const char *s);
/* 0 when v is an async-buffer size this product takes, else -ERANGE. */
int md_async_buffer_check(uint64_t v);
/* on-congestion: what async does when the backlog reaches async-buffer.
 * block: new writes wait for room; disconnect: the link is dropped (the
 * bitmap records the backlog) and connects again at once, a resync
 * follows; pull-ahead: the same, but the link stays down for a hold-off
 * that grows while congestion repeats (docs/design.md, "Asynchronous
 * replication"). */
enum { MD_CONG_BLOCK = 0, MD_CONG_DISCONNECT, MD_CONG_PULL_AHEAD };
/* "block", "disconnect", "pull-ahead"; NULL out of range. */
const char *md_congestion_name(int c);
/* The value for a name, or -1. */
int md_congestion_parse(const char *s);

/* encryption: unset means tls where there is a secret, none with auth =
 * none (TLS needs the secret: its key is derived from it, lib/tls.h). */
enum { MD_ENC_DEFAULT = 0, MD_ENC_TLS, MD_ENC_NONE };
#define md_res_tls(res)	((res)->encryption == MD_ENC_TLS || \
			 ((res)->encryption == MD_ENC_DEFAULT && !(res)->auth_none))

struct md_config {
	int nres;
	struct md_res_cfg res[MD_MAX_RESOURCES];
};

/* 0, or -errno with a message naming the file and line in err.  Each key
 * is taken once per section: a second one is refused, naming both lines. */
int md_config_load(const char *path, struct md_config *cfg, char *err, size_t errlen);
struct md_res_cfg *md_config_find(struct md_config *cfg, const char *name);
/* Index (0 or 1) of node 'name' in res, or -1. */
int md_res_node_index(const struct md_res_cfg *res, const char *name);
/* The local node's name: $MD_NODE, else the host name. */
void md_local_node_name(char *buf, size_t len);
/* "64K", "1M", "4096" -> bytes; -EINVAL on junk or overflow. */
int md_parse_size(const char *s, uint64_t *out);

/*
 * mdctl adjust: may a running resource take next in place of cur?  The
 * settings a daemon applies at run time (timeout, ko-count, resync-rate,
 * checksum-resync, compression, compression-level, mode, async-buffer,
 * max-lag, fencing, handler-timeout, the handlers) may differ;
 * any other (name, minor, port, chunk size, secret, auth, encryption,
 * data integrity, the nodes) needs 'mdctl down' and 'up', and is refused
 * with the first such key in why.  Returns the number of runtime settings
 * that differ (their names in changed, comma-separated), or -EBUSY.
 */
int md_res_adjust(const struct md_res_cfg *cur, const struct md_res_cfg *next, char *changed,
		  size_t changed_len, char *why, size_t why_len);

#endif
