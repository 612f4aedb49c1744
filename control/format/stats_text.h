// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "base/result.h"
#include "protocol/commands.h"

namespace mcf2b::control {

// `mcf2b-ctl stats` for people: a table of the jails (failures, bans, active bans,
// packets and bytes dropped by XDP), the XDP program's verdict counters, and every other
// group of counters (the daemon's, the controller's) as a COUNTER VALUE table, nested
// objects flattened with '.' ("controller.failures").
// Parts the answer lacks (the store answers without the daemon's counters) are left
// out. The input is the `stats` result of COMMANDS.md.
std::string format_stats(const StatsCommand::Result &stats);
// The same from the result's JSON; an Error when it is no stats result.
Result<std::string> format_stats(const nlohmann::json &stats);

} // namespace mcf2b::control
