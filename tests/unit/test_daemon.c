/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_daemon.c - the start of a connection in mirrord/daemon.c
 * (repl_connected) on the fake I/O loop and fake kernel (fake_io.h): when
 * the kernel refuses the connected state, the connection ends there.  Its
 * socket is closed, its TLS session freed and its key wiped, and status
 * says why; nothing was started on it.  Before, the socket and the
 * session stayed open and were overwritten by the next connection.  And
 * the end of the daemon (repl_fini): the listener's clients still in
 * their handshake are closed with it.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/ssl.h>
#include "fake_io.h"

static int sessions_freed;

/* OpenSSL calls this when the session it is attached to is freed. */
static void count_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
		       void *argp)
{
	(void)parent; (void)ptr; (void)ad; (void)idx; (void)argl; (void)argp;
	sessions_freed++;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void kernel_refusal_closes_the_connection(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	SSL_CTX *ctx = SSL_CTX_new(TLS_method());
	volatile int stop = 0;
	uint8_t zero[MD_TLS_PSK_LEN] = { 0 };
	int idx, fd = r->conn.sock;
	SSL *ssl;

	(void)state;
	assert_non_null(ctx);
	idx = SSL_get_ex_new_index(0, NULL, NULL, NULL, count_free);
	assert_non_null(ssl = SSL_new(ctx));
	assert_int_equal(SSL_set_ex_data(ssl, idx, &sessions_freed), 1);
	sessions_freed = 0;
	r->conn.tls = ssl;			/* as the handshake left it */
	memset(r->conn.psk, 0xa5, sizeof(r->conn.psk));
	fake_kernel.set_conn_rc = -EINVAL;

	assert_int_equal(repl_connected(r, &stop), -EINVAL);
	assert_int_equal(fake_kernel.nset_conn, 1);
	assert_false(fd_open(fd));
	assert_int_equal(r->conn.sock, -1);
	assert_null(r->conn.tls);
	assert_int_equal(sessions_freed, 1);
	assert_memory_equal(r->conn.psk, zero, sizeof(zero));
	assert_non_null(strstr(r->conn.fail_reason, "kernel refused the connected state"));
	assert_int_equal(r->adm.link, MD_LINK_CONNECTING);
	/* Nothing was started on it: no receive, no channel read. */
	assert_int_equal(fake_count(r->io, IO_RECV), 0);
	assert_int_equal(fake_count(r->io, IO_READ), 0);
	SSL_CTX_free(ctx);
	fake_repl_free(r);
}

/* Refused again and again (a reconnect loop against a kernel that keeps
 * refusing): no descriptor is left behind. */
static void repeated_refusals_leak_no_descriptor(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	volatile int stop = 0;
	int first = -1;

	(void)state;
	close(r->conn.sock);
	for (int i = 0; i < 8; i++) {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		if (first < 0)
			first = sv[0];
		assert_int_equal(sv[0], first);	/* the lowest free: none kept */
		close(sv[1]);
		r->conn.sock = sv[0];
		fake_kernel.set_conn_rc = -ENODEV;
		assert_int_equal(repl_connected(r, &stop), -ENODEV);
		assert_false(fd_open(sv[0]));
	}
	fake_repl_free(r);
}

/* The daemon stops while clients of the listener are in their handshake:
 * repl_fini closes them with the listening socket. */
static void stopping_closes_the_listeners_candidates(void **state)
{
	struct repl *r = fake_repl_new(MD_ROLE_SECONDARY);
	int cand[3], peer[3], lfd;

	(void)state;
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(lfd >= 0);
	r->conn.listen_fd = lfd;
	for (int i = 0; i < 3; i++) {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		cand[i] = sv[0];
		peer[i] = sv[1];
		r->conn.cand[i] = (struct hs_sock){ .fd = sv[0] };
	}
	r->conn.ncand = 3;
	fake_repl_fini(r);
	assert_false(fd_open(lfd));
	for (int i = 0; i < 3; i++) {
		assert_false(fd_open(cand[i]));
		close(peer[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_refusal_closes_the_connection),
		cmocka_unit_test(repeated_refusals_leak_no_descriptor),
		cmocka_unit_test(stopping_closes_the_listeners_candidates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
