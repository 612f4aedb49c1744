// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "matcher/fields.h"

namespace mcf2b::matcher {

// One <F-MLFID> session: the merged fields of its lines and the users it tried.
struct Session {
  OwnedFields fields;
  // fail2ban's 'users' set, as far as it is read: whether it holds more than one name.
  std::string first_user;
  bool has_user = false;
  bool many_users = false;

  void add_user(std::string_view user) {
    if (user.empty())
      return;
    if (!has_user) {
      first_user.assign(user);
      has_user = true;
    } else if (user != first_user) {
      many_users = true;
    }
  }
};

// fail2ban's multi-line failure-id cache (<F-MLFID>): the merged fields of a session
// (e.g. one sshd connection), so that a later line without an address can be blamed on
// the address an earlier line named, and a success can forgive earlier attempts.
// Bounded in entries and in age, as fail2ban's (100 entries, 5 minutes by default); the
// least recently stored session goes first.
//
// Flat: a pool of at most `capacity` sessions (reused, so a warm cache allocates
// nothing), an open-addressing index over their ids' hashes, and an intrusive chain
// oldest first. A Session& stays valid until the next insert().
class SessionCache {
public:
  SessionCache(size_t capacity, int64_t max_age, size_t field_count);
  SessionCache(const SessionCache &) = delete;
  SessionCache &operator=(const SessionCache &) = delete;
  SessionCache(SessionCache &&) noexcept = default;
  SessionCache &operator=(SessionCache &&) noexcept = default;

  // A session id with its hash, computed once for a find() and the insert() after it.
  struct Key {
    std::string_view id;
    uint32_t hash;
  };
  [[nodiscard]] Key key(std::string_view id) const { return {id, hash_of(id)}; }

  // The session `id`, or nullptr when there is none or it is older than the maximum age
  // (then it is dropped).
  Session *find(const Key &key, int64_t now);
  Session *find(std::string_view id, int64_t now) { return find(key(id), now); }
  // An empty session stored under `id` now, the newest (replacing one of that id).
  Session &insert(const Key &key, int64_t now);
  Session &insert(std::string_view id, int64_t now) { return insert(key(id), now); }
  // Drops the session that find() returned. Its contents stay readable until the next
  // insert().
  void erase(Session &session);
  [[nodiscard]] size_t size() const { return size_; }

private:
  static constexpr uint32_t kNone = UINT32_MAX;
  // Ids up to this length (sshd's " host sshd[12345]: ") are kept in the entry itself,
  // so that confirming a found id reads one cache line; longer ones in long_ids_.
  static constexpr size_t kInlineId = 40;
  struct alignas(64) Entry { // the bookkeeping of sessions_[i] is entries_[i]
    int64_t stored = 0;
    uint32_t slot = kNone; // position in index_, kNone while free
    uint32_t older = kNone, newer = kNone;
    uint32_t id_size = 0;
    char id[kInlineId];
  };
  // A position of the index: the entry, and its id's hash, which places it and
  // tells most other ids apart without reading the entry.
  struct Slot {
    uint32_t entry = kNone;
    uint32_t hash = 0;
  };
  [[nodiscard]] uint32_t hash_of(std::string_view id) const;
  [[nodiscard]] uint32_t lookup(std::string_view id, uint32_t hash) const;
  [[nodiscard]] std::string_view id_of(uint32_t entry) const;
  void store_id(uint32_t entry, std::string_view id);
  void remove(uint32_t entry);
  void evict(int64_t now);
  void link_newest(uint32_t entry);
  void unlink(uint32_t entry);

  size_t capacity_;
  int64_t max_age_;
  size_t field_count_;
  std::vector<Session> sessions_; // the pool: sessions are reused, never freed
  std::vector<Entry> entries_;
  std::vector<std::string> long_ids_; // per entry: its id when longer than kInlineId
  std::vector<uint32_t> free_;  // pool entries not in use
  std::vector<Slot> index_; // open addressing, linear probing
  uint32_t mask_ = 0;
  uint64_t seed_ = 0;
  size_t size_ = 0;
  uint32_t oldest_ = kNone, newest_ = kNone;
};

} // namespace mcf2b::matcher
