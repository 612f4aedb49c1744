// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/notify/mail_line_history.h"

#include <algorithm>
#include <cstring>

namespace mcf2b {

MailLineHistory::MailLineHistory(size_t max_addresses, size_t arena_bytes)
    : max_addresses_(max_addresses),
      arena_bytes_(std::max(arena_bytes, 2 * (sizeof(LineHeader) + kMaxLine))),
      ring_(arena_bytes_, UntouchedZeros<char>::Pages::huge) {}

void MailLineHistory::record(JailFamilyId family, const IpPrefix &address, std::string_view line,
                             size_t lines) {
  FamilyPrefix key{family, address};
  auto [it, inserted] = entries_.try_emplace(key);
  if (inserted) {
    it->second.history_ = this;
    order_.push_back(key);
    // Erasing other entries leaves `it` valid.
    while (entries_.size() > max_addresses_ && !order_.empty()) {
      FamilyPrefix oldest = order_.front();
      order_.pop_front();
      if (!(oldest == key))
        entries_.erase(oldest);
    }
    // Forgotten keys linger in order_; compact when they dominate.
    if (order_.size() > 2 * entries_.size() + 64) {
      std::deque<FamilyPrefix> live;
      for (const FamilyPrefix &k : order_)
        if (entries_.count(k))
          live.push_back(k);
      order_.swap(live);
    }
  }
  Entry &e = it->second;
  ++e.failures;
  if (lines == 0)
    return;
  e.newest_ = append(e.newest_, line.substr(0, kMaxLine));
  e.kept_ = std::min(e.kept_ + 1, lines);
}

uint64_t MailLineHistory::append(uint64_t previous, std::string_view line) {
  const size_t size = sizeof(LineHeader) + line.size();
  if (head_ % arena_bytes_ + size > arena_bytes_) // would wrap: on to the next lap
    head_ += arena_bytes_ - head_ % arena_bytes_;
  const size_t at = head_ % arena_bytes_;
  LineHeader h{previous, static_cast<uint32_t>(line.size())};
  std::memcpy(ring_.data() + at, &h, sizeof h);
  std::memcpy(ring_.data() + at + sizeof h, line.data(), line.size());
  const uint64_t position = head_;
  head_ += size;
  return position;
}

bool MailLineHistory::holds(uint64_t position) const {
  // Written over once the head has gone a whole ring past it (a line never wraps, so
  // one that started within the last lap is whole).
  return position != kNone && position < head_ && head_ - position <= arena_bytes_;
}

std::vector<std::string> MailLineHistory::Entry::lines() const {
  std::vector<std::string> out;
  if (!history_)
    return out;
  const MailLineHistory &h = *history_;
  uint64_t p = newest_;
  for (size_t n = 0; n < kept_ && h.holds(p); ++n) {
    const size_t at = p % h.arena_bytes_;
    LineHeader header;
    std::memcpy(&header, h.ring_.data() + at, sizeof header);
    // A line's header sits where its whole record fits, and a record is kept whole
    // within the last lap; the end of the head's lap is checked by holds().
    if (sizeof header + header.length > h.arena_bytes_ - at ||
        h.head_ - p < sizeof header + header.length)
      break;
    out.emplace_back(h.ring_.data() + at + sizeof header, header.length);
    if (header.previous != kNone && header.previous >= p)
      break; // links only go back in time
    p = header.previous;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

const MailLineHistory::Entry *MailLineHistory::find(JailFamilyId family,
                                                    const IpPrefix &address) const {
  auto it = entries_.find(FamilyPrefix{family, address});
  return it == entries_.end() ? nullptr : &it->second;
}

void MailLineHistory::forget(JailFamilyId family, const IpPrefix &address) {
  entries_.erase(FamilyPrefix{family, address});
}

} // namespace mcf2b
