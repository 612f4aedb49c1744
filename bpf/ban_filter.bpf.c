// SPDX-License-Identifier: GPL-2.0-only
/*
 * The ban filter: drops a packet when its source is banned in a jail whose ports hold the
 * packet's destination port (or an all-ports jail, or any jail for a fragment that hides
 * its port), unless the source is whitelisted for that jail. Everything else passes.
 * Maps, parser and decision: ban_filter.bpf.h.
 */
#include "ban_filter.bpf.h"

SEC("xdp")
int ban_filter(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct mcf2b_global_stats *stats = bpf_map_lookup_elem(&stats_v2, &zero);
	struct flow f = {};

	struct mcf2b_config *cfg = bpf_map_lookup_elem(&config_v2, &zero);

	if (!stats || !cfg)
		return XDP_PASS;
	/* No bans at all: nothing to parse for. */
	if (!(cfg->host_jails4 | cfg->host_jails6 | cfg->prefix_jails4 | cfg->prefix_jails6)) {
		stats->passed++;
		return XDP_PASS;
	}
	int parsed = parse_packet(ctx, &f);

	if (parsed != PARSE_OK) {
		if (parsed == PARSE_MALFORMED)
			stats->unparsable++;
		stats->passed++;
		return XDP_PASS;
	}
	int slot = ban_decision(&f);

	stats->slow_path += f.slow;
	if (slot < 0) {
		stats->passed++;
		return XDP_PASS;
	}
	__u32 key = slot;
	struct mcf2b_packet_count *jail = bpf_map_lookup_elem(&jail_stats_v2, &key);

	if (jail) {
		jail->packets++;
		jail->bytes += ctx->data_end - ctx->data;
	}
	stats->dropped++;
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
