// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

#include "protocol/commands.h"

namespace mcf2b::control::fields {

// Reading the members of a request's args or of a result, for the typed commands'
// from_json. A missing or malformed argument is a usage error naming it; a value of the
// right type that means nothing (an address that does not parse) is `invalid`.

// A non-empty string.
Parsed<std::string> required_text(const nlohmann::json &object, const char *key);
// Absent, or a non-empty string.
Parsed<std::optional<std::string>> optional_text(const nlohmann::json &object, const char *key);
// Absent (false) or a boolean.
Parsed<bool> flag(const nlohmann::json &object, const char *key);
// "ip": an address or a CIDR prefix.
Parsed<IpPrefix> prefix(const nlohmann::json &object, const char *key = "ip");
// Absent, or the number of bans before the blacklist (1 to 1000000).
Parsed<std::optional<int>> blacklist_threshold(const nlohmann::json &object);

// Turns an Error of the result readers into a CommandError.
CommandError malformed(const Error &error);

nlohmann::json to_json(const std::vector<LiftedBan> &lifted);
Parsed<std::vector<LiftedBan>> lifted_in(const nlohmann::json &result);
nlohmann::json to_json(const std::vector<WhitelistRow> &rows);

} // namespace mcf2b::control::fields
