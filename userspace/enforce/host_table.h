// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>

#include "base/ip_address.h"
#include "base/result.h"
#include "mcf2b_shared.h"

namespace mcf2b {

// The earlier of two expiries (TAI ns), 0 being "never".
inline uint64_t earlier_expiry(uint64_t a, uint64_t b) {
  if (a == 0)
    return b;
  if (b == 0)
    return a;
  return a < b ? a : b;
}

// One address family's host bans, laid out as the ban filter reads them
// (mcf2b_host4_bucket / mcf2b_host6_bucket): buckets of one cache line, each address in
// one of its two buckets (two-choice cuckoo hashing), over memory it does not own: a
// mapped BPF array, or any zeroed 64-byte-aligned buffer. One writer (this process);
// the program reads concurrently, so every change keeps the table right at each store:
// a slot is published by writing its jails last and freed by clearing them first, and an
// address that must move is copied into its other bucket before its old slot is freed.
class HostTable {
public:
  static constexpr size_t kBucketSize = 64;

  // Buckets for `capacity` addresses: at most two thirds of the slots ever in use, where
  // two-choice cuckoo insertion practically never fails.
  static uint32_t buckets_for(bool v4, uint32_t capacity);

  // `memory` holds `buckets` buckets, zeroed or as an earlier HostTable of the same
  // address family and bucket count left them.
  HostTable(bool v4, void *memory, uint32_t buckets, uint32_t capacity);

  [[nodiscard]] bool v4() const { return v4_; }
  [[nodiscard]] size_t size() const { return size_; }
  [[nodiscard]] uint32_t capacity() const { return capacity_; }
  [[nodiscard]] uint32_t buckets() const { return buckets_; }

  [[nodiscard]] std::optional<mcf2b_host_value> find(const IpAddress &address) const;
  // Adds an address not in the table (value.jails != 0). A full table is an error with
  // code ENOSPC, and changes nothing.
  Status insert(const IpAddress &address, const mcf2b_host_value &value);
  // Changes the value of an address in the table (value.jails != 0); false when absent.
  bool update(const IpAddress &address, const mcf2b_host_value &value);
  // false when absent.
  bool erase(const IpAddress &address);
  void for_each(const std::function<void(const IpAddress &, const mcf2b_host_value &)> &fn) const;

  // Tests only: called after every store the program may observe, so a test can check
  // what a concurrent reader would find at each step.
  void set_store_observer(std::function<void()> observer) { observer_ = std::move(observer); }

private:
  struct Place {
    uint32_t bucket;
    uint32_t slot;
  };

  [[nodiscard]] uint8_t *bucket(uint32_t b) const { return base_ + size_t{b} * kBucketSize; }
  [[nodiscard]] uint8_t *addr_at(Place p) const { return bucket(p.bucket) + p.slot * addr_size_; }
  [[nodiscard]] uint8_t *value_at(Place p) const {
    return bucket(p.bucket) + value_offset_ + p.slot * sizeof(mcf2b_host_value);
  }
  [[nodiscard]] uint64_t jails_at(Place p) const;
  [[nodiscard]] mcf2b_host_value value_of(Place p) const;
  [[nodiscard]] std::pair<uint32_t, uint32_t> buckets_of(const uint8_t *addr) const;
  [[nodiscard]] std::optional<Place> locate(const uint8_t *addr) const;
  [[nodiscard]] std::optional<uint32_t> free_slot(uint32_t b) const;
  [[nodiscard]] uint32_t free_slots(uint32_t b) const;
  [[nodiscard]] IpAddress address_of(const uint8_t *addr) const;

  void observed() const;
  void publish(Place p, const uint8_t *addr, const mcf2b_host_value &value);
  void release(Place p);
  // Makes a slot free in bucket b1 or b2 by moving addresses to their other buckets.
  std::optional<Place> make_room(uint32_t b1, uint32_t b2);

  bool v4_;
  uint8_t *base_;
  uint32_t buckets_, capacity_;
  uint32_t slots_, addr_size_, value_offset_;
  size_t size_ = 0;
  std::function<void()> observer_;
};

} // namespace mcf2b
