// SPDX-License-Identifier: GPL-2.0-only
/*
 * Benchmark harness for the ban filter (bench/xdp). It includes the filter's maps, which
 * libbpf binds to the pinned ones of a running enforcer, and its decision function.
 *
 * A packet replayed by BPF_PROG_TEST_RUN keeps its source, so its lookups stay in cache.
 * The harness programs parse the test packet once and then run the lookup path bpf_loop
 * times, each with the next source address from bench_sources: harness_filter with the
 * filter's decision, harness_lpm_only with per-jail tries and no fast path, and
 * harness_empty with the same loop and source fetch but no lookup, whose cost the
 * benchmark subtracts. bare_pass and lpm_only_filter are whole XDP programs for the
 * per-packet cost of a fixed packet; lpm_only_filter is the filter's own body
 * (filter_packet) around the LPM-only decision.
 */
#include "ban_filter.bpf.h"

/* Per-jail tries holding every ban as a prefix: the design without a fast path. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MCF2B_MAX_JAILS);
	__type(key, __u32);
	__array(values, struct prefix4_trie);
} lpm_only4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << 20);
	__type(key, __u32);
	__type(value, __u32);	/* IPv4 source, network byte order */
} bench_sources SEC(".maps");

__u32 source_mask = 0;		/* number of sources - 1 (a power of two - 1) */
__u32 loops = 0;
__u64 sink = 0;			/* keeps the compiler from dropping the work */

struct lpm_loop {
	__u64 jails;
	__u64 now;
	__u32 saddr4;
	__s32 kernel_slot;
};

static int lpm_only_step(__u32 i, struct lpm_loop *c)
{
	__u32 kernel_slot = i & (MCF2B_MAX_JAILS - 1);
	struct mcf2b_lpm4_key k = { .prefixlen = 32 };
	struct mcf2b_prefix_value *v;
	void *trie;

	if (!((c->jails >> kernel_slot) & 1))
		return 0;
	__builtin_memcpy(k.addr, &c->saddr4, 4);
	trie = bpf_map_lookup_elem(&lpm_only4, &kernel_slot);
	if (!trie)
		return 0;
	v = bpf_map_lookup_elem(trie, &k);
	if (v && expiry_live(v->effective_ns, &c->now)) {
		c->kernel_slot = kernel_slot;
		return 1;
	}
	return 0;
}

/* The LPM-only decision: each candidate jail's trie in turn, until one holds the source;
 * then the whitelist, as the filter does. IPv4 only. */
__noinline int lpm_only_decision(struct flow *f)
{
	__u32 zero = 0;
	struct mcf2b_config *cfg = bpf_map_lookup_elem(&config, &zero);

	if (!f || !cfg || f->af != 4)
		return -1;
	__u64 candidates = candidate_jails(cfg, f);

	if (!candidates)
		return -1;
	struct lpm_loop c = { .jails = candidates, .saddr4 = f->saddr4, .kernel_slot = -1 };

	bpf_loop(highest_kernel_slot(candidates) + 1, lpm_only_step, &c, 0);
	if (c.kernel_slot < 0)
		return -1;
	struct slot_loop s = { .af = 4, .saddr4 = f->saddr4 };

	if (allowed_jails(cfg, &s) & (1ULL << (c.kernel_slot & 63)))
		return -1;
	return c.kernel_slot;
}

enum { RUN_EMPTY, RUN_FILTER, RUN_LPM_ONLY };

struct harness {
	struct flow f;
	__u64 acc;
	__u32 mode;
};

static int harness_step(__u32 i, struct harness *h)
{
	__u32 idx = i & source_mask;
	__u32 *src = bpf_map_lookup_elem(&bench_sources, &idx);

	if (!src)
		return 1;
	h->f.saddr4 = *src;
	if (h->mode == RUN_FILTER)
		h->acc += ban_decision(&h->f);
	else if (h->mode == RUN_LPM_ONLY)
		h->acc += lpm_only_decision(&h->f);
	else
		h->acc += h->f.saddr4;
	return 0;
}

static __always_inline int run_harness(struct xdp_md *ctx, __u32 mode)
{
	struct harness h = { .mode = mode };

	if (parse_packet(ctx, &h.f) != PARSE_OK || h.f.af != 4)
		return XDP_ABORTED;
	bpf_loop(loops, harness_step, &h, 0);
	sink += h.acc;
	return XDP_PASS;
}

SEC("xdp")
int harness_empty(struct xdp_md *ctx)
{
	return run_harness(ctx, RUN_EMPTY);
}

SEC("xdp")
int harness_filter(struct xdp_md *ctx)
{
	return run_harness(ctx, RUN_FILTER);
}

SEC("xdp")
int harness_lpm_only(struct xdp_md *ctx)
{
	return run_harness(ctx, RUN_LPM_ONLY);
}

SEC("xdp")
int bare_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

/* bench/drop's second baseline: delivery to XDP and a drop, with no lookup at all. */
SEC("xdp")
int drop_all(struct xdp_md *ctx)
{
	return XDP_DROP;
}

/*
 * bench/drop's floor: the least any filter that looks at per-ban memory can do for a
 * banned packet, one read of the source's first host-table bucket (a random cache line)
 * and a drop. The ban filter's cost over this is what its design adds.
 */
SEC("xdp")
int drop_after_one_bucket(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u32 zero = 0;
	struct mcf2b_config *cfg = bpf_map_lookup_elem(&config, &zero);

	if ((void *)(ip + 1) > end || !cfg)
		return XDP_PASS;
	__u64 h = mcf2b_bucket_hash(mcf2b_bloom_hash4(ip->saddr));
	__u32 n;
	void *table = host_table(&ban_host4, &cfg->host_buckets4, &n);
	__u32 i = mcf2b_bucket_index(h, n);
	struct mcf2b_host4_bucket *b = table ? bpf_map_lookup_elem(table, &i) : 0;

	if (b)
		sink += MCF2B_READ_ONCE(b->addr[0]) == ip->saddr; /* the drop waits for the line */
	return XDP_DROP;
}

/* The LPM-only design as a whole program: the filter's own body around the LPM-only
 * decision. */
SEC("xdp")
int lpm_only_filter(struct xdp_md *ctx)
{
	return filter_packet(ctx, lpm_only_decision);
}

/*
 * bench/drop's traffic source, run with BPF_PROG_TEST_RUN in live-frames mode: each run
 * gives the frame a random source in 198.19.0.0/16, fixes the IPv4 checksum and
 * redirects it into the sender's veth (send_ifindex), or drops it (the baseline, which
 * costs the generation alone).
 */
__u32 send_ifindex = 0;
__u32 send_redirect = 0;
__u32 send_mask = 0xffff; /* sources: 198.19.0.0 + (random & mask) */

SEC("xdp")
int live_sender(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);

	if ((void *)(ip + 1) > end)
		return XDP_ABORTED;
	__u32 r = bpf_get_prandom_u32();

	ip->saddr = bpf_htonl(0xC6130000u | (r & send_mask & 0xffff));
	ip->check = 0;
	__u32 sum = 0;
	__u16 *w = (__u16 *)ip;

#pragma unroll
	for (int i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip->check = ~sum & 0xffff;
	if (!send_redirect)
		return XDP_DROP;
	return bpf_redirect(send_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
