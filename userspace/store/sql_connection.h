// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string_view>
#include <variant>

#include "base/result.h"
#include "userspace/store/store_error.h"

namespace mcf2b {

// The two SQL back ends. Their statements differ only in a few places (upserts, time
// conversion, column types); sql_dialect.h spells those out.
enum class SqlDialect { sqlite, mariadb };

// A statement parameter: NULL, an integer or text. Text is borrowed for the call.
using SqlValue = std::variant<std::monostate, int64_t, std::string_view>;

// One result row, valid during the row callback only.
class SqlRow {
public:
  virtual ~SqlRow() = default;
  [[nodiscard]] virtual bool is_null(int column) const = 0;
  // NULL reads as 0 and as "".
  [[nodiscard]] virtual int64_t integer(int column) const = 0;
  [[nodiscard]] virtual std::string_view text(int column) const = 0;
};
using RowSink = std::function<void(const SqlRow &)>;

// A connection that runs every parameterised statement as a cached prepared statement
// (no value is ever spliced into SQL text). Not thread-safe: the store serialises calls.
class SqlConnection {
public:
  virtual ~SqlConnection() = default;
  SqlConnection() = default;
  SqlConnection(const SqlConnection &) = delete;
  SqlConnection &operator=(const SqlConnection &) = delete;

  [[nodiscard]] virtual SqlDialect dialect() const = 0;

  // Runs `sql` with `params` bound in order, calling `on_row` for each result row.
  // Returns the number of rows a data change touched.
  virtual Result<int64_t> run_span(std::string_view sql, std::span<const SqlValue> params,
                                   const RowSink &on_row) = 0;
  Result<int64_t> run(std::string_view sql, std::initializer_list<SqlValue> params = {},
                      const RowSink &on_row = {}) {
    return run_span(sql, std::span<const SqlValue>(params.begin(), params.size()), on_row);
  }

  // Runs a statement without parameters (DDL, session settings).
  virtual Status exec(std::string_view sql) = 0;

  // A write transaction. begin() reconnects a connection that was lost; inside a
  // transaction a lost connection fails the call and the transaction.
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual void rollback() = 0;
};

} // namespace mcf2b
