// SPDX-License-Identifier: GPL-2.0-only
#include "control/format/time_text.h"

#include <ctime>

namespace mcf2b::control {

std::string format_timestamp(Seconds epoch, Clock clock) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  bool converted =
      clock == Clock::utc ? gmtime_r(&t, &tm) != nullptr : localtime_r(&t, &tm) != nullptr;
  if (!converted)
    return std::to_string(epoch);
  char buf[32];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return n ? std::string(buf, n) : std::to_string(epoch);
}

std::string format_duration(Seconds seconds) {
  if (seconds < 0)
    return "permanent";
  if (seconds == 0)
    return "0s";
  struct Unit {
    Seconds size;
    const char *name;
  };
  // Weeks and larger are shown in days: MailCleaner's tiers are counted in days.
  constexpr Unit kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  std::string out;
  for (const auto &unit : kUnits) {
    if (seconds >= unit.size) {
      out += std::to_string(seconds / unit.size) + unit.name;
      seconds %= unit.size;
    }
  }
  return out;
}

} // namespace mcf2b::control
