// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/ip_address.h"
#include "userspace/controller/jail_catalog.h"

namespace mcf2b {

// The (address, jail) rows of fail2ban_ips held by the controller (ban count, active,
// blacklisted, whitelisted, ban times), unique per (jail, prefix), and the expiry order
// of the active bans: a min-heap of end times, so expiry costs O(log n) per ended ban,
// never a scan. Heap entries left behind by bans lifted early are skipped when they
// surface (their row is no longer active with that end).
class BanTable {
public:
  struct Key {
    JailId jail;
    IpPrefix prefix;
    bool operator==(const Key &) const = default;
  };
  struct Row {
    int32_t count = 0;
    bool active = false;
    bool blacklisted = false;
    bool whitelisted = false;
    uint16_t host = 0; // index into hosts()
    Seconds last_hit = 0;
    Seconds ban_start = 0;
    Seconds ban_end = 0; // 0 = permanent
  };

  struct KeyHash {
    size_t operator()(const Key &k) const noexcept {
      return std::hash<IpPrefix>{}(k.prefix) * 31 + k.jail;
    }
  };
  using Rows = std::unordered_map<Key, Row, KeyHash>;
  using Entry = Rows::value_type;

  Row *find(const Key &key);
  [[nodiscard]] const Row *find(const Key &key) const;
  Row &get(const Key &key); // creates an empty row if needed
  // The key's entry, created with an empty row if needed (`created` says whether). An
  // entry stays where it is until it is erased.
  Entry &emplace(const Key &key, bool &created);
  // Room for `rows` rows and as many scheduled ends without reallocating (a restore).
  void reserve(size_t rows);

  // Called after a row became active with a finite end.
  void schedule(const Key &key, Seconds end);
  // The earliest end among the scheduled bans (possibly of one lifted since).
  [[nodiscard]] std::optional<Seconds> next_end() const;
  // Calls f(key, row) for every active row whose end is <= now, in end order; f is
  // expected to deactivate the row.
  template <class F> void take_ended(Seconds now, F &&f) {
    while (!ends_.empty() && ends_.front().end <= now) {
      std::pop_heap(ends_.begin(), ends_.end(), std::greater<>{});
      Scheduled s = ends_.back();
      ends_.pop_back();
      Row *row = find(s.key);
      if (row && row->active && row->ban_end == s.end)
        f(s.key, *row);
    }
  }

  template <class F> void for_each(F &&f) {
    for (auto &[key, row] : rows_)
      f(key, row);
  }
  template <class F> void for_each(F &&f) const {
    for (const auto &[key, row] : rows_)
      f(key, row);
  }
  [[nodiscard]] size_t size() const { return rows_.size(); }

  // Cluster node names, stored once.
  uint16_t intern_host(const std::string &host);
  [[nodiscard]] const std::string &host(uint16_t index) const { return hosts_[index]; }

private:
  struct Scheduled {
    Seconds end;
    Key key;
    bool operator>(const Scheduled &o) const { return end > o.end; }
  };

  Rows rows_;
  std::vector<Scheduled> ends_; // a min-heap on end (std::push_heap with std::greater)
  std::vector<std::string> hosts_{""};
  std::unordered_map<std::string, uint16_t> host_index_{{"", 0}};
};

} // namespace mcf2b
