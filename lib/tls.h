/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tls.h - encryption of the replication link (issue [8]; encryption = tls).
 *
 * After the AUTH exchange (auth.h) both peers derive a key for this one
 * connection from the resource's secret and the two fresh nonces, and run
 * a TLS 1.2 handshake over the socket with it (external PSK, suite
 * DHE-PSK-AES128-GCM-SHA256: the ephemeral Diffie-Hellman gives forward
 * secrecy, a recorded session stays sealed even if the secret leaks
 * later).  OpenSSL then hands the record layer to the kernel (kTLS, both
 * directions: OpenSSL 3.0 offloads TX and RX for TLS 1.2, only TX for
 * TLS 1.3, see docs/tls-plan.md), and the socket goes back to mirrord's
 * io_uring path, which keeps sending and receiving plaintext buffers: the
 * kernel encrypts on send and decrypts and authenticates on receive.
 *
 * Fail closed: when the kernel cannot take a direction (the tls module
 * missing, CAP_NET_ADMIN missing to load it), the connection is refused
 * with that reason; there is no user-space record path.
 *
 * No renegotiation, no tickets, no compression; one handshake per
 * connection.  The kernels (6.1, 6.12) cannot re-key a kTLS socket: the
 * daemon reconnects before MD_TLS_MAX_BYTES have gone one way.
 */
#ifndef MD_LIB_TLS_H
#define MD_LIB_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MD_TLS_PSK_LEN		32
/* 2^24 full records of 16 KiB each way per key: AES-GCM's usage limit
 * (RFC 8446 5.5) applied to TLS 1.2, whose kTLS sockets cannot re-key. */
#define MD_TLS_MAX_BYTES	(1ull << 38)

struct md_auth;

/*
 * This connection's key: HKDF-SHA256 over the secret, salted with the
 * connector's and the listener's nonce of the exchange just done (a), the
 * resource name in the info.  Both sides get the same bytes.  0 or -EIO.
 */
int md_tls_psk(const struct md_auth *a, uint8_t psk[MD_TLS_PSK_LEN]);

/* md_tls_start's flags */
#define MD_TLS_SERVER		1u	/* the listener: TLS server */
#define MD_TLS_USERSPACE_OK	2u	/* tests: accept a handshake without kTLS */

/*
 * The TLS handshake on connected TCP socket fd, by deadline_ms (now_ms()
 * clock); the socket's blocking mode is kept.  On success *session holds
 * the library's state (md_tls_end frees it; the socket is not closed) and
 * both directions are in the kernel.  Else -errno with the reason in err:
 * -ETIMEDOUT (no handshake in time), -ECONNRESET (closed), -EACCES (the
 * handshake failed: another key, or a forged or broken message),
 * -ENOPROTOOPT (done, but the kernel did not take a direction: modprobe tls).
 */
int md_tls_start(int fd, unsigned flags, const uint8_t psk[MD_TLS_PSK_LEN],
		 uint64_t deadline_ms, void **session, char *err, size_t errlen);
void md_tls_end(void *session);

/*
 * What a receive error on a kTLS socket means, for the log: -EBADMSG a
 * record that failed authentication (changed in flight), -EIO a control
 * record (the peer's close or an alert).  NULL for other errors.
 */
const char *md_tls_rx_error(int err);

#endif
