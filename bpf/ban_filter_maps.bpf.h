/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The ban filter's pinned maps (layouts and names: mcf2b_shared.h), shared by the XDP
 * program and its benchmark harness, which binds to the same pinned maps by name.
 */
#ifndef MCF2B_BAN_FILTER_MAPS_BPF_H
#define MCF2B_BAN_FILTER_MAPS_BPF_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "mcf2b_shared.h"

/*
 * The host tables: one outer slot per table size, the slot being the index of the
 * highest bit of the bucket count (mcf2b_host_table_slot). Userspace creates each table
 * (an mmapable array, of any size: BPF_F_INNER_MAP) and grows it by building a larger one
 * in the next slot and then switching config.host_buckets4 / host_buckets6 to it, so the
 * program always reads a bucket count and the table of that count together.
 */
struct host4_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	/* Sizes, not BTF types: clang emits inner-map key types as forward declarations. */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct mcf2b_host4_bucket));
};

struct host6_table {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct mcf2b_host6_bucket));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MCF2B_HOST_TABLE_SLOTS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct host4_table);
} ban_host4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MCF2B_HOST_TABLE_SLOTS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct host6_table);
} ban_host6 SEC(".maps");

/* Sizes are set by userspace before load (capacity); these are placeholders. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mcf2b_hjail4_key);
	__type(value, struct mcf2b_expiry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ban_hjail4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mcf2b_hjail6_key);
	__type(value, struct mcf2b_expiry);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ban_hjail6 SEC(".maps");

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

/* One trie per kernel slot, created by userspace at the jail's first prefix ban. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MCF2B_MAX_JAILS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct prefix4_trie);
} ban_pfx4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MCF2B_MAX_JAILS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct prefix6_trie);
} ban_pfx6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ban_bloom SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mcf2b_lpm4_key);
	__type(value, struct mcf2b_allow_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} allow4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct mcf2b_lpm6_key);
	__type(value, struct mcf2b_allow_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} allow6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MCF2B_PORT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} jail_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MCF2B_MAX_JAILS);
	__type(key, __u32);
	__type(value, struct mcf2b_jail);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} jail_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mcf2b_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mcf2b_global_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MCF2B_MAX_JAILS);
	__type(key, __u32);
	__type(value, struct mcf2b_packet_count);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} jail_stats SEC(".maps");

#endif /* MCF2B_BAN_FILTER_MAPS_BPF_H */
