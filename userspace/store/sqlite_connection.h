// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <sqlite3.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "userspace/store/sql_connection.h"

namespace mcf2b {

// A SQLite database file in WAL mode with synchronous=FULL, so a committed transaction
// survives a crash or a power loss when commit() returns.
//
// Before each transaction (and each statement outside one) the connection checks that the
// file at its path is still the file it has open, and that the WAL index (`-shm`, which
// SQLite maps into memory) can still be written:
// - a state file deleted or replaced while the daemon runs is written back from the open
//   copy (a replacing file is kept beside it as PATH.replaced-UNIXTIME), so nothing made
//   meanwhile is lost at the next start;
// - an immutable `-shm` would turn SQLite's next write to its mapping into SIGBUS; the
//   statement is refused with a retryable error instead, so callers queue and retry.
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
  Status open_database();
  void close_database();
  Status check_files();
  Status write_back_state_file(bool replaced);
  Error error(const std::string &what, int rc) const;
  Result<sqlite3_stmt *> prepared(std::string_view sql);

  std::string path_;
  sqlite3 *db_ = nullptr;
  // The identity of the file this connection opened at path_.
  dev_t device_ = 0;
  ino_t inode_ = 0;
  std::unordered_map<std::string, sqlite3_stmt *> statements_;
};

} // namespace mcf2b
