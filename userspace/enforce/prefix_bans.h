// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <array>
#include <cstdint>
#include <functional>

#include "base/fd.h"
#include "base/ip_address.h"
#include "base/result.h"
#include "userspace/enforce/address_family.h"
#include "userspace/enforce/bpf_map_ops.h"
#include "userspace/enforce/config_word.h"
#include "userspace/enforce/jail_slots.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b {

// Real prefixes (shorter than a host): per address family an array of LPM tries
// (ban_pfx4 / ban_pfx6), one trie per kernel slot, created at the jail's first prefix.
// An LPM lookup finds the longest match only, so each entry carries, beside its own
// expiry, the latest expiry among the jail's prefixes containing it (what the program
// enforces); refresh() keeps that right after changes.
class PrefixBans {
public:
  PrefixBans(PerAddressFamily<BpfMapRef> outer, uint32_t capacity, const JailSlots &jails,
             ConfigWord &config, MapFullCount &map_full)
      : outer_(outer), capacity_(capacity), jails_(&jails), config_(&config), map_full_(&map_full) {
  }

  // Opens the tries of the jails in use and counts their entries (a restart).
  Status rebuild();

  // With `refresh` false, the caller refreshes the jail's trie after a batch.
  Status ban(const IpPrefix &prefix, JailSlot kernel_slot, uint64_t expiry_ns, bool refresh);
  Status unban(const IpPrefix &prefix, JailSlot kernel_slot, bool refresh);
  // Rewrites each prefix's enforced expiry from the prefixes covering it.
  Status refresh(AddressFamily af, JailSlot kernel_slot);
  // Every prefix of the jail, both address families.
  Status unban_all(JailSlot kernel_slot);

  [[nodiscard]] uint64_t count(AddressFamily af, JailSlot kernel_slot) const {
    return counts_[af][kernel_slot];
  }
  [[nodiscard]] uint64_t jails_with_bans(AddressFamily af) const;

  using BanFn = std::function<void(const IpPrefix &, uint64_t expiry_ns)>;
  // The jail's prefixes of one address family with their own expiries.
  Status for_each_ban(AddressFamily af, JailSlot kernel_slot, const BanFn &fn) const;

private:
  [[nodiscard]] BpfMapRef trie(AddressFamily af, JailSlot kernel_slot) const;
  // Whether the jail's (open) trie holds the prefix itself.
  [[nodiscard]] Result<bool> holds(const IpPrefix &prefix, JailSlot kernel_slot) const;
  Result<Fd> create_trie(AddressFamily af, JailSlot kernel_slot) const;
  Result<bool> open_trie(AddressFamily af, JailSlot kernel_slot);
  Status ensure_trie(AddressFamily af, JailSlot kernel_slot);

  PerAddressFamily<BpfMapRef> outer_;
  uint32_t capacity_;
  const JailSlots *jails_;
  ConfigWord *config_;
  MapFullCount *map_full_;
  PerAddressFamily<std::array<Fd, kMaxJails>> tries_;
  PerAddressFamily<std::array<uint64_t, kMaxJails>> counts_;
};

} // namespace mcf2b
