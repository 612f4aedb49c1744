/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one header shared by the BPF programs and the C++ userspace. Only fixed-width
 * types; the C++ side static_asserts every size and offset it relies on.
 */
#ifndef MCF2B_SHARED_H
#define MCF2B_SHARED_H

#include <linux/types.h>

/* Packets and bytes, per CPU: what each jail dropped (jail_stats), and the array of the
 * packet-counter demo (demo/packet_counter). */
struct mcf2b_packet_count {
	__u64 packets;
	__u64 bytes;
};

/*
 * Ban filter (ban_filter.bpf.c). Every map is pinned by name in the folder of its layout
 * version, PIN_ROOT/MCF2B_PIN_LAYOUT/<map>. The version changes whenever a key or value
 * layout below changes, so a new program never reuses maps of an older layout; the
 * program's XDP links are pinned beside the folders (PIN_ROOT/xdp_link_<interface>), as
 * a link outlives layouts: each new program is swapped into it.
 *
 * "Kernel slot": a jail's index (0..63) in these maps, bit s of every jail mask. Not the
 * controller's tier slots, nor a host-table bucket's slots (MCF2B_HOST4_SLOTS).
 *
 *   ban_host4   array of maps, one slot per table size: exact-address (host) bans, the
 *   ban_host6   fast path, in an mmapable array of mcf2b_host4_bucket / mcf2b_host6_bucket
 *               written by userspace through mmap, read by the program. The table in use
 *               is the one of slot mcf2b_host_table_slot(config.host_buckets4 / 6); it
 *               grows with the bans (a larger one built, then switched to)
 *   ban_hjail4  hash (addr, kernel slot) -> mcf2b_expiry  per-jail expiry of an
 *   ban_hjail6  hash (addr, kernel slot) -> mcf2b_expiry  address banned in 2+ jails
 *   ban_pfx4    array of LPM tries, one per kernel slot: real prefixes (shorter than a host)
 *   ban_pfx6      key mcf2b_lpm4_key / mcf2b_lpm6_key -> mcf2b_prefix_value
 *   ban_bloom   mmapable array of u64 words: blocked Bloom filter over the host bans
 *   allow4      LPM trie: whitelist, value mcf2b_allow_value (jail mask)
 *   allow6
 *   jail_ports  array[65536] of u64: jails whose port set holds that destination port
 *   jail_slots  array[64] of mcf2b_jail: the jail name -> kernel slot assignment
 *   config      array[1] of mcf2b_config
 *   stats       per-CPU array[1] of mcf2b_global_stats
 *   jail_stats  per-CPU array[64] of mcf2b_packet_count: dropped per jail
 */
#define MCF2B_PIN_LAYOUT "v2"
#define MCF2B_MAX_JAILS 64
/* ipset names are at most 31 characters; the IPv6 twin appends "-v6". */
#define MCF2B_JAIL_NAME_SIZE 32
#define MCF2B_JAIL_NAME_MAX_V6_TWIN 28
#define MCF2B_PORT_COUNT 65536

/*
 * Expiry times are nanoseconds on CLOCK_TAI (bpf_ktime_get_tai_ns), 0 = permanent. TAI
 * is the wall clock without leap seconds: userspace converts a Unix expiry by adding the
 * current TAI - UTC offset, and the ban then ends at the wall-clock time the controller
 * asked for even across a clock step, with no daemon running.
 */
struct mcf2b_expiry {
	__u64 expires_ns;
};

/* A host ban: in which jails the address is banned, and the earliest expiry of them.
 * In a table slot, jails == 0 marks the slot free. */
struct mcf2b_host_value {
	__u64 jails;		/* bit s = banned in the jail of kernel slot s */
	__u64 earliest_ns;	/* earliest expiry among those jails; 0 = none expires */
};

/*
 * The host tables: one cache line per bucket, and each address in one of its two
 * buckets (mcf2b_host_buckets), so a lookup reads two lines, fetched in parallel, where
 * a BPF hash map walks a bucket head and then an element (two dependent misses).
 * Userspace places addresses (two-choice cuckoo hashing) and publishes a slot by
 * writing its jails last; it clears jails first to free a slot.
 */
#define MCF2B_HOST4_SLOTS 3
#define MCF2B_HOST6_SLOTS 2

struct mcf2b_host4_bucket {
	__u32 addr[MCF2B_HOST4_SLOTS];	/* network byte order */
	__u32 reserved;
	struct mcf2b_host_value value[MCF2B_HOST4_SLOTS];
};

struct mcf2b_host6_bucket {
	__u64 addr[MCF2B_HOST6_SLOTS][2];	/* the 16 bytes as two loads */
	struct mcf2b_host_value value[MCF2B_HOST6_SLOTS];
};

/* Slots of ban_host4 / ban_host6: one per power of two of bucket counts. */
#define MCF2B_HOST_TABLE_SLOTS 32

/* The slot of the host table of `buckets` buckets: the index of its highest set bit, so
 * tables of counts that differ by a doubling never share a slot. By binary search (no
 * such instruction in BPF). */
static inline __u32 mcf2b_host_table_slot(__u32 buckets)
{
	__u32 i = 0;

	if (buckets >> 16) {
		i += 16;
		buckets >>= 16;
	}
	if (buckets >> 8) {
		i += 8;
		buckets >>= 8;
	}
	if (buckets >> 4) {
		i += 4;
		buckets >>= 4;
	}
	if (buckets >> 2) {
		i += 2;
		buckets >>= 2;
	}
	if (buckets >> 1)
		i += 1;
	return i;
}

struct mcf2b_hjail4_key {
	__u32 addr;		/* network byte order */
	__u32 kernel_slot;
};

struct mcf2b_hjail6_key {
	__u8 addr[16];
	__u32 kernel_slot;
};

struct mcf2b_lpm4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct mcf2b_lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* A prefix ban. An LPM lookup returns the longest match only, so `effective_ns` carries
 * the latest expiry among this prefix and the jail's prefixes containing it. */
struct mcf2b_prefix_value {
	__u64 expires_ns;	/* this prefix's own expiry */
	__u64 effective_ns;	/* what the program enforces */
};

/* A whitelist prefix: `jails` its own jails (all bits = global), `effective` with the
 * jails of the whitelist prefixes containing it (longest match returns only one). */
struct mcf2b_allow_value {
	__u64 jails;
	__u64 effective;
};

struct mcf2b_jail {
	char name[MCF2B_JAIL_NAME_SIZE];	/* NUL-terminated; empty = free kernel slot */
	__u32 all_ports;
	__u32 reserved;
};

struct mcf2b_config {
	__u64 active_jails;	/* kernel slots in use */
	__u64 all_ports_jails;	/* jails that drop every packet of a banned source */
	__u64 host_jails4;	/* jails holding host bans, per address family */
	__u64 host_jails6;
	__u64 prefix_jails4;	/* jails holding real prefixes, per address family */
	__u64 prefix_jails6;
	__u32 bloom_mask;	/* number of Bloom words - 1 (a power of two - 1) */
	__u32 host_buckets4;	/* buckets of the host tables in use (ban_host4 / ban_host6) */
	__u32 host_buckets6;
	__u32 allow_address_families;	/* bit 0: the IPv4 whitelist holds entries; bit 1: IPv6 */
};

/* The program's per-CPU cache of CLOCK_TAI, refreshed once per tick (map clock_cache,
 * private to each loaded program). */
struct mcf2b_clock_cache {
	__u64 jiffies;
	__u64 tai_ns;
};

struct mcf2b_global_stats {
	__u64 passed;		/* every packet not dropped, unparsable ones included */
	__u64 dropped;
	__u64 unparsable;	/* truncated or malformed headers (passed) */
	__u64 slow_path;	/* host hits whose earliest expiry had passed */
};

/*
 * Blocked Bloom filter over the host-banned addresses: one 64-bit word per address,
 * four bits in it, so a negative answer costs one cache line and no hash-map miss. The
 * mixing is the same here for the program and for userspace, which owns the counts.
 */
static inline __u64 mcf2b_mix64(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* addr in network byte order, as it sits in the packet. */
static inline __u64 mcf2b_bloom_hash4(__u32 addr)
{
	return mcf2b_mix64(addr ^ 0x9e3779b97f4a7c15ULL);
}

static inline __u64 mcf2b_bloom_hash6(__u64 hi, __u64 lo)
{
	return mcf2b_mix64(hi ^ mcf2b_mix64(lo ^ 0x6a09e667f3bcc909ULL));
}

static inline __u32 mcf2b_bloom_word(__u64 hash, __u32 mask)
{
	return hash & mask; /* implicit narrowing: the mask fits 32 bits */
}

static inline __u64 mcf2b_bloom_bits(__u64 hash)
{
	return (1ULL << ((hash >> 40) & 63)) | (1ULL << ((hash >> 46) & 63)) |
	       (1ULL << ((hash >> 52) & 63)) | (1ULL << ((hash >> 58) & 63));
}

/* The two buckets of an address: from its Bloom hash, mixed again so that the buckets
 * and the Bloom word are independent; a multiply-shift maps 32 hash bits onto any
 * bucket count. */
static inline __u64 mcf2b_bucket_hash(__u64 bloom_hash)
{
	return mcf2b_mix64(bloom_hash ^ 0xbb67ae8584caa73bULL);
}

static inline __u32 mcf2b_bucket_index(__u32 hash32, __u32 buckets)
{
	__u64 wide = hash32; /* no cast: C++ includes this header too */

	return (wide * buckets) >> 32;
}

#endif /* MCF2B_SHARED_H */
