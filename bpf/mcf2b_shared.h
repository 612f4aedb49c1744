/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one header shared by the BPF programs and the C++ userspace. Only fixed-width
 * types; the C++ side static_asserts every size and offset it relies on.
 */
#ifndef MCF2B_SHARED_H
#define MCF2B_SHARED_H

#include <linux/types.h>

/* Value of the packet counter's per-CPU array (one slot per CPU, key 0). */
struct mcf2b_packet_count {
	__u64 packets;
	__u64 bytes;
};

#endif /* MCF2B_SHARED_H */
