// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/xdp_whitelist.h"

#include <cstring>
#include <utility>
#include <vector>

#include "userspace/enforce/prefix_cover.h"
#include "userspace/enforce/shared_structs.h"

namespace mcf2b {

Status XdpWhitelist::rebuild() {
  for (AddressFamily af : kAddressFamilies) {
    if (auto st = tries_[af].for_each([&](const uint8_t *k, const uint8_t *v) {
          mcf2b_allow_value av;
          std::memcpy(&av, v, sizeof(av));
          own_[LpmKey::decode(k, af)] = av.jails;
        });
        !st)
      return st;
  }
  config_->edit().allow_address_families = address_families();
  return {};
}

// Bit 0: IPv4 entries; bit 1: IPv6 (config.allow_address_families).
uint32_t XdpWhitelist::address_families() const {
  uint32_t afs = 0;
  for (const auto &[prefix, jails] : own_)
    afs |= prefix.address().is_v4() ? 1u : 2u;
  return afs;
}

// Writes the entries. An address family's flag is set before its first entry is written
// and cleared after its last was removed, so no whitelisted source is ever dropped.
Status XdpWhitelist::write() {
  uint32_t afs = address_families();
  mcf2b_config &c = config_->edit();
  if (afs & ~c.allow_address_families) {
    c.allow_address_families |= afs;
    if (auto st = config_->write(); !st)
      return st;
  }
  std::vector<std::pair<IpPrefix, uint64_t>> entries(own_.begin(), own_.end());
  auto effective = covering_union(entries);
  for (size_t i = 0; i < entries.size(); ++i) {
    const BpfMapRef &trie = tries_[entries[i].first.address().family()];
    mcf2b_allow_value v{entries[i].second, effective[i]};
    if (auto st = map_full_->checked(trie.update(LpmKey(entries[i].first).data(), &v), trie.name());
        !st)
      return st;
  }
  if (c.allow_address_families != afs) {
    c.allow_address_families = afs;
    return config_->write();
  }
  return {};
}

Status XdpWhitelist::add(const IpPrefix &prefix, uint64_t jails) {
  auto [it, inserted] = own_.emplace(prefix, 0);
  uint64_t before = it->second;
  it->second |= jails;
  if (auto st = write(); !st) {
    if (inserted)
      own_.erase(it);
    else
      it->second = before;
    return st;
  }
  return {};
}

Status XdpWhitelist::remove(const IpPrefix &prefix, uint64_t jails) {
  auto it = own_.find(prefix);
  if (it == own_.end())
    return {};
  it->second &= ~jails;
  if (it->second == 0) {
    if (auto st = tries_[prefix.address().family()].erase(LpmKey(prefix).data()); !st)
      return st;
    own_.erase(it);
  }
  return write();
}

Status XdpWhitelist::drop_jail(JailSlot kernel_slot) {
  for (auto it = own_.begin(); it != own_.end();) {
    if (it->second != kAllJails && (it->second & jail_bit(kernel_slot))) {
      it->second &= ~jail_bit(kernel_slot);
      if (it->second == 0) {
        (void)tries_[it->first.address().family()].erase(LpmKey(it->first).data());
        it = own_.erase(it);
        continue;
      }
    }
    ++it;
  }
  return write();
}

} // namespace mcf2b
