// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "userspace/model/ban.h"
#include "userspace/model/jail.h"

namespace mcf2b::control {

// Reading the result objects of COMMANDS.md into model types. A missing key is an empty
// list; a malformed one is an Error (a daemon of another version, say).
Result<std::vector<BanRecord>> bans_in(const nlohmann::json &result, const char *key = "bans");
Result<std::vector<JailConfig>> jails_in(const nlohmann::json &result, const char *key = "jails");
Result<std::vector<std::string>> strings_in(const nlohmann::json &result, const char *key);

// A scalar member of a result object, when it is there with that type.
std::optional<int64_t> integer_in(const nlohmann::json &result, const char *key);
std::optional<std::string> string_in(const nlohmann::json &result, const char *key);

// An {"jail","ip"} pair as `unbanned` and `whitelist` lists carry them.
struct JailAddress {
  std::string jail;
  std::string ip;
};
Result<std::vector<JailAddress>> jail_addresses_in(const nlohmann::json &result, const char *key);

} // namespace mcf2b::control
