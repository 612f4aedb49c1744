// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "userspace/enforce/address_family.h"
#include "userspace/enforce/bpf_map_ops.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b {

struct JailExpiry {
  JailSlot kernel_slot = 0;
  uint64_t expiry_ns = 0; // TAI ns, 0 = permanent
  bool operator==(const JailExpiry &) const = default;
};

// This process's copy of one ban_hjail map (the per-jail expiries of addresses banned in
// two or more jails), kept equal to the kernel's: every write that the kernel took is
// noted here, so reading an expiry back costs no syscall. Per address, the entries are
// sorted by kernel slot.
class HostJailExpiries {
public:
  // Reads the pinned map back (a restart), batched.
  Status load(const BpfMapRef &map, AddressFamily af);

  [[nodiscard]] std::span<const JailExpiry> of(const IpAddress &address) const;
  [[nodiscard]] std::optional<uint64_t> find(const IpAddress &address, JailSlot kernel_slot) const;
  void set(const IpAddress &address, JailSlot kernel_slot, uint64_t expiry_ns);
  void erase(const IpAddress &address, JailSlot kernel_slot);
  [[nodiscard]] size_t size() const { return size_; }

private:
  std::unordered_map<IpAddress, std::vector<JailExpiry>> by_address_;
  size_t size_ = 0;
};

// Keys and values of ban_hjail4 / ban_hjail6 packed for one batched map command.
class HostJailBatch {
public:
  explicit HostJailBatch(const BpfMapRef &map) : map_(&map) {}

  void add(const IpAddress &address, JailSlot kernel_slot, uint64_t expiry_ns = 0);
  [[nodiscard]] uint32_t size() const { return static_cast<uint32_t>(entries_.size()); }
  [[nodiscard]] const JailExpiry &entry(uint32_t i) const { return entries_[i].second; }
  [[nodiscard]] const IpAddress &address(uint32_t i) const { return entries_[i].first; }

  // From element `from` on, until the first failure.
  BatchOutcome update_from(uint32_t from) const;
  BatchOutcome erase_from(uint32_t from) const;

private:
  const BpfMapRef *map_;
  std::vector<uint8_t> keys_, values_;
  std::vector<std::pair<IpAddress, JailExpiry>> entries_;
};

} // namespace mcf2b
