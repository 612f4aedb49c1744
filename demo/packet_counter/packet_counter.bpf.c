// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pass-through XDP program that counts packets and bytes per CPU. It proves the BPF
 * build chain (clang -> object -> bpftool skeleton -> C++) and is the foundation demo.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "mcf2b_shared.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mcf2b_packet_count);
} packet_counts SEC(".maps");

SEC("xdp")
int count_and_pass(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct mcf2b_packet_count *count = bpf_map_lookup_elem(&packet_counts, &key);

	if (count) {
		count->packets++;
		count->bytes += ctx->data_end - ctx->data;
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
