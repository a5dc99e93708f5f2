/* SPDX-License-Identifier: GPL-2.0-or-later */
/* kctl.c - see kctl.h. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "kctl.h"

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	int rc = ioctl(fd, cmd, arg);

	return rc < 0 ? -errno : rc;
}

int kctl_open(void)
{
	int fd = open(MD_CTL_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int kctl_create(int fd, uint32_t minor, const char *name, const char *lower,
		const char *meta, const struct md_geom *g, uint32_t role, uint64_t *size)
{
	struct md_ioc_create c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.minor = minor;
	c.chunk_shift = g->chunk_shift;
	c.data_bytes = g->data_bytes;
	c.meta_offset = g->area_offset;
	c.bitmap_bytes = g->bitmap_bytes;
	if (meta)
		strncpy(c.meta, meta, sizeof(c.meta) - 1);
	c.role = role;
	strncpy(c.name, name, sizeof(c.name) - 1);
	strncpy(c.lower, lower, sizeof(c.lower) - 1);
	rc = xioctl(fd, MD_IOC_CREATE, &c);
	if (!rc && size)
		*size = c.size_bytes;
	return rc;
}

int kctl_destroy(int fd, uint32_t minor)
{
	return xioctl(fd, MD_IOC_DESTROY, &minor);
}

int kctl_set_role(int fd, uint32_t minor, uint32_t role, uint32_t flags)
{
	struct md_ioc_role r = { .minor = minor, .role = role, .flags = flags };

	return xioctl(fd, MD_IOC_SET_ROLE, &r);
}

int kctl_resync(int fd, uint64_t chunk, uint32_t count)
{
	struct md_ioc_resync r = { .chunk = chunk, .count = count };

	return xioctl(fd, MD_IOC_RESYNC, &r);
}

int kctl_status(int fd, uint32_t minor, struct md_ioc_status *st)
{
	memset(st, 0, sizeof(*st));
	st->minor = minor;
	return xioctl(fd, MD_IOC_STATUS, st);
}

int kctl_bind(int fd, uint32_t minor)
{
	struct md_ioc_bind b = { .minor = minor, .version = MD_CHAN_VERSION };

	return xioctl(fd, MD_IOC_BIND, &b);
}

int kctl_set_conn(int fd, uint32_t state, uint32_t deadline_s, uint32_t flags)
{
	struct md_ioc_conn c = { .state = state, .deadline_s = deadline_s, .flags = flags };

	return xioctl(fd, MD_IOC_SET_CONN, &c);
}

int kctl_resume_io(int fd, uint32_t minor)
{
	return xioctl(fd, MD_IOC_RESUME_IO, &minor);
}

int kctl_oos(int fd, unsigned long cmd, uint32_t minor, uint64_t start,
	     uint64_t nbits, uint64_t *words)
{
	struct md_ioc_oos o = {
		.minor = minor, .start = start, .nbits = nbits,
		.addr = (uint64_t)(uintptr_t)words,
	};

	return xioctl(fd, cmd, &o);
}

const char *md_role_name(uint32_t role)
{
	switch (role) {
	case MD_ROLE_PRIMARY: return "primary";
	case MD_ROLE_SECONDARY: return "secondary";
	}
	return "unknown";
}
