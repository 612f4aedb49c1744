// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/ip_address.h"
#include "base/seconds.h"

namespace mcf2b {

// The last matched lines of each failing address, per jail family, with the <F-USER>
// each carried: what a ban's actions get as <matches>, <ipmatches> and <F-USER>
// (fail2ban keeps them in its tickets). Log text, kept as data only.
//
// Bounded three ways: lines per address and family (fail2ban's maxmatches), bytes per
// line (longer lines are cut), and addresses (the least recently failing is forgotten).
class RecentMatches {
public:
  struct Limits {
    size_t lines_per_family = 10;
    size_t line_bytes = 4096;
    size_t addresses = 100'000;
  };
  struct Line {
    uint16_t family = 0; // the controller's JailFamilyId
    Seconds time = 0;
    std::string text;
    std::map<std::string, std::string> fields; // the line's captures: "user" for <F-USER>
  };

  RecentMatches() = default;
  explicit RecentMatches(Limits limits) : limits_(limits) {}

  // Fields and the line are cut at line_bytes each.
  void record(const IpPrefix &address, uint16_t family, Seconds time, std::string_view line,
              std::map<std::string, std::string> fields);
  // The address's lines, oldest first: of one family, or of all.
  [[nodiscard]] std::vector<Line> of_family(const IpPrefix &address, uint16_t family) const;
  [[nodiscard]] std::vector<Line> of_address(const IpPrefix &address) const;
  [[nodiscard]] size_t addresses() const { return index_.size(); }

private:
  struct Entry {
    std::string key;
    std::vector<Line> lines; // oldest first, at most lines_per_family of each family
  };
  Limits limits_;
  std::list<Entry> recent_; // most recently failing first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

} // namespace mcf2b
