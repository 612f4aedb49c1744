// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <vector>

#include "userspace/model/jail.h"

namespace mcf2b::control {

// `mcf2b-ctl jail list`: one line per fail2ban_jail row. Columns: NAME ENABLED MAXRETRY
// FINDTIME BANTIME MAX_COUNT PORT FILTER LOGPATH; times as durations ("1d", "permanent"),
// MAX_COUNT "off" when blacklisting is off, PORT "all" when empty.
std::string format_jail_table(const std::vector<JailConfig> &jails);

} // namespace mcf2b::control
