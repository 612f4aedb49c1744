// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <optional>
#include <string_view>

#include "base/seconds.h"

namespace mcf2b {

// A time as fail2ban's MyTime.str2seconds reads it: numbers with units ("10m", "1h 30m",
// "1d12h", "5w", "1mo", "1y", "6 months", "1year-6mo"), groups separated by spaces
// added, + - * / and parentheses evaluated, "-1" for ever. Units and their lengths are
// fail2ban's: s/ss/sec/second(s), m/mm/mi/min/minute(s), h/hh/ho/hou/hour(s),
// d/dd/da/day(s), w/ww/we/wee/week(s), mo/mon/month(s) (a 365.25-day year / 12),
// y/yy/ye/yea/year(s) (365.25 days), case-insensitive. The result is truncated to whole
// seconds. nullopt on anything else (str2seconds would raise), or beyond 256 characters.
//
// Not model's parse_duration: MailCleaner's jail files mean 31 days by "1mo" and 365 by
// "1y", fail2ban means 30.44 and 365.25; a fail2ban tree is read with fail2ban's values.
std::optional<Seconds> fail2ban_seconds(std::string_view text);

} // namespace mcf2b
