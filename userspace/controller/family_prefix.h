// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <functional>

#include "base/ip_address.h"
#include "userspace/controller/jail_catalog.h"

namespace mcf2b {

// An address or prefix within one jail family: the key of what is kept per attacker and
// family beside the failure windows (forgiven failures, the ban mails' lines).
struct FamilyPrefix {
  JailFamilyId family;
  IpPrefix prefix;
  bool operator==(const FamilyPrefix &) const = default;
};

struct FamilyPrefixHash {
  size_t operator()(const FamilyPrefix &k) const {
    return std::hash<IpPrefix>{}(k.prefix) * 31 + k.family;
  }
};

} // namespace mcf2b
