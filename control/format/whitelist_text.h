// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "base/result.h"

namespace mcf2b::control {

// One whitelist entry as the daemon reports it: {"jail","ip"} (+ "host" when known).
struct WhitelistRow {
  std::string ip;
  std::string jail;
  std::string host;
};

Result<std::vector<WhitelistRow>> whitelist_rows_from_json(const nlohmann::json &list);

// `mcf2b-ctl whitelist list`: IP JAIL NODE; "No whitelist entries.\n" when empty.
std::string format_whitelist_table(const std::vector<WhitelistRow> &rows);

} // namespace mcf2b::control
