/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * kctl.h - thin wrappers over the module's control device (md_chan.h).
 * Each returns 0 (or a non-negative value) or -errno.
 */
#ifndef MD_LIB_KCTL_H
#define MD_LIB_KCTL_H

#include <stdint.h>
#include "md_chan.h"
#include "meta.h"

int kctl_open(void);	/* O_RDWR|O_CLOEXEC on MD_CTL_PATH */
int kctl_create(int fd, uint32_t minor, const char *name, const char *lower,
		const char *meta, const struct md_geom *g, uint32_t role, uint64_t *size);
int kctl_resync(int fd, uint64_t chunk, uint32_t count);
int kctl_destroy(int fd, uint32_t minor);
int kctl_set_role(int fd, uint32_t minor, uint32_t role, uint32_t flags);
int kctl_status(int fd, uint32_t minor, struct md_ioc_status *st);
int kctl_bind(int fd, uint32_t minor);
/* flags: MD_CONNF_* (CONNECTED only) */
int kctl_set_conn(int fd, uint32_t state, uint32_t deadline_s, uint32_t flags);
/* End a hold (MD_CONN_HELD): -EALREADY when the device was not held. */
int kctl_resume_io(int fd, uint32_t minor);
int kctl_oos(int fd, unsigned long cmd, uint32_t minor, uint64_t start,
	     uint64_t nbits, uint64_t *words);
const char *md_role_name(uint32_t role);

#endif
