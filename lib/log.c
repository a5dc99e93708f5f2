/* SPDX-License-Identifier: GPL-2.0-or-later */
/* log.c - see log.h. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include "log.h"

int md_log_level = MD_LOG_INFO;
static char log_prefix[96] = "mirrordisk";

void md_log_init(const char *prog, const char *tag)
{
	if (tag)
		snprintf(log_prefix, sizeof(log_prefix), "%s[%s]", prog, tag);
	else
		snprintf(log_prefix, sizeof(log_prefix), "%s", prog);
}

void md_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	struct timespec ts;
	struct tm tm;
	char when[32];
	va_list ap;

	if (level > md_log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	/* One line at a time: mirrord's handler threads log too. */
	flockfile(stderr);
	fprintf(stderr, "%s.%03ldZ %s %s: ", when, ts.tv_nsec / 1000000, log_prefix, names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
}
