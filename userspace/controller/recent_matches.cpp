// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/recent_matches.h"

#include <algorithm>

namespace mcf2b {

void RecentMatches::record(const IpPrefix &address, uint16_t family, Seconds time,
                           std::string_view line, std::map<std::string, std::string> fields) {
  std::string key = address.to_string();
  auto it = index_.find(key);
  if (it == index_.end()) {
    recent_.push_front(Entry{key, {}});
    it = index_.emplace(key, recent_.begin()).first;
    if (index_.size() > limits_.addresses) {
      index_.erase(recent_.back().key);
      recent_.pop_back();
    }
  } else {
    recent_.splice(recent_.begin(), recent_, it->second);
  }
  auto &lines = it->second->lines;
  for (auto &[name, value] : fields)
    if (value.size() > limits_.line_bytes)
      value.resize(limits_.line_bytes);
  lines.push_back(
      Line{family, time, std::string(line.substr(0, limits_.line_bytes)), std::move(fields)});
  size_t of_family =
      std::count_if(lines.begin(), lines.end(), [&](const Line &l) { return l.family == family; });
  if (of_family > limits_.lines_per_family) {
    auto oldest =
        std::find_if(lines.begin(), lines.end(), [&](const Line &l) { return l.family == family; });
    lines.erase(oldest);
  }
}

std::vector<RecentMatches::Line> RecentMatches::of_family(const IpPrefix &address,
                                                          uint16_t family) const {
  std::vector<Line> out;
  auto it = index_.find(address.to_string());
  if (it != index_.end())
    for (const auto &l : it->second->lines)
      if (l.family == family)
        out.push_back(l);
  return out;
}

std::vector<RecentMatches::Line> RecentMatches::of_address(const IpPrefix &address) const {
  auto it = index_.find(address.to_string());
  return it == index_.end() ? std::vector<Line>{} : it->second->lines;
}

} // namespace mcf2b
