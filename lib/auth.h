/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auth.h - the two peers prove to each other that they hold the
 * resource's secret before either says anything else (issue [8]).
 *
 * HMAC-SHA256 challenge-response with a fresh nonce from each side
 * (OpenSSL's HMAC and RAND_bytes; CRYPTO_memcmp to compare):
 *
 *   connector -> listener   AUTH step 1: method, nonce_c
 *   listener  -> connector  AUTH step 2: method, nonce_l,
 *                           mac_l = HMAC(K, "mirrordisk auth v1 listener"
 *                                       || resource || nonce_c || nonce_l)
 *   connector -> listener   AUTH step 3: mac_c = HMAC(K, "mirrordisk auth v1
 *                           connector" || resource || nonce_l || nonce_c)
 *
 * Each MAC covers the other side's fresh nonce, so a recorded answer is
 * worth nothing in another exchange; the two labels keep a listener's
 * answer from serving as a connector's proof.  A connector whose check of
 * the listener fails still sends its step 3 (it covers its own fresh
 * nonce, so it is worthless elsewhere) and closes: the listener then
 * knows the peer holds another secret, and both sides log it.  What this
 * does not stop is an attacker on the path relaying a whole exchange and
 * taking the TCP stream over afterwards: only an encrypted, integrity-
 * protected channel binds the proof to the stream: with encryption = tls
 * (tls.h) the TLS key of the connection is derived from the secret and
 * both nonces of this exchange.  Method "none" (auth = none
 * on both sides, for closed test networks) exchanges the same steps
 * without MACs, so that a mismatch of configurations is told apart from a
 * wrong secret.  The secret never crosses the wire.
 */
#ifndef MD_LIB_AUTH_H
#define MD_LIB_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire.h"

#define MD_SECRET_MIN	16		/* bytes of a secret file, at least */
#define MD_SECRET_MAX	1024

/* One side's view of one exchange. */
struct md_auth {
	bool listener;
	uint16_t method;		/* MDW_AUTH_*: what this side requires */
	uint32_t flags;			/* MDW_AUTH_F_*: what follows, must match */
	const uint8_t *key;		/* the secret (method HMAC) */
	size_t keylen;
	const char *resource;
	uint8_t mine[MDW_AUTH_NONCE], theirs[MDW_AUTH_NONCE];
	int next;			/* the step this side expects next */
};

/* Outcomes of md_auth_step, besides 0 (send *out if out_len, go on). */
#define MD_AUTH_DONE	1		/* the peer proved it; send *out if any */
/* -EACCES: the peer's proof is wrong (another secret); -EPERM: the other
 * side is configured with another method; -EPROTOTYPE: with other flags
 * (encryption; the listener still answers step 1, so that the connector
 * learns it too); -EPROTO: a step out of order or a malformed message. */

/*
 * Read a secret file: a regular file owned by root (or by the user running
 * this program), not accessible by group or others, in a directory owned
 * by root (or that user) that neither group nor others may write (ssh's
 * StrictModes: /tmp is refused); MD_SECRET_MIN..MD_SECRET_MAX bytes (a
 * trailing newline is not part of it).  0, or -errno with the reason in
 * err (-EPERM: an owner or a mode).
 */
int md_secret_load(const char *path, uint8_t *key, size_t *len, char *err, size_t errlen);
/* The directory part of md_secret_load's rules alone, for a secret about
 * to be written there (mdctl create --new-secret).  0 or -errno, err. */
int md_secret_dir_check(const char *path, char *err, size_t errlen);
/*
 * Write a new random secret (64 hex digits and a newline) to path, created
 * with mode 0600; -EEXIST if the file exists.
 */
int md_secret_create(const char *path);

/*
 * A resource's method and secret: MDW_AUTH_NONE for auth = none, else its
 * secret-file loaded (none configured: -ENOKEY, "does not start").
 * Returns the method (>= 0) or -errno with the reason in err.
 */
struct md_res_cfg;
int md_res_secret(const struct md_res_cfg *res, uint8_t *key, size_t *len, char *err,
		  size_t errlen);

/* Start an exchange.  The connector gets its step-1 message in *out. */
int md_auth_begin(struct md_auth *a, bool listener, uint16_t method, uint32_t flags,
		  const uint8_t *key, size_t keylen, const char *resource, struct md_auth_msg *out,
		  bool *have_out);
/* Take the peer's next message; maybe produce ours (*have_out, also with
 * -EACCES on the connector: send it, then close). */
int md_auth_step(struct md_auth *a, const struct md_auth_msg *in, struct md_auth_msg *out,
		 bool *have_out);
/* What an outcome means, for logs and status. */
const char *md_auth_error(int rc);
const char *md_auth_method_name(uint16_t method);

#endif
