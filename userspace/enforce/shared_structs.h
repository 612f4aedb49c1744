// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/ip_address.h"
#include "mcf2b_shared.h"
#include "userspace/enforce/address_family.h"
#include "userspace/enforce/xdp_enforcer.h"

// mcf2b_shared.h as the C++ side uses it: guards on the layout of every struct that
// crosses the kernel boundary, and the map keys, built through those structs only.

namespace mcf2b {

static_assert(sizeof(mcf2b_packet_count) == 16 && offsetof(mcf2b_packet_count, bytes) == 8);
static_assert(sizeof(mcf2b_expiry) == 8);
static_assert(sizeof(mcf2b_host_value) == 16 && offsetof(mcf2b_host_value, earliest_ns) == 8);
static_assert(sizeof(mcf2b_host4_bucket) == 64 && offsetof(mcf2b_host4_bucket, value) == 16);
static_assert(sizeof(mcf2b_host6_bucket) == 64 && offsetof(mcf2b_host6_bucket, value) == 32);
static_assert(sizeof(mcf2b_hjail4_key) == 8 && offsetof(mcf2b_hjail4_key, kernel_slot) == 4);
static_assert(sizeof(mcf2b_hjail6_key) == 20 && offsetof(mcf2b_hjail6_key, kernel_slot) == 16);
static_assert(sizeof(mcf2b_lpm4_key) == 8 && offsetof(mcf2b_lpm4_key, addr) == 4);
static_assert(sizeof(mcf2b_lpm6_key) == 20 && offsetof(mcf2b_lpm6_key, addr) == 4);
static_assert(sizeof(mcf2b_prefix_value) == 16 && offsetof(mcf2b_prefix_value, effective_ns) == 8);
static_assert(sizeof(mcf2b_allow_value) == 16 && offsetof(mcf2b_allow_value, effective) == 8);
static_assert(sizeof(mcf2b_jail) == 40 && offsetof(mcf2b_jail, all_ports) == 32);
static_assert(sizeof(mcf2b_config) == 64 && offsetof(mcf2b_config, host_jails4) == 16 &&
              offsetof(mcf2b_config, prefix_jails4) == 32 &&
              offsetof(mcf2b_config, bloom_mask) == 48 &&
              offsetof(mcf2b_config, host_buckets4) == 52 &&
              offsetof(mcf2b_config, allow_address_families) == 60);
static_assert(sizeof(mcf2b_global_stats) == 32 && offsetof(mcf2b_global_stats, unparsable) == 16);
static_assert(kMaxJails == MCF2B_MAX_JAILS);

// Every kernel slot: the mask a global whitelist entry holds.
inline constexpr uint64_t kAllJails = ~uint64_t{0};

// The bit of a kernel slot in the jail masks of the maps and the config word.
inline uint64_t jail_bit(JailSlot kernel_slot) {
  return uint64_t{1} << kernel_slot;
}

// The jails whose count is not zero, as a mask of kernel slots.
inline uint64_t jails_counted(const std::array<uint64_t, kMaxJails> &counts) {
  uint64_t mask = 0;
  for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot)
    mask |= counts[kernel_slot] ? jail_bit(kernel_slot) : 0;
  return mask;
}

// Key of ban_hjail4 / ban_hjail6: an address and the kernel slot of one of its jails.
class HostJailKey {
public:
  HostJailKey(const IpAddress &address, JailSlot kernel_slot);
  [[nodiscard]] const void *data() const { return &key_; }

private:
  union {
    mcf2b_hjail4_key v4;
    mcf2b_hjail6_key v6;
  } key_{};
};

// Key of the LPM tries (prefix bans and whitelist) of an address family.
class LpmKey {
public:
  explicit LpmKey(const IpPrefix &prefix);
  [[nodiscard]] const void *data() const { return &key_; }
  // The prefix of a key read back from a trie of address family `af`.
  static IpPrefix decode(const uint8_t *key, AddressFamily af);

  static size_t size(AddressFamily af) {
    return af == AddressFamily::v4 ? sizeof(mcf2b_lpm4_key) : sizeof(mcf2b_lpm6_key);
  }

private:
  union {
    mcf2b_lpm4_key v4;
    mcf2b_lpm6_key v6;
  } key_{};
};

} // namespace mcf2b
