// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/sqlite_connection.h"

#include <filesystem>
#include <system_error>

namespace mcf2b {
namespace {

class SqliteRow final : public SqlRow {
public:
  explicit SqliteRow(sqlite3_stmt *stmt) : stmt_(stmt) {}
  [[nodiscard]] bool is_null(int column) const override {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
  }
  [[nodiscard]] int64_t integer(int column) const override {
    return sqlite3_column_int64(stmt_, column);
  }
  [[nodiscard]] std::string_view text(int column) const override {
    const auto *p = sqlite3_column_text(stmt_, column);
    if (!p)
      return {};
    return {reinterpret_cast<const char *>(p),
            static_cast<size_t>(sqlite3_column_bytes(stmt_, column))};
  }

private:
  sqlite3_stmt *stmt_;
};

// Resets a statement after use so it holds no read lock and no bound text.
struct StatementReset {
  sqlite3_stmt *stmt;
  ~StatementReset() {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
  }
};

} // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::string &path) {
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      return Error::sys("create the folder of the state file " + path, ec.value());
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection());
  conn->path_ = path;
  int rc = sqlite3_open_v2(path.c_str(), &conn->db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK)
    return conn->error("open SQLite state file " + path, rc);
  // Another process (the CLI reading while the daemon writes) waits instead of failing.
  sqlite3_busy_timeout(conn->db_, 5000);
  for (const char *pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"})
    if (auto st = conn->exec(pragma); !st)
      return st.error().context("SQLite state file " + path);
  return conn;
}

SqliteConnection::~SqliteConnection() {
  for (auto &[sql, stmt] : statements_)
    sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Error SqliteConnection::error(const std::string &what, int rc) const {
  std::string detail = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  int code = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? kStoreRetry : 0;
  return Error{what + ": " + detail, code};
}

Result<sqlite3_stmt *> SqliteConnection::prepared(std::string_view sql) {
  std::string key(sql);
  if (auto it = statements_.find(key); it != statements_.end())
    return it->second;
  sqlite3_stmt *stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK)
    return error("prepare (" + key.substr(0, 120) + ")", rc);
  statements_.emplace(std::move(key), stmt);
  return stmt;
}

Result<int64_t> SqliteConnection::run_span(std::string_view sql,
                                           std::span<const SqlValue> params,
                                           const RowSink &on_row) {
  auto stmt = prepared(sql);
  if (!stmt)
    return stmt.error();
  StatementReset reset{*stmt};
  for (size_t i = 0; i < params.size(); ++i) {
    int index = static_cast<int>(i + 1);
    int rc = SQLITE_OK;
    if (const auto *n = std::get_if<int64_t>(&params[i]))
      rc = sqlite3_bind_int64(*stmt, index, *n);
    else if (const auto *s = std::get_if<std::string_view>(&params[i]))
      // An empty view may have no data pointer, which SQLite would bind as NULL.
      rc = sqlite3_bind_text64(*stmt, index, s->data() ? s->data() : "", s->size(),
                               SQLITE_STATIC, SQLITE_UTF8);
    else
      rc = sqlite3_bind_null(*stmt, index);
    if (rc != SQLITE_OK)
      return error("bind parameter " + std::to_string(index), rc);
  }
  SqliteRow row(*stmt);
  for (;;) {
    int rc = sqlite3_step(*stmt);
    if (rc == SQLITE_ROW) {
      if (on_row)
        on_row(row);
      continue;
    }
    if (rc == SQLITE_DONE)
      return static_cast<int64_t>(sqlite3_changes64(db_));
    return error("run (" + std::string(sql.substr(0, 120)) + ")", rc);
  }
}

Status SqliteConnection::exec(std::string_view sql) {
  std::string text(sql);
  char *message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string detail = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    int code = (rc & 0xff) == SQLITE_BUSY ? kStoreRetry : 0;
    return Error{"run (" + text.substr(0, 120) + "): " + detail, code};
  }
  return {};
}

// IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading.
Status SqliteConnection::begin() { return exec("BEGIN IMMEDIATE"); }
Status SqliteConnection::commit() { return exec("COMMIT"); }
void SqliteConnection::rollback() {
  if (!sqlite3_get_autocommit(db_))
    (void)exec("ROLLBACK");
}

} // namespace mcf2b
