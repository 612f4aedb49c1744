// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <array>

#include "base/ip_address.h"

namespace mcf2b {

// IPv4 or IPv6: the ban filter keeps one map of each kind per address family. (Not a
// jail family: the controller's group of tiers.)
using AddressFamily = IpAddress::Family;
inline constexpr std::array<AddressFamily, 2> kAddressFamilies{AddressFamily::v4,
                                                               AddressFamily::v6};

// One T per address family, indexed by the family itself, so an index cannot be mixed
// up with a kernel slot or a count.
template <class T> class PerAddressFamily {
public:
  T &operator[](AddressFamily af) { return items_[af == AddressFamily::v4 ? 0 : 1]; }
  const T &operator[](AddressFamily af) const { return items_[af == AddressFamily::v4 ? 0 : 1]; }

private:
  std::array<T, 2> items_{};
};

} // namespace mcf2b
