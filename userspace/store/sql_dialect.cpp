// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/sql_dialect.h"

#include <sqlite3.h>

namespace mcf2b::sql {

std::string unix_time(SqlDialect dialect, std::string_view column) {
  if (dialect == SqlDialect::sqlite) {
    // The same value; unixepoch() (SQLite 3.38) skips strftime's text round trip, which
    // was a third of reading a million rows at start.
    if (sqlite3_libversion_number() >= 3038000)
      return "unixepoch(" + std::string(column) + ")";
    return "CAST(strftime('%s', " + std::string(column) + ") AS INTEGER)";
  }
  return "UNIX_TIMESTAMP(" + std::string(column) + ")";
}

std::string_view timestamp_param(SqlDialect dialect) {
  return dialect == SqlDialect::sqlite ? "datetime(?, 'unixepoch')" : "FROM_UNIXTIME(?)";
}

std::string upsert_tail(SqlDialect dialect, std::initializer_list<std::string_view> key,
                        std::initializer_list<std::string_view> update) {
  std::string s;
  if (dialect == SqlDialect::sqlite) {
    s = " ON CONFLICT(";
    const char *sep = "";
    for (auto k : key) {
      s.append(sep).append(k);
      sep = ", ";
    }
    s += ") DO UPDATE SET ";
    sep = "";
    for (auto u : update) {
      s.append(sep).append(u).append(" = excluded.").append(u);
      sep = ", ";
    }
    return s;
  }
  s = " ON DUPLICATE KEY UPDATE ";
  const char *sep = "";
  for (auto u : update) {
    s.append(sep).append(u).append(" = VALUES(").append(u).append(")");
    sep = ", ";
  }
  return s;
}

} // namespace mcf2b::sql
