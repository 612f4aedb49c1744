// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/bloom_words.h"

#include <atomic>
#include <bit>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "mcf2b_shared.h"

namespace mcf2b {
namespace {

void store(uint64_t &word, uint64_t value) {
  std::atomic_ref<uint64_t>(word).store(value, std::memory_order_relaxed);
  // The program must see an address's bits before its table slot: the fence keeps this
  // store ahead of the table's.
  std::atomic_thread_fence(std::memory_order_release);
}

} // namespace

BloomWords::BloomWords(uint64_t *words, uint32_t count) : words_(words), count_(count) {
  if (count == 0 || !std::has_single_bit(count))
    throw std::invalid_argument("BloomWords: word count must be a power of two");
}

uint32_t BloomWords::words_for_capacity(uint32_t capacity) {
  uint64_t bits = uint64_t{capacity} * 16;
  uint64_t words = std::bit_ceil(std::max<uint64_t>(bits / 64, 1024));
  return static_cast<uint32_t>(std::min<uint64_t>(words, uint64_t{1} << 30));
}

uint64_t BloomWords::hash(const IpAddress &address) {
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

uint64_t BloomWords::word(uint32_t index) const {
  return std::atomic_ref<uint64_t>(words_[index]).load(std::memory_order_relaxed);
}

bool BloomWords::may_contain(const IpAddress &address) const {
  uint64_t h = hash(address);
  uint64_t bits = mcf2b_bloom_bits(h);
  return (word(mcf2b_bloom_word(h, mask())) & bits) == bits;
}

void BloomWords::add(const IpAddress &address) {
  uint64_t h = hash(address);
  uint32_t w = mcf2b_bloom_word(h, mask());
  uint64_t bits = mcf2b_bloom_bits(h);
  uint64_t before = word(w);
  if ((before & bits) != bits)
    store(words_[w], before | bits);
}

bool BloomWords::removed(size_t banned_left) {
  ++stale_;
  return stale_ >= 1024 && stale_ > banned_left / 2;
}

void BloomWords::rebuild(const ForEachAddress &for_each) {
  std::vector<uint64_t> fresh(count_, 0);
  for_each([&](const IpAddress &a) {
    uint64_t h = hash(a);
    fresh[mcf2b_bloom_word(h, mask())] |= mcf2b_bloom_bits(h);
  });
  for (uint32_t w = 0; w < count_; ++w)
    if (word(w) != fresh[w])
      store(words_[w], fresh[w]);
  stale_ = 0;
}

} // namespace mcf2b
