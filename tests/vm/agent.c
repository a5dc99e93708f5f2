/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * mdagent - a tiny remote-command agent for the two-guest test bench.
 *
 *   mdagent -l PORT          serve: run each received command with /bin/sh
 *   mdagent -c HOST[:PORT] CMD   run CMD on HOST; print its output; exit
 *                                with its exit code (255: agent failure)
 *
 * It exists because busybox has no rsh with exit-code propagation, and the
 * scenarios need exact exit codes from the other node.  Test-only: it runs
 * inside the throw-away guests, never on a real system.
 *
 * Protocol (one command per connection): the client sends a u32 length
 * (network order) and the command text.  The server answers with frames:
 * 'O' + u32 length + bytes of output, then 'R' + u32 exit status.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_PORT 7000

static int full_io(int fd, void *buf, size_t len, int wr)
{
	char *p = buf;

	while (len) {
		ssize_t n = wr ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_frame(int fd, char type, const void *data, uint32_t len)
{
	uint32_t nlen = htonl(len);

	if (full_io(fd, &type, 1, 1) || full_io(fd, &nlen, 4, 1))
		return -1;
	return len ? full_io(fd, (void *)data, len, 1) : 0;
}

static void serve_one(int c)
{
	uint32_t len;
	char *cmd;
	int pipefd[2], status;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	if (full_io(c, &len, 4, 0))
		return;
	len = ntohl(len);
	if (len > (1u << 20))
		return;
	cmd = calloc(1, len + 1);
	if (!cmd || full_io(c, cmd, len, 0) || pipe(pipefd))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		close(c);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], buf, sizeof(buf))) > 0)
		if (send_frame(c, 'O', buf, (uint32_t)n))
			break;
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	send_frame(c, 'R', NULL, (uint32_t)status);
}

static int serve(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, s = socket(AF_INET, SOCK_STREAM, 0);

	signal(SIGCHLD, SIG_DFL);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (void *)&sa, sizeof(sa)) || listen(s, 16)) {
		perror("mdagent: listen");
		return 1;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0)
			continue;
		if (fork() == 0) {
			close(s);
			serve_one(c);
			_exit(0);
		}
		close(c);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

static int client(const char *host, const char *cmd)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char h[256], port[16];
	char *colon;
	uint32_t len = htonl((uint32_t)strlen(cmd));
	struct timeval tv = { .tv_sec = 3 };
	int s;

	snprintf(h, sizeof(h), "%s", host);
	snprintf(port, sizeof(port), "%d", DEFAULT_PORT);
	colon = strchr(h, ':');
	if (colon) {
		*colon = 0;
		snprintf(port, sizeof(port), "%s", colon + 1);
	}
	if (getaddrinfo(h, port, &hints, &ai))
		return 255;
	s = socket(ai->ai_family, SOCK_STREAM, 0);
	if (s < 0)
		return 255;
	/* A node that is down or rebooting must not hang the caller. */
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(s, ai->ai_addr, ai->ai_addrlen))
		return 255;
	if (full_io(s, &len, 4, 1) || full_io(s, (void *)cmd, strlen(cmd), 1))
		return 255;
	for (;;) {
		char type, buf[4096];
		uint32_t flen;

		if (full_io(s, &type, 1, 0) || full_io(s, &flen, 4, 0))
			return 255;
		flen = ntohl(flen);
		if (type == 'R')
			return (int)flen;
		while (flen) {
			uint32_t k = flen < sizeof(buf) ? flen : sizeof(buf);

			if (full_io(s, buf, k, 0))
				return 255;
			fwrite(buf, 1, k, stdout);
			flen -= k;
		}
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "-l"))
		return serve(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "-c"))
		return client(argv[2], argv[3]);
	fprintf(stderr, "usage: mdagent -l PORT | mdagent -c HOST[:PORT] COMMAND\n");
	return 255;
}
