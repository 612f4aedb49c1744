// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/seconds.h"

namespace mcf2b {

// One ban worth a mail, as the daemon hands it over: what was banned where, how often
// it failed, the log lines that matched (log text: it only ever reaches a mail body,
// escaped), and when the ban ends.
struct BanNotice {
  std::string jail;    // a checked jail name
  std::string address; // an IpPrefix's text
  uint64_t failures = 0;
  // The last few matched lines, oldest first: raw log text when handed to the Mailer,
  // escaped (escape_log_line) from then on.
  std::vector<std::string> matches;
  Seconds banned_at = 0;
  Seconds ban_end = 0;      // 0 = permanent
  bool blacklisted = false; // promoted to the family's -bl jail
};

} // namespace mcf2b
