// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <mysql.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "userspace/store/sql_connection.h"
#include "userspace/store/store_url.h"

namespace mcf2b {

// A MariaDB Connector/C connection using prepared statements only (values are bound,
// never spliced). Sessions run in UTC so TIMESTAMP columns convert without daylight-
// saving ambiguity. A lost connection becomes an Error with code kStoreUnreachable; the
// next begin() (or statement outside a transaction) connects again and re-prepares.
class MariadbConnection final : public SqlConnection {
public:
  // Connects, creating the database when it does not exist yet.
  static Result<std::unique_ptr<MariadbConnection>> open(const MariadbUrl &url);
  ~MariadbConnection() override;

  [[nodiscard]] SqlDialect dialect() const override { return SqlDialect::mariadb; }
  Result<int64_t> run_span(std::string_view sql, std::span<const SqlValue> params,
                           const RowSink &on_row) override;
  Status exec(std::string_view sql) override;
  Status begin() override;
  Status commit() override;
  void rollback() override;

  [[nodiscard]] bool connected() const { return mysql_ != nullptr; }

private:
  explicit MariadbConnection(MariadbUrl url) : url_(std::move(url)) {}
  Status connect();
  void disconnect();
  Status ensure_connected();
  // Turns the last error of the connection (or of `stmt`) into an Error; drops the
  // connection when it was lost.
  Error failure(const std::string &what, MYSQL_STMT *stmt = nullptr);
  Result<MYSQL_STMT *> prepared(std::string_view sql);

  MariadbUrl url_;
  MYSQL *mysql_ = nullptr;
  bool in_transaction_ = false;
  std::unordered_map<std::string, MYSQL_STMT *> statements_;
};

} // namespace mcf2b
