// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <vector>

#include "control/format/time_text.h"
#include "userspace/model/ban.h"

namespace mcf2b::control {

// `mcf2b-ctl list`: one line per (ip, jail) row, MailCleaner's "all banned IPs on all
// servers" made readable. Columns: IP JAIL NODE COUNT FLAGS START END, where FLAGS is
// active / blacklisted / whitelisted joined by ',' ("-" for none), and END says
// "permanent" for an active ban without an end. An empty list gives "No bans.\n".
std::string format_ban_table(const std::vector<BanRecord> &bans, Clock clock);

// "active,blacklisted", or "-".
std::string ban_flags(const BanRecord &ban);

} // namespace mcf2b::control
