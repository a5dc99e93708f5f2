// SPDX-License-Identifier: GPL-2.0
/*
 * mdfault.c - a test module for the VM scenarios: it makes one race of
 * mirrordisk happen on demand, by a kprobe at the entry of md_dispatch.
 *
 * The race (docs/design.md, "Metadata failure"): a write whose bitmap
 * bit could not be persisted may still go to the disks while the peer is
 * connected.  The link state that permits it must be the one the request
 * is dispatched under.  Armed (parameter 'drop_link_unrecorded'), the
 * probe waits for the first such write (req->unrecorded) to reach
 * md_dispatch and drops the link there, as the daemon's MD_CONN_STANDALONE
 * would between the decision and the dispatch; 'hits' counts it.  Only the
 * link state changes: the daemon is told nothing, so the scenario ends
 * the link for real afterwards (kill mirrord).
 *
 * Not for production: it knows mirrordisk's private structures.  Built
 * by `make modules` next to mirrordisk.ko, loaded by the scenario that
 * needs it (meta_eio_link_race).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kprobes.h>
#include "mirrordisk.h"

static bool drop_link_unrecorded;
module_param(drop_link_unrecorded, bool, 0644);
MODULE_PARM_DESC(drop_link_unrecorded,
		 "Drop the link at the next unrecorded write's dispatch, once (default off)");
static unsigned int hits;
module_param(hits, uint, 0444);
MODULE_PARM_DESC(hits, "Times the probe acted");

static int md_fault_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct md_req *req = (struct md_req *)regs->di;
	unsigned long flags;

	if (!READ_ONCE(drop_link_unrecorded) || !req->unrecorded)
		return 0;
	WRITE_ONCE(drop_link_unrecorded, false);
	spin_lock_irqsave(&req->md->lock, flags);
	req->md->conn = MD_CONN_STANDALONE;
	spin_unlock_irqrestore(&req->md->lock, flags);
	hits++;
	pr_info("dropped the link at the dispatch of the unrecorded write at %llu\n",
		req->offset);
	return 0;
}

static struct kprobe md_fault_kp = {
	.symbol_name = "md_dispatch",
	.pre_handler = md_fault_pre,
};

static int __init md_fault_init(void)
{
	return register_kprobe(&md_fault_kp);
}

static void __exit md_fault_exit(void)
{
	unregister_kprobe(&md_fault_kp);
}

module_init(md_fault_init);
module_exit(md_fault_exit);
MODULE_DESCRIPTION("mirrordisk test: races made to happen on demand");
MODULE_LICENSE("GPL");
