/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * holders.c - who keeps /dev/mirrorN busy: the mount points in
 * /proc/self/mountinfo and the processes with the device open in
 * /proc/PID/fd, named in the message of a refusal so that the
 * administrator knows what to stop.  Reads /proc only.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "mdctl.h"

/* "mounted on /mnt, open by dd (pid 42)" into out, for messages. */
static void holders(const struct md_res_cfg *res, char *out, size_t len)
{
	char dev[32], line[1024], path[600], link[300];
	struct stat sb;
	size_t n = 0;
	FILE *f;

	out[0] = '\0';
	snprintf(dev, sizeof(dev), "/dev/" MD_DISK_PREFIX "%d", res->minor);
	if (stat(dev, &sb))
		return;
	f = fopen("/proc/self/mountinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char mnt[256];

		if (sscanf(line, "%*u %*u %u:%u %*s %255s", &maj, &min, mnt) == 3 &&
		    maj == major(sb.st_rdev) && min == minor(sb.st_rdev) && n < len)
			n += (size_t)snprintf(out + n, len - n, "%smounted on %s", n ? ", " : "", mnt);
	}
	if (f)
		fclose(f);
	DIR *proc = opendir("/proc");
	struct dirent *pe;

	while (proc && (pe = readdir(proc))) {
		DIR *fds;
		struct dirent *fe;
		char comm[64] = "?";

		if (pe->d_name[0] < '1' || pe->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/fd", pe->d_name);
		if (!(fds = opendir(path)))
			continue;
		while ((fe = readdir(fds))) {
			ssize_t l;

			snprintf(path, sizeof(path), "/proc/%s/fd/%s", pe->d_name, fe->d_name);
			l = readlink(path, link, sizeof(link) - 1);
			if (l <= 0)
				continue;
			link[l] = '\0';
			if (strcmp(link, dev))
				continue;
			snprintf(path, sizeof(path), "/proc/%s/comm", pe->d_name);
			FILE *c = fopen(path, "r");
			if (c) {
				if (fgets(comm, sizeof(comm), c))
					comm[strcspn(comm, "\n")] = '\0';
				fclose(c);
			}
			if (n < len)
				n += (size_t)snprintf(out + n, len - n, "%sopen by %s (pid %s)",
						      n ? ", " : "", comm, pe->d_name);
			break;
		}
		closedir(fds);
	}
	if (proc)
		closedir(proc);
	if (!out[0])
		snprintf(out, len, "open by a holder that /proc does not show (a kernel user?)");
}

int refuse_busy(const struct md_res_cfg *res, const char *what)
{
	char who[512];

	holders(res, who, sizeof(who));
	return err(MDCTL_E_REFUSED, "%s: cannot %s: /dev/" MD_DISK_PREFIX "%d is in use: %s; "
		   "unmount or close it first", res->name, what, res->minor, who);
}
