// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/ban_table.h"

#include <limits>
#include <stdexcept>

namespace mcf2b {

BanTable::Row *BanTable::find(const Key &key) {
  auto it = rows_.find(key);
  return it == rows_.end() ? nullptr : &it->second;
}

const BanTable::Row *BanTable::find(const Key &key) const {
  auto it = rows_.find(key);
  return it == rows_.end() ? nullptr : &it->second;
}

BanTable::Row &BanTable::get(const Key &key) {
  return rows_[key];
}

BanTable::Entry &BanTable::emplace(const Key &key, bool &created) {
  auto [it, inserted] = rows_.try_emplace(key);
  created = inserted;
  return *it;
}

void BanTable::reserve(size_t rows) {
  rows_.reserve(rows);
  ends_.reserve(rows);
}

void BanTable::schedule(const Key &key, Seconds end) {
  ends_.push_back(Scheduled{end, key});
  std::push_heap(ends_.begin(), ends_.end(), std::greater<>{});
}

std::optional<Seconds> BanTable::next_end() const {
  if (ends_.empty())
    return std::nullopt;
  return ends_.front().end;
}

uint16_t BanTable::intern_host(const std::string &host) {
  auto it = host_index_.find(host);
  if (it != host_index_.end())
    return it->second;
  if (hosts_.size() > std::numeric_limits<uint16_t>::max())
    throw std::length_error("too many cluster node names");
  auto index = static_cast<uint16_t>(hosts_.size());
  hosts_.push_back(host);
  host_index_.emplace(host, index);
  return index;
}

} // namespace mcf2b
