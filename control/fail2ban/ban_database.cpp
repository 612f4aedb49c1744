// SPDX-License-Identifier: GPL-2.0-only
#include "control/fail2ban/ban_database.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <memory>

namespace mcf2b::control {
namespace {

struct DbCloser {
  void operator()(sqlite3 *db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt *s) const { sqlite3_finalize(s); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

Result<Statement> prepare(sqlite3 *db, const std::string &path, const char *sql) {
  sqlite3_stmt *raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK)
    return Error::msg(path + " is not a fail2ban database: " + sqlite3_errmsg(db));
  return Statement(raw);
}

Result<bool> table_exists(sqlite3 *db, const std::string &path, const char *table) {
  auto st = prepare(db, path, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  if (!st)
    return st.error();
  sqlite3_bind_text(st->get(), 1, table, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st->get());
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return Error::msg(path + " is not a fail2ban database: " + sqlite3_errmsg(db));
  return rc == SQLITE_ROW;
}

std::string text_column(sqlite3_stmt *s, int column) {
  const unsigned char *text = sqlite3_column_text(s, column);
  return text ? reinterpret_cast<const char *>(text) : std::string();
}

} // namespace

Result<Fail2banBanDatabase> read_fail2ban_bans(const std::string &path) {
  // sqlite would say "unable to open database file" for a missing one: say what it is.
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return Error::msg("cannot read fail2ban database " + path + ": " + std::strerror(errno));
  if (!S_ISREG(info.st_mode))
    return Error::msg(path + " is not a fail2ban database: not a regular file");
  sqlite3 *raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK)
    return Error::msg("cannot open fail2ban database " + path + ": " +
                      (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  sqlite3_busy_timeout(db.get(), 5000); // a running fail2ban may be writing a ban
  auto has_version = table_exists(db.get(), path, "fail2banDb");
  if (!has_version)
    return has_version.error();
  auto has_bans = table_exists(db.get(), path, "bans");
  if (!has_bans)
    return has_bans.error();
  if (!*has_version || !*has_bans)
    return Error::msg(path + " is not a fail2ban database: no fail2banDb and bans tables");
  auto has_bips = table_exists(db.get(), path, "bips");
  if (!has_bips)
    return has_bips.error();

  Fail2banBanDatabase out;
  auto version = prepare(db.get(), path, "SELECT version FROM fail2banDb LIMIT 1");
  if (!version)
    return version.error();
  if (sqlite3_step(version->get()) == SQLITE_ROW)
    out.version = sqlite3_column_int(version->get(), 0);
  // bips (version 4 on) holds the latest ban of each (ip, jail); before it, the newest
  // bans row of each pair is the same thing (SQLite takes the bare columns from the row
  // max() chose).
  out.table = *has_bips ? "bips" : "bans";
  const char *sql = *has_bips ? "SELECT jail, ip, timeofban, bantime, bancount FROM bips"
                              : "SELECT jail, ip, max(timeofban), bantime, bancount FROM bans "
                                "GROUP BY jail, ip";
  auto rows = prepare(db.get(), path, sql);
  if (!rows)
    return rows.error();
  while ((rc = sqlite3_step(rows->get())) == SQLITE_ROW) {
    Fail2banBanRow row;
    row.jail = text_column(rows->get(), 0);
    row.ip = text_column(rows->get(), 1);
    row.time_of_ban = sqlite3_column_int64(rows->get(), 2);
    row.bantime = sqlite3_column_int64(rows->get(), 3);
    int64_t count = sqlite3_column_int64(rows->get(), 4);
    row.count = static_cast<int>(std::clamp<int64_t>(count, 1, std::numeric_limits<int>::max()));
    out.rows.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE)
    return Error::msg("cannot read fail2ban database " + path + ": " + sqlite3_errmsg(db.get()));
  return out;
}

Fail2banBansInForce bans_in_force(const std::vector<Fail2banBanRow> &rows, Seconds now) {
  Fail2banBansInForce out;
  for (const auto &row : rows) {
    const bool permanent = row.bantime <= -1 && row.bantime != -2;
    if (row.bantime == -2) {
      out.unusable.push_back({row.jail, row.ip,
                              "unknown ban length (-2: a database upgraded from fail2ban "
                              "before 0.11)"});
      continue;
    }
    if (!permanent && row.time_of_ban + row.bantime <= now) {
      ++out.ended;
      continue;
    }
    // fail2ban bans whatever its filter captured; mcf2b bans addresses only.
    auto ip = IpPrefix::parse(row.ip);
    if (!ip || !ip->is_host()) {
      out.unusable.push_back({row.jail, row.ip, "not an IP address"});
      continue;
    }
    out.in_force.push_back(
        {row.jail, *ip, row.time_of_ban, permanent ? 0 : row.time_of_ban + row.bantime, row.count});
  }
  return out;
}

} // namespace mcf2b::control
