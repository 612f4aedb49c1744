// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mcf2b::matcher {

// The named groups of one match, as fail2ban's dict: a group that did not take part is
// absent, a group that matched nothing is present with "".
class Fields {
public:
  [[nodiscard]] const std::string *get(std::string_view key) const {
    for (const auto &[k, v] : items_)
      if (k == key)
        return &v;
    return nullptr;
  }
  // Present and non-empty: Python's truthiness of fail.get(key).
  [[nodiscard]] bool truthy(std::string_view key) const {
    const std::string *v = get(key);
    return v && !v->empty();
  }
  void set(std::string_view key, std::string value) {
    for (auto &[k, v] : items_)
      if (k == key) {
        v = std::move(value);
        return;
      }
    items_.emplace_back(std::string(key), std::move(value));
  }
  // Removes the key; returns whether it was truthy.
  bool pop(std::string_view key) {
    for (auto it = items_.begin(); it != items_.end(); ++it)
      if (it->first == key) {
        bool was = !it->second.empty();
        items_.erase(it);
        return was;
      }
    return false;
  }
  void update_from(const Fields &other) {
    for (const auto &[k, v] : other.items_)
      set(k, v);
  }
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>> &items() const {
    return items_;
  }

  std::set<std::string> users; // every user a session tried (fail2ban's 'users')
  bool has_users = false;

private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// fail2ban's multi-line failure-id cache (<F-MLFID>): the merged fields of a session
// (e.g. one sshd connection), so that a later line without an address can be blamed on
// the address an earlier line named, and a success can forgive earlier attempts.
// Bounded in entries and in age, as fail2ban's (100 entries, 5 minutes by default).
class SessionCache {
public:
  SessionCache(size_t capacity, int64_t max_age) : capacity_(capacity), max_age_(max_age) {}

  std::shared_ptr<Fields> get(const std::string &id, int64_t now);
  void set(const std::string &id, std::shared_ptr<Fields> fields, int64_t now);
  void unset(const std::string &id);
  [[nodiscard]] size_t size() const { return entries_.size(); }

private:
  struct Entry {
    std::shared_ptr<Fields> fields;
    int64_t stored = 0;
    std::list<std::string>::iterator order;
  };
  void evict(int64_t now);

  size_t capacity_;
  int64_t max_age_;
  std::unordered_map<std::string, Entry> entries_;
  std::list<std::string> order_; // oldest first
};

} // namespace mcf2b::matcher
