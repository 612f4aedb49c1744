// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
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
  SessionCache(const SessionCache &) = delete;
  SessionCache &operator=(const SessionCache &) = delete;

  std::shared_ptr<Fields> get(std::string_view id, int64_t now);
  void set(std::string_view id, std::shared_ptr<Fields> fields, int64_t now);
  void unset(std::string_view id);
  [[nodiscard]] size_t size() const { return entries_.size(); }

private:
  // Heterogeneous lookup: a session id is looked up as a view into the line.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Entry;
  using Map = std::unordered_map<std::string, Entry, Hash, std::equal_to<>>;
  using Node = Map::value_type;
  // Entries are also chained oldest first (the order of their last set()): map nodes
  // never move, so the chain links them directly and costs no lookup.
  struct Entry {
    std::shared_ptr<Fields> fields;
    int64_t stored = 0;
    Node *older = nullptr, *newer = nullptr;
  };
  void link_newest(Node &n);
  void unlink(Node &n);
  void erase(Map::iterator it);
  void evict(int64_t now);

  size_t capacity_;
  int64_t max_age_;
  Map entries_;
  Node *oldest_ = nullptr, *newest_ = nullptr;
};

} // namespace mcf2b::matcher
