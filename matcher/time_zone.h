// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace mcf2b::matcher {

// A log's time zone: UTC, a fixed offset (+0100, -04:00), or an IANA zone read from the
// system's zoneinfo (TZif v2+ files, with the POSIX rule of their footer for dates past
// the last transition). Immutable once loaded, so one TimeZone serves every thread.
class TimeZone {
public:
  static TimeZone utc() { return TimeZone{}; }
  // "UTC", "local" (TZ or /etc/localtime), "+HHMM" / "-HH:MM", or "Europe/Zurich".
  static Result<TimeZone> load(std::string_view name);

  // Seconds east of UTC in effect at `utc` seconds since the epoch.
  [[nodiscard]] int32_t offset_at(int64_t utc) const;
  // The UTC instant of a local wall-clock time, given as seconds since the epoch as if
  // the wall clock were UTC. Like mktime: in a gap or an overlap, one of the two.
  [[nodiscard]] int64_t to_utc(int64_t local_seconds) const;
  [[nodiscard]] const std::string &name() const { return name_; }

private:
  struct Rule { // POSIX TZ rule (Mm.w.d/time), for dates past the last transition
    bool present = false;
    int32_t std_offset = 0, dst_offset = 0;
    int start_month = 0, start_week = 0, start_day = 0, start_time = 7200;
    int end_month = 0, end_week = 0, end_day = 0, end_time = 7200;
  };
  static bool parse_posix(std::string_view tz, Rule &rule);
  [[nodiscard]] int32_t rule_offset(int64_t utc) const;

  std::string name_ = "UTC";
  std::vector<int64_t> transitions_;
  std::vector<int32_t> offsets_; // the offset that starts at each transition
  int32_t initial_offset_ = 0;   // before the first transition
  Rule rule_;
};

// Days since 1970-01-01 of a proleptic Gregorian date (month 1-12).
int64_t days_from_civil(int64_t year, unsigned month, unsigned day);
// The inverse: year, month, day of a day number.
void civil_from_days(int64_t days, int64_t &year, unsigned &month, unsigned &day);

} // namespace mcf2b::matcher
