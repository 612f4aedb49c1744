// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

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
// enforces). This process keeps a copy of every trie it writes, so a batch of changes
// reads nothing back: per trie, one batched delete of the prefixes gone, then one
// batched update of the entries new or changed (a prefix and those it covers).
class PrefixBans {
public:
  // `layout_dir`: where each trie is pinned beside its array (prefix_trie_pin()).
  PrefixBans(PerAddressFamily<BpfMapRef> outer, std::string layout_dir, uint32_t capacity,
             const JailSlots &jails, ConfigWord &config, MapFullCount &map_full)
      : outer_(outer), layout_dir_(std::move(layout_dir)), capacity_(capacity), jails_(&jails),
        config_(&config), map_full_(&map_full) {}

  // Opens the tries of the jails in use and reads them back (a restart).
  Status rebuild();

  struct Change {
    IpPrefix prefix;
    JailSlot kernel_slot = 0;
    bool ban = true;
    uint64_t expiry_ns = 0; // for bans
  };
  // Changes that failed (index into the batch, error); index == the batch's size for an
  // error of no one change (an entry whose covering expiry could not be rewritten).
  using Failures = std::vector<std::pair<size_t, Error>>;
  // Applies the changes in order: banning again changes the expiry, unbanning what is not
  // banned is not an error. A full trie fails exactly the bans it refused.
  Failures apply(std::span<const Change> changes);
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
  Result<Fd> create_trie(AddressFamily af, JailSlot kernel_slot) const;
  Result<bool> open_trie(AddressFamily af, JailSlot kernel_slot);
  Status ensure_trie(AddressFamily af, JailSlot kernel_slot);
  // The changes (indices `which`, all of one trie) made in that trie.
  void apply_to_trie(AddressFamily af, JailSlot kernel_slot, std::span<const Change> changes,
                     std::span<const size_t> which, Failures &failures);

  [[nodiscard]] std::string trie_pin(AddressFamily af, JailSlot kernel_slot) const;

  PerAddressFamily<BpfMapRef> outer_;
  std::string layout_dir_;
  uint32_t capacity_;
  const JailSlots *jails_;
  ConfigWord *config_;
  MapFullCount *map_full_;
  PerAddressFamily<std::array<Fd, kMaxJails>> tries_;
  PerAddressFamily<std::array<uint64_t, kMaxJails>> counts_;
  // What each trie holds, as written: prefix -> its own and its enforced expiry.
  PerAddressFamily<std::array<std::map<IpPrefix, mcf2b_prefix_value>, kMaxJails>> held_;
};

} // namespace mcf2b
