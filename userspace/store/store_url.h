// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "base/result.h"

namespace mcf2b {

// sqlite:PATH
struct SqliteUrl {
  std::string path;
};

// mariadb://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?socket=PATH][&journal=PATH]
// (user and password may be percent-encoded; "mysql://" is accepted too).
struct MariadbUrl {
  std::string user;
  std::string password;
  std::string host = "localhost";
  unsigned port = 0; // 0 = the client library's default
  std::string database;
  std::string socket;  // a Unix socket path; used instead of TCP when set
  std::string journal; // a local journal file (see JournalingStore)

  // The URL without its password, for messages.
  [[nodiscard]] std::string display() const;
};

using StoreUrl = std::variant<SqliteUrl, MariadbUrl>;

Result<StoreUrl> parse_store_url(std::string_view url);

} // namespace mcf2b
