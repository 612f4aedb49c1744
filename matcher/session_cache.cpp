// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/session_cache.h"

#include <algorithm>
#include <bit>
#include <functional>

namespace mcf2b::matcher {

SessionCache::SessionCache(size_t capacity, int64_t max_age, size_t field_count)
    : capacity_(capacity), max_age_(max_age), field_count_(field_count) {
  // At most max(capacity, 1) sessions live at once: an index at most half full keeps
  // the probe sequences short.
  size_t slots = std::bit_ceil(std::max<size_t>(2 * std::max<size_t>(capacity, 1), 16));
  index_.assign(slots, kNone);
  mask_ = slots - 1;
}

uint32_t SessionCache::lookup(std::string_view id, uint64_t hash) const {
  for (uint64_t i = hash & mask_;; i = (i + 1) & mask_) {
    uint32_t e = index_[i];
    if (e == kNone)
      return kNone;
    if (entries_[e].hash == hash && entries_[e].id == id)
      return e;
  }
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
  uint64_t hole = entries_[e].slot;
  for (uint64_t i = (hole + 1) & mask_; index_[i] != kNone; i = (i + 1) & mask_) {
    uint64_t home = entries_[index_[i]].hash & mask_;
    // Stays when its home lies cyclically in (hole, i].
    bool stays = hole <= i ? (hole < home && home <= i) : (hole < home || home <= i);
    if (!stays) {
      index_[hole] = index_[i];
      entries_[index_[hole]].slot = static_cast<uint32_t>(hole);
      hole = i;
    }
  }
  index_[hole] = kNone;
  entries_[e].slot = kNone;
  free_.push_back(e);
  --size_;
}

Session *SessionCache::find(std::string_view id, int64_t now) {
  uint32_t e = lookup(id, std::hash<std::string_view>{}(id));
  if (e == kNone)
    return nullptr;
  if (now - entries_[e].stored > max_age_) {
    remove(e);
    return nullptr;
  }
  return &sessions_[e];
}

Session &SessionCache::insert(std::string_view id, int64_t now) {
  uint64_t hash = std::hash<std::string_view>{}(id);
  uint32_t e = lookup(id, hash);
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
      sessions_.emplace_back().fields.resize(field_count_);
    }
    Entry &n = entries_[e];
    n.id.assign(id);
    n.hash = hash;
    uint64_t i = hash & mask_;
    while (index_[i] != kNone)
      i = (i + 1) & mask_;
    index_[i] = e;
    n.slot = static_cast<uint32_t>(i);
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
  // The chain is oldest first (insertion order, and "now" does not go back), so expired
  // entries are at its front: amortised O(1) per insertion.
  while (oldest_ != kNone && now - entries_[oldest_].stored > max_age_)
    remove(oldest_);
  while (size_ >= capacity_ && oldest_ != kNone)
    remove(oldest_);
}

} // namespace mcf2b::matcher
