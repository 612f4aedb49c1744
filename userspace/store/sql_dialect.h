// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "userspace/store/sql_connection.h"

namespace mcf2b::sql {

// Where SQLite and MariaDB spell the same statement differently.

// An expression giving the Unix time of a TIMESTAMP column (MailCleaner's last_hit).
std::string unix_time(SqlDialect dialect, std::string_view column);
// A placeholder expression turning a bound Unix time into the column's TIMESTAMP form.
std::string_view timestamp_param(SqlDialect dialect);
// The tail of an INSERT that updates `update` columns with the inserted values when a
// row with the same `key` (a unique index) exists.
std::string upsert_tail(SqlDialect dialect, std::initializer_list<std::string_view> key,
                        std::initializer_list<std::string_view> update);

} // namespace mcf2b::sql
