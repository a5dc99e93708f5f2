/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * handler.c - see handler.h.  Owns no group of struct repl: fence.c owns
 * the jobs and decides what their results mean.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "handler.h"
#include "log.h"

extern char **environ;

#define HD_STACK	(64u << 10)
#define HD_LINE		512		/* longer output lines are cut */

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void hd_setenv(struct hd_job *j, const char *key, const char *value)
{
	if (j->nenv < HD_MAX_ENV)
		snprintf(j->env[j->nenv++], HD_ENV_LEN, "%s=%s", key, value);
}

/* environ without the keys the job sets, after the job's own entries. */
static char **build_env(struct hd_job *j)
{
	size_t n = 0, k = 0;
	char **env;

	while (environ && environ[n])
		n++;
	env = calloc(n + (size_t)j->nenv + 1, sizeof(*env));
	if (!env)
		return NULL;
	for (int i = 0; i < j->nenv; i++)
		env[k++] = j->env[i];
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t klen = eq ? (size_t)(eq - environ[i]) + 1 : strlen(environ[i]);
		bool ours = false;

		for (int e = 0; e < j->nenv && !ours; e++)
			ours = !strncmp(j->env[e], environ[i], klen);
		if (!ours)
			env[k++] = environ[i];
	}
	return env;
}

/* Log the complete lines of buf[0..*len) and keep the rest; a line that
 * fills the buffer is logged as it is. */
static void log_lines(struct hd_job *j, char *buf, size_t *len, bool flush)
{
	char *p = buf, *nl;

	while ((nl = memchr(p, '\n', *len - (size_t)(p - buf)))) {
		*nl = '\0';
		log_info("handler %s: %s", j->name, p);
		p = nl + 1;
	}
	*len -= (size_t)(p - buf);
	memmove(buf, p, *len);
	if (*len && (flush || *len == HD_LINE - 1)) {
		buf[*len] = '\0';
		log_info("handler %s: %s", j->name, buf);
		*len = 0;
	}
}

static int spawn(struct hd_job *j, int out)
{
	char *argv[] = { "/bin/sh", "-c", (char *)j->cmd, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	char **env = build_env(j);
	int rc;

	if (!env)
		return ENOMEM;
	sigemptyset(&none);
	sigfillset(&dfl);
	sigdelset(&dfl, SIGKILL);
	sigdelset(&dfl, SIGSTOP);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, out, 2);
	posix_spawnattr_init(&at);
	/* Its own process group (the timeout kills the whole group), every
	 * signal unblocked and at its default (mirrord ignores SIGPIPE). */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
				      POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	rc = posix_spawn(&j->pid, "/bin/sh", &fa, &at, argv, env);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	return rc;
}

static void *hd_thread(void *arg)
{
	struct hd_job *j = arg;
	uint64_t deadline = j->start_ms + (uint64_t)j->timeout_s * 1000;
	char buf[HD_LINE];
	size_t len = 0;
	int p[2], status = 0, rc;
	bool eof = false, exited = false, killed = false;

	if (pipe2(p, O_CLOEXEC)) {
		j->result = HD_RES_SPAWN;
		j->error = errno;
		goto out;
	}
	rc = spawn(j, p[1]);
	close(p[1]);
	if (rc) {
		close(p[0]);
		j->result = HD_RES_SPAWN;
		j->error = rc;
		log_err("handler %s could not be started: %s", j->name, strerror(rc));
		goto out;
	}
	log_info("handler %s started (pid %d): %s", j->name, (int)j->pid, j->cmd);
	/*
	 * Until the process has exited and its output ended.  A handler that
	 * exits while something it started in the background keeps the pipe
	 * open is done when it exits: what is readable then is logged, the
	 * rest is not waited for.
	 */
	while (!exited || !eof) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		uint64_t now = mono_ms();
		ssize_t n;

		if (!exited && waitpid(j->pid, &status, WNOHANG) == j->pid)
			exited = true;
		if (!exited && !killed && now >= deadline) {
			log_warn("handler %s did not finish within %d s: killing its process group %d",
				 j->name, j->timeout_s, (int)j->pid);
			kill(-j->pid, SIGKILL);
			killed = true;
		}
		if (eof) {		/* its output closed: wait for its exit */
			if (!exited)
				poll(NULL, 0, 100);
			continue;
		}
		if (poll(&pf, 1, exited ? 0 : 100) <= 0) {
			if (exited)
				break;		/* exited, nothing more to read now */
			continue;
		}
		n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			eof = true;
			continue;
		}
		len += (size_t)n;
		log_lines(j, buf, &len, false);
	}
	log_lines(j, buf, &len, true);
	close(p[0]);
	if (killed) {
		j->result = HD_RES_TIMEOUT;
		kill(-j->pid, SIGKILL);		/* what it left behind in its group */
	} else if (WIFEXITED(status)) {
		j->result = WEXITSTATUS(status);
	} else {
		j->result = HD_RES_SIGNAL;
		j->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
out:
	j->end_ms = mono_ms();
	if (j->on_done)
		j->on_done(j);
	__atomic_store_n(&j->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

int hd_start(struct hd_job *j)
{
	pthread_attr_t at;
	sigset_t all, old;
	int rc;

	j->result = HD_RES_SPAWN;
	j->signal = j->error = 0;
	j->pid = 0;
	j->done = 0;
	j->start_ms = mono_ms();
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, HD_STACK);
	/* The daemon's signals (SIGTERM, SIGHUP) stay with its loops. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&j->thread, &at, hd_thread, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	j->started = !rc;
	return -rc;
}

bool hd_done(const struct hd_job *j)
{
	return j->started && __atomic_load_n(&j->done, __ATOMIC_ACQUIRE);
}

void hd_reap(struct hd_job *j)
{
	if (!j->started)
		return;
	pthread_join(j->thread, NULL);
	j->started = false;
}

const char *hd_result_text(const struct hd_job *j, char *buf, size_t len)
{
	switch (j->result) {
	case HD_RES_TIMEOUT:
		snprintf(buf, len, "killed at the %d s timeout", j->timeout_s);
		break;
	case HD_RES_SIGNAL:
		snprintf(buf, len, "killed by signal %d", j->signal);
		break;
	case HD_RES_SPAWN:
		snprintf(buf, len, "could not be started: %s", strerror(j->error));
		break;
	default:
		snprintf(buf, len, "exit %d", j->result);
	}
	return buf;
}
