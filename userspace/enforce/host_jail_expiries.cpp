// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/host_jail_expiries.h"

#include <algorithm>
#include <cstring>

#include "userspace/enforce/shared_structs.h"

namespace mcf2b {
namespace {

// A key read back from the map: the address, then its kernel slot.
std::pair<IpAddress, JailSlot> decode_key(const uint8_t *key, AddressFamily af) {
  if (af == AddressFamily::v4) {
    mcf2b_hjail4_key k;
    std::memcpy(&k, key, sizeof(k));
    return {IpAddress::v4_bytes(reinterpret_cast<const uint8_t *>(&k.addr)), k.kernel_slot};
  }
  mcf2b_hjail6_key k;
  std::memcpy(&k, key, sizeof(k));
  return {IpAddress::v6_bytes(k.addr), k.kernel_slot};
}

} // namespace

Status HostJailExpiries::load(const BpfMapRef &map, AddressFamily af) {
  by_address_.clear();
  size_ = 0;
  return map.for_each([&](const uint8_t *key, const uint8_t *value) {
    auto [address, kernel_slot] = decode_key(key, af);
    mcf2b_expiry e;
    std::memcpy(&e, value, sizeof(e));
    set(address, kernel_slot, e.expires_ns);
  });
}

std::span<const JailExpiry> HostJailExpiries::of(const IpAddress &address) const {
  auto it = by_address_.find(address);
  if (it == by_address_.end())
    return {};
  return it->second;
}

std::optional<uint64_t> HostJailExpiries::find(const IpAddress &address,
                                               JailSlot kernel_slot) const {
  for (const auto &e : of(address))
    if (e.kernel_slot == kernel_slot)
      return e.expiry_ns;
  return std::nullopt;
}

void HostJailExpiries::set(const IpAddress &address, JailSlot kernel_slot, uint64_t expiry_ns) {
  auto &entries = by_address_[address];
  auto it = std::lower_bound(entries.begin(), entries.end(), kernel_slot,
                             [](const JailExpiry &e, JailSlot s) { return e.kernel_slot < s; });
  if (it != entries.end() && it->kernel_slot == kernel_slot) {
    it->expiry_ns = expiry_ns;
    return;
  }
  entries.insert(it, JailExpiry{kernel_slot, expiry_ns});
  ++size_;
}

void HostJailExpiries::erase(const IpAddress &address, JailSlot kernel_slot) {
  auto at = by_address_.find(address);
  if (at == by_address_.end())
    return;
  auto &entries = at->second;
  auto it = std::find_if(entries.begin(), entries.end(),
                         [&](const JailExpiry &e) { return e.kernel_slot == kernel_slot; });
  if (it == entries.end())
    return;
  entries.erase(it);
  --size_;
  if (entries.empty())
    by_address_.erase(at);
}

void HostJailBatch::add(const IpAddress &address, JailSlot kernel_slot, uint64_t expiry_ns) {
  HostJailKey key(address, kernel_slot);
  const auto *k = static_cast<const uint8_t *>(key.data());
  keys_.insert(keys_.end(), k, k + map_->key_size());
  mcf2b_expiry value{expiry_ns};
  const auto *v = reinterpret_cast<const uint8_t *>(&value);
  values_.insert(values_.end(), v, v + sizeof(value));
  entries_.emplace_back(address, JailExpiry{kernel_slot, expiry_ns});
}

BatchOutcome HostJailBatch::update_from(uint32_t from) const {
  auto out =
      map_->update_batch(keys_.data() + size_t{from} * map_->key_size(),
                         values_.data() + size_t{from} * sizeof(mcf2b_expiry), size() - from);
  out.done += from;
  return out;
}

BatchOutcome HostJailBatch::erase_from(uint32_t from) const {
  auto out = map_->erase_batch(keys_.data() + size_t{from} * map_->key_size(), size() - from);
  out.done += from;
  return out;
}

} // namespace mcf2b
