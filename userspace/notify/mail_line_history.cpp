// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/notify/mail_line_history.h"

#include <algorithm>

namespace mcf2b {

void MailLineHistory::record(JailFamilyId family, const IpPrefix &address, std::string_view line,
                           size_t lines) {
  Key key{family, address};
  auto [it, inserted] = entries_.try_emplace(key);
  if (inserted) {
    order_.push_back(key);
    // Erasing other entries leaves `it` valid.
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
  }
  Entry &e = it->second;
  ++e.failures;
  if (lines == 0)
    return;
  line = line.substr(0, kMaxLine);
  while (e.kept >= lines) // full, or the bound shrank: keep the newest
    e.drop_oldest();
  if (e.packed.empty()) // room for a few lines of about this length: most addresses
    e.packed.reserve(std::min<size_t>(lines, 4) * (line.size() + 2)); // have no more

  e.append(line);
}

void MailLineHistory::Entry::append(std::string_view line) {
  const auto n = static_cast<uint16_t>(line.size());
  packed.push_back(static_cast<char>(n & 0xff));
  packed.push_back(static_cast<char>(n >> 8));
  packed.append(line);
  ++kept;
}

void MailLineHistory::Entry::drop_oldest() {
  if (kept == 0)
    return;
  const size_t n = static_cast<unsigned char>(packed[0]) |
                   static_cast<size_t>(static_cast<unsigned char>(packed[1])) << 8;
  packed.erase(0, 2 + n);
  --kept;
}

std::vector<std::string> MailLineHistory::Entry::lines() const {
  std::vector<std::string> out;
  out.reserve(kept);
  for (size_t at = 0; at + 2 <= packed.size();) {
    const size_t n = static_cast<unsigned char>(packed[at]) |
                     static_cast<size_t>(static_cast<unsigned char>(packed[at + 1])) << 8;
    out.emplace_back(packed, at + 2, n);
    at += 2 + n;
  }
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
