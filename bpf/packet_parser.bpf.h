/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ban filter's packet parser: from an Ethernet frame (up to two VLAN tags) to the
 * flow the decision needs, its source address and destination port, through IPv4
 * options and IPv6 extension headers, fragments included.
 */
#ifndef MCF2B_PACKET_PARSER_BPF_H
#define MCF2B_PACKET_PARSER_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef ETH_P_8021AD
#define ETH_P_8021AD 0x88A8
#endif
#ifndef IPPROTO_SCTP
#define IPPROTO_SCTP 132
#endif
/* IPv6 extension headers walked before the transport header. */
#define MCF2B_IPV6_EXT_MAX 6

enum parse_result {
	PARSE_OK,
	PARSE_NOT_IP,		/* ARP, LLDP, ...: pass */
	PARSE_MALFORMED,	/* truncated or malformed: pass and count */
};

/* What the decision needs from a packet. */
struct flow {
	__u32 af;		/* address family, 4 or 6 (IPv4-mapped IPv6 sources become 4) */
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
	f->af = 4;
	f->saddr4 = ip->saddr;
	__u16 frag = bpf_ntohs(ip->frag_off);
	if (frag & 0x1fff) {
		f->port_state = FLOW_FRAGMENT;
		return PARSE_OK;
	}
	void *l4 = l3 + ((__u32)ip->ihl & 0xf) * 4;
	return parse_ports(l4, end, ip->protocol, (frag & 0x2000) != 0, f);
}

/* The extension headers the walk below steps over. */
static __always_inline int ipv6_extension_header(__u8 next)
{
	return next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS ||
	       next == IPPROTO_AH || next == IPPROTO_FRAGMENT;
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
		f->af = 4;
		f->saddr4 = w[3];
	} else {
		f->af = 6;
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
	/* The walk took MCF2B_IPV6_EXT_MAX extension headers; a chain that ends right after
	 * them shows its port like any shorter one. */
	if (!ipv6_extension_header(next))
		return parse_ports(p, end, next, fragment, f);
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

#endif /* MCF2B_PACKET_PARSER_BPF_H */
