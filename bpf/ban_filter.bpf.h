/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ban filter's decision and the program's body around it, shared by the XDP program
 * (ban_filter.bpf.c) and its benchmark harness (ban_filter_bench.bpf.c). The maps are in
 * ban_filter_maps.bpf.h, the parser in packet_parser.bpf.h; BPF side only, the layouts
 * live in mcf2b_shared.h.
 */
#ifndef MCF2B_BAN_FILTER_BPF_H
#define MCF2B_BAN_FILTER_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "ban_filter_maps.bpf.h"
#include "mcf2b_shared.h"
#include "packet_parser.bpf.h"

/* CLOCK_TAI as of this CPU's last tick. Reading the clock costs about 40 ns per banned
 * packet in a VM; jiffies is one load. An expiry is thus enforced up to one tick late,
 * far finer than the seconds bans are set in. Not pinned: each program keeps its own. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mcf2b_clock_cache);
} clock_cache SEC(".maps");

static __always_inline __u64 tai_now(void)
{
	__u32 zero = 0;
	struct mcf2b_clock_cache *c = bpf_map_lookup_elem(&clock_cache, &zero);
	__u64 tick = bpf_jiffies64();

	if (c && c->jiffies == tick && c->tai_ns)
		return c->tai_ns;
	__u64 now = bpf_ktime_get_tai_ns();

	if (c) {
		c->jiffies = tick;
		c->tai_ns = now;
	}
	return now;
}

/* The clock is read at most once per packet, and only when a ban with an expiry matched. */
static __always_inline int expiry_live(__u64 expires_ns, __u64 *now)
{
	if (expires_ns == 0)
		return 1;
	if (*now == 0)
		*now = tai_now();
	return *now < expires_ns;
}

/* Jails whose bans apply to this packet: its port's jails and the all-ports jails, or
 * every jail for a fragment that hides its port. */
static __always_inline __u64 candidate_jails(const struct mcf2b_config *cfg, const struct flow *f)
{
	if (f->port_state == FLOW_FRAGMENT)
		return cfg->active_jails;
	__u64 jails = cfg->all_ports_jails;

	if (f->port_state == FLOW_PORT) {
		__u32 port = f->dport;
		__u64 *port_jails = bpf_map_lookup_elem(&jail_ports, &port);

		if (port_jails)
			jails |= *port_jails;
	}
	return jails & cfg->active_jails;
}

/* The highest kernel slot in a jail mask (b != 0): the index of its highest set bit, by
 * binary search (no such instruction in BPF). */
static __always_inline __u32 highest_kernel_slot(__u64 b)
{
	__u32 i = 0;

	if (b >> 32) {
		i += 32;
		b >>= 32;
	}
	if (b >> 16) {
		i += 16;
		b >>= 16;
	}
	if (b >> 8) {
		i += 8;
		b >>= 8;
	}
	if (b >> 4) {
		i += 4;
		b >>= 4;
	}
	if (b >> 2) {
		i += 2;
		b >>= 2;
	}
	if (b >> 1)
		i += 1;
	return i;
}

/* The lowest kernel slot in a jail mask (b != 0): the highest of its lowest bit alone. */
static __always_inline __u32 lowest_kernel_slot(__u64 b)
{
	return highest_kernel_slot(b & -b) & (MCF2B_MAX_JAILS - 1);
}

/* State of a loop over kernel slots (jails). bpf_loop callbacks are verified apart from
 * the paths that lead to them; they index by the loop counter (an unknown to the verifier)
 * so their states converge instead of being explored slot by slot. */
struct slot_loop {
	__u64 jails;		/* kernel slots still to look at */
	__u64 live;		/* kernel slots with a live ban */
	__u64 now;
	__u32 af;
	__u32 saddr4;
	__u64 saddr6[2];
};

/* One jail of an address banned in several jails whose earliest expiry has passed:
 * look at that jail's own expiry. Rare, so off the fast path. */
static int host_jail_step(__u32 i, struct slot_loop *c)
{
	__u32 kernel_slot = i & (MCF2B_MAX_JAILS - 1);
	struct mcf2b_expiry *e;

	if (!((c->jails >> kernel_slot) & 1))
		return 0;
	if (c->af == 4) {
		struct mcf2b_hjail4_key k = { .addr = c->saddr4, .kernel_slot = kernel_slot };

		e = bpf_map_lookup_elem(&ban_hjail4, &k);
	} else {
		struct mcf2b_hjail6_key k = { .kernel_slot = kernel_slot };

		__builtin_memcpy(k.addr, c->saddr6, 16);
		e = bpf_map_lookup_elem(&ban_hjail6, &k);
	}
	if (e && expiry_live(e->expires_ns, &c->now))
		c->live |= 1ULL << kernel_slot;
	return 0;
}

/* One jail's prefix trie. */
static int prefix_step(__u32 i, struct slot_loop *c)
{
	__u32 kernel_slot = i & (MCF2B_MAX_JAILS - 1);
	struct mcf2b_prefix_value *v = 0;
	void *trie;

	if (!((c->jails >> kernel_slot) & 1))
		return 0;
	if (c->af == 4) {
		struct mcf2b_lpm4_key k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, &c->saddr4, 4);
		trie = bpf_map_lookup_elem(&ban_pfx4, &kernel_slot);
		if (trie)
			v = bpf_map_lookup_elem(trie, &k);
	} else {
		struct mcf2b_lpm6_key k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, c->saddr6, 16);
		trie = bpf_map_lookup_elem(&ban_pfx6, &kernel_slot);
		if (trie)
			v = bpf_map_lookup_elem(trie, &k);
	}
	if (v && expiry_live(v->effective_ns, &c->now))
		c->live |= 1ULL << kernel_slot;
	return 0;
}

/* Loads that the compiler must neither merge nor reorder: userspace rewrites table slots
 * while the program reads them, publishing a slot by its jails word last. */
#define MCF2B_READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define mcf2b_barrier() asm volatile("" ::: "memory")

/* Reads the table slot whose address matched: jails after the address, so a slot being freed
 * or refilled reads as free (jails 0) rather than as another address's bans. */
static __always_inline int read_table_slot(struct mcf2b_host_value *slot,
					   struct mcf2b_host_value *out)
{
	mcf2b_barrier();
	out->jails = MCF2B_READ_ONCE(slot->jails);
	out->earliest_ns = MCF2B_READ_ONCE(slot->earliest_ns);
	return out->jails != 0;
}

/* The host table in use and its bucket count, read together: the count is loaded once
 * and names the table's slot (userspace fills a table before the config names it, and
 * removes it only once no program can still hold the count before). */
static __always_inline void *host_table(void *tables, const __u32 *buckets_word, __u32 *buckets)
{
	__u32 n = MCF2B_READ_ONCE(*buckets_word);
	__u32 slot = mcf2b_host_table_slot(n) & (MCF2B_HOST_TABLE_SLOTS - 1);

	*buckets = n;
	return bpf_map_lookup_elem(tables, &slot);
}

/* The source's host ban, from its two buckets. All addresses of both buckets are loaded
 * before any is compared, so the two cache lines are fetched together. */
static __always_inline int host_find(const struct mcf2b_config *cfg, const struct slot_loop *c,
				     __u64 bloom_hash, struct mcf2b_host_value *out)
{
	__u64 h = mcf2b_bucket_hash(bloom_hash);
	__u32 n;

	if (c->af == 4) {
		void *table = host_table(&ban_host4, &cfg->host_buckets4, &n);

		if (!table)
			return 0;
		__u32 i1 = mcf2b_bucket_index(h, n), i2 = mcf2b_bucket_index(h >> 32, n);
		struct mcf2b_host4_bucket *b1 = bpf_map_lookup_elem(table, &i1);
		struct mcf2b_host4_bucket *b2 = bpf_map_lookup_elem(table, &i2);

		if (!b1 || !b2)
			return 0;
		__u32 x0 = MCF2B_READ_ONCE(b1->addr[0]), x1 = MCF2B_READ_ONCE(b1->addr[1]),
		      x2 = MCF2B_READ_ONCE(b1->addr[2]), y0 = MCF2B_READ_ONCE(b2->addr[0]),
		      y1 = MCF2B_READ_ONCE(b2->addr[1]), y2 = MCF2B_READ_ONCE(b2->addr[2]);
		__u32 a = c->saddr4;

		if (x0 == a && read_table_slot(&b1->value[0], out))
			return 1;
		if (x1 == a && read_table_slot(&b1->value[1], out))
			return 1;
		if (x2 == a && read_table_slot(&b1->value[2], out))
			return 1;
		if (y0 == a && read_table_slot(&b2->value[0], out))
			return 1;
		if (y1 == a && read_table_slot(&b2->value[1], out))
			return 1;
		if (y2 == a && read_table_slot(&b2->value[2], out))
			return 1;
		return 0;
	}
	void *table = host_table(&ban_host6, &cfg->host_buckets6, &n);

	if (!table)
		return 0;
	__u32 i1 = mcf2b_bucket_index(h, n), i2 = mcf2b_bucket_index(h >> 32, n);
	struct mcf2b_host6_bucket *b1 = bpf_map_lookup_elem(table, &i1);
	struct mcf2b_host6_bucket *b2 = bpf_map_lookup_elem(table, &i2);

	if (!b1 || !b2)
		return 0;
	__u64 x0 = MCF2B_READ_ONCE(b1->addr[0][0]), x1 = MCF2B_READ_ONCE(b1->addr[1][0]),
	      y0 = MCF2B_READ_ONCE(b2->addr[0][0]), y1 = MCF2B_READ_ONCE(b2->addr[1][0]);
	__u64 hi = c->saddr6[0], lo = c->saddr6[1];

	if (x0 == hi && MCF2B_READ_ONCE(b1->addr[0][1]) == lo && read_table_slot(&b1->value[0], out))
		return 1;
	if (x1 == hi && MCF2B_READ_ONCE(b1->addr[1][1]) == lo && read_table_slot(&b1->value[1], out))
		return 1;
	if (y0 == hi && MCF2B_READ_ONCE(b2->addr[0][1]) == lo && read_table_slot(&b2->value[0], out))
		return 1;
	if (y1 == hi && MCF2B_READ_ONCE(b2->addr[1][1]) == lo && read_table_slot(&b2->value[1], out))
		return 1;
	return 0;
}

/* Jails among `jails` with a live host ban of the source. The Bloom filter answers
 * "not banned" for most clean sources from cache; only its positives touch the table. */
static __always_inline __u64 host_hits(const struct mcf2b_config *cfg, struct slot_loop *c,
				       __u64 jails, __u32 *slow)
{
	struct mcf2b_host_value v;
	__u64 hash;

	if (c->af == 4)
		hash = mcf2b_bloom_hash4(c->saddr4);
	else
		hash = mcf2b_bloom_hash6(c->saddr6[0], c->saddr6[1]);
	__u32 word = mcf2b_bloom_word(hash, cfg->bloom_mask);
	__u64 *bits = bpf_map_lookup_elem(&ban_bloom, &word);
	__u64 want = mcf2b_bloom_bits(hash);

	if (!bits || (*bits & want) != want)
		return 0;
	if (!host_find(cfg, c, hash, &v))
		return 0;
	__u64 all = v.jails;
	__u64 hit = all & jails;

	if (!hit)
		return 0;
	if (expiry_live(v.earliest_ns, &c->now))
		return hit;
	*slow = 1;
	/* Banned in one jail only: its expiry was the earliest, and it has passed. */
	if ((all & (all - 1)) == 0)
		return 0;
	c->jails = hit;
	c->live = 0;
	bpf_loop(highest_kernel_slot(hit) + 1, host_jail_step, c, 0);
	return c->live;
}

/* Jails in which the source is whitelisted; no trie walk while the whitelist of its address
 * family is empty. */
static __always_inline __u64 allowed_jails(const struct mcf2b_config *cfg,
					   const struct slot_loop *c)
{
	struct mcf2b_allow_value *v;

	if (!(cfg->allow_address_families & (c->af == 4 ? 1 : 2)))
		return 0;
	if (c->af == 4) {
		struct mcf2b_lpm4_key k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, &c->saddr4, 4);
		v = bpf_map_lookup_elem(&allow4, &k);
	} else {
		struct mcf2b_lpm6_key k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, c->saddr6, 16);
		v = bpf_map_lookup_elem(&allow6, &k);
	}
	return v ? v->effective : 0;
}

/*
 * The jail slot that drops this flow, or -1 to pass; sets f->slow when a per-jail
 * expiry had to be consulted. A global function: the verifier checks it once, not once
 * per parser path.
 */
__noinline int ban_decision(struct flow *f)
{
	__u32 zero = 0;
	struct mcf2b_config *cfg = bpf_map_lookup_elem(&config, &zero);

	if (!f || !cfg)
		return -1;
	__u64 candidates = candidate_jails(cfg, f);

	if (!candidates)
		return -1;
	struct slot_loop c = { .af = f->af, .saddr4 = f->saddr4 };

	c.saddr6[0] = f->saddr6[0];
	c.saddr6[1] = f->saddr6[1];
	__u64 hosts = candidates & (c.af == 4 ? cfg->host_jails4 : cfg->host_jails6);
	__u64 prefixes = candidates & (c.af == 4 ? cfg->prefix_jails4 : cfg->prefix_jails6);
	__u64 hit = 0;

	if (hosts)
		hit = host_hits(cfg, &c, hosts, &f->slow);
	if (prefixes & ~hit) {
		c.jails = prefixes & ~hit;
		c.live = 0;
		bpf_loop(highest_kernel_slot(c.jails) + 1, prefix_step, &c, 0);
		hit |= c.live;
	}
	if (!hit)
		return -1;
	/* A whitelist wins over any ban. */
	hit &= ~allowed_jails(cfg, &c);
	if (!hit)
		return -1;
	return lowest_kernel_slot(hit);
}

/*
 * The XDP program around a decision, for the ban filter (ban_decision) and the benchmark's
 * LPM-only variant alike: skips everything while no jail holds a ban, parses, asks
 * `decide` for the jail slot that drops the flow, and counts the verdict. Inlined with a
 * constant `decide`, so the call is direct.
 */
static __always_inline int filter_packet(struct xdp_md *ctx, int (*decide)(struct flow *f))
{
	__u32 zero = 0;
	struct mcf2b_global_stats *global = bpf_map_lookup_elem(&stats, &zero);
	struct mcf2b_config *cfg = bpf_map_lookup_elem(&config, &zero);
	struct flow f = {};

	if (!global || !cfg)
		return XDP_PASS;
	/* No bans at all: nothing to parse for. */
	if (!(cfg->host_jails4 | cfg->host_jails6 | cfg->prefix_jails4 | cfg->prefix_jails6)) {
		global->passed++;
		return XDP_PASS;
	}
	int parsed = parse_packet(ctx, &f);

	if (parsed != PARSE_OK) {
		if (parsed == PARSE_MALFORMED)
			global->unparsable++;
		global->passed++;
		return XDP_PASS;
	}
	int jail_slot = decide(&f);

	global->slow_path += f.slow;
	if (jail_slot < 0) {
		global->passed++;
		return XDP_PASS;
	}
	__u32 key = jail_slot;
	struct mcf2b_packet_count *jail = bpf_map_lookup_elem(&jail_stats, &key);

	if (jail) {
		jail->packets++;
		jail->bytes += ctx->data_end - ctx->data;
	}
	global->dropped++;
	return XDP_DROP;
}

#endif /* MCF2B_BAN_FILTER_BPF_H */
