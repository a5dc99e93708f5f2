/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fence.c - mdctl resume-io: release the writes the kernel holds for
 * fencing (fencing = resource-and-stonith: the link was lost and
 * fence-peer has not succeeded).  An ioctl to the module by minor, so it
 * works without a daemon too (one that died while writes were held).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "kctl.h"
#include "mdctl.h"

int cmd_resume_io(const char *name)
{
	struct md_res_cfg *res;
	struct md_ioc_status st;
	int me, rc, fd;
	bool known = !load_res(name, &res, &me);

	if (!known)
		return MDCTL_EXIT_CONFIG;
	fd = need_up(res, &st);
	if (fd < 0)
		return exit_of(fd);
	if (st.conn != MD_CONN_HELD) {
		close(fd);
		printf("%s: no writes are held\n", name);
		return MDCTL_EXIT_OK;
	}
	if (o.dry_run) {
		close(fd);
		printf("would release the held writes of %s (%llu in flight): they would complete as "
		       "not replicated, marked for resync\n", name, (unsigned long long)st.inflight);
		return MDCTL_EXIT_OK;
	}
	rc = kctl_resume_io(fd, (uint32_t)res->minor);
	close(fd);
	if (rc == -EALREADY) {
		printf("%s: no writes are held\n", name);
		return MDCTL_EXIT_OK;
	}
	if (rc)
		return err(MDCTL_EXIT_RUNTIME, "releasing the held writes of %s failed: %s", name,
			   strerror(-rc));
	printf("%s: held writes released: they complete as not replicated, marked for resync; "
	       "the peer was not fenced by this node\n", name);
	return MDCTL_EXIT_OK;
}
