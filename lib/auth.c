/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * auth.c - mutual authentication of the peers (see auth.h): the secret
 * file, and the three-step HMAC-SHA256 exchange as a small state machine
 * that mirrord drives over its sockets (conn.c, handshake.c) and the unit
 * tests drive directly (tests/unit/test_auth.c).
 *
 * Cryptography is OpenSSL's (HMAC with SHA-256, RAND_bytes, CRYPTO_memcmp):
 * the library every Debian machine has, and the one issue [8]'s TLS will
 * use too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "auth.h"
#include "config.h"

#define LABEL_LISTENER	"mirrordisk auth v1 listener"
#define LABEL_CONNECTOR	"mirrordisk auth v1 connector"

/*
 * Who may own the secret file and its directory: root, or the user this
 * program runs as (mirrord started by another user, as in tests).  Their
 * names for a refusal in who.
 */
static bool owner_ok(uid_t uid, char *who, size_t len)
{
	if (geteuid())
		snprintf(who, len, "root or uid %u", (unsigned)geteuid());
	else
		snprintf(who, len, "root");
	return uid == 0 || uid == geteuid();
}

/*
 * Open the directory holding path (path is absolute: the configuration
 * says so) and check it as ssh's StrictModes does: whoever may write it
 * can put a file of their own under the secret's name, so it must belong
 * to root (or us) and be writable by nobody else.  A sticky bit does not
 * make it fit, /tmp included: the name can be taken before the secret is
 * copied there, and a shared directory is no place for a key.  The
 * directory's fd (for openat), or -errno with the reason in err.
 */
static int secret_dir_open(const char *path, char *err, size_t errlen)
{
	char dir[MD_PATH_LEN], who[48];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int fd, rc;

	if (!slash || (size_t)(slash - path) >= sizeof(dir)) {
		snprintf(err, errlen, "the secret file %s is not an absolute path", path);
		return -EINVAL;
	}
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		rc = -errno;
		snprintf(err, errlen, "cannot open the directory %s of the secret file %s: %s", dir,
			 path, strerror(-rc));
		if (fd >= 0)
			close(fd);
		return rc;
	}
	if (!owner_ok(st.st_uid, who, sizeof(who))) {
		snprintf(err, errlen, "the directory %s holding the secret file %s is owned by uid "
			 "%u, not %s: chown root %s", dir, path, (unsigned)st.st_uid, who, dir);
		close(fd);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "the directory %s holding the secret file %s is writable by "
			 "group or others (mode %04o): chmod go-w %s, or keep the secret in a "
			 "directory of its own such as /etc/mirrordisk", dir, path,
			 (unsigned)(st.st_mode & 07777), dir);
		close(fd);
		return -EPERM;
	}
	return fd;
}

int md_secret_dir_check(const char *path, char *err, size_t errlen)
{
	int fd = secret_dir_open(path, err, errlen);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

int md_secret_load(const char *path, uint8_t *key, size_t *len, char *err, size_t errlen)
{
	uint8_t buf[MD_SECRET_MAX + 2];
	struct stat st;
	char who[48];
	ssize_t n;
	int fd, dfd, rc = 0;

	dfd = secret_dir_open(path, err, errlen);
	if (dfd < 0)
		return dfd;
	/* The file in the directory just checked, whatever renames since. */
	fd = openat(dfd, strrchr(path, '/') + 1, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		rc = -errno;
		close(dfd);
		snprintf(err, errlen, "cannot open the secret file %s: %s", path, strerror(-rc));
		return rc;
	}
	close(dfd);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "the secret file %s is not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (!owner_ok(st.st_uid, who, sizeof(who))) {
		snprintf(err, errlen, "the secret file %s is owned by uid %u, not %s: chown root %s",
			 path, (unsigned)st.st_uid, who, path);
		close(fd);
		return -EPERM;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "the secret file %s is accessible by group or others "
			 "(mode %03o): chmod 600 it", path, (unsigned)(st.st_mode & 0777));
		close(fd);
		return -EPERM;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read the secret file %s: %s", path, strerror(errno));
		return rc;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n < MD_SECRET_MIN || n > MD_SECRET_MAX) {
		snprintf(err, errlen, "the secret in %s must be %d..%d bytes, it has %zd",
			 path, MD_SECRET_MIN, MD_SECRET_MAX, n);
		OPENSSL_cleanse(buf, sizeof(buf));
		return -EINVAL;
	}
	memcpy(key, buf, (size_t)n);
	*len = (size_t)n;
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

int md_secret_create(const char *path)
{
	uint8_t raw[32];
	char hex[2 * sizeof(raw) + 1];
	int fd, rc = 0;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	OPENSSL_cleanse(raw, sizeof(raw));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (dprintf(fd, "%s\n", hex) != (int)sizeof(hex) || fsync(fd))
		rc = -EIO;
	close(fd);
	OPENSSL_cleanse(hex, sizeof(hex));
	if (rc)
		unlink(path);
	return rc;
}

int md_res_secret(const struct md_res_cfg *res, uint8_t *key, size_t *len, char *err,
		  size_t errlen)
{
	int rc;

	*len = 0;
	if (res->auth_none)
		return MDW_AUTH_NONE;
	if (!res->secret_file[0]) {
		snprintf(err, errlen, "resource %s has no secret-file: the peers could not tell "
			 "each other from anyone else (create one with 'mdctl create --new-secret', "
			 "copy it to the peer; or set auth = none on a closed network)", res->name);
		return -ENOKEY;
	}
	rc = md_secret_load(res->secret_file, key, len, err, errlen);
	return rc ? rc : MDW_AUTH_HMAC_SHA256;
}

/* HMAC(key, label || resource || first || second). */
static void mac_of(const struct md_auth *a, const char *label, const uint8_t *first,
		   const uint8_t *second, uint8_t out[MDW_AUTH_MAC])
{
	uint8_t msg[64 + MD_NAME_LEN + 2 * MDW_AUTH_NONCE];
	size_t n = 0, l = strlen(label), rl = strnlen(a->resource, MD_NAME_LEN);
	unsigned int outlen = MDW_AUTH_MAC;

	memcpy(msg + n, label, l + 1);		/* the NUL separates label and name */
	n += l + 1;
	memcpy(msg + n, a->resource, rl);
	n += rl;
	msg[n++] = 0;
	memcpy(msg + n, first, MDW_AUTH_NONCE);
	n += MDW_AUTH_NONCE;
	memcpy(msg + n, second, MDW_AUTH_NONCE);
	n += MDW_AUTH_NONCE;
	if (!HMAC(EVP_sha256(), a->key, (int)a->keylen, msg, n, out, &outlen))
		memset(out, 0, MDW_AUTH_MAC);	/* never matches a real MAC */
}

static bool mac_ok(const uint8_t *want, const uint8_t *got)
{
	static const uint8_t zero[MDW_AUTH_MAC];

	return CRYPTO_memcmp(want, got, MDW_AUTH_MAC) == 0 &&
	       CRYPTO_memcmp(zero, got, MDW_AUTH_MAC) != 0;
}

int md_auth_begin(struct md_auth *a, bool listener, uint16_t method, uint32_t flags,
		  const uint8_t *key, size_t keylen, const char *resource, struct md_auth_msg *out,
		  bool *have_out)
{
	*a = (struct md_auth){ .listener = listener, .method = method, .flags = flags, .key = key,
			       .keylen = keylen, .resource = resource, .next = listener ? 1 : 2 };
	*have_out = false;
	if (RAND_bytes(a->mine, sizeof(a->mine)) != 1)
		return -EIO;
	if (!listener) {
		*out = (struct md_auth_msg){ .method = method, .step = 1, .flags = flags };
		memcpy(out->nonce, a->mine, sizeof(out->nonce));
		*have_out = true;
	}
	return 0;
}

int md_auth_step(struct md_auth *a, const struct md_auth_msg *in, struct md_auth_msg *out,
		 bool *have_out)
{
	uint8_t want[MDW_AUTH_MAC];
	int step = a->next;

	*have_out = false;
	a->next = 0;			/* any error ends the exchange */
	if (!step || in->step != step)
		return -EPROTO;
	if (in->method != a->method)
		return -EPERM;
	if (in->flags != a->flags) {
		/* Answer the challenge, without a proof, so that the connector
		 * learns why too; then the exchange ends. */
		if (step == 1) {
			*out = (struct md_auth_msg){ .method = a->method, .step = 2, .flags = a->flags };
			memcpy(out->nonce, a->mine, sizeof(out->nonce));
			*have_out = true;
		}
		return -EPROTOTYPE;
	}
	switch (step) {
	case 1:		/* listener: the connector's challenge */
		memcpy(a->theirs, in->nonce, sizeof(a->theirs));
		*out = (struct md_auth_msg){ .method = a->method, .step = 2, .flags = a->flags };
		memcpy(out->nonce, a->mine, sizeof(out->nonce));
		if (a->method == MDW_AUTH_HMAC_SHA256)
			mac_of(a, LABEL_LISTENER, a->theirs, a->mine, out->mac);
		*have_out = true;
		a->next = 3;
		return 0;
	case 2:		/* connector: the listener's answer and challenge */
		memcpy(a->theirs, in->nonce, sizeof(a->theirs));
		/* Our proof goes out even if theirs fails, so that the listener
		 * can tell a wrong secret from a lost connection (auth.h). */
		*out = (struct md_auth_msg){ .method = a->method, .step = 3, .flags = a->flags };
		if (a->method == MDW_AUTH_HMAC_SHA256)
			mac_of(a, LABEL_CONNECTOR, a->theirs, a->mine, out->mac);
		*have_out = true;
		if (a->method == MDW_AUTH_HMAC_SHA256) {
			mac_of(a, LABEL_LISTENER, a->mine, a->theirs, want);
			if (!mac_ok(want, in->mac))
				return -EACCES;
		}
		return MD_AUTH_DONE;
	case 3:		/* listener: the connector's proof */
		if (a->method == MDW_AUTH_HMAC_SHA256) {
			mac_of(a, LABEL_CONNECTOR, a->mine, a->theirs, want);
			if (!mac_ok(want, in->mac))
				return -EACCES;
		}
		return MD_AUTH_DONE;
	}
	return -EPROTO;
}

const char *md_auth_error(int rc)
{
	switch (rc) {
	case -EACCES: return "peer failed authentication: it does not hold this resource's secret";
	case -EPERM: return "peer failed authentication: it is configured with another auth method";
	case -EPROTO: return "peer failed authentication: out-of-order or malformed AUTH";
	case -EPROTOTYPE: return "peer refused: encryption differs (tls on one node and none on the "
				 "other): set encryption alike on both";
	}
	return "peer failed authentication";
}

const char *md_auth_method_name(uint16_t method)
{
	return method == MDW_AUTH_HMAC_SHA256 ? "hmac-sha256" : method == MDW_AUTH_NONE ? "none" : "unknown";
}
