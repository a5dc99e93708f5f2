/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pidlock.c - a resource's daemon identified by the lock it holds, not by
 * a pid in a file (see pidlock.h).  Signals go through pidfd_open and
 * pidfd_send_signal: the pidfd is opened for the pid the lock holder
 * wrote, then the lock is checked again, so the pidfd cannot refer to a
 * process that took the pid over after the daemon died.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <unistd.h>
#include "md_chan.h"
#include "pidlock.h"
#include "runfile.h"

int md_pidlock_take(const char *name, int *holder)
{
	char path[MD_PATH_LEN], buf[24];
	int fd, rc, n;

	if (holder)
		*holder = 0;
	rc = md_run_dir_make();
	if (!rc)
		rc = md_run_path(path, sizeof(path), name, MD_RUN_PID);
	if (rc)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		if (rc == -EBUSY && holder)
			*holder = md_pidlock_holder(name);
		return rc;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int md_pidlock_holder(const char *name)
{
	char path[MD_PATH_LEN], buf[24] = "";
	ssize_t n;
	long pid;
	int fd, rc;

	rc = md_run_path(path, sizeof(path), name, MD_RUN_PID);
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!flock(fd, LOCK_SH | LOCK_NB)) {	/* nobody holds it exclusively */
		close(fd);
		return 0;
	}
	if (errno != EWOULDBLOCK) {
		rc = -errno;
		close(fd);
		return rc;
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n <= 0)
		return -EAGAIN;		/* taken, pid not written yet */
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 && pid < (1L << 30) ? (int)pid : -EBADMSG;
}

int md_pidlock_signal(const char *name, int sig)
{
	int pid = md_pidlock_holder(name), pfd, rc = 0;

	if (pid <= 0)
		return pid == 0 ? -ESRCH : pid;
	pfd = pidfd_open(pid, 0);
	if (pfd < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	if (md_pidlock_holder(name) != pid)
		rc = -ESRCH;	/* it died meanwhile: pfd may be someone else */
	else if (pidfd_send_signal(pfd, sig, NULL, 0))
		rc = -errno;
	close(pfd);
	return rc;
}
