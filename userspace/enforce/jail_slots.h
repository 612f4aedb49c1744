// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "userspace/enforce/bpf_map_ops.h"
#include "userspace/enforce/config_word.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b {

// Which jail holds which kernel slot (map `jail_slots`, persisted across restarts), the
// destination ports each covers (map `jail_ports`: per port, the mask of its jails) and
// the slot's drop counters (`jail_stats`). The config word's active and all-ports masks
// follow the slots.
class JailSlots {
public:
  struct Maps {
    BpfMapRef slots, ports, stats;
  };
  JailSlots(Maps maps, ConfigWord &config) : maps_(maps), config_(&config) {}

  // Reads the pinned assignment and ports back (a restart); sets the config word's
  // active and all-ports masks from them, unwritten.
  Status rebuild();

  [[nodiscard]] std::optional<JailSlot> find(std::string_view name) const;
  // The jail's slot, or an error that says to set the jail first.
  [[nodiscard]] Result<JailSlot> need(std::string_view name) const;
  [[nodiscard]] bool in_use(JailSlot kernel_slot) const { return !names_[kernel_slot].empty(); }
  // Empty for a free slot.
  [[nodiscard]] const std::string &name(JailSlot kernel_slot) const { return names_[kernel_slot]; }
  [[nodiscard]] const JailPorts &ports(JailSlot kernel_slot) const { return ports_[kernel_slot]; }
  // Jails in use, as a mask of kernel slots.
  [[nodiscard]] uint64_t in_use_mask() const;

  // Gives the jail a slot (the one it holds, else the lowest free one) and its ports.
  Result<JailSlot> set(std::string_view name, const JailPorts &ports);
  // First step of removing a jail: the program stops enforcing it.
  Status deactivate(JailSlot kernel_slot);
  // Last step, once its bans are gone: clears its ports and counters, frees the slot.
  Status release(JailSlot kernel_slot);

private:
  Status write_record(JailSlot kernel_slot, std::string_view name, bool all_ports) const;
  Status set_port_masks(JailSlot kernel_slot, const std::vector<uint16_t> &ports);

  Maps maps_;
  ConfigWord *config_;
  std::array<std::string, kMaxJails> names_;
  std::array<JailPorts, kMaxJails> ports_;
  std::vector<uint64_t> port_masks_ = std::vector<uint64_t>(MCF2B_PORT_COUNT);
};

} // namespace mcf2b
