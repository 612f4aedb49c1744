// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/mariadb_connection.h"

#include <errmsg.h>
#include <mysqld_error.h>

#include <algorithm>
#include <charconv>
#include <vector>

namespace mcf2b {
namespace {

bool connection_lost(unsigned code) {
  switch (code) {
  case CR_CONNECTION_ERROR:
  case CR_CONN_HOST_ERROR:
  case CR_SERVER_GONE_ERROR:
  case CR_SERVER_LOST:
  case CR_SERVER_LOST_EXTENDED:
  case CR_ERR_NET_READ:
  case CR_ERR_NET_WRITE:
  case ER_SERVER_SHUTDOWN:
  case ER_CONNECTION_KILLED:
    return true;
  default:
    return false;
  }
}

bool transient(unsigned code) { return code == ER_LOCK_DEADLOCK || code == ER_LOCK_WAIT_TIMEOUT; }

// A result row fetched as text into buffers sized from the result's max_length.
class MariadbRow final : public SqlRow {
public:
  explicit MariadbRow(size_t columns)
      : binds_(columns), buffers_(columns), lengths_(columns), nulls_(columns),
        errors_(columns) {}

  void bind(MYSQL_STMT *stmt, MYSQL_FIELD *fields) {
    for (size_t i = 0; i < binds_.size(); ++i) {
      buffers_[i].resize(std::max<size_t>(fields[i].max_length, 64) + 1);
      binds_[i] = MYSQL_BIND{};
      binds_[i].buffer_type = MYSQL_TYPE_STRING;
      binds_[i].buffer = buffers_[i].data();
      binds_[i].buffer_length = buffers_[i].size();
      binds_[i].length = &lengths_[i];
      binds_[i].is_null = &nulls_[i];
      binds_[i].error = &errors_[i];
    }
    mysql_stmt_bind_result(stmt, binds_.data());
  }

  // After MYSQL_DATA_TRUNCATED: fetches the cut columns again into larger buffers.
  bool refetch_truncated(MYSQL_STMT *stmt) {
    for (size_t i = 0; i < binds_.size(); ++i) {
      if (!errors_[i])
        continue;
      buffers_[i].resize(lengths_[i] + 1);
      MYSQL_BIND b = binds_[i];
      b.buffer = buffers_[i].data();
      b.buffer_length = buffers_[i].size();
      if (mysql_stmt_fetch_column(stmt, &b, static_cast<unsigned>(i), 0) != 0)
        return false;
    }
    return true;
  }

  [[nodiscard]] bool is_null(int column) const override { return nulls_[index(column)]; }
  [[nodiscard]] int64_t integer(int column) const override {
    std::string_view s = text(column);
    int64_t value = 0;
    std::from_chars(s.data(), s.data() + s.size(), value);
    return value;
  }
  [[nodiscard]] std::string_view text(int column) const override {
    size_t i = index(column);
    if (nulls_[i])
      return {};
    return {buffers_[i].data(), std::min<size_t>(lengths_[i], buffers_[i].size())};
  }

private:
  static size_t index(int column) { return static_cast<size_t>(column); }
  std::vector<MYSQL_BIND> binds_;
  std::vector<std::vector<char>> buffers_;
  std::vector<unsigned long> lengths_;
  std::vector<my_bool> nulls_;
  std::vector<my_bool> errors_;
};

// Frees a statement's buffered result however the fetch loop ends.
struct ResultRelease {
  MYSQL_STMT *stmt;
  ~ResultRelease() { mysql_stmt_free_result(stmt); }
};

} // namespace

Result<std::unique_ptr<MariadbConnection>> MariadbConnection::open(const MariadbUrl &url) {
  std::unique_ptr<MariadbConnection> conn(new MariadbConnection(url));
  if (auto st = conn->connect(); !st)
    return st.error();
  return conn;
}

MariadbConnection::~MariadbConnection() { disconnect(); }

void MariadbConnection::disconnect() {
  for (auto &[sql, stmt] : statements_)
    mysql_stmt_close(stmt);
  statements_.clear();
  if (mysql_)
    mysql_close(mysql_);
  mysql_ = nullptr;
}

Status MariadbConnection::connect() {
  disconnect();
  MYSQL *m = mysql_init(nullptr);
  if (!m)
    return Error::msg("mysql_init: out of memory");
  // Short time-outs: an unreachable master must not stall the daemon; the journal takes
  // over instead.
  unsigned connect_timeout = 3, io_timeout = 10;
  my_bool no = 0;
  mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
  mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
  // Reconnecting silently would lose transactions and prepared statements; we do it
  // ourselves at a safe point.
  mysql_optionsv(m, MYSQL_OPT_RECONNECT, &no);
  mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const char *socket = url_.socket.empty() ? nullptr : url_.socket.c_str();
  const char *password = url_.password.empty() ? nullptr : url_.password.c_str();
  bool created = false;
  if (!mysql_real_connect(m, url_.host.c_str(), url_.user.c_str(), password,
                          url_.database.c_str(), url_.port, socket, 0)) {
    unsigned code = mysql_errno(m);
    if (code != ER_BAD_DB_ERROR ||
        !mysql_real_connect(m, url_.host.c_str(), url_.user.c_str(), password, nullptr,
                            url_.port, socket, 0)) {
      Error e{"connect to MariaDB " + url_.display() + ": " + mysql_error(m),
              connection_lost(mysql_errno(m)) ? kStoreUnreachable : 0};
      mysql_close(m);
      return e;
    }
    created = true;
  }
  mysql_ = m;
  if (created) {
    // The name goes into SQL text here (DDL cannot bind it); quote it as an identifier.
    std::string quoted;
    for (char c : url_.database) {
      if (c == '`')
        quoted += '`';
      quoted += c;
    }
    if (auto st = exec("CREATE DATABASE IF NOT EXISTS `" + quoted + "`"); !st)
      return st.error().context("create database " + url_.database);
    if (mysql_select_db(mysql_, url_.database.c_str()) != 0)
      return failure("select database " + url_.database);
  }
  for (const char *setup : {"SET time_zone = '+00:00'",
                            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"})
    if (auto st = exec(setup); !st)
      return st;
  return {};
}

Status MariadbConnection::ensure_connected() {
  if (mysql_)
    return {};
  if (in_transaction_)
    return Error{"MariaDB connection lost inside a transaction", kStoreUnreachable};
  return connect();
}

Error MariadbConnection::failure(const std::string &what, MYSQL_STMT *stmt) {
  unsigned code = stmt ? mysql_stmt_errno(stmt) : (mysql_ ? mysql_errno(mysql_) : 0);
  std::string message = stmt ? mysql_stmt_error(stmt) : (mysql_ ? mysql_error(mysql_) : "");
  if (!mysql_ || connection_lost(code)) {
    disconnect();
    return Error{what + ": MariaDB " + url_.display() + " unreachable: " + message,
                 kStoreUnreachable};
  }
  return Error{what + ": " + message, transient(code) ? kStoreRetry : 0};
}

Result<MYSQL_STMT *> MariadbConnection::prepared(std::string_view sql) {
  std::string key(sql);
  if (auto it = statements_.find(key); it != statements_.end())
    return it->second;
  MYSQL_STMT *stmt = mysql_stmt_init(mysql_);
  if (!stmt)
    return failure("mysql_stmt_init");
  if (mysql_stmt_prepare(stmt, key.data(), key.size()) != 0) {
    Error e = failure("prepare (" + key.substr(0, 120) + ")", stmt);
    mysql_stmt_close(stmt);
    return e;
  }
  my_bool update_max_length = 1;
  mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max_length);
  statements_.emplace(std::move(key), stmt);
  return stmt;
}

Result<int64_t> MariadbConnection::run_span(std::string_view sql,
                                            std::span<const SqlValue> params,
                                            const RowSink &on_row) {
  if (auto st = ensure_connected(); !st)
    return st.error();
  auto prepared_stmt = prepared(sql);
  if (!prepared_stmt)
    return prepared_stmt.error();
  MYSQL_STMT *stmt = *prepared_stmt;
  std::string what = "run (" + std::string(sql.substr(0, 120)) + ")";

  std::vector<MYSQL_BIND> binds(params.size());
  std::vector<long long> integers(params.size());
  std::vector<unsigned long> lengths(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    MYSQL_BIND &b = binds[i];
    b = MYSQL_BIND{};
    if (const auto *n = std::get_if<int64_t>(&params[i])) {
      integers[i] = *n;
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = &integers[i];
    } else if (const auto *s = std::get_if<std::string_view>(&params[i])) {
      lengths[i] = s->size();
      b.buffer_type = MYSQL_TYPE_STRING;
      b.buffer = const_cast<char *>(s->data() ? s->data() : "");
      b.buffer_length = s->size();
      b.length = &lengths[i];
    } else {
      b.buffer_type = MYSQL_TYPE_NULL;
    }
  }
  if (!binds.empty() && mysql_stmt_bind_param(stmt, binds.data()) != 0)
    return failure(what + ": bind", stmt);
  if (mysql_stmt_execute(stmt) != 0)
    return failure(what, stmt);

  MYSQL_RES *meta = mysql_stmt_result_metadata(stmt);
  if (!meta)
    return static_cast<int64_t>(mysql_stmt_affected_rows(stmt));
  ResultRelease release{stmt};
  size_t columns = mysql_num_fields(meta);
  if (mysql_stmt_store_result(stmt) != 0) {
    mysql_free_result(meta);
    return failure(what + ": store result", stmt);
  }
  MariadbRow row(columns);
  row.bind(stmt, mysql_fetch_fields(meta));
  mysql_free_result(meta);
  for (;;) {
    int rc = mysql_stmt_fetch(stmt);
    if (rc == MYSQL_NO_DATA)
      break;
    if (rc == 1)
      return failure(what + ": fetch", stmt);
    if (rc == MYSQL_DATA_TRUNCATED && !row.refetch_truncated(stmt))
      return failure(what + ": fetch column", stmt);
    if (on_row)
      on_row(row);
  }
  return int64_t{0};
}

Status MariadbConnection::exec(std::string_view sql) {
  if (auto st = ensure_connected(); !st)
    return st;
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0)
    return failure("run (" + std::string(sql.substr(0, 120)) + ")");
  // Drain any result so the connection is ready for the next statement.
  do {
    if (MYSQL_RES *res = mysql_store_result(mysql_))
      mysql_free_result(res);
  } while (mysql_next_result(mysql_) == 0);
  return {};
}

Status MariadbConnection::begin() {
  if (auto st = ensure_connected(); !st)
    return st;
  if (auto st = exec("START TRANSACTION"); !st)
    return st;
  in_transaction_ = true;
  return {};
}

Status MariadbConnection::commit() {
  in_transaction_ = false;
  if (!mysql_)
    return Error{"MariaDB connection lost before commit", kStoreUnreachable};
  if (mysql_commit(mysql_) != 0)
    return failure("commit");
  return {};
}

void MariadbConnection::rollback() {
  in_transaction_ = false;
  if (mysql_ && mysql_rollback(mysql_) != 0)
    (void)failure("rollback");
}

} // namespace mcf2b
