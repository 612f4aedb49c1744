// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/prefix_set.h"

#include <algorithm>

namespace mcf2b {

bool PrefixSet::add(const IpPrefix &prefix) {
  if (!entries_.insert(prefix).second)
    return false;
  auto &uses = prefix.address().is_v4() ? v4_uses_ : v6_uses_;
  if (uses[prefix.length()]++ == 0) {
    auto &lengths = lengths_of(prefix.address());
    lengths.push_back(static_cast<uint8_t>(prefix.length()));
    std::sort(lengths.begin(), lengths.end(), std::greater<>());
  }
  return true;
}

bool PrefixSet::remove(const IpPrefix &prefix) {
  if (entries_.erase(prefix) == 0)
    return false;
  auto &uses = prefix.address().is_v4() ? v4_uses_ : v6_uses_;
  if (--uses[prefix.length()] == 0) {
    auto &lengths = lengths_of(prefix.address());
    lengths.erase(std::find(lengths.begin(), lengths.end(), prefix.length()));
  }
  return true;
}

bool PrefixSet::contains(const IpAddress &address) const {
  for (uint8_t length : lengths_of(address))
    if (entries_.contains(IpPrefix(address, length)))
      return true;
  return false;
}

bool PrefixSet::covers(const IpPrefix &prefix) const {
  for (uint8_t length : lengths_of(prefix.address()))
    if (length <= prefix.length() && entries_.contains(IpPrefix(prefix.address(), length)))
      return true;
  return false;
}

bool PrefixSet::overlaps(const IpPrefix &prefix) const {
  if (covers(prefix))
    return true;
  // Entries inside `prefix`: rare (ban commands on ranges), so a scan is fine.
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const IpPrefix &e) { return prefix.contains(e); });
}

std::vector<IpPrefix> PrefixSet::entries() const {
  return {entries_.begin(), entries_.end()};
}

void PrefixSet::clear() {
  entries_.clear();
  v4_lengths_.clear();
  v6_lengths_.clear();
  std::fill(v4_uses_.begin(), v4_uses_.end(), 0);
  std::fill(v6_uses_.begin(), v6_uses_.end(), 0);
}

} // namespace mcf2b
