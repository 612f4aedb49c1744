// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>

#include "base/ip_address.h"
#include "userspace/controller/prefix_set.h"

// The controller's rules on prefixes, shared by its failure path and its admin commands
// (internal to userspace/controller).
namespace mcf2b::prefix_rules {

// Manual bans of ranges wider than these need an explicit confirmation.
inline constexpr unsigned kWidestUnconfirmedV4 = 24;
inline constexpr unsigned kWidestUnconfirmedV6 = 48;

inline const IpPrefix &loopback_v4() {
  static const IpPrefix p = IpPrefix::parse("127.0.0.0/8").value();
  return p;
}
inline const IpPrefix &loopback_v6() {
  static const IpPrefix p = IpPrefix::parse("::1").value();
  return p;
}

inline bool overlap(const IpPrefix &a, const IpPrefix &b) {
  return a.contains(b) || b.contains(a);
}

// One member of `set` that shares addresses with `prefix`, for error messages.
inline std::string overlapping_entry(const PrefixSet &set, const IpPrefix &prefix) {
  for (const auto &e : set.entries())
    if (overlap(e, prefix))
      return e.to_string();
  return prefix.to_string();
}

} // namespace mcf2b::prefix_rules
