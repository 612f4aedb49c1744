// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "base/ip_address.h"

namespace mcf2b {

// A set of addresses and prefixes (whitelists, ignore lists, own addresses) answering
// "is this address covered?" with one hash lookup per distinct prefix length present,
// so a list of a thousand hosts costs one lookup, not a thousand comparisons.
class PrefixSet {
public:
  // Returns false when the prefix was already present.
  bool add(const IpPrefix &prefix);
  // Returns false when the prefix was not present (exactly; no covering or splitting).
  bool remove(const IpPrefix &prefix);

  [[nodiscard]] bool contains(const IpAddress &address) const;
  // Whether some entry covers all of `prefix`.
  [[nodiscard]] bool covers(const IpPrefix &prefix) const;
  // Whether some entry and `prefix` share at least one address.
  [[nodiscard]] bool overlaps(const IpPrefix &prefix) const;
  [[nodiscard]] bool has(const IpPrefix &prefix) const { return entries_.contains(prefix); }

  [[nodiscard]] bool empty() const { return entries_.empty(); }
  [[nodiscard]] size_t size() const { return entries_.size(); }
  // The entries, in no particular order.
  [[nodiscard]] std::vector<IpPrefix> entries() const;
  void clear();

private:
  std::vector<uint8_t> &lengths_of(const IpAddress &a) {
    return a.is_v4() ? v4_lengths_ : v6_lengths_;
  }
  [[nodiscard]] const std::vector<uint8_t> &lengths_of(const IpAddress &a) const {
    return a.is_v4() ? v4_lengths_ : v6_lengths_;
  }

  std::unordered_set<IpPrefix> entries_;
  // Distinct prefix lengths present per family, longest first, with their use counts.
  std::vector<uint8_t> v4_lengths_, v6_lengths_;
  std::vector<uint32_t> v4_uses_ = std::vector<uint32_t>(33), v6_uses_ = std::vector<uint32_t>(129);
};

} // namespace mcf2b
