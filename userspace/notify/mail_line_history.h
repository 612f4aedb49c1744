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
#include "base/untouched_zeros.h"
#include "userspace/controller/family_prefix.h"

namespace mcf2b {

// The last matched log lines per (jail family, address), as fail2ban keeps them for
// <matches> (its maxmatches): ban mails list them. Raw log text: whoever shows it escapes
// it. Bounded three times: `lines` per address at each record(), `max_addresses` in all
// (the address recorded longest ago is forgotten first), and `arena_bytes` of line text
// in all: the lines live in one ring, newest over oldest, each linked to the previous
// line of its address, so a failure costs one hash lookup and one copy of its line, and
// no allocation. An address's lines that the ring has overwritten since are gone (at
// the default 32 MiB, resident only as far as written: some 200,000 lines of a mail
// log, the failures of the last minutes of a flood).
class MailLineHistory {
public:
  static constexpr size_t kMaxLine = 2000; // a longer line is kept cut to this
  static constexpr size_t kDefaultArenaBytes = 32u << 20;
  explicit MailLineHistory(size_t max_addresses = 100'000, size_t arena_bytes = kDefaultArenaBytes);
  // Entries point into their history: it stays where it was made.
  MailLineHistory(const MailLineHistory &) = delete;
  MailLineHistory &operator=(const MailLineHistory &) = delete;

  // Keeps `line` (cut to kMaxLine bytes) as the newest of at most `lines` for the address.
  void record(JailFamilyId family, const IpPrefix &address, std::string_view line, size_t lines);
  // What is kept for an address: the failures recorded (all of them, not only the kept
  // lines) since it was last forgotten, and its kept lines.
  class Entry {
  public:
    uint64_t failures = 0;
    // The kept lines still in the ring, oldest first.
    [[nodiscard]] std::vector<std::string> lines() const;

  private:
    friend class MailLineHistory;
    const MailLineHistory *history_ = nullptr;
    uint64_t newest_ = kNone; // ring position of the newest line
    size_t kept_ = 0;         // lines linked from newest_ (some may be overwritten)
  };
  [[nodiscard]] const Entry *find(JailFamilyId family, const IpPrefix &address) const;
  // Drops an address (its ban was reported: its next failures start a new count).
  void forget(JailFamilyId family, const IpPrefix &address);
  [[nodiscard]] size_t size() const { return entries_.size(); }

private:
  static constexpr uint64_t kNone = UINT64_MAX;
  // In the ring, before each line: the ring position of the previous line of the same
  // address (kNone for none) and the line's length.
  struct LineHeader {
    uint64_t previous;
    uint32_t length;
  };
  // Appends a line to the ring; returns its position.
  uint64_t append(uint64_t previous, std::string_view line);
  // Whether the line at `position` is still whole in the ring.
  [[nodiscard]] bool holds(uint64_t position) const;

  size_t max_addresses_;
  size_t arena_bytes_;
  // Positions grow without end; a position's place in the ring is position % arena_bytes_.
  // A line never wraps around the ring's end: the rest of the lap is skipped.
  // Resident only as far as written (huge pages: it fills front to back).
  UntouchedZeros<char> ring_;
  uint64_t head_ = 0;
  std::unordered_map<FamilyPrefix, Entry, FamilyPrefixHash> entries_;
  std::deque<FamilyPrefix> order_; // insertion order, for the bound (may hold forgotten keys)
};

} // namespace mcf2b
