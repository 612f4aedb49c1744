/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ban filter's maps, parser and decision, shared by the XDP program (ban_filter.bpf.c)
 * and its benchmark harness (ban_filter_bench.bpf.c), which binds to the same pinned maps
 * by name. BPF side only; the layouts live in mcf2b_shared.h.
 */
#ifndef MCF2B_BAN_FILTER_BPF_H
#define MCF2B_BAN_FILTER_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "mcf2b_shared.h"

/* Sizes are set by userspace before load (capacity); these are placeholders. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct mcf2b_host4_bucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ban_host4_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct mcf2b_host6_bucket);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ban_host6_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mcf2b_hjail4_key);
	__type(value, struct mcf2b_expiry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ban_hjail4_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mcf2b_hjail6_key);
	__type(value, struct mcf2b_expiry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ban_hjail6_v2 SEC(".maps");

struct prefix4_trie {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	/* Sizes, not BTF types: clang emits inner-map key types as forward declarations. */
	__uint(key_size, sizeof(struct mcf2b_lpm4_key));
	__uint(value_size, sizeof(struct mcf2b_prefix_value));
};

struct prefix6_trie {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	/* Sizes, not BTF types: clang emits inner-map key types as forward declarations. */
	__uint(key_size, sizeof(struct mcf2b_lpm6_key));
	__uint(value_size, sizeof(struct mcf2b_prefix_value));
};

/* One trie per jail slot; userspace creates a slot's tries when the jail is set. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MCF2B_MAX_JAILS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct prefix4_trie);
} ban_pfx4_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MCF2B_MAX_JAILS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct prefix6_trie);
} ban_pfx6_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ban_bloom_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mcf2b_lpm4_key);
	__type(value, struct mcf2b_allow_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} allow4_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mcf2b_lpm6_key);
	__type(value, struct mcf2b_allow_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} allow6_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MCF2B_PORT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} jail_ports_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MCF2B_MAX_JAILS);
	__type(key, __u32);
	__type(value, struct mcf2b_jail);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} jail_slots_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mcf2b_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} config_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mcf2b_global_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MCF2B_MAX_JAILS);
	__type(key, __u32);
	__type(value, struct mcf2b_packet_count);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} jail_stats_v2 SEC(".maps");

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif
#define MCF2B_IPV6_EXT_MAX 6

enum parse_result {
	PARSE_OK,
	PARSE_NOT_IP,		/* ARP, LLDP, ...: pass */
	PARSE_MALFORMED,	/* truncated or malformed: pass and count */
};

/* What the decision needs from a packet. */
struct flow {
	__u32 family;		/* 4 or 6 (IPv4-mapped IPv6 sources become 4) */
	__u32 port_state;	/* FLOW_PORT, FLOW_NO_PORT_PROTO or FLOW_FRAGMENT */
	__u32 dport;		/* host byte order, valid with FLOW_PORT */
	__u32 saddr4;		/* network byte order */
	__u64 saddr6[2];	/* the 16 bytes as two loads */
	__u32 slow;		/* out: a per-jail expiry was consulted */
	__u32 pad;
};

enum {
	FLOW_PORT,		/* TCP, UDP or SCTP with a destination port */
	FLOW_NO_PORT_PROTO,	/* ICMP and other protocols without ports */
	FLOW_FRAGMENT,		/* a fragment whose port is not visible: any jail applies */
};

struct vlan_hdr_min {
	__be16 tci;
	__be16 proto;
};

/* Ports of TCP, UDP and SCTP sit at the same offsets: source then destination. */
static __always_inline int parse_ports(void *l4, void *end, __u8 proto, int fragment,
				       struct flow *f)
{
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP) {
		f->port_state = fragment ? FLOW_FRAGMENT : FLOW_NO_PORT_PROTO;
		return PARSE_OK;
	}
	if (l4 + 4 > end) {
		/* A first fragment too short to hold the ports must not dodge a ban. */
		if (fragment) {
			f->port_state = FLOW_FRAGMENT;
			return PARSE_OK;
		}
		return PARSE_MALFORMED;
	}
	f->port_state = FLOW_PORT;
	f->dport = bpf_ntohs(((__be16 *)l4)[1]);
	return PARSE_OK;
}

static __always_inline int parse_ipv4(void *l3, void *end, struct flow *f)
{
	struct iphdr *ip = l3;

	if ((void *)(ip + 1) > end)
		return PARSE_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return PARSE_MALFORMED;
	f->family = 4;
	f->saddr4 = ip->saddr;
	__u16 frag = bpf_ntohs(ip->frag_off);
	if (frag & 0x1fff) {
		f->port_state = FLOW_FRAGMENT;
		return PARSE_OK;
	}
	void *l4 = l3 + ((__u32)ip->ihl & 0xf) * 4;
	return parse_ports(l4, end, ip->protocol, (frag & 0x2000) != 0, f);
}

static __always_inline int parse_ipv6(void *l3, void *end, struct flow *f)
{
	struct ipv6hdr *ip6 = l3;

	if ((void *)(ip6 + 1) > end)
		return PARSE_MALFORMED;
	if (ip6->version != 6)
		return PARSE_MALFORMED;
	__u32 *w = (__u32 *)&ip6->saddr;
	if (w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0xffff)) {
		f->family = 4;
		f->saddr4 = w[3];
	} else {
		f->family = 6;
		__builtin_memcpy(f->saddr6, &ip6->saddr, 16);
	}

	__u8 next = ip6->nexthdr;
	void *p = (void *)(ip6 + 1);
	int fragment = 0;

#pragma unroll
	for (int i = 0; i < MCF2B_IPV6_EXT_MAX; i++) {
		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS: {
			__u8 *h = p;

			if ((void *)(h + 2) > end)
				return PARSE_MALFORMED;
			next = h[0];
			p = (void *)h + ((__u32)h[1] + 1) * 8;
			continue;
		}
		case IPPROTO_AH: {
			__u8 *h = p;

			if ((void *)(h + 2) > end)
				return PARSE_MALFORMED;
			next = h[0];
			p = (void *)h + ((__u32)h[1] + 2) * 4;
			continue;
		}
		case IPPROTO_FRAGMENT: {
			__u8 *h = p;

			if ((void *)(h + 8) > end)
				return PARSE_MALFORMED;
			if (bpf_ntohs(*(__be16 *)(h + 2)) & 0xfff8) {
				f->port_state = FLOW_FRAGMENT;
				return PARSE_OK;
			}
			fragment = 1;
			next = h[0];
			p = h + 8;
			continue;
		}
		default:
			return parse_ports(p, end, next, fragment, f);
		}
	}
	/* More extension headers than we walk: no port in sight, so any jail applies. */
	f->port_state = FLOW_FRAGMENT;
	return PARSE_OK;
}

static __always_inline int parse_packet(struct xdp_md *ctx, struct flow *f)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return PARSE_MALFORMED;
	__be16 proto = eth->h_proto;
	void *p = eth + 1;

#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct vlan_hdr_min *vlan = p;

		if ((void *)(vlan + 1) > end)
			return PARSE_MALFORMED;
		proto = vlan->proto;
		p = vlan + 1;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(p, end, f);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(p, end, f);
	return PARSE_NOT_IP;
}

/* Index of the lowest set bit (b != 0); no ctz instruction in BPF. */
static __always_inline __u32 lowest_slot(__u64 b)
{
	__u32 i = 0;

	b &= -b;
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
	return i & (MCF2B_MAX_JAILS - 1);
}

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
		__u64 *port_jails = bpf_map_lookup_elem(&jail_ports_v2, &port);

		if (port_jails)
			jails |= *port_jails;
	}
	return jails & cfg->active_jails;
}

/* Index of the highest set bit (b != 0). */
static __always_inline __u32 highest_slot(__u64 b)
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

/* State of a loop over jail slots. bpf_loop callbacks are verified apart from the paths
 * that lead to them; they index by the loop counter (an unknown to the verifier) so their
 * states converge instead of being explored slot by slot. */
struct slot_loop {
	__u64 jails;		/* slots still to look at */
	__u64 live;		/* slots with a live ban */
	__u64 now;
	__u32 family;
	__u32 saddr4;
	__u64 saddr6[2];
};

/* One slot of an address banned in several jails whose earliest expiry has passed:
 * look at that jail's own expiry. Rare, so off the fast path. */
static int host_jail_step(__u32 i, struct slot_loop *c)
{
	__u32 slot = i & (MCF2B_MAX_JAILS - 1);
	struct mcf2b_expiry *e;

	if (!((c->jails >> slot) & 1))
		return 0;
	if (c->family == 4) {
		struct mcf2b_hjail4_key k = { .addr = c->saddr4, .slot = slot };

		e = bpf_map_lookup_elem(&ban_hjail4_v2, &k);
	} else {
		struct mcf2b_hjail6_key k = { .slot = slot };

		__builtin_memcpy(k.addr, c->saddr6, 16);
		e = bpf_map_lookup_elem(&ban_hjail6_v2, &k);
	}
	if (e && expiry_live(e->expires_ns, &c->now))
		c->live |= 1ULL << slot;
	return 0;
}

/* One slot's prefix trie. */
static int prefix_step(__u32 i, struct slot_loop *c)
{
	__u32 slot = i & (MCF2B_MAX_JAILS - 1);
	struct mcf2b_prefix_value *v = 0;
	void *trie;

	if (!((c->jails >> slot) & 1))
		return 0;
	if (c->family == 4) {
		struct mcf2b_lpm4_key k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, &c->saddr4, 4);
		trie = bpf_map_lookup_elem(&ban_pfx4_v2, &slot);
		if (trie)
			v = bpf_map_lookup_elem(trie, &k);
	} else {
		struct mcf2b_lpm6_key k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, c->saddr6, 16);
		trie = bpf_map_lookup_elem(&ban_pfx6_v2, &slot);
		if (trie)
			v = bpf_map_lookup_elem(trie, &k);
	}
	if (v && expiry_live(v->effective_ns, &c->now))
		c->live |= 1ULL << slot;
	return 0;
}

/* Loads that the compiler must neither merge nor reorder: userspace rewrites table slots
 * while the program reads them, publishing a slot by its jails word last. */
#define MCF2B_READ_ONCE(x) (*(volatile typeof(x) *)&(x))
#define mcf2b_barrier() asm volatile("" ::: "memory")

/* Reads the slot whose address matched: jails after the address, so a slot being freed
 * or refilled reads as free (jails 0) rather than as another address's bans. */
static __always_inline int read_slot(struct mcf2b_host_value *slot, struct mcf2b_host_value *out)
{
	mcf2b_barrier();
	out->jails = MCF2B_READ_ONCE(slot->jails);
	out->earliest_ns = MCF2B_READ_ONCE(slot->earliest_ns);
	return out->jails != 0;
}

/* The source's host ban, from its two buckets. All addresses of both buckets are loaded
 * before any is compared, so the two cache lines are fetched together. */
static __always_inline int host_find(const struct mcf2b_config *cfg, const struct slot_loop *c,
				     __u64 bloom_hash, struct mcf2b_host_value *out)
{
	__u64 h = mcf2b_bucket_hash(bloom_hash);

	if (c->family == 4) {
		__u32 n = cfg->host_buckets4;
		__u32 i1 = mcf2b_bucket_index(h, n), i2 = mcf2b_bucket_index(h >> 32, n);
		struct mcf2b_host4_bucket *b1 = bpf_map_lookup_elem(&ban_host4_v2, &i1);
		struct mcf2b_host4_bucket *b2 = bpf_map_lookup_elem(&ban_host4_v2, &i2);

		if (!b1 || !b2)
			return 0;
		__u32 x0 = MCF2B_READ_ONCE(b1->addr[0]), x1 = MCF2B_READ_ONCE(b1->addr[1]),
		      x2 = MCF2B_READ_ONCE(b1->addr[2]), y0 = MCF2B_READ_ONCE(b2->addr[0]),
		      y1 = MCF2B_READ_ONCE(b2->addr[1]), y2 = MCF2B_READ_ONCE(b2->addr[2]);
		__u32 a = c->saddr4;

		if (x0 == a && read_slot(&b1->value[0], out))
			return 1;
		if (x1 == a && read_slot(&b1->value[1], out))
			return 1;
		if (x2 == a && read_slot(&b1->value[2], out))
			return 1;
		if (y0 == a && read_slot(&b2->value[0], out))
			return 1;
		if (y1 == a && read_slot(&b2->value[1], out))
			return 1;
		if (y2 == a && read_slot(&b2->value[2], out))
			return 1;
		return 0;
	}
	__u32 n = cfg->host_buckets6;
	__u32 i1 = mcf2b_bucket_index(h, n), i2 = mcf2b_bucket_index(h >> 32, n);
	struct mcf2b_host6_bucket *b1 = bpf_map_lookup_elem(&ban_host6_v2, &i1);
	struct mcf2b_host6_bucket *b2 = bpf_map_lookup_elem(&ban_host6_v2, &i2);

	if (!b1 || !b2)
		return 0;
	__u64 x0 = MCF2B_READ_ONCE(b1->addr[0][0]), x1 = MCF2B_READ_ONCE(b1->addr[1][0]),
	      y0 = MCF2B_READ_ONCE(b2->addr[0][0]), y1 = MCF2B_READ_ONCE(b2->addr[1][0]);
	__u64 hi = c->saddr6[0], lo = c->saddr6[1];

	if (x0 == hi && MCF2B_READ_ONCE(b1->addr[0][1]) == lo && read_slot(&b1->value[0], out))
		return 1;
	if (x1 == hi && MCF2B_READ_ONCE(b1->addr[1][1]) == lo && read_slot(&b1->value[1], out))
		return 1;
	if (y0 == hi && MCF2B_READ_ONCE(b2->addr[0][1]) == lo && read_slot(&b2->value[0], out))
		return 1;
	if (y1 == hi && MCF2B_READ_ONCE(b2->addr[1][1]) == lo && read_slot(&b2->value[1], out))
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

	if (c->family == 4)
		hash = mcf2b_bloom_hash4(c->saddr4);
	else
		hash = mcf2b_bloom_hash6(c->saddr6[0], c->saddr6[1]);
	__u32 word = mcf2b_bloom_word(hash, cfg->bloom_mask);
	__u64 *bits = bpf_map_lookup_elem(&ban_bloom_v2, &word);
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
	bpf_loop(highest_slot(hit) + 1, host_jail_step, c, 0);
	return c->live;
}

/* Jails in which the source is whitelisted; no trie walk while its family's is empty. */
static __always_inline __u64 allowed_jails(const struct mcf2b_config *cfg,
					   const struct slot_loop *c)
{
	struct mcf2b_allow_value *v;

	if (!(cfg->allow_families & (c->family == 4 ? 1 : 2)))
		return 0;
	if (c->family == 4) {
		struct mcf2b_lpm4_key k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, &c->saddr4, 4);
		v = bpf_map_lookup_elem(&allow4_v2, &k);
	} else {
		struct mcf2b_lpm6_key k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, c->saddr6, 16);
		v = bpf_map_lookup_elem(&allow6_v2, &k);
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
	struct mcf2b_config *cfg = bpf_map_lookup_elem(&config_v2, &zero);

	if (!f || !cfg)
		return -1;
	__u64 candidates = candidate_jails(cfg, f);

	if (!candidates)
		return -1;
	struct slot_loop c = { .family = f->family, .saddr4 = f->saddr4 };

	c.saddr6[0] = f->saddr6[0];
	c.saddr6[1] = f->saddr6[1];
	__u64 hosts = candidates & (c.family == 4 ? cfg->host_jails4 : cfg->host_jails6);
	__u64 prefixes = candidates & (c.family == 4 ? cfg->prefix_jails4 : cfg->prefix_jails6);
	__u64 hit = 0;

	if (hosts)
		hit = host_hits(cfg, &c, hosts, &f->slow);
	if (prefixes & ~hit) {
		c.jails = prefixes & ~hit;
		c.live = 0;
		bpf_loop(highest_slot(c.jails) + 1, prefix_step, &c, 0);
		hit |= c.live;
	}
	if (!hit)
		return -1;
	/* A whitelist wins over any ban. */
	hit &= ~allowed_jails(cfg, &c);
	if (!hit)
		return -1;
	return lowest_slot(hit);
}

#endif /* MCF2B_BAN_FILTER_BPF_H */
