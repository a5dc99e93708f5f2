/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - one log line format for mirrord and mdctl:
 *   2026-11-23T05:40:01.123Z mirrord[r0] level: message
 * Errors name the object they concern (resource, peer, offset).
 */
#ifndef MD_LIB_LOG_H
#define MD_LIB_LOG_H

enum { MD_LOG_ERR, MD_LOG_WARN, MD_LOG_INFO, MD_LOG_DEBUG };
extern int md_log_level;
void md_log_init(const char *prog, const char *tag);
void md_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define log_err(...)	md_log(MD_LOG_ERR, __VA_ARGS__)
#define log_warn(...)	md_log(MD_LOG_WARN, __VA_ARGS__)
#define log_info(...)	md_log(MD_LOG_INFO, __VA_ARGS__)
#define log_debug(...)	md_log(MD_LOG_DEBUG, __VA_ARGS__)

#endif
