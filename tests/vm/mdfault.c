// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mdfault.c - a test module for the VM scenarios: it makes races of
 * mirrordisk happen on demand, by kprobes at the entry of md_dispatch and
 * of md_set_role.
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
 * The second (docs/design.md 6b, "Who may be promoted"): mdctl activate
 * goes without fence-peer when it reads the link as up, and the link may
 * go down between that read and the promotion.  Armed ('drop_link_promote'),
 * the probe drops the module's link at the entry of the next promotion
 * (md_set_role to primary), as the daemon's MD_CONN_STANDALONE would in that
 * window; the scenario then ends the link for real (fence_link_race_activate).
 *
 * Not for production: it knows mirrordisk's private structures.  Built
 * by `make modules` next to mirrordisk.ko, loaded by the scenario that
 * needs it (meta_eio_link_race, fence_link_race_activate).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kprobes.h>
#include "mirrordisk.h"

static bool drop_link_unrecorded;
module_param(drop_link_unrecorded, bool, 0644);
MODULE_PARM_DESC(drop_link_unrecorded,
		 "Drop the link at the next unrecorded write's dispatch, once (default off)");
static bool drop_link_promote;
module_param(drop_link_promote, bool, 0644);
MODULE_PARM_DESC(drop_link_promote, "Drop the link at the next promotion's entry, once (default off)");
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

static int md_fault_role_pre(struct kprobe *p, struct pt_regs *regs)
{
	struct md_dev *md = (struct md_dev *)regs->di;
	struct md_ioc_role *r = (struct md_ioc_role *)regs->si;
	unsigned long flags;

	if (!READ_ONCE(drop_link_promote) || r->role != MD_ROLE_PRIMARY)
		return 0;
	WRITE_ONCE(drop_link_promote, false);
	spin_lock_irqsave(&md->lock, flags);
	md->conn = MD_CONN_STANDALONE;
	spin_unlock_irqrestore(&md->lock, flags);
	hits++;
	pr_info("dropped the link at the entry of a promotion\n");
	return 0;
}

static struct kprobe md_fault_role_kp = {
	.symbol_name = "md_set_role",
	.pre_handler = md_fault_role_pre,
};

static int __init md_fault_init(void)
{
	int ret = register_kprobe(&md_fault_kp);

	if (ret)
		return ret;
	ret = register_kprobe(&md_fault_role_kp);
	if (ret)
		unregister_kprobe(&md_fault_kp);
	return ret;
}

static void __exit md_fault_exit(void)
{
	unregister_kprobe(&md_fault_role_kp);
	unregister_kprobe(&md_fault_kp);
}

module_init(md_fault_init);
module_exit(md_fault_exit);
MODULE_DESCRIPTION("mirrordisk test: races made to happen on demand");
MODULE_LICENSE("GPL");
