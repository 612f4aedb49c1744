// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <optional>

#include "base/ip_address.h"
#include "base/untouched_zeros.h"

namespace mcf2b {

// Userspace side of the ban filter's blocked Bloom filter (one 64-bit word per address,
// four bits in it; hashing in mcf2b_shared.h). The kernel holds only the bits; this keeps
// a count per bit so an unban can clear bits no other address needs. Counts saturate at
// 255 and then never go down: a stuck bit only costs a hash lookup, never a missed ban.
class BloomCounts {
public:
  // `words` must be a power of two.
  explicit BloomCounts(uint32_t words);

  // Words for a capacity: about 16 bits per ban, a power of two, at least 1024.
  static uint32_t words_for_capacity(uint32_t capacity);
  static uint64_t hash(const IpAddress &address);

  [[nodiscard]] uint32_t mask() const { return static_cast<uint32_t>(words_.size() - 1); }
  [[nodiscard]] uint32_t size() const { return static_cast<uint32_t>(words_.size()); }
  [[nodiscard]] uint64_t word(uint32_t index) const { return words_[index]; }
  [[nodiscard]] bool may_contain(const IpAddress &address) const;

  // Adds or removes one address; returns the index of its word when that word changed.
  std::optional<uint32_t> add(const IpAddress &address);
  std::optional<uint32_t> remove(const IpAddress &address);

private:
  // Sized for the full capacity (18 MiB at a million bans) but resident only where bits
  // are set: at rest, with few bans, they cost next to nothing.
  UntouchedZeros<uint64_t> words_;
  UntouchedZeros<uint8_t> counts_; // 64 per word
};

} // namespace mcf2b
