// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/fd.h"
#include "base/ip_address.h"
#include "base/result.h"

namespace mcf2b::bench {

// A read-only view of the ban filter the daemon under test pinned, opened by its pin
// files (never through XdpEnforcer, whose flock belongs to the daemon): where a jail
// sits, how many packets it dropped, and whether the program attached to an interface
// drops a given source now, asked through BPF_PROG_TEST_RUN, so the answer is the
// kernel's own decision over the maps whatever their layout. Map pins are found in the
// layout folder of this build (pinned_layout.h).
class PinnedBanMaps {
public:
  static Result<PinnedBanMaps> open(const std::string &pin_root, const std::string &ifname);

  // The jail's kernel slot, from the jail_slots map.
  [[nodiscard]] Result<uint32_t> slot_of(std::string_view jail) const;
  // Whether the attached program drops a UDP datagram from `source` to `port` now (its
  // test run counts in the drop counters like a real packet).
  [[nodiscard]] bool drops(const IpAddress &source, uint16_t port) const;
  // Packets the program dropped for the kernel slot, summed over CPUs.
  [[nodiscard]] uint64_t dropped(uint32_t kernel_slot) const;
  // Packets the program dropped in total (global stats, summed over CPUs).
  [[nodiscard]] uint64_t dropped_total() const;

private:
  PinnedBanMaps() = default;
  Fd slots_, jail_stats_, stats_, program_;
  int cpus_ = 1;
};

} // namespace mcf2b::bench
