// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/prefix_cover.h"

#include <unordered_map>

namespace mcf2b {
namespace {

template <class Combine>
std::vector<uint64_t> fold_covering(const std::vector<std::pair<IpPrefix, uint64_t>> &entries,
                                    Combine combine) {
  std::unordered_map<IpPrefix, uint64_t> own;
  own.reserve(entries.size());
  for (const auto &[prefix, value] : entries)
    own.emplace(prefix, value);
  std::vector<uint64_t> out;
  out.reserve(entries.size());
  for (const auto &[prefix, value] : entries) {
    uint64_t folded = value;
    for (unsigned len = 0; len < prefix.length(); ++len) {
      auto it = own.find(IpPrefix(prefix.address(), len));
      if (it != own.end())
        folded = combine(folded, it->second);
    }
    out.push_back(folded);
  }
  return out;
}

} // namespace

std::vector<uint64_t>
covering_latest_expiry(const std::vector<std::pair<IpPrefix, uint64_t>> &entries) {
  return fold_covering(entries, [](uint64_t a, uint64_t b) {
    return (a == 0 || b == 0) ? uint64_t{0} : std::max(a, b);
  });
}

std::vector<uint64_t> covering_union(const std::vector<std::pair<IpPrefix, uint64_t>> &entries) {
  return fold_covering(entries, [](uint64_t a, uint64_t b) { return a | b; });
}

} // namespace mcf2b
