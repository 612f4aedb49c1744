// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/sqlite_connection.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <system_error>

#include "base/log.h"

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

// SQLite maps the WAL index (PATH-shm) into memory and writes it through the mapping; once
// the file is immutable, that write is a SIGBUS instead of an error. Refused up front, the
// write is an ordinary store failure that callers queue and retry.
Status check_wal_index_writable(const std::string &path) {
  const std::string index = path + "-shm";
  struct statx attributes {};
  if (::statx(AT_FDCWD, index.c_str(), 0, 0, &attributes) != 0)
    return {}; // no index yet: SQLite creates it
  const uint64_t unwritable = STATX_ATTR_IMMUTABLE | STATX_ATTR_APPEND;
  if (attributes.stx_attributes & attributes.stx_attributes_mask & unwritable)
    return Error{"the state file's WAL index " + index +
                 " is immutable or append-only (chattr -ia it); writes wait"};
  return {};
}

// A rename is durable once the folder holding it is synced.
void sync_folder_of(const std::string &path) {
  std::string folder = std::filesystem::path(path).parent_path().string();
  int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  ::fsync(fd);
  ::close(fd);
}

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
  if (auto st = conn->open_database(); !st)
    return st.error();
  return conn;
}

Status SqliteConnection::open_database() {
  if (auto st = check_wal_index_writable(path_); !st)
    return st;
  int rc = sqlite3_open_v2(path_.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK)
    return error("open SQLite state file " + path_, rc);
  // Another process (the CLI reading while the daemon writes) waits instead of failing.
  sqlite3_busy_timeout(db_, 5000);
  for (const char *pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"})
    if (auto st = exec(pragma); !st)
      return st.error().context("SQLite state file " + path_);
  struct stat file {};
  if (::stat(path_.c_str(), &file) != 0)
    return Error::sys("stat the state file " + path_, errno);
  device_ = file.st_dev;
  inode_ = file.st_ino;
  return {};
}

void SqliteConnection::close_database() {
  for (auto &[sql, stmt] : statements_)
    sqlite3_finalize(stmt);
  statements_.clear();
  sqlite3_close_v2(db_);
  db_ = nullptr;
}

SqliteConnection::~SqliteConnection() { close_database(); }

Status SqliteConnection::check_files() {
  if (!db_) { // a write-back that could not reopen: try again
    if (auto st = open_database(); !st) {
      close_database();
      return st;
    }
    return {};
  }
  struct stat file {};
  if (::stat(path_.c_str(), &file) != 0) {
    // Any other error (a folder made unreadable) is SQLite's to report on its next access.
    return errno == ENOENT ? write_back_state_file(false) : Status{};
  }
  if (file.st_dev != device_ || file.st_ino != inode_)
    return write_back_state_file(true);
  return check_wal_index_writable(path_);
}

// The file was deleted (or replaced) under the open connection, which still holds every
// row: a consistent copy of it (VACUUM INTO reads through the WAL) takes the path again,
// and the connection reopens on it.
Status SqliteConnection::write_back_state_file(bool replaced) {
  const std::string copy = path_ + ".restoring";
  ::unlink(copy.c_str());
  std::string quoted;
  for (char c : copy)
    quoted += c == '\'' ? std::string("''") : std::string(1, c);
  const std::string what = replaced ? "replaced" : "deleted";
  if (auto st = exec("VACUUM INTO '" + quoted + "'"); !st) {
    ::unlink(copy.c_str());
    return st.error().context("the state file " + path_ + " was " + what +
                              " while in use; writing it back from the open copy");
  }
  std::string kept;
  if (replaced) {
    kept = path_ + ".replaced-" + std::to_string(::time(nullptr));
    if (::rename(path_.c_str(), kept.c_str()) != 0 && errno != ENOENT)
      return Error::sys("keep the file that replaced the state file " + path_ + " as " + kept,
                        errno);
  }
  // The WAL and its index at PATH-wal / PATH-shm belong to the old file (SQLite does not
  // checkpoint into an unlinked file, so they stay); the copy holds all they held, and a
  // stale WAL beside the copy would be replayed into it as corruption.
  close_database();
  for (const char *suffix : {"-wal", "-shm"})
    ::unlink((path_ + suffix).c_str());
  if (::rename(copy.c_str(), path_.c_str()) != 0)
    return Error::sys("put the copy of the state file back at " + path_, errno);
  sync_folder_of(path_);
  if (auto st = open_database(); !st) {
    close_database();
    return st.error().context("reopen the state file " + path_ + " after writing it back");
  }
  log_warning("state file " + path_ + " was " + what + " while mcf2bd used it: written back "
              "from the open copy, nothing made meanwhile is lost" +
              (kept.empty() ? std::string() : "; the file found at its path is kept as " + kept));
  return {};
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
  if (!db_ || sqlite3_get_autocommit(db_))
    if (auto st = check_files(); !st)
      return st.error();
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
  if (!db_)
    return Error{"the state file " + path_ + " is not open (see the error before)"};
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
Status SqliteConnection::begin() {
  if (auto st = check_files(); !st)
    return st;
  return exec("BEGIN IMMEDIATE");
}
Status SqliteConnection::commit() { return exec("COMMIT"); }
void SqliteConnection::rollback() {
  if (db_ && !sqlite3_get_autocommit(db_))
    (void)exec("ROLLBACK");
}

} // namespace mcf2b
