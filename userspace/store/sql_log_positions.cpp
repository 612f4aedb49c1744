// SPDX-License-Identifier: GPL-2.0-only
// SqlStateStore's log positions (mcf2b_positions): where each of this node's logs was
// read up to, saved alone or in the transaction of the decisions those lines led to.
#include <ctime>

#include "userspace/store/mutation_checks.h"
#include "userspace/store/sql_state_store.h"

namespace mcf2b {

namespace {
LogPosition position_from_row(const SqlRow &row) {
  return LogPosition{std::string(row.text(0)), static_cast<uint64_t>(row.integer(1)),
                     static_cast<uint64_t>(row.integer(2)), static_cast<uint64_t>(row.integer(3)),
                     std::string(row.text(4))};
}
} // namespace

Result<std::optional<LogPosition>> SqlStateStore::get_position(std::string_view path) {
  std::lock_guard lock(mutex_);
  std::optional<LogPosition> position;
  auto r = conn_->run(
      "SELECT path, inode, file_offset, first_line_hash, journal_cursor FROM mcf2b_positions"
      " WHERE node = ? AND path = ?",
      {node_, path}, [&](const SqlRow &row) { position = position_from_row(row); });
  if (!r)
    return r.error();
  return position;
}

Result<std::vector<LogPosition>> SqlStateStore::list_positions() {
  std::lock_guard lock(mutex_);
  std::vector<LogPosition> positions;
  auto r = conn_->run(
      "SELECT path, inode, file_offset, first_line_hash, journal_cursor FROM mcf2b_positions"
      " WHERE node = ? ORDER BY path",
      {node_}, [&](const SqlRow &row) { positions.push_back(position_from_row(row)); });
  if (!r)
    return r.error();
  return positions;
}

Status SqlStateStore::set_position(const LogPosition &p) {
  return apply_with_positions({}, std::span<const LogPosition>(&p, 1));
}

Status SqlStateStore::apply_with_positions(std::span<const Mutation> batch,
                                           std::span<const LogPosition> positions) {
  for (const Mutation &m : batch)
    if (auto st = check_mutation(m); !st)
      return st;
  for (const auto &p : positions) {
    if (auto st = check_column_text("log path", p.path, 512, true); !st)
      return st;
    if (auto st = check_column_text("journal cursor", p.journal_cursor, 512, false); !st)
      return st;
  }
  std::lock_guard lock(mutex_);
  return transaction([&]() -> Status {
    if (auto st = apply_locked(batch); !st)
      return st;
    for (const auto &p : positions)
      if (auto r =
              conn_->run(upsert_position_,
                         {node_, p.path, static_cast<int64_t>(p.inode),
                          static_cast<int64_t>(p.offset), static_cast<int64_t>(p.first_line_hash),
                          static_cast<int64_t>(std::time(nullptr)), p.journal_cursor});
          !r)
        return r.error();
    return {};
  });
}

} // namespace mcf2b
