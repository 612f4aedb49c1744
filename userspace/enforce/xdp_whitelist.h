// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <map>

#include "base/ip_address.h"
#include "base/result.h"
#include "userspace/enforce/address_family.h"
#include "userspace/enforce/bpf_map_ops.h"
#include "userspace/enforce/config_word.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b {

// The filter's whitelist: per address family an LPM trie (allow4 / allow6) from prefix to
// the jails it is whitelisted for (all bits: global). As the longest match is all a
// lookup finds, each entry also carries the union with the prefixes containing it. The
// config word says which address families hold entries, so the program skips an empty trie.
class XdpWhitelist {
public:
  XdpWhitelist(PerAddressFamily<BpfMapRef> tries, ConfigWord &config, MapFullCount &map_full)
      : tries_(tries), config_(&config), map_full_(&map_full) {}

  // Reads the entries back (a restart) and fills in the config word's address
  // families, unwritten.
  Status rebuild();

  // Adds the jails of `jails` (kAllJails: global) to the prefix's entry.
  Status add(const IpPrefix &prefix, uint64_t jails);
  // Takes the jails of `jails` off the prefix's entry; an entry left with none goes.
  Status remove(const IpPrefix &prefix, uint64_t jails);
  // Takes a removed jail off every entry whitelisted for it (not off global ones).
  Status drop_jail(JailSlot kernel_slot);

  // Prefix -> its own jails (kAllJails: global).
  [[nodiscard]] const std::map<IpPrefix, uint64_t> &entries() const { return own_; }

private:
  [[nodiscard]] uint32_t address_families() const;
  Status write();

  PerAddressFamily<BpfMapRef> tries_;
  ConfigWord *config_;
  MapFullCount *map_full_;
  std::map<IpPrefix, uint64_t> own_;
};

} // namespace mcf2b
