// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/failure_windows.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "mcf2b_shared.h"

namespace mcf2b {
namespace {

uint32_t to_stamp(Seconds t) {
  if (t < 0)
    return 0;
  if (t > std::numeric_limits<uint32_t>::max())
    return std::numeric_limits<uint32_t>::max();
  return static_cast<uint32_t>(t);
}

// The same mixing as the kernel's host table and Bloom filter (one definition).
uint64_t mix(uint64_t x) {
  return mcf2b_mix64(x);
}

} // namespace

uint32_t FailureWindows::StampPool::allocate() {
  ++live;
  if (free_head != kNone) {
    uint32_t slot = free_head;
    free_head = *at(slot);
    return slot;
  }
  if ((used >> kStampChunkShift) == chunks.size())
    chunks.push_back(
        std::make_unique_for_overwrite<uint32_t[]>(size_t(capacity) << kStampChunkShift));
  return used++;
}

void FailureWindows::StampPool::release(uint32_t slot) {
  *at(slot) = free_head;
  free_head = slot;
  --live;
}

void FailureWindows::release_stamps(uint8_t pool, uint32_t slot) {
  StampPool &p = pools_[pool];
  p.release(slot);
  uint32_t free = p.used - p.live;
  // Amortised: at least max(live, tracked / 8) releases happen between two compactions
  // of a pool, each of which walks the tracked entries once.
  if (free > (1u << kStampChunkShift) && free > p.live && free > tracked_ / 8)
    compact(pool);
}

void FailureWindows::compact(uint8_t pool) {
  StampPool &old = pools_[pool];
  StampPool fresh;
  fresh.capacity = old.capacity;
  for (uint32_t i = lru_head_; i != kNone; i = entry(i).next) {
    Entry &e = entry(i);
    if (e.pool != pool)
      continue;
    uint32_t slot = fresh.allocate();
    std::memcpy(fresh.at(slot), old.at(e.stamps), e.size * sizeof(uint32_t));
    e.stamps = slot;
  }
  old = std::move(fresh);
}

FailureWindows::FailureWindows(size_t max_tracked)
    : max_tracked_(std::max<size_t>(max_tracked, 1)) {
  if (max_tracked_ >= kNone)
    max_tracked_ = kNone - 1;
  index_.assign(16, kNone);
  index_mask_ = 15;
}

void FailureWindows::set_max_tracked(size_t max_tracked) {
  max_tracked_ = std::clamp<size_t>(max_tracked, 1, kNone - 1);
  while (tracked_ > max_tracked_) {
    remove_entry(lru_tail_);
    ++evictions_;
  }
}

void FailureWindows::configure_family(uint16_t jail_family, unsigned capacity, Seconds horizon) {
  if (families_.size() <= jail_family)
    families_.resize(size_t(jail_family) + 1);
  families_[jail_family] = FamilyLimits{std::clamp(capacity, 1u, 65535u), horizon};
}

uint64_t FailureWindows::hash(uint16_t jail_family, const uint8_t *address, uint8_t code) const {
  uint64_t lo, hi;
  std::memcpy(&lo, address, 8);
  std::memcpy(&hi, address + 8, 8);
  return mix(lo ^ mix(hi ^ (uint64_t(jail_family) << 1) ^ (uint64_t(code) << 17)));
}

uint32_t FailureWindows::lookup(uint16_t jail_family, const IpAddress &address,
                                uint8_t code) const {
  size_t i = hash(jail_family, address.bytes().data(), code) & index_mask_;
  for (;; i = (i + 1) & index_mask_) {
    uint32_t idx = index_[i];
    if (idx == kNone)
      return kNone;
    const Entry &e = entry(idx);
    if (e.jail_family == jail_family && e.code == code && e.address == address.bytes())
      return idx;
  }
}

void FailureWindows::grow_index() {
  std::vector<uint32_t> old = std::move(index_);
  index_.assign(old.size() * 2, kNone);
  index_mask_ = index_.size() - 1;
  for (uint32_t idx : old)
    if (idx != kNone)
      index_insert(idx);
}

void FailureWindows::index_insert(uint32_t idx) {
  const Entry &e = entry(idx);
  size_t i = hash(e.jail_family, e.address.data(), e.code) & index_mask_;
  while (index_[i] != kNone)
    i = (i + 1) & index_mask_;
  index_[i] = idx;
}

void FailureWindows::index_erase(uint32_t idx) {
  const Entry &e = entry(idx);
  size_t i = hash(e.jail_family, e.address.data(), e.code) & index_mask_;
  while (index_[i] != idx)
    i = (i + 1) & index_mask_;
  // Backward-shift deletion keeps every probe chain unbroken without tombstones.
  size_t j = i;
  for (;;) {
    j = (j + 1) & index_mask_;
    if (index_[j] == kNone)
      break;
    const Entry &m = entry(index_[j]);
    size_t home = hash(m.jail_family, m.address.data(), m.code) & index_mask_;
    bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
    if (movable) {
      index_[i] = index_[j];
      i = j;
    }
  }
  index_[i] = kNone;
}

void FailureWindows::lru_unlink(uint32_t idx) {
  Entry &e = entry(idx);
  if (e.prev != kNone)
    entry(e.prev).next = e.next;
  else
    lru_head_ = e.next;
  if (e.next != kNone)
    entry(e.next).prev = e.prev;
  else
    lru_tail_ = e.prev;
  e.prev = e.next = kNone;
}

void FailureWindows::lru_push_front(uint32_t idx) {
  Entry &e = entry(idx);
  e.prev = kNone;
  e.next = lru_head_;
  if (lru_head_ != kNone)
    entry(lru_head_).prev = idx;
  lru_head_ = idx;
  if (lru_tail_ == kNone)
    lru_tail_ = idx;
}

uint32_t FailureWindows::insert_entry(uint16_t jail_family, const IpAddress &address,
                                      uint8_t code) {
  uint32_t idx;
  if (free_entries_ != kNone) {
    idx = free_entries_;
    free_entries_ = entry(idx).next;
  } else {
    if ((entries_used_ >> kEntryChunkShift) == entry_chunks_.size())
      entry_chunks_.push_back(std::make_unique<Entry[]>(size_t(1) << kEntryChunkShift));
    idx = entries_used_++;
  }
  Entry &e = entry(idx);
  e.address = address.bytes();
  e.jail_family = jail_family;
  e.code = code;
  e.pool = kNoPool;
  e.size = 0;
  e.since = {};
  e.stamps = 0;
  e.prev = e.next = kNone;
  e.newest = 0;
  if ((tracked_ + 1) * 4 > index_.size() * 3)
    grow_index();
  index_insert(idx);
  ++tracked_;
  if (jail_family >= tracked_by_family_.size())
    tracked_by_family_.resize(size_t{jail_family} + 1, 0);
  ++tracked_by_family_[jail_family];
  return idx;
}

void FailureWindows::remove_entry(uint32_t idx) {
  index_erase(idx);
  lru_unlink(idx);
  Entry &e = entry(idx);
  uint8_t pool = e.pool;
  e.pool = kNoPool;
  e.next = free_entries_;
  free_entries_ = idx;
  --tracked_;
  --tracked_by_family_[e.jail_family];
  if (pool != kNoPool)
    release_stamps(pool, e.stamps);
}

uint8_t FailureWindows::pool_for(unsigned capacity) {
  for (size_t i = 0; i < pools_.size(); ++i)
    if (pools_[i].capacity == capacity)
      return static_cast<uint8_t>(i);
  if (pools_.size() >= kNoPool)
    throw std::length_error("too many timestamp pool sizes");
  pools_.emplace_back();
  pools_.back().capacity = capacity;
  return static_cast<uint8_t>(pools_.size() - 1);
}

void FailureWindows::add_time(Entry &e, uint32_t time, unsigned capacity) {
  uint32_t *stamps = e.pool == kNoPool ? nullptr : pools_[e.pool].at(e.stamps);
  if (e.size > capacity) { // the family's capacity shrank: keep the newest
    std::memmove(stamps, stamps + (e.size - capacity), capacity * sizeof(uint32_t));
    e.size = static_cast<uint16_t>(capacity);
  }
  unsigned have = e.pool == kNoPool ? 0 : pools_[e.pool].capacity;
  if (e.size >= capacity) {
    // Full: the oldest goes, unless the new one is older than everything kept (a late
    // line from a replayed log), which then cannot be among the newest.
    if (time <= stamps[0])
      return;
    std::memmove(stamps, stamps + 1, (e.size - 1) * sizeof(uint32_t));
    --e.size;
  } else if (e.size == have) {
    unsigned grown = std::min(std::max(have * 2, 1u), capacity);
    uint8_t pool = pool_for(grown);
    uint32_t slot = pools_[pool].allocate();
    uint32_t *to = pools_[pool].at(slot);
    uint8_t old_pool = e.pool;
    uint32_t old_slot = e.stamps;
    if (stamps)
      std::memcpy(to, stamps, e.size * sizeof(uint32_t));
    e.pool = pool;
    e.stamps = slot;
    if (old_pool != kNoPool)
      release_stamps(old_pool, old_slot); // may compact: `e` is already out of that pool
    stamps = pools_[e.pool].at(e.stamps);
  }
  // Keep times ordered; lines from several files can arrive slightly out of order.
  unsigned i = e.size;
  while (i > 0 && stamps[i - 1] > time) {
    stamps[i] = stamps[i - 1];
    --i;
  }
  stamps[i] = time;
  ++e.size;
}

bool FailureWindows::expired(const Entry &e, Seconds now) const {
  Seconds horizon = e.jail_family < families_.size() ? families_[e.jail_family].horizon : 0;
  return Seconds(e.newest) <= now - horizon;
}

FailureWindows::Ref FailureWindows::record_key(uint16_t jail_family, const IpAddress &address,
                                               uint8_t code, Seconds time, unsigned tier_mask,
                                               Seconds now) {
  if (families_.size() <= jail_family)
    families_.resize(size_t(jail_family) + 1);
  uint32_t idx = lookup(jail_family, address, code);
  if (idx == kNone) {
    if (tracked_ >= max_tracked_) {
      if (expired(entry(lru_tail_), now))
        ++expirations_;
      else
        ++evictions_;
      remove_entry(lru_tail_);
    }
    idx = insert_entry(jail_family, address, code);
  } else {
    lru_unlink(idx);
  }
  lru_push_front(idx);
  Entry &e = entry(idx);
  uint32_t stamp = to_stamp(time);
  add_time(e, stamp, families_[jail_family].capacity);
  e.newest = std::max(e.newest, stamp);
  for (int s = 0; s < kTiers; ++s)
    if ((tier_mask >> s) & 1u)
      e.since[size_t(s)] = static_cast<uint16_t>(std::min(e.since[size_t(s)] + 1, 65535));
  return idx;
}

bool FailureWindows::reached(Ref ref, int tier, unsigned maxretry, Seconds window_start) const {
  const Entry &e = entry(ref);
  if (maxretry == 0)
    maxretry = 1;
  if (e.since[size_t(tier)] < maxretry || e.size < maxretry)
    return false;
  return Seconds(pools_[e.pool].at(e.stamps)[e.size - maxretry]) > window_start;
}

void FailureWindows::reset_tier(Ref ref, int tier) {
  entry(ref).since[size_t(tier)] = 0;
}

void FailureWindows::reset_tier_everywhere(uint16_t jail_family, int tier) {
  for (uint32_t i = lru_head_; i != kNone; i = entry(i).next)
    if (entry(i).jail_family == jail_family)
      entry(i).since[size_t(tier)] = 0;
}

bool FailureWindows::forget(uint16_t jail_family, const IpPrefix &prefix) {
  uint32_t idx = lookup(jail_family, prefix.address(), key_code(prefix.address(), prefix.length()));
  if (idx == kNone)
    return false;
  remove_entry(idx);
  return true;
}

size_t FailureWindows::prune(Seconds now) {
  size_t dropped = 0;
  while (lru_tail_ != kNone && expired(entry(lru_tail_), now)) {
    remove_entry(lru_tail_);
    ++expirations_;
    ++dropped;
  }
  return dropped;
}

std::optional<FailureWindows::View>
FailureWindows::find_key(uint16_t jail_family, const IpAddress &address, uint8_t code) const {
  uint32_t idx = lookup(jail_family, address, code);
  if (idx == kNone)
    return std::nullopt;
  const Entry &e = entry(idx);
  View view;
  view.since = e.since;
  for (unsigned i = 0; i < e.size; ++i)
    view.times.push_back(pools_[e.pool].at(e.stamps)[i]);
  return view;
}

size_t FailureWindows::memory_bytes() const {
  size_t bytes = entry_chunks_.size() * (sizeof(Entry) << kEntryChunkShift) +
                 entry_chunks_.capacity() * sizeof(entry_chunks_[0]) +
                 index_.capacity() * sizeof(uint32_t) + pools_.capacity() * sizeof(StampPool) +
                 families_.capacity() * sizeof(FamilyLimits);
  for (const auto &pool : pools_)
    bytes += pool.memory_bytes();
  return bytes;
}

} // namespace mcf2b
