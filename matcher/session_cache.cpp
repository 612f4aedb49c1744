// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/session_cache.h"

namespace mcf2b::matcher {

void SessionCache::link_newest(Node &n) {
  n.second.older = newest_;
  n.second.newer = nullptr;
  if (newest_)
    newest_->second.newer = &n;
  else
    oldest_ = &n;
  newest_ = &n;
}

void SessionCache::unlink(Node &n) {
  (n.second.older ? n.second.older->second.newer : oldest_) = n.second.newer;
  (n.second.newer ? n.second.newer->second.older : newest_) = n.second.older;
  n.second.older = n.second.newer = nullptr;
}

void SessionCache::erase(Map::iterator it) {
  unlink(*it);
  entries_.erase(it);
}

std::shared_ptr<Fields> SessionCache::get(std::string_view id, int64_t now) {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return nullptr;
  if (now - it->second.stored > max_age_) {
    erase(it);
    return nullptr;
  }
  return it->second.fields;
}

void SessionCache::set(std::string_view id, std::shared_ptr<Fields> fields, int64_t now) {
  auto it = entries_.find(id);
  if (it != entries_.end()) {
    // Stored again: it becomes the newest, as if removed and inserted.
    unlink(*it);
  } else {
    if (entries_.size() >= capacity_)
      evict(now);
    it = entries_.emplace(std::string(id), Entry{}).first;
  }
  it->second.fields = std::move(fields);
  it->second.stored = now;
  link_newest(*it);
}

void SessionCache::unset(std::string_view id) {
  if (auto it = entries_.find(id); it != entries_.end())
    erase(it);
}

void SessionCache::evict(int64_t now) {
  // The chain is oldest first (insertion order, and "now" does not go back), so expired
  // entries are at its front: amortised O(1) per insertion.
  while (oldest_ && now - oldest_->second.stored > max_age_)
    erase(entries_.find(oldest_->first));
  while (entries_.size() >= capacity_ && oldest_)
    erase(entries_.find(oldest_->first));
}

} // namespace mcf2b::matcher
