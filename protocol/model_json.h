// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "userspace/model/ban.h"
#include "userspace/model/jail.h"

namespace mcf2b::control {

// The JSON forms of the model, shared by the daemon's answers, the CLI's --json output
// and its offline mode, so the three can never disagree.
//
// JailConfig: {"name","enabled","maxretry","findtime","bantime","port","filter",
//              "banaction","logpath","max_count","send_mail","send_mail_bl"}
// BanRecord:  {"ip","jail","count","active","blacklisted","whitelisted","last_hit",
//              "host","start","end"}  (times in epoch seconds; end 0 = permanent)
nlohmann::json to_json(const JailConfig &jail);
nlohmann::json to_json(const BanRecord &ban);
Result<JailConfig> jail_from_json(const nlohmann::json &j);
Result<BanRecord> ban_from_json(const nlohmann::json &j);

} // namespace mcf2b::control
