// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "base/ip_address.h"

namespace mcf2b {

// An LPM lookup returns the longest matching prefix only, so a value stored for the
// kernel must already account for the shorter prefixes that contain it. These fold each
// entry's own value with those of every entry containing it (same address family).

// Expiries (TAI ns, 0 = permanent): the latest of them, permanent beating any time.
std::vector<uint64_t> covering_latest_expiry(const std::vector<std::pair<IpPrefix, uint64_t>> &);
// Jail masks: the union.
std::vector<uint64_t> covering_union(const std::vector<std::pair<IpPrefix, uint64_t>> &);

} // namespace mcf2b
