// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "userspace/store/sql_connection.h"

namespace mcf2b {

// A SQLite database file in WAL mode with synchronous=FULL, so a committed transaction
// survives a crash or a power loss when commit() returns.
class SqliteConnection final : public SqlConnection {
public:
  // Opens or creates the file (and its parent folder).
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string &path);
  ~SqliteConnection() override;

  [[nodiscard]] SqlDialect dialect() const override { return SqlDialect::sqlite; }
  Result<int64_t> run_span(std::string_view sql, std::span<const SqlValue> params,
                           const RowSink &on_row) override;
  Status exec(std::string_view sql) override;
  Status begin() override;
  Status commit() override;
  void rollback() override;

  [[nodiscard]] const std::string &path() const { return path_; }

private:
  SqliteConnection() = default;
  Error error(const std::string &what, int rc) const;
  Result<sqlite3_stmt *> prepared(std::string_view sql);

  std::string path_;
  sqlite3 *db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt *> statements_;
};

} // namespace mcf2b
