// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/session_cache.h"

namespace mcf2b::matcher {

std::shared_ptr<Fields> SessionCache::get(const std::string &id, int64_t now) {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return nullptr;
  if (now - it->second.stored > max_age_) {
    order_.erase(it->second.order);
    entries_.erase(it);
    return nullptr;
  }
  return it->second.fields;
}

void SessionCache::set(const std::string &id, std::shared_ptr<Fields> fields, int64_t now) {
  if (auto it = entries_.find(id); it != entries_.end()) {
    order_.erase(it->second.order);
    entries_.erase(it);
  }
  if (entries_.size() >= capacity_)
    evict(now);
  order_.push_back(id);
  entries_[id] = Entry{std::move(fields), now, std::prev(order_.end())};
}

void SessionCache::unset(const std::string &id) {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return;
  order_.erase(it->second.order);
  entries_.erase(it);
}

void SessionCache::evict(int64_t now) {
  // order_ is oldest first (insertion order, and "now" does not go back), so expired
  // entries are at its front: amortised O(1) per insertion.
  while (!order_.empty()) {
    auto e = entries_.find(order_.front());
    if (now - e->second.stored <= max_age_)
      break;
    entries_.erase(e);
    order_.pop_front();
  }
  while (entries_.size() >= capacity_ && !order_.empty()) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

} // namespace mcf2b::matcher
