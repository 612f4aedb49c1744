// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/jail_slots.h"

#include <bpf/libbpf.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "userspace/enforce/shared_structs.h"
#include "userspace/model/jail_name.h"

namespace mcf2b {

// The kernel's name field holds every name the one rule accepts.
static_assert(kMaxJailName == MCF2B_JAIL_NAME_MAX_V6_TWIN);
static_assert(kMaxJailName < MCF2B_JAIL_NAME_SIZE);

Status JailSlots::rebuild() {
  for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot) {
    mcf2b_jail record{};
    if (auto r = maps_.slots.lookup(&kernel_slot, &record); !r)
      return r.error();
    record.name[sizeof(record.name) - 1] = '\0';
    names_[kernel_slot] = record.name;
    ports_[kernel_slot] = JailPorts{record.all_ports != 0, {}};
  }
  if (auto st = maps_.ports.for_each([&](const uint8_t *k, const uint8_t *v) {
        uint32_t port;
        uint64_t mask;
        std::memcpy(&port, k, sizeof(port));
        std::memcpy(&mask, v, sizeof(mask));
        if (port < MCF2B_PORT_COUNT)
          port_masks_[port] = mask;
      });
      !st)
    return st;
  for (uint32_t port = 0; port < MCF2B_PORT_COUNT; ++port)
    for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot)
      if (port_masks_[port] & jail_bit(kernel_slot))
        ports_[kernel_slot].ports.push_back(static_cast<uint16_t>(port));

  mcf2b_config &c = config_->edit();
  c.active_jails = c.all_ports_jails = 0;
  for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot) {
    if (!in_use(kernel_slot))
      continue;
    c.active_jails |= jail_bit(kernel_slot);
    c.all_ports_jails |= ports_[kernel_slot].all ? jail_bit(kernel_slot) : 0;
  }
  return {};
}

std::optional<JailSlot> JailSlots::find(std::string_view name) const {
  for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot)
    if (in_use(kernel_slot) && names_[kernel_slot] == name)
      return kernel_slot;
  return std::nullopt;
}

Result<JailSlot> JailSlots::need(std::string_view name) const {
  if (auto kernel_slot = find(name))
    return *kernel_slot;
  return Error::msg("no jail named '" + std::string(name) + "' (set_jail first)");
}

uint64_t JailSlots::in_use_mask() const {
  uint64_t mask = 0;
  for (JailSlot kernel_slot = 0; kernel_slot < kMaxJails; ++kernel_slot)
    mask |= in_use(kernel_slot) ? jail_bit(kernel_slot) : 0;
  return mask;
}

Status JailSlots::write_record(JailSlot kernel_slot, std::string_view name, bool all_ports) const {
  mcf2b_jail record{};
  std::memcpy(record.name, name.data(), name.size());
  record.all_ports = all_ports ? 1 : 0;
  return maps_.slots.update(&kernel_slot, &record);
}

// Points every port's mask at the jail or away from it, writing only the ports that change.
Status JailSlots::set_port_masks(JailSlot kernel_slot, const std::vector<uint16_t> &ports) {
  std::set<uint16_t> want(ports.begin(), ports.end());
  for (uint32_t port = 0; port < MCF2B_PORT_COUNT; ++port) {
    bool has = port_masks_[port] & jail_bit(kernel_slot);
    bool should = want.count(static_cast<uint16_t>(port)) != 0;
    if (has == should)
      continue;
    uint64_t mask = should ? (port_masks_[port] | jail_bit(kernel_slot))
                           : (port_masks_[port] & ~jail_bit(kernel_slot));
    if (auto st = maps_.ports.update(&port, &mask); !st)
      return st;
    port_masks_[port] = mask;
  }
  return {};
}

Result<JailSlot> JailSlots::set(std::string_view name, const JailPorts &ports) {
  if (auto valid = check_jail_name(name); !valid)
    return valid.error();
  auto held = find(name);
  std::optional<JailSlot> kernel_slot = held;
  for (JailSlot i = 0; i < kMaxJails && !kernel_slot; ++i)
    if (!in_use(i))
      kernel_slot = i;
  if (!kernel_slot)
    return Error::msg("no free jail slot for '" + std::string(name) + "' (at most 64 jails)");
  JailSlot j = *kernel_slot;
  if (!held || ports_[j].all != ports.all) {
    if (auto st = write_record(j, name, ports.all); !st)
      return st.error();
    names_[j] = std::string(name);
  }
  std::vector<uint16_t> wanted = ports.all ? std::vector<uint16_t>{} : ports.ports;
  if (auto st = set_port_masks(j, wanted); !st)
    return st.error();
  std::set<uint16_t> sorted(wanted.begin(), wanted.end());
  ports_[j] = JailPorts{ports.all, std::vector<uint16_t>(sorted.begin(), sorted.end())};
  mcf2b_config &c = config_->edit();
  c.active_jails |= jail_bit(j);
  c.all_ports_jails =
      ports.all ? (c.all_ports_jails | jail_bit(j)) : (c.all_ports_jails & ~jail_bit(j));
  if (auto st = config_->write(); !st)
    return st.error();
  return j;
}

Status JailSlots::deactivate(JailSlot kernel_slot) {
  mcf2b_config &c = config_->edit();
  c.active_jails &= ~jail_bit(kernel_slot);
  c.all_ports_jails &= ~jail_bit(kernel_slot);
  return config_->write();
}

Status JailSlots::release(JailSlot kernel_slot) {
  if (auto st = set_port_masks(kernel_slot, {}); !st)
    return st;
  int cpus = libbpf_num_possible_cpus();
  std::vector<mcf2b_packet_count> zeros(static_cast<size_t>(std::max(cpus, 1)));
  if (auto st = maps_.stats.update(&kernel_slot, zeros.data()); !st)
    return st;
  mcf2b_jail empty{};
  if (auto st = maps_.slots.update(&kernel_slot, &empty); !st)
    return st;
  names_[kernel_slot].clear();
  ports_[kernel_slot] = JailPorts{};
  return {};
}

} // namespace mcf2b
