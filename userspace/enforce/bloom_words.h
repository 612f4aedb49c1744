// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>

#include "base/ip_address.h"

namespace mcf2b {

// The ban filter's blocked Bloom filter, written in place in the words the XDP program
// reads (one 64-bit word per address, four bits in it; hashing in mcf2b_shared.h).
// Bits are set at once, before the address's table entry (add(), with a release fence),
// and cleared lazily: an unban leaves its bits (a stale bit costs the program one hash
// lookup, never a missed ban) and rebuild() recomputes every word from the addresses
// still banned once enough unbans have piled up. No per-bit counts: they were a random
// write into 16 MiB per ban, the first to each page a fault.
class BloomWords {
public:
  // `words` points at `count` words (a power of two) shared with the program.
  BloomWords(uint64_t *words, uint32_t count);

  // Words for a capacity: about 16 bits per ban, a power of two, at least 1024.
  static uint32_t words_for_capacity(uint32_t capacity);
  static uint64_t hash(const IpAddress &address);

  [[nodiscard]] uint32_t mask() const { return count_ - 1; }
  [[nodiscard]] uint32_t size() const { return count_; }
  [[nodiscard]] uint64_t word(uint32_t index) const;
  [[nodiscard]] bool may_contain(const IpAddress &address) const;

  // Sets the address's bits; the program sees them before anything written after.
  void add(const IpAddress &address);
  // An address left the tables: its bits stay until a rebuild; true when one is due
  // (unbans since the last beyond half the bans left, and at least 1024).
  bool removed(size_t banned_left);
  // Makes every word exactly the bits of the addresses `for_each` hands out (all those
  // banned): words are only ever written whole, with bits of banned addresses kept.
  using ForEachAddress = std::function<void(const std::function<void(const IpAddress &)> &)>;
  void rebuild(const ForEachAddress &for_each);

private:
  uint64_t *words_;
  uint32_t count_;
  size_t stale_ = 0; // unbans since the last rebuild
};

} // namespace mcf2b
