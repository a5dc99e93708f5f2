/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * version.h - the release both programs report with --version.  The
 * Makefile passes MD_VERSION from `git describe` when building from a git
 * checkout; a build from a tarball uses the release number below.
 */
#ifndef MD_VERSION_H
#define MD_VERSION_H

#ifndef MD_VERSION
#define MD_VERSION "0.9.0"
#endif

#endif
