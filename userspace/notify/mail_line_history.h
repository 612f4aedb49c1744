// SPDX-License-Identifier: GPL-2.0-only
#pragma once

// (Kept apart from the actions' RecentMatches for now; to be one store.)

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/ip_address.h"
#include "userspace/controller/jail_catalog.h"

namespace mcf2b {

// The last matched log lines per (jail family, address), as fail2ban keeps them for
// <matches> (its maxmatches): ban mails list them, actions hand them over. Raw log text:
// whoever shows it escapes it. Bounded twice: `lines` per address at each record(), and
// `max_addresses` in all (the address recorded longest ago is forgotten first). Cheap on
// the failure path: one hash lookup and one copy of the line per failure, the lines of
// an address in one buffer (one allocation per address, not one per line).
class MailLineHistory {
public:
  static constexpr size_t kMaxLine = 2000; // a longer line is kept cut to this
  explicit MailLineHistory(size_t max_addresses = 100'000) : max_addresses_(max_addresses) {}

  // Keeps `line` (cut to kMaxLine bytes) as the newest of at most `lines` for the address.
  void record(JailFamilyId family, const IpPrefix &address, std::string_view line, size_t lines);
  // The kept lines, oldest first, and the failures recorded (all of them, not only the
  // kept lines) since the address was last forgotten.
  struct Entry {
    // The kept lines, oldest first, each after its length (two bytes, little-endian).
    std::string packed;
    size_t kept = 0; // lines in `packed`
    uint64_t failures = 0;
    // The kept lines, oldest first.
    [[nodiscard]] std::vector<std::string> lines() const;
    void drop_oldest();
    void append(std::string_view line);
  };
  [[nodiscard]] const Entry *find(JailFamilyId family, const IpPrefix &address) const;
  // Drops an address (its ban was reported: its next failures start a new count).
  void forget(JailFamilyId family, const IpPrefix &address);
  [[nodiscard]] size_t size() const { return entries_.size(); }

private:
  struct Key {
    JailFamilyId family;
    IpPrefix address;
    bool operator==(const Key &) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key &k) const {
      return std::hash<IpPrefix>{}(k.address) * 31 + k.family;
    }
  };
  size_t max_addresses_;
  std::unordered_map<Key, Entry, KeyHash> entries_;
  std::deque<Key> order_; // insertion order, for the bound (may hold forgotten keys)
};

} // namespace mcf2b
