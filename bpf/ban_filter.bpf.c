// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ban filter: drops a packet when its source is banned in a jail whose ports hold the
 * packet's destination port (or an all-ports jail, or any jail for a fragment that hides
 * its port), unless the source is whitelisted for that jail. Everything else passes.
 * Maps, parser, decision and the program's body: ban_filter.bpf.h.
 */
#include "ban_filter.bpf.h"

SEC("xdp")
int ban_filter(struct xdp_md *ctx)
{
	return filter_packet(ctx, ban_decision);
}

char LICENSE[] SEC("license") = "GPL";
