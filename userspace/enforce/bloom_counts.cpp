// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/bloom_counts.h"

#include <bit>
#include <cstring>
#include <stdexcept>

#include "mcf2b_shared.h"

namespace mcf2b {

BloomCounts::BloomCounts(uint32_t words) : words_(words), counts_(size_t{words} * 64) {
  if (words == 0 || !std::has_single_bit(words))
    throw std::invalid_argument("BloomCounts: word count must be a power of two");
}

uint32_t BloomCounts::words_for_capacity(uint32_t capacity) {
  uint64_t bits = uint64_t{capacity} * 16;
  uint64_t words = std::bit_ceil(std::max<uint64_t>(bits / 64, 1024));
  return static_cast<uint32_t>(std::min<uint64_t>(words, uint64_t{1} << 30));
}

uint64_t BloomCounts::hash(const IpAddress &address) {
  const auto &b = address.bytes();
  if (address.is_v4()) {
    __u32 addr;
    std::memcpy(&addr, b.data(), 4); // network byte order, as the program loads it
    return mcf2b_bloom_hash4(addr);
  }
  __u64 hi, lo;
  std::memcpy(&hi, b.data(), 8);
  std::memcpy(&lo, b.data() + 8, 8);
  return mcf2b_bloom_hash6(hi, lo);
}

bool BloomCounts::may_contain(const IpAddress &address) const {
  uint64_t h = hash(address);
  uint64_t bits = mcf2b_bloom_bits(h);
  return (words_[mcf2b_bloom_word(h, mask())] & bits) == bits;
}

std::optional<uint32_t> BloomCounts::add(const IpAddress &address) {
  uint64_t h = hash(address);
  uint32_t w = mcf2b_bloom_word(h, mask());
  uint64_t bits = mcf2b_bloom_bits(h);
  uint64_t before = words_[w];
  for (uint64_t rest = bits; rest; rest &= rest - 1) {
    uint8_t &c = counts_[size_t{w} * 64 + static_cast<unsigned>(std::countr_zero(rest))];
    if (c < 255)
      ++c;
  }
  words_[w] |= bits;
  return words_[w] != before ? std::optional<uint32_t>(w) : std::nullopt;
}

std::optional<uint32_t> BloomCounts::remove(const IpAddress &address) {
  uint64_t h = hash(address);
  uint32_t w = mcf2b_bloom_word(h, mask());
  uint64_t bits = mcf2b_bloom_bits(h);
  uint64_t before = words_[w];
  for (uint64_t rest = bits; rest; rest &= rest - 1) {
    unsigned i = static_cast<unsigned>(std::countr_zero(rest));
    uint8_t &c = counts_[size_t{w} * 64 + i];
    if (c == 255 || c == 0)
      continue; // saturated: stays set for good; 0: was never added (caller's error)
    if (--c == 0)
      words_[w] &= ~(uint64_t{1} << i);
  }
  return words_[w] != before ? std::optional<uint32_t>(w) : std::nullopt;
}

} // namespace mcf2b
