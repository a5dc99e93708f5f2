/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test_abi.c - pins the kernel/daemon channel ABI (proto/md_chan.h) and the
 * wire layouts (proto/md_wire.h): a change here is a format change and
 * needs a new version, not an edit of this file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "md_chan.h"
#include "md_wire.h"
#include "md_meta.h"

static void chan_records(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct md_chan_req), 32);
	assert_int_equal(offsetof(struct md_chan_req, id), 0);
	assert_int_equal(offsetof(struct md_chan_req, offset), 8);
	assert_int_equal(offsetof(struct md_chan_req, len), 16);
	assert_int_equal(offsetof(struct md_chan_req, op), 20);
	assert_int_equal(offsetof(struct md_chan_req, flags), 22);
	assert_int_equal(offsetof(struct md_chan_req, seq), 24);
	assert_int_equal(sizeof(struct md_chan_ack), 16);
	assert_int_equal(offsetof(struct md_chan_ack, status), 8);
	assert_int_equal(MD_CHAN_VERSION, 8);
	assert_int_equal(MD_RF_ASYNC, 8);
	assert_int_equal(MD_CONNF_ASYNC, 2);
	assert_int_equal(MD_CHAN_ACK_PROGRESS, 0);
	assert_int_equal(MD_CONN_STANDALONE, 0);
	assert_int_equal(MD_CONN_CONNECTED, 1);
	assert_int_equal(MD_CONN_HELD, 2);
	assert_int_equal(MD_CONNF_HOLD, 1);
	assert_int_equal(sizeof(struct md_ioc_conn), 16);
	assert_int_equal(offsetof(struct md_ioc_conn, flags), 8);
	assert_int_equal(MD_OP_RESYNC, 3);
	assert_int_equal(MD_RF_FUA, 1);
	assert_int_equal(MD_RF_PREFLUSH, 2);
	assert_int_equal(MD_RF_READ_ERROR, 4);
	/* Role flags: bit 0 (was FORCE) stays reserved, READONLY keeps bit 1. */
	assert_int_equal(MD_ROLEF_RESERVED0, 1);
	assert_int_equal(MD_ROLEF_READONLY, 2);
	assert_int_equal(MD_ROLEF_IF_CONNECTED, 4);
}

static void ioctls(void **state)
{
	(void)state;
	assert_int_equal(_IOC_TYPE(MD_IOC_CREATE), 0xEE);
	assert_int_equal(_IOC_NR(MD_IOC_VERSION), 0);
	assert_int_equal(_IOC_NR(MD_IOC_CREATE), 1);
	assert_int_equal(_IOC_SIZE(MD_IOC_CREATE), 656);
	assert_int_equal(_IOC_NR(MD_IOC_DESTROY), 2);
	assert_int_equal(_IOC_NR(MD_IOC_SET_ROLE), 3);
	assert_int_equal(_IOC_NR(MD_IOC_STATUS), 4);
	assert_int_equal(_IOC_NR(MD_IOC_BIND), 5);
	assert_int_equal(_IOC_NR(MD_IOC_SET_CONN), 6);
	assert_int_equal(_IOC_NR(MD_IOC_GET_OOS), 7);
	assert_int_equal(_IOC_NR(MD_IOC_CLEAR_OOS), 8);
	assert_int_equal(_IOC_NR(MD_IOC_SET_OOS), 9);
	assert_int_equal(_IOC_NR(MD_IOC_RESYNC), 10);
	assert_int_equal(_IOC_SIZE(MD_IOC_RESYNC), 16);
	assert_int_equal(offsetof(struct md_ioc_resync, count), 8);
	assert_int_equal(offsetof(struct md_ioc_resync, reserved), 12);
	assert_int_equal(_IOC_NR(MD_IOC_SET_CONN), 6);
	assert_int_equal(_IOC_SIZE(MD_IOC_SET_CONN), 16);
	assert_int_equal(_IOC_NR(MD_IOC_RESUME_IO), 11);
	assert_int_equal(_IOC_SIZE(MD_IOC_RESUME_IO), 4);
	assert_int_equal(offsetof(struct md_ioc_create, data_bytes), 600);
	assert_int_equal(offsetof(struct md_ioc_status, resynced_chunks), 64);
	/* Channel version 6: the counters, after the strings, and room. */
	assert_int_equal(offsetof(struct md_ioc_status, bm_page_writes), 416);
	assert_int_equal(offsetof(struct md_ioc_status, bm_rounds), 440);
	/* The stage times took reserved[0..2] without a new version. */
	assert_int_equal(offsetof(struct md_ioc_status, ns_to_daemon), 448);
	assert_int_equal(offsetof(struct md_ioc_status, ns_local), 464);
	assert_int_equal(offsetof(struct md_ioc_status, local_oldest_ms), 472);
	assert_int_equal(offsetof(struct md_ioc_status, local_oldest_offset), 480);
	assert_int_equal(offsetof(struct md_ioc_status, reserved), 488);
	assert_int_equal(sizeof(struct md_ioc_status), 520);
	assert_int_equal(_IOC_SIZE(MD_IOC_STATUS), 520);
	assert_int_equal(offsetof(struct md_ioc_oos, addr), 24);
}

static void wire_layouts(void **state)
{
	(void)state;
	assert_int_equal(offsetof(struct mdw_hdr, len), 8);
	assert_int_equal(offsetof(struct mdw_data, seq), 24);
	assert_int_equal(offsetof(struct mdw_hello, resource), 32);
	assert_int_equal(offsetof(struct mdw_hello, gen_current), 32 + 3 * MD_NAME_LEN);
	assert_int_equal(sizeof(struct mdw_hello), 32 + 3 * MD_NAME_LEN + 64);
	assert_int_equal(offsetof(struct mdw_rs_digest, digest), 24);
}

static void meta_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct md_super), 4096);
	assert_int_equal(offsetof(struct md_super, resource), 48);
	assert_int_equal(offsetof(struct md_super, gen_current), 200);
	assert_int_equal(offsetof(struct md_super, time_last_break), 248);
	assert_int_equal(MD_BITMAP_OFFSET, 8192);
	assert_int_equal(MD_BITMAP_BYTES(1ull << 40, 16), 2u << 20);	/* 2 MiB per TiB */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chan_records),
		cmocka_unit_test(ioctls),
		cmocka_unit_test(wire_layouts),
		cmocka_unit_test(meta_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
