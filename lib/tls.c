/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls.c - the TLS handshake of an encrypted replication link and its
 * handover to the kernel (see tls.h; the reasons are in docs/tls-plan.md
 * and docs/design.md).  OpenSSL does the handshake, the HKDF and the kTLS
 * setup; this file only chooses the one protocol, suite and options, and
 * turns the library's outcomes into errors a log can explain.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/ssl.h>
#include "auth.h"
#include "tls.h"

#define PSK_IDENTITY	"mirrordisk-v1"
#define PSK_INFO	"mirrordisk tls psk v1"
#define SUITE		"DHE-PSK-AES128-GCM-SHA256"

int md_tls_psk(const struct md_auth *a, uint8_t psk[MD_TLS_PSK_LEN])
{
	uint8_t salt[2 * MDW_AUTH_NONCE], info[sizeof(PSK_INFO) + MD_NAME_LEN];
	size_t rl = strnlen(a->resource, MD_NAME_LEN);
	const uint8_t *nc = a->listener ? a->theirs : a->mine;
	const uint8_t *nl = a->listener ? a->mine : a->theirs;
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5];
	int ok;

	memcpy(salt, nc, MDW_AUTH_NONCE);
	memcpy(salt + MDW_AUTH_NONCE, nl, MDW_AUTH_NONCE);
	memcpy(info, PSK_INFO, sizeof(PSK_INFO));	/* the NUL separates */
	memcpy(info + sizeof(PSK_INFO), a->resource, rl);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)a->key, a->keylen);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, sizeof(salt));
	p[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, sizeof(PSK_INFO) + rl);
	p[4] = OSSL_PARAM_construct_end();
	ok = ctx && a->keylen && EVP_KDF_derive(ctx, psk, MD_TLS_PSK_LEN, p) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -EIO;
}

/* The key of this connection travels with its SSL (app data). */
static unsigned int client_psk(SSL *s, const char *hint, char *id, unsigned int max_id,
			       unsigned char *key, unsigned int max_key)
{
	const uint8_t *psk = SSL_get_app_data(s);

	(void)hint;
	if (sizeof(PSK_IDENTITY) > max_id || MD_TLS_PSK_LEN > max_key)
		return 0;
	memcpy(id, PSK_IDENTITY, sizeof(PSK_IDENTITY));
	memcpy(key, psk, MD_TLS_PSK_LEN);
	return MD_TLS_PSK_LEN;
}

static unsigned int server_psk(SSL *s, const char *id, unsigned char *key, unsigned int max_key)
{
	const uint8_t *psk = SSL_get_app_data(s);

	if (!id || strcmp(id, PSK_IDENTITY) || MD_TLS_PSK_LEN > max_key)
		return 0;
	memcpy(key, psk, MD_TLS_PSK_LEN);
	return MD_TLS_PSK_LEN;
}

/*
 * One context per handshake: a handshake per connection is rare, and no
 * state is shared between connections (no session cache, no tickets).
 * Nothing that disables kTLS: no read-ahead, no max fragment length, no
 * compression (docs/tls-plan.md, section 1).
 */
static SSL_CTX *make_ctx(bool server)
{
	SSL_CTX *c = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());

	if (!c)
		return NULL;
	SSL_CTX_set_options(c, SSL_OP_ENABLE_KTLS | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION |
			       SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
	if (!SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(c, TLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(c, SUITE)) {
		SSL_CTX_free(c);
		return NULL;
	}
	if (server) {
		SSL_CTX_set_psk_server_callback(c, server_psk);
		SSL_CTX_set_dh_auto(c, 1);
	} else {
		SSL_CTX_set_psk_client_callback(c, client_psk);
	}
	return c;
}

static uint64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void reason(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char lib[160] = "";

	if (e)
		ERR_error_string_n(e, lib, sizeof(lib));
	snprintf(err, errlen, "TLS handshake failed: %s%s%s", what, e ? ": " : "", lib);
	ERR_clear_error();
}

/* Drive the handshake on a non-blocking socket until done or deadline. */
static int handshake(SSL *s, int fd, uint64_t deadline_ms, char *err, size_t errlen)
{
	for (;;) {
		struct pollfd pf = { .fd = fd };
		uint64_t now;
		int rc = SSL_do_handshake(s), e;

		if (rc == 1)
			return 0;
		e = SSL_get_error(s, rc);
		if (e == SSL_ERROR_WANT_READ)
			pf.events = POLLIN;
		else if (e == SSL_ERROR_WANT_WRITE)
			pf.events = POLLOUT;
		else if (e == SSL_ERROR_SYSCALL && (errno == EINTR || errno == EAGAIN))
			continue;
		else if (e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN ||
			 ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			reason(err, errlen, "the peer closed the connection");
			return -ECONNRESET;
		} else {
			reason(err, errlen, "another key, or a forged or broken message");
			return -EACCES;
		}
		now = clock_ms();
		if (now >= deadline_ms || (rc = poll(&pf, 1, (int)(deadline_ms - now))) == 0) {
			snprintf(err, errlen, "TLS handshake failed: no answer within the timeout");
			return -ETIMEDOUT;
		}
		if (rc < 0 && errno != EINTR) {
			snprintf(err, errlen, "TLS handshake failed: poll: %s", strerror(errno));
			return -errno;
		}
	}
}

int md_tls_start(int fd, unsigned flags, const uint8_t psk[MD_TLS_PSK_LEN],
		 uint64_t deadline_ms, void **session, char *err, size_t errlen)
{
	bool server = flags & MD_TLS_SERVER;
	SSL_CTX *ctx;
	SSL *s = NULL;
	int fl = fcntl(fd, F_GETFL), rc;

	*session = NULL;
	ERR_clear_error();
	ctx = make_ctx(server);
	if (ctx)
		s = SSL_new(ctx);
	SSL_CTX_free(ctx);		/* s holds its own reference */
	if (!s || !SSL_set_fd(s, fd) || !SSL_set_app_data(s, (void *)psk)) {
		reason(err, errlen, "cannot set up the library");
		SSL_free(s);
		return -ENOMEM;
	}
	if (server)
		SSL_set_accept_state(s);
	else
		SSL_set_connect_state(s);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	rc = handshake(s, fd, deadline_ms, err, errlen);
	fcntl(fd, F_SETFL, fl);
	if (!rc && !(flags & MD_TLS_USERSPACE_OK)) {
		bool tx = BIO_get_ktls_send(SSL_get_wbio(s));

		if (!tx || !BIO_get_ktls_recv(SSL_get_rbio(s)) || SSL_has_pending(s)) {
			snprintf(err, errlen, "TLS: the kernel did not take over the %s (is the tls "
				 "module loaded? modprobe tls)", !tx ? "encryption of what this node "
				 "sends" : "decryption of what it receives");
			rc = -ENOPROTOOPT;
		}
	}
	if (rc) {
		SSL_free(s);
		return rc;
	}
	*session = s;
	return 0;
}

void md_tls_end(void *session)
{
	SSL_free(session);	/* the socket stays open: SSL_set_fd does not own it */
}

const char *md_tls_rx_error(int err)
{
	if (err == -EBADMSG)
		return "TLS: a record from the peer failed authentication (changed in flight)";
	if (err == -EIO)
		return "TLS: the peer sent a control record (it closed the session, or an alert)";
	return NULL;
}
