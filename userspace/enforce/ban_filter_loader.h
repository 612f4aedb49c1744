// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/fd.h"

#include "base/result.h"
#include "userspace/enforce/address_family.h"
#include "userspace/enforce/bpf_map_ops.h"
#include "userspace/enforce/mapped_bpf_array.h"
#include "userspace/enforce/pinned_layout.h"

struct ban_filter;

namespace mcf2b {

// The ban filter program, loaded over its pinned maps, and those maps as the enforcer
// writes them: typed references, and the arrays written through mmap mapped.
struct LoadedBanFilter {
  struct SkeletonDeleter {
    void operator()(ban_filter *skeleton) const;
  };
  std::unique_ptr<ban_filter, SkeletonDeleter> skeleton;
  // Bans per address family the maps hold: the pinned maps' own when they exist.
  uint32_t capacity = 0;

  PerAddressFamily<BpfMapRef> host_tables; // ban_host4 / ban_host6 (a table per size)
  // The folder the maps are pinned in, and the pins of the host tables in use.
  std::string layout_dir;
  PerAddressFamily<std::string> host_table_pins;
  // The fixed-size host tables of an older build (set aside; pins in fixed_host_pins),
  // whose bans the host tables take over before those pins are removed.
  PerAddressFamily<Fd> fixed_host_tables;
  std::vector<std::string> fixed_host_pins;
  MappedBpfArray bloom;                      // ban_bloom
  PerAddressFamily<BpfMapRef> host_per_jail; // ban_hjail4 / ban_hjail6
  PerAddressFamily<BpfMapRef> prefix_tries;  // ban_pfx4 / ban_pfx6 (arrays of tries)
  PerAddressFamily<BpfMapRef> whitelist;     // allow4 / allow6
  BpfMapRef jail_ports, jail_slots, config, stats, jail_stats;

  [[nodiscard]] int program_fd() const;
};

// Opens the ban filter object on the pin root's layout folder, moves the pins of the
// suffixed layout into it, sets an older build's fixed-size host tables aside, sizes the
// maps for `capacity` bans per address family (maps already pinned keep their size, and
// the capacity theirs, logged when it differs) and loads it, creating and pinning what is
// not pinned yet. Then unpins the older layout.
Result<LoadedBanFilter> load_ban_filter(const std::string &pin_root, uint32_t capacity,
                                        const LayoutLog &log);

} // namespace mcf2b
