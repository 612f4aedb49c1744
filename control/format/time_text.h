// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>

#include "userspace/model/jail.h"

namespace mcf2b::control {

enum class Clock { local, utc };

// "2025-03-10 11:27:58" in the local time zone (or UTC): the form exim and MailCleaner's
// logs use, so a ban can be matched with the log lines that caused it.
std::string format_timestamp(Seconds epoch, Clock clock);

// A duration in units parse_duration() reads back: 3600 -> "1h", 5400 -> "1h30m",
// 0 -> "0s"; a negative bantime (-1 on input) -> "permanent".
std::string format_duration(Seconds seconds);

} // namespace mcf2b::control
