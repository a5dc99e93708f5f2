/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rx_input.h - the input format of the rx fuzz target (tests/fuzz/rx.c),
 * shared with gen_corpus.c, which writes its seeds in it.
 *
 * An input is a connection after its handshake, told as a script:
 *
 *   byte 0    the connection: RXF_* bits below (role, features, the
 *             resync the handshake decided, a verify running)
 *   byte 1    the kernel's out-of-sync bitmap at connect: bit i marks
 *             chunk rxf_marks[i]
 *   then      steps, each an op byte (taken modulo RXF_NOPS) and its
 *             arguments; an input that ends inside a step ends there.
 *
 * Multi-byte arguments are little-endian.  The peer's byte stream is built
 * by RXF_PKT and RXF_RAW and reaches mirrord only through RXF_RECV, in the
 * pieces the input chooses; the disk, the socket's send side and the
 * kernel's channel move only when a step says so.
 */
#ifndef MD_FUZZ_RX_INPUT_H
#define MD_FUZZ_RX_INPUT_H

/* byte 0 */
#define RXF_PRIMARY	0x01	/* we are primary (else secondary) */
#define RXF_INTEGRITY	0x02	/* data-integrity negotiated: packets sealed */
#define RXF_CSUM	0x04	/* resync-checksum = yes */
#define RXF_SYNC_SHIFT	3	/* 3 bits: enum rxf_sync, what the handshake decided */
#define RXF_VERIFY	0x40	/* the peer offers VERIFY, and a verify starts */
#define RXF_PEER_SAME	0x80	/* the peer said it has our role (else the other) */

enum rxf_sync {
	RXF_SYNC_NONE,
	RXF_SYNC_SOURCE_BITMAP,
	RXF_SYNC_SOURCE_FULL,
	RXF_SYNC_TARGET_BITMAP,
	RXF_SYNC_TARGET_FULL,
};

/* byte 1: the chunks a set bit marks (the device has 1024 chunks). */
static const unsigned rxf_marks[8] = { 0, 1, 2, 63, 64, 500, 1022, 1023 };

enum rxf_op {
	/* A packet into the peer's stream: type u8 (bit 7: do not seal it
	 * even with data-integrity), body length u24, n u8, then n bytes: the
	 * start of the body (at most the length); the rest of the body is
	 * zero.  The header is the encoder's, sealed with data-integrity. */
	RXF_PKT,
	/* n u8, then n bytes into the stream as they are (framing garbage). */
	RXF_RAW,
	/* n u16: at most n bytes of the stream not yet delivered (0: all) to
	 * mirrord's pending receive. */
	RXF_RECV,
	/* how u8: the pending receive ends: 0 peer closed, 1 -ECONNRESET,
	 * 2 -EAGAIN (mirrord posts it again). */
	RXF_RECV_END,
	/* i u8, how u8: the i-th (modulo their count) operation on our disk
	 * completes: 0 whole, 1 -EIO, 2 short.  Reads return zeros. */
	RXF_DISK,
	/* n u16: the pending send takes at most n bytes (0: all of it). */
	RXF_SEND,
	/* what u8, chunk u16, shape u8: the kernel hands over a request if
	 * mirrord reads the channel.  what % 5: 0 write, 1 write with FUA
	 * and PREFLUSH, 2 empty flush, 3 the next resync chunk mirrord asked
	 * for, 4 the same as a read error.  A write is at chunk (modulo the
	 * device), 4 KiB pages: offset shape >> 4, length (shape & 15) + 1. */
	RXF_KERNEL,
	/* The loop's timer: a PING, the resync and verify windows kicked. */
	RXF_TICK,
	RXF_NOPS
};

#endif
