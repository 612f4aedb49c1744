// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/notify/mail_line_history.h"

namespace mcf2b {

void MailLineHistory::record(JailFamilyId family, const IpPrefix &address, std::string_view line,
                           size_t lines) {
  Key key{family, address};
  auto [it, inserted] = entries_.try_emplace(key);
  if (inserted) {
    order_.push_back(key);
    while (entries_.size() > max_addresses_ && !order_.empty()) {
      Key oldest = order_.front();
      order_.pop_front();
      if (!(oldest == key))
        entries_.erase(oldest);
    }
    // Forgotten keys linger in order_; compact when they dominate.
    if (order_.size() > 2 * entries_.size() + 64) {
      std::deque<Key> live;
      for (const Key &k : order_)
        if (entries_.count(k))
          live.push_back(k);
      order_.swap(live);
    }
    it = entries_.find(key);
  }
  Entry &e = it->second;
  ++e.failures;
  if (lines == 0)
    return;
  line = line.substr(0, 2000);
  if (e.ring.size() > lines) { // the bound shrank: keep the newest
    e.ring = e.lines();
    e.ring.erase(e.ring.begin(), e.ring.end() - static_cast<std::ptrdiff_t>(lines));
    e.next = 0;
  }
  if (e.ring.size() < lines) {
    e.ring.emplace_back(line);
    return;
  }
  e.ring[e.next].assign(line); // reuses the string's storage
  e.next = (e.next + 1) % e.ring.size();
}

std::vector<std::string> MailLineHistory::Entry::lines() const {
  std::vector<std::string> out;
  out.reserve(ring.size());
  for (size_t i = 0; i < ring.size(); ++i)
    out.push_back(ring[(next + i) % ring.size()]);
  return out;
}

const MailLineHistory::Entry *MailLineHistory::find(JailFamilyId family,
                                                const IpPrefix &address) const {
  auto it = entries_.find(Key{family, address});
  return it == entries_.end() ? nullptr : &it->second;
}

void MailLineHistory::forget(JailFamilyId family, const IpPrefix &address) {
  entries_.erase(Key{family, address});
}

} // namespace mcf2b
