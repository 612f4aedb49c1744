// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/fd.h"
#include "base/ip_address.h"
#include "base/result.h"

namespace mcf2b::bench {

// A read-only view of the ban filter's pinned maps, opened by their pin files (never
// through XdpEnforcer, whose flock belongs to the daemon under test): where a jail
// sits, whether an address is host-banned in it, how many packets it dropped.
class PinnedBanMaps {
public:
  static Result<PinnedBanMaps> open(const std::string &pin_root);

  // The jail's slot, from jail_slots_v1.
  [[nodiscard]] Result<uint32_t> slot_of(std::string_view jail) const;
  // Whether the host map holds `address` with the slot's bit set.
  [[nodiscard]] bool host_banned(const IpAddress &address, uint32_t slot) const;
  // Packets the program dropped for the slot, summed over CPUs.
  [[nodiscard]] uint64_t dropped(uint32_t slot) const;
  // Packets the program dropped in total (global stats, summed over CPUs).
  [[nodiscard]] uint64_t dropped_total() const;

private:
  PinnedBanMaps() = default;
  Fd slots_, host4_, host6_, jail_stats_, stats_;
  int cpus_ = 1;
};

} // namespace mcf2b::bench
