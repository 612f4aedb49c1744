// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mcf2b::matcher {

// fail2ban's zone abbreviations (strptime.py TZ_STR) as its default date template
// "(?:%Z )?(?:%a )?%b %d %k:%M:%S" reads them: fixed offsets in minutes east of UTC,
// without DST switching (CET stays +1 in summer). nullopt for a name fail2ban does not
// know.
std::optional<int32_t> zone_abbreviation_minutes(std::string_view name);

} // namespace mcf2b::matcher
