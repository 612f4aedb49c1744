// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "base/ip_address.h"
#include "userspace/model/jail.h"

namespace mcf2b {

// The recent failures of each (family, address), in bounded memory. A prefix a log line
// named (<SUBNET>: 192.0.2.0/24) has a window of its own, apart from its addresses'.
//
// One entry per (family, address) serves all the jails of a family (the four tiers read
// the same log): it keeps the newest `capacity` failure times (the family's largest
// maxretry) in time order, plus, per tier, how many failures arrived since that
// jail last banned the address. A jail with maxretry m and findtime f reaches its
// threshold exactly when at least m failures arrived since its last ban and the m-th
// newest kept failure is within f of now: a sliding window, counted exactly per jail,
// without four copies of the timestamps.
//
// Memory: entries live in one array addressed by 32-bit indices (an open-addressing
// index and an LRU list over them), timestamps as 32-bit epoch seconds in pooled arrays
// sized by powers of two up to the family's capacity. When `max_tracked` entries exist,
// a new address evicts the least recently failing one (counted); entries whose newest
// failure is older than the family's largest findtime are dropped by prune() (counted
// apart: they could no longer ban anyone).
class FailureWindows {
public:
  static constexpr int kTiers = 5;
  using Ref = uint32_t;

  explicit FailureWindows(size_t max_tracked);
  FailureWindows(const FailureWindows &) = delete;
  FailureWindows &operator=(const FailureWindows &) = delete;

  // How many timestamps a family's entries keep, and how far back its jails look.
  // A smaller capacity takes effect on each entry's next failure.
  void configure_family(uint16_t jail_family, unsigned capacity, Seconds horizon);

  // Records a failure at `time` and counts it for each tier set in `tier_mask`.
  // The returned Ref is valid until the next call that adds or removes entries.
  Ref record(uint16_t jail_family, const IpAddress &address, Seconds time, unsigned tier_mask,
             Seconds now) {
    return record_key(jail_family, address, key_code(address, address.bit_width()), time, tier_mask,
                      now);
  }
  Ref record(uint16_t jail_family, const IpPrefix &prefix, Seconds time, unsigned tier_mask,
             Seconds now) {
    return record_key(jail_family, prefix.address(), key_code(prefix.address(), prefix.length()),
                      time, tier_mask, now);
  }

  // Whether the jail of tier `tier` has seen `maxretry` failures since its last ban, the
  // oldest of them after `window_start` (now - findtime).
  [[nodiscard]] bool reached(Ref ref, int tier, unsigned maxretry, Seconds window_start) const;
  // The jail of tier `tier` banned (or ignored) the address: its count starts again.
  void reset_tier(Ref ref, int tier);
  // A jail was disabled: forget what it counted for every address of its family.
  void reset_tier_everywhere(uint16_t jail_family, int tier);
  // Forgets an address's failures in a family altogether; whether it had any.
  bool forget(uint16_t jail_family, const IpPrefix &prefix);

  // Drops entries that can no longer reach any threshold. Returns how many.
  size_t prune(Seconds now);

  // For tests and status: the failure times kept and the per-tier counts.
  struct View {
    std::vector<Seconds> times;
    std::array<uint16_t, kTiers> since{};
  };
  [[nodiscard]] std::optional<View> find(uint16_t jail_family, const IpAddress &address) const {
    return find_key(jail_family, address, key_code(address, address.bit_width()));
  }
  [[nodiscard]] std::optional<View> find(uint16_t jail_family, const IpPrefix &prefix) const {
    return find_key(jail_family, prefix.address(), key_code(prefix.address(), prefix.length()));
  }

  [[nodiscard]] size_t tracked() const { return tracked_; }
  // Addresses with a window in one family (fail2ban's "Currently failed").
  [[nodiscard]] size_t tracked(uint16_t jail_family) const {
    return jail_family < tracked_by_family_.size() ? tracked_by_family_[jail_family] : 0;
  }
  [[nodiscard]] size_t max_tracked() const { return max_tracked_; }
  void set_max_tracked(size_t max_tracked);
  [[nodiscard]] uint64_t evictions() const { return evictions_; }
  [[nodiscard]] uint64_t expirations() const { return expirations_; }
  // Bytes held by this structure's arrays (their capacity, not their use).
  [[nodiscard]] size_t memory_bytes() const;

private:
  static constexpr uint32_t kNone = UINT32_MAX;
  static constexpr uint8_t kNoPool = UINT8_MAX;

  // The rest of an entry's key besides its family and address bytes, in one byte: the
  // address family and prefix length (IPv4 /0../32 -> 0..32, IPv6 /0../128 -> 33..161);
  // an address is its full-length prefix.
  static uint8_t key_code(const IpAddress &address, unsigned length) {
    return static_cast<uint8_t>(address.is_v6() ? 33 + length : length);
  }
  Ref record_key(uint16_t jail_family, const IpAddress &address, uint8_t code, Seconds time,
                 unsigned tier_mask, Seconds now);
  [[nodiscard]] std::optional<View> find_key(uint16_t jail_family, const IpAddress &address,
                                             uint8_t code) const;

  struct Entry {
    std::array<uint8_t, 16> address;
    uint16_t jail_family;
    uint8_t code;  // key_code()
    uint8_t pool;  // which StampPool holds its times, kNoPool before the first
    uint16_t size; // times kept
    std::array<uint16_t, kTiers> since;
    uint32_t stamps;     // slot in its pool
    uint32_t prev, next; // LRU list (next doubles as the free-list link)
    uint32_t newest;
  };

  // Storage grows in fixed chunks, not by doubling one array: at a million entries a
  // doubling vector would hold up to twice the memory it uses.
  static constexpr unsigned kEntryChunkShift = 12;
  static constexpr unsigned kStampChunkShift = 10;

  // Fixed-size arrays of timestamps, recycled through a free list.
  struct StampPool {
    uint32_t capacity = 0;
    std::vector<std::unique_ptr<uint32_t[]>> chunks;
    uint32_t used = 0; // slots handed out at least once
    uint32_t live = 0; // slots in use now
    uint32_t free_head = kNone;
    uint32_t allocate();
    void release(uint32_t slot);
    uint32_t *at(uint32_t slot) {
      return chunks[slot >> kStampChunkShift].get() +
             size_t(slot & ((1u << kStampChunkShift) - 1)) * capacity;
    }
    const uint32_t *at(uint32_t slot) const { return const_cast<StampPool *>(this)->at(slot); }
    [[nodiscard]] size_t memory_bytes() const {
      return chunks.size() * (size_t(capacity) << kStampChunkShift) * sizeof(uint32_t) +
             chunks.capacity() * sizeof(chunks[0]);
    }
  };

  struct FamilyLimits {
    unsigned capacity = 1;
    Seconds horizon = 0;
  };

  [[nodiscard]] uint64_t hash(uint16_t jail_family, const uint8_t *address, uint8_t code) const;
  [[nodiscard]] uint32_t lookup(uint16_t jail_family, const IpAddress &address, uint8_t code) const;
  uint32_t insert_entry(uint16_t jail_family, const IpAddress &address, uint8_t code);
  void remove_entry(uint32_t index);
  void index_insert(uint32_t index);
  void index_erase(uint32_t index);
  void grow_index();
  void lru_unlink(uint32_t index);
  void lru_push_front(uint32_t index);
  uint8_t pool_for(unsigned capacity);
  // Gives a slot back; a pool left mostly free is compacted so that memory follows use
  // (windows grow through every size class, and the slots they leave behind would
  // otherwise stay allocated).
  void release_stamps(uint8_t pool, uint32_t slot);
  void compact(uint8_t pool);
  void add_time(Entry &e, uint32_t time, unsigned capacity);
  [[nodiscard]] bool expired(const Entry &e, Seconds now) const;

  size_t max_tracked_;
  size_t tracked_ = 0;
  std::vector<size_t> tracked_by_family_;
  uint64_t evictions_ = 0;
  uint64_t expirations_ = 0;
  Entry &entry(uint32_t i) {
    return entry_chunks_[i >> kEntryChunkShift][i & ((1u << kEntryChunkShift) - 1)];
  }
  [[nodiscard]] const Entry &entry(uint32_t i) const {
    return entry_chunks_[i >> kEntryChunkShift][i & ((1u << kEntryChunkShift) - 1)];
  }

  std::vector<std::unique_ptr<Entry[]>> entry_chunks_;
  uint32_t entries_used_ = 0; // entries handed out at least once
  uint32_t free_entries_ = kNone;
  std::vector<uint32_t> index_; // open addressing, linear probing, entry indices
  size_t index_mask_ = 0;
  uint32_t lru_head_ = kNone, lru_tail_ = kNone;
  std::vector<StampPool> pools_;
  std::vector<FamilyLimits> families_;
};

} // namespace mcf2b
