/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_auth.c - the peers' mutual authentication (lib/auth.c) and its
 * wire message (MDW_AUTH): the exchange succeeds only when both hold the
 * same secret; a wrong secret fails on the side that checks it, before
 * that side says anything more; recorded messages are worth nothing in a
 * new exchange; truncated, out-of-order and malformed messages end it;
 * the secret file is refused when others can read it, when it or the
 * directory holding it belongs to another user, or when that directory
 * is writable by group or others.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "auth.h"

static const uint8_t K1[] = "0123456789abcdef0123456789abcdef";
static const uint8_t K2[] = "0123456789abcdef0123456789abcdeF";

/* Through the wire format, as mirrord sends it. */
static struct md_auth_msg wire(const struct md_auth_msg *m)
{
	char body[sizeof(struct mdw_auth)];
	struct md_auth_msg back;

	mdw_auth_encode(body, m);
	assert_int_equal(mdw_auth_decode(body, sizeof(body), &back), 0);
	return back;
}

struct pair {
	struct md_auth c, l;
	struct md_auth_msg m1, m2, m3;
};

/* Steps 1 and 2; returns the connector's verdict on the listener. */
static int half(struct pair *p, const uint8_t *kc, const uint8_t *kl, uint16_t mc, uint16_t ml)
{
	struct md_auth_msg none;
	bool have;

	assert_int_equal(md_auth_begin(&p->c, false, mc, 0, kc, 32, "r0", &p->m1, &have), 0);
	assert_true(have);
	assert_int_equal(md_auth_begin(&p->l, true, ml, 0, kl, 32, "r0", &none, &have), 0);
	assert_false(have);
	p->m1 = wire(&p->m1);
	{
		int rc = md_auth_step(&p->l, &p->m1, &p->m2, &have);

		if (rc)
			return rc;
	}
	assert_true(have);
	p->m2 = wire(&p->m2);
	return md_auth_step(&p->c, &p->m2, &p->m3, &have);
}

static void same_secret_both_sides_done(void **state)
{
	struct pair p;
	struct md_auth_msg none;
	bool have;

	(void)state;
	assert_int_equal(half(&p, K1, K1, MDW_AUTH_HMAC_SHA256, MDW_AUTH_HMAC_SHA256), MD_AUTH_DONE);
	p.m3 = wire(&p.m3);
	assert_int_equal(md_auth_step(&p.l, &p.m3, &none, &have), MD_AUTH_DONE);
	assert_false(have);
}

/* The connector holds another secret: the listener's proof fails there;
 * its step 3 still goes out, and fails at the listener.  Both know. */
static void wrong_secret_fails_on_the_checking_side(void **state)
{
	struct pair p;
	struct md_auth_msg none;
	bool have;

	(void)state;
	assert_int_equal(half(&p, K2, K1, MDW_AUTH_HMAC_SHA256, MDW_AUTH_HMAC_SHA256), -EACCES);
	/* The connector's step 3 still goes out: the listener fails it too. */
	p.m3 = wire(&p.m3);
	assert_int_equal(md_auth_step(&p.l, &p.m3, &none, &have), -EACCES);
	assert_int_equal(half(&p, K1, K2, MDW_AUTH_HMAC_SHA256, MDW_AUTH_HMAC_SHA256), -EACCES);
	/* A connector with the other secret that answers anyway: its step 3
	 * (made against a K1 listener with the same nonce) fails at the K2
	 * listener. */
	{
		struct md_auth l1;
		struct md_auth_msg m2;

		assert_int_equal(md_auth_begin(&p.c, false, MDW_AUTH_HMAC_SHA256, 0, K1, 32, "r0", &p.m1, &have), 0);
		assert_int_equal(md_auth_begin(&p.l, true, MDW_AUTH_HMAC_SHA256, 0, K2, 32, "r0", &none, &have), 0);
		assert_int_equal(md_auth_begin(&l1, true, MDW_AUTH_HMAC_SHA256, 0, K1, 32, "r0", &none, &have), 0);
		memcpy(l1.mine, p.l.mine, sizeof(l1.mine));
		assert_int_equal(md_auth_step(&p.l, &p.m1, &p.m2, &have), 0);
		assert_int_equal(md_auth_step(&l1, &p.m1, &m2, &have), 0);
		assert_int_equal(md_auth_step(&p.c, &m2, &p.m3, &have), MD_AUTH_DONE);
		assert_int_equal(md_auth_step(&p.l, &p.m3, &none, &have), -EACCES);
	}
	/* Echoing the listener's own MAC back is no proof either. */
	assert_int_equal(md_auth_begin(&p.l, true, MDW_AUTH_HMAC_SHA256, 0, K1, 32, "r0", &none, &have), 0);
	assert_int_equal(md_auth_step(&p.l, &p.m1, &p.m2, &have), 0);
	p.m3 = (struct md_auth_msg){ .method = MDW_AUTH_HMAC_SHA256, .step = 3 };
	memcpy(p.m3.mac, p.m2.mac, sizeof(p.m3.mac));
	assert_int_equal(md_auth_step(&p.l, &p.m3, &none, &have), -EACCES);
}

/* An attacker who recorded a whole good exchange replays the connector's
 * step 3 to a new listener session: its nonce is new, the proof is not. */
static void replayed_proof_is_refused(void **state)
{
	struct pair old, now;
	struct md_auth_msg none, fresh2;
	bool have;

	(void)state;
	assert_int_equal(half(&old, K1, K1, MDW_AUTH_HMAC_SHA256, MDW_AUTH_HMAC_SHA256), MD_AUTH_DONE);
	assert_int_equal(md_auth_begin(&now.l, true, MDW_AUTH_HMAC_SHA256, 0, K1, 32, "r0", &none, &have), 0);
	assert_int_equal(md_auth_step(&now.l, &old.m1, &fresh2, &have), 0);	/* old challenge */
	assert_int_equal(md_auth_step(&now.l, &old.m3, &none, &have), -EACCES);
	/* ... and the listener's recorded answer does not fool a connector. */
	assert_int_equal(md_auth_begin(&now.c, false, MDW_AUTH_HMAC_SHA256, 0, K1, 32, "r0", &none, &have), 0);
	assert_int_equal(md_auth_step(&now.c, &old.m2, &none, &have), -EACCES);
	/* A listener's answer cannot serve as a connector's proof. */
	assert_int_equal(md_auth_begin(&now.l, true, MDW_AUTH_HMAC_SHA256, 0, K1, 32, "r0", &none, &have), 0);
	assert_int_equal(md_auth_step(&now.l, &old.m1, &fresh2, &have), 0);
	none = fresh2;
	none.step = 3;
	memset(none.nonce, 0, sizeof(none.nonce));
	assert_int_equal(md_auth_step(&now.l, &none, &fresh2, &have), -EACCES);
}

static void another_resource_is_another_secret(void **state)
{
	struct pair p;
	struct md_auth_msg none;
	bool have;

	(void)state;
	assert_int_equal(md_auth_begin(&p.c, false, MDW_AUTH_HMAC_SHA256, 0, K1, 32, "r0", &p.m1, &have), 0);
	assert_int_equal(md_auth_begin(&p.l, true, MDW_AUTH_HMAC_SHA256, 0, K1, 32, "r1", &none, &have), 0);
	assert_int_equal(md_auth_step(&p.l, &p.m1, &p.m2, &have), 0);
	assert_int_equal(md_auth_step(&p.c, &p.m2, &p.m3, &have), -EACCES);
}

static void out_of_order_and_method_mismatch_end_it(void **state)
{
	struct pair p;
	struct md_auth_msg none;
	bool have;

	(void)state;
	/* Step 3 first. */
	assert_int_equal(md_auth_begin(&p.l, true, MDW_AUTH_HMAC_SHA256, 0, K1, 32, "r0", &none, &have), 0);
	p.m3 = (struct md_auth_msg){ .method = MDW_AUTH_HMAC_SHA256, .step = 3 };
	memset(p.m3.mac, 7, sizeof(p.m3.mac));
	assert_int_equal(md_auth_step(&p.l, &p.m3, &none, &have), -EPROTO);
	/* ... and nothing after an error. */
	assert_int_equal(half(&p, K1, K1, MDW_AUTH_HMAC_SHA256, MDW_AUTH_HMAC_SHA256), MD_AUTH_DONE);
	assert_int_equal(md_auth_step(&p.c, &p.m2, &p.m3, &have), -EPROTO);
	/* One side requires the secret, the other has auth = none. */
	assert_int_equal(half(&p, K1, K1, MDW_AUTH_NONE, MDW_AUTH_HMAC_SHA256), -EPERM);
	assert_int_equal(half(&p, K1, K1, MDW_AUTH_HMAC_SHA256, MDW_AUTH_NONE), -EPERM);
	/* Both none: done, nothing proved. */
	assert_int_equal(half(&p, K1, K2, MDW_AUTH_NONE, MDW_AUTH_NONE), MD_AUTH_DONE);
}

static void malformed_messages_are_refused(void **state)
{
	struct md_auth_msg m = { .method = MDW_AUTH_HMAC_SHA256, .step = 2 }, out;
	char body[sizeof(struct mdw_auth) + 1];
	struct mdw_auth w;

	(void)state;
	memset(m.mac, 1, sizeof(m.mac));
	mdw_auth_encode(body, &m);
	assert_int_equal(mdw_auth_decode(body, sizeof(struct mdw_auth), &out), 0);
	assert_int_equal(mdw_auth_decode(body, sizeof(struct mdw_auth) - 1, &out), -EMSGSIZE);
	assert_int_equal(mdw_auth_decode(body, sizeof(struct mdw_auth) + 1, &out), -EMSGSIZE);
	memcpy(&w, body, sizeof(w));
	w.version = 2;
	assert_int_equal(mdw_auth_decode(&w, sizeof(w), &out), -EPROTO);
	memcpy(&w, body, sizeof(w));
	w.reserved1 = 1;
	assert_int_equal(mdw_auth_decode(&w, sizeof(w), &out), -EBADMSG);
	memcpy(&w, body, sizeof(w));
	w.step = 4;
	assert_int_equal(mdw_auth_decode(&w, sizeof(w), &out), -EBADMSG);
	memcpy(&w, body, sizeof(w));
	w.step = 1;			/* a challenge carrying a MAC */
	assert_int_equal(mdw_auth_decode(&w, sizeof(w), &out), -EBADMSG);
	memcpy(&w, body, sizeof(w));
	w.method = 0;			/* "none" carrying a MAC */
	assert_int_equal(mdw_auth_decode(&w, sizeof(w), &out), -EBADMSG);
	/* A zero MAC never passes, whatever the key. */
	{
		struct pair p;
		bool have;

		assert_int_equal(half(&p, K1, K1, MDW_AUTH_HMAC_SHA256, MDW_AUTH_HMAC_SHA256), MD_AUTH_DONE);
		memset(p.m3.mac, 0, sizeof(p.m3.mac));
		assert_int_equal(md_auth_step(&p.l, &p.m3, &out, &have), -EACCES);
	}
}

/* A directory of its own for a secret file (mode 0700, ours), as
 * /etc/mirrordisk is; the file's path in it, not created. */
struct secret_dir {
	char dir[32];
	char path[64];
};

static void secret_dir_make(struct secret_dir *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/md-secret-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	snprintf(d->path, sizeof(d->path), "%s/r0.secret", d->dir);
}

static void secret_dir_remove(struct secret_dir *d)
{
	unlink(d->path);
	assert_int_equal(rmdir(d->dir), 0);
}

/* md_secret_load refuses path with -EPERM, and err names what and why. */
static void expect_secret_refused(const char *path, const char *what, const char *why)
{
	uint8_t key[MD_SECRET_MAX];
	char err[400];
	size_t len;

	assert_int_equal(md_secret_load(path, key, &len, err, sizeof(err)), -EPERM);
	if (!strstr(err, what) || !strstr(err, why))
		fail_msg("'%s' lacks '%s' or '%s'", err, what, why);
}

static void expect_secret_loads(const char *path)
{
	uint8_t key[MD_SECRET_MAX];
	char err[400];
	size_t len;

	if (md_secret_load(path, key, &len, err, sizeof(err)))
		fail_msg("%s refused: %s", path, err);
	assert_int_equal(len, 64);
}

static void secret_file_rules(void **state)
{
	struct secret_dir d;
	char err[256];
	uint8_t key[MD_SECRET_MAX];
	size_t len;
	FILE *f;

	(void)state;
	secret_dir_make(&d);
	assert_non_null(f = fopen(d.path, "w"));
	fputs("short\n", f);
	fclose(f);
	chmod(d.path, 0600);
	assert_int_equal(md_secret_load(d.path, key, &len, err, sizeof(err)), -EINVAL);
	unlink(d.path);
	assert_int_equal(md_secret_create(d.path), 0);
	assert_int_equal(md_secret_create(d.path), -EEXIST);
	expect_secret_loads(d.path);			/* the newline is not part of it */
	chmod(d.path, 0640);
	expect_secret_refused(d.path, d.path, "chmod 600");
	unlink(d.path);
	assert_int_equal(md_secret_load(d.path, key, &len, err, sizeof(err)), -ENOENT);
	secret_dir_remove(&d);
}

/* ssh's StrictModes, for the secret: a file someone else owns could hold
 * what they chose, so root (or the user running us) must own it. */
static void secret_file_owned_by_another_user_is_refused(void **state)
{
	struct secret_dir d;

	(void)state;
	if (geteuid())
		skip();		/* chown to another user needs root */
	secret_dir_make(&d);
	assert_int_equal(md_secret_create(d.path), 0);
	assert_int_equal(chown(d.path, 65534, 65534), 0);
	expect_secret_refused(d.path, d.path, "owned by uid 65534");
	assert_int_equal(chown(d.path, 0, 65534), 0);	/* its group does not matter */
	expect_secret_loads(d.path);
	secret_dir_remove(&d);
}

/* Whoever can write the directory can replace the file: it must be
 * writable by its owner only, sticky or not (a world-writable sticky
 * directory such as /tmp is refused, as ssh refuses it). */
static void secret_directory_writable_by_others_is_refused(void **state)
{
	const mode_t bad[] = { 0770, 0730, 0702, 01777, 01770 };
	struct secret_dir d;
	char err[400];

	(void)state;
	secret_dir_make(&d);
	assert_int_equal(md_secret_create(d.path), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char mode[16];

		assert_int_equal(chmod(d.dir, bad[i]), 0);
		snprintf(mode, sizeof(mode), "mode %04o", (unsigned)bad[i]);
		expect_secret_refused(d.path, d.dir, "writable by group or others");
		expect_secret_refused(d.path, d.dir, mode);
		assert_int_equal(md_secret_dir_check(d.path, err, sizeof(err)), -EPERM);
	}
	assert_int_equal(chmod(d.dir, 0755), 0);	/* readable by all is fine */
	expect_secret_loads(d.path);
	assert_int_equal(md_secret_dir_check(d.path, err, sizeof(err)), 0);
	assert_int_equal(chmod(d.dir, 0700), 0);
	expect_secret_loads(d.path);
	secret_dir_remove(&d);
}

static void secret_directory_owned_by_another_user_is_refused(void **state)
{
	struct secret_dir d;

	(void)state;
	if (geteuid())
		skip();
	secret_dir_make(&d);
	assert_int_equal(md_secret_create(d.path), 0);
	assert_int_equal(chown(d.dir, 65534, 65534), 0);
	expect_secret_refused(d.path, d.dir, "owned by uid 65534");
	assert_int_equal(chown(d.dir, 0, 0), 0);
	expect_secret_loads(d.path);
	secret_dir_remove(&d);
}

/* A secret put straight into /tmp (mode 1777) is refused. */
static void secret_directly_in_tmp_is_refused(void **state)
{
	char path[] = "/tmp/md-secret-XXXXXX";
	struct stat st;
	int fd;

	(void)state;
	if (stat("/tmp", &st) || (st.st_mode & 07777) != 01777)
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	assert_int_equal(md_secret_create(path), 0);
	expect_secret_refused(path, "/tmp", "mode 1777");
	unlink(path);
}

/* encryption = tls on one node, none on the other: the listener answers
 * step 1 (so that the connector learns it too) and both end with
 * -EPROTOTYPE; a bit the decoder does not know is malformed. */
static void encryption_mismatch_is_told_to_both(void **state)
{
	struct md_auth c, l;
	struct md_auth_msg m1, m2, m3;
	char body[sizeof(struct mdw_auth)];
	bool have;

	(void)state;
	for (int tls_c = 0; tls_c < 2; tls_c++) {
		uint32_t fc = tls_c ? MDW_AUTH_F_TLS : 0, fl = tls_c ? 0 : MDW_AUTH_F_TLS;

		assert_int_equal(md_auth_begin(&c, false, MDW_AUTH_HMAC_SHA256, fc, K1, 32, "r0",
					       &m1, &have), 0);
		assert_int_equal(md_auth_begin(&l, true, MDW_AUTH_HMAC_SHA256, fl, K1, 32, "r0",
					       &m2, &have), 0);
		m1 = wire(&m1);
		assert_int_equal(m1.flags, fc);
		assert_int_equal(md_auth_step(&l, &m1, &m2, &have), -EPROTOTYPE);
		assert_true(have);
		m2 = wire(&m2);
		assert_int_equal(m2.flags, fl);
		assert_int_equal(md_auth_step(&c, &m2, &m3, &have), -EPROTOTYPE);
		assert_false(have);
		assert_non_null(strstr(md_auth_error(-EPROTOTYPE), "encryption differs"));
	}
	/* Both tls: done, the flag in every step. */
	assert_int_equal(md_auth_begin(&c, false, MDW_AUTH_HMAC_SHA256, MDW_AUTH_F_TLS, K1, 32, "r0",
				       &m1, &have), 0);
	assert_int_equal(md_auth_begin(&l, true, MDW_AUTH_HMAC_SHA256, MDW_AUTH_F_TLS, K1, 32, "r0",
				       &m2, &have), 0);
	m1 = wire(&m1);
	assert_int_equal(md_auth_step(&l, &m1, &m2, &have), 0);
	m2 = wire(&m2);
	assert_int_equal(md_auth_step(&c, &m2, &m3, &have), MD_AUTH_DONE);
	m3 = wire(&m3);
	assert_int_equal(m3.flags, MDW_AUTH_F_TLS);
	assert_int_equal(md_auth_step(&l, &m3, &m1, &have), MD_AUTH_DONE);
	/* An unknown flag is a malformed message. */
	m1.flags = 1u << 7;
	mdw_auth_encode(body, &m1);
	assert_int_equal(mdw_auth_decode(body, sizeof(body), &m2), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_secret_both_sides_done),
		cmocka_unit_test(wrong_secret_fails_on_the_checking_side),
		cmocka_unit_test(replayed_proof_is_refused),
		cmocka_unit_test(another_resource_is_another_secret),
		cmocka_unit_test(out_of_order_and_method_mismatch_end_it),
		cmocka_unit_test(malformed_messages_are_refused),
		cmocka_unit_test(secret_file_rules),
		cmocka_unit_test(secret_file_owned_by_another_user_is_refused),
		cmocka_unit_test(secret_directory_writable_by_others_is_refused),
		cmocka_unit_test(secret_directory_owned_by_another_user_is_refused),
		cmocka_unit_test(secret_directly_in_tmp_is_refused),
		cmocka_unit_test(encryption_mismatch_is_told_to_both),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
