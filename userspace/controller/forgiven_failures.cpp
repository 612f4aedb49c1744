// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/forgiven_failures.h"

#include <algorithm>

namespace mcf2b {

void ForgivenFailures::forgive(JailFamilyId family, const IpPrefix &prefix, Seconds at) {
  Seconds &t = lifted_[FamilyPrefix{family, prefix}];
  t = std::max(t, at);
}

bool ForgivenFailures::forgiven(JailFamilyId family, const IpPrefix &prefix, Seconds time) const {
  if (lifted_.empty())
    return false;
  auto it = lifted_.find(FamilyPrefix{family, prefix});
  return it != lifted_.end() && time <= it->second;
}

void ForgivenFailures::prune(Seconds now, const std::function<Seconds(JailFamilyId)> &horizon) {
  std::erase_if(lifted_, [&](const auto &entry) {
    return entry.second <= now - horizon(entry.first.family);
  });
}

} // namespace mcf2b
