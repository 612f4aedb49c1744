// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/shared_structs.h"

#include <cstring>

namespace mcf2b {

HostJailKey::HostJailKey(const IpAddress &address, JailSlot kernel_slot) {
  if (address.is_v4()) {
    std::memcpy(&key_.v4.addr, address.bytes().data(), sizeof(key_.v4.addr));
    key_.v4.kernel_slot = kernel_slot;
  } else {
    std::memcpy(key_.v6.addr, address.bytes().data(), sizeof(key_.v6.addr));
    key_.v6.kernel_slot = kernel_slot;
  }
}

LpmKey::LpmKey(const IpPrefix &prefix) {
  if (prefix.address().is_v4()) {
    key_.v4.prefixlen = prefix.length();
    std::memcpy(key_.v4.addr, prefix.address().bytes().data(), sizeof(key_.v4.addr));
  } else {
    key_.v6.prefixlen = prefix.length();
    std::memcpy(key_.v6.addr, prefix.address().bytes().data(), sizeof(key_.v6.addr));
  }
}

IpPrefix LpmKey::decode(const uint8_t *key, AddressFamily af) {
  if (af == AddressFamily::v4) {
    mcf2b_lpm4_key k;
    std::memcpy(&k, key, sizeof(k));
    return IpPrefix(IpAddress::v4_bytes(k.addr), k.prefixlen);
  }
  mcf2b_lpm6_key k;
  std::memcpy(&k, key, sizeof(k));
  return IpPrefix(IpAddress::v6_bytes(k.addr), k.prefixlen);
}

} // namespace mcf2b
