// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/session_cache.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <random>

namespace mcf2b::matcher {

SessionCache::SessionCache(size_t capacity, int64_t max_age, size_t field_count)
    : capacity_(capacity), max_age_(max_age), field_count_(field_count) {
  // At most max(capacity, 1) sessions live at once: an index at most a quarter full
  // keeps the probe sequences short, misses included.
  size_t slots = std::bit_ceil(std::max<size_t>(4 * std::max<size_t>(capacity, 1), 16));
  index_.assign(slots, Slot{});
  seed_ = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  mask_ = static_cast<uint32_t>(slots - 1);
}

uint32_t SessionCache::hash_of(std::string_view id) const {
  // Eight bytes at a time, multiply and fold; seeded per cache, so that ids written into
  // a log cannot be chosen to collide.
  constexpr uint64_t k = 0x9e3779b97f4a7c15ull;
  uint64_t h = seed_ ^ (id.size() * k);
  auto mix = [&](uint64_t word) {
    h = (h ^ word) * k;
    h ^= h >> 29;
  };
  size_t i = 0;
  for (; i + 8 <= id.size(); i += 8) {
    uint64_t word;
    std::memcpy(&word, id.data() + i, 8);
    mix(word);
  }
  if (i < id.size()) {
    // The last eight bytes, overlapping the ones mixed already, when there are eight.
    uint64_t word = 0;
    if (id.size() >= 8)
      std::memcpy(&word, id.data() + id.size() - 8, 8);
    else
      for (size_t at = i; at < id.size(); ++at)
        word = (word << 8) | static_cast<unsigned char>(id[at]);
    mix(word);
  }
  h *= k;
  return static_cast<uint32_t>(h ^ (h >> 32));
}

uint32_t SessionCache::lookup(std::string_view id, uint32_t hash) const {
  for (uint32_t i = hash & mask_;; i = (i + 1) & mask_) {
    const Slot &slot = index_[i];
    if (slot.entry == kNone)
      return kNone;
    if (slot.hash == hash && id_of(slot.entry) == id)
      return slot.entry;
  }
}

std::string_view SessionCache::id_of(uint32_t e) const {
  const Entry &entry = entries_[e];
  return entry.id_size <= kInlineId ? std::string_view(entry.id, entry.id_size)
                                    : std::string_view(long_ids_[e]);
}

void SessionCache::store_id(uint32_t e, std::string_view id) {
  Entry &entry = entries_[e];
  entry.id_size = static_cast<uint32_t>(id.size());
  if (id.size() <= kInlineId)
    std::memcpy(entry.id, id.data(), id.size());
  else
    long_ids_[e].assign(id);
}

void SessionCache::link_newest(uint32_t e) {
  entries_[e].older = newest_;
  entries_[e].newer = kNone;
  (newest_ != kNone ? entries_[newest_].newer : oldest_) = e;
  newest_ = e;
}

void SessionCache::unlink(uint32_t e) {
  Entry &n = entries_[e];
  (n.older != kNone ? entries_[n.older].newer : oldest_) = n.newer;
  (n.newer != kNone ? entries_[n.newer].older : newest_) = n.older;
  n.older = n.newer = kNone;
}

void SessionCache::remove(uint32_t e) {
  unlink(e);
  // Backward-shift deletion: entries after the hole that may live in it move back, so
  // that every entry stays reachable from its home slot without tombstones.
  uint32_t hole = entries_[e].slot;
  for (uint32_t i = (hole + 1) & mask_; index_[i].entry != kNone; i = (i + 1) & mask_) {
    uint32_t home = index_[i].hash & mask_;
    // Stays when its home lies cyclically in (hole, i].
    bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
    if (!stays) {
      index_[hole] = index_[i];
      entries_[index_[hole].entry].slot = hole;
      hole = i;
    }
  }
  index_[hole] = Slot{};
  entries_[e].slot = kNone;
  free_.push_back(e);
  --size_;
}

Session *SessionCache::find(const Key &key, int64_t now) {
  uint32_t e = lookup(key.id, key.hash);
  if (e == kNone)
    return nullptr;
  if (now - entries_[e].stored > max_age_) {
    remove(e);
    return nullptr;
  }
  return &sessions_[e];
}

Session &SessionCache::insert(const Key &key, int64_t now) {
  uint32_t e = lookup(key.id, key.hash);
  if (e != kNone) {
    // Stored again: it becomes the newest, as if removed and inserted.
    unlink(e);
  } else {
    if (size_ >= capacity_)
      evict(now);
    if (!free_.empty()) {
      e = free_.back();
      free_.pop_back();
    } else {
      e = static_cast<uint32_t>(entries_.size());
      entries_.emplace_back();
      long_ids_.emplace_back();
      sessions_.emplace_back().fields.resize(field_count_);
    }
    store_id(e, key.id);
    uint32_t i = key.hash & mask_;
    while (index_[i].entry != kNone)
      i = (i + 1) & mask_;
    index_[i] = Slot{e, key.hash};
    entries_[e].slot = i;
    ++size_;
  }
  entries_[e].stored = now;
  Session &s = sessions_[e];
  s.fields.clear();
  s.has_user = s.many_users = false;
  link_newest(e);
  return s;
}

void SessionCache::erase(Session &session) {
  remove(static_cast<uint32_t>(&session - sessions_.data()));
}

void SessionCache::evict(int64_t now) {
  // The chain is oldest first (insertion order), so expired entries are at its front:
  // amortised O(1) per insertion. "now" is log time, which can step back a little
  // between lines; an expired entry left behind a younger one is dropped by find().
  while (oldest_ != kNone && now - entries_[oldest_].stored > max_age_)
    remove(oldest_);
  while (size_ >= capacity_ && oldest_ != kNone)
    remove(oldest_);
}

} // namespace mcf2b::matcher
