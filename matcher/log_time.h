// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "matcher/pcre2_regex.h"
#include "matcher/time_zone.h"

namespace mcf2b::matcher {

// Where a line's timestamp was found and what instant it names.
struct LogTime {
  size_t begin = 0, end = 0; // the text fail2ban cuts out before the failregexes run
  int64_t epoch = 0;         // seconds since the epoch, UTC
  bool valid = false;        // false: a timestamp shape whose fields are impossible
  // The datepattern matched an empty date: the line has none of its own, yet counts as
  // dated (fail2ban then takes the last date, if recent, or now).
  bool absent = false;
};

// Broken-down time as parsed from a log, before year inference and zone conversion.
struct WallClock {
  int year = -1; // -1: not in the log
  int month = -1, day = -1;
  int hour = 0, minute = 0, second = 0;
  bool has_zone = false;
  int32_t zone_offset = 0; // seconds east of UTC
};

// The calendar arithmetic resolve_wall_clock repeats for every line of a log, kept for
// the last "now", the last dates and the last minute: consecutive lines share them.
class CalendarMemo {
public:
  // The local date of `now` in `zone`.
  void today(int64_t now, const TimeZone &zone, int64_t &year, unsigned &month, unsigned &day);
  // days_from_civil().
  int64_t days(int64_t year, unsigned month, unsigned day);
  // resolve_wall_clock(), kept per minute: a minute whose seconds map to consecutive
  // instants is resolved once.
  std::optional<int64_t> resolve(const WallClock &w, const TimeZone &zone, int64_t now);

private:
  struct Minute {
    int year, month, day, hour, minute;
    bool has_zone;
    int32_t zone_offset;
    int64_t now;
    const TimeZone *zone;
    bool operator==(const Minute &) const = default;
  };
  enum class MinuteKind { none, invalid, linear, irregular };
  Minute minute_{};
  MinuteKind minute_kind_ = MinuteKind::none;
  int64_t minute_start_ = 0; // linear: the instant of second 0

  int64_t now_ = 0;
  const TimeZone *zone_ = nullptr;
  int64_t today_year_ = 0;
  unsigned today_month_ = 0, today_day_ = 0;
  // Two dates: year inference tries a date in this year, then in the previous one.
  struct Day {
    int64_t year = 0;
    unsigned month = 0, day = 0; // 0: nothing kept
    int64_t days = 0;
  };
  Day days_[2];
  unsigned next_ = 0;
};

// Applies fail2ban's rules (year and day inference against `now`, zone) to a wall clock.
// nullopt when the fields are impossible (February 30th). `memo`, when given, saves the
// calendar arithmetic that the previous call already did.
std::optional<int64_t> resolve_wall_clock(const WallClock &w, const TimeZone &zone, int64_t now,
                                          CalendarMemo *memo = nullptr);

// Finds timestamps the way a filter's `datepattern` says (fail2ban semantics):
// - empty or {^LN-BEG}: fail2ban's default templates (syslog "Mar  3 00:17:22", ISO 8601
//   / RFC 3339 with fraction and zone, exim "2025-03-10 11:27:58", Apache
//   "10/Mar/2025:11:27:58 +0100" and "[Sat Jun 01 02:17:42 2013]", epoch seconds, ...)
//   at the line start (after up to two non-word characters; without {^LN-BEG} also
//   anywhere in the line when the start has none);
// - TEXT{DATE}TEXT: a regex around one of the default templates, as fail2ban's
//   "preMatch" (its group 1, or the whole match when it has no group, is cut out);
// - several patterns, one per line, tried in order;
// - EPOCH / LEPOCH / TAI64N, or strftime-style patterns (%Y %m %d %H %M %S %b %a %z %f ...).
// A timestamp without a year takes the year of "now", or the previous one when that
// would put it more than a day in the future; the log's zone applies when the
// timestamp has none.
class LogTimeParser {
public:
  static Result<LogTimeParser> create(std::string_view datepattern, const TimeZone *zone);
  // The timestamps of journal entries as JournalFollower writes them: epoch seconds and
  // microseconds at the line start, then one space, all cut out (fail2ban hands the
  // journal's own time and the formatted entry to the regexes, never a date to find).
  static LogTimeParser journal_entries();
  LogTimeParser(LogTimeParser &&) noexcept;
  LogTimeParser &operator=(LogTimeParser &&) noexcept;
  ~LogTimeParser();

  [[nodiscard]] std::optional<LogTime> find(std::string_view line, int64_t now) const;

private:
  LogTimeParser() = default;
  std::optional<LogTime> defaults_at(std::string_view line, size_t pos, int64_t now) const;
  std::optional<LogTime> custom(std::string_view line, int64_t now) const;

  std::optional<LogTime> around_date(std::string_view line, int64_t now) const;

  enum class Mode { defaults, prefixed_defaults, epoch, custom, several };
  Mode mode_ = Mode::defaults;
  // several: one parser per line of the datepattern, tried in order (the first that
  // finds a timestamp wins).
  std::vector<LogTimeParser> alternatives_;
  // prefixed_defaults: the pattern has a capturing group of its own (fail2ban then cuts
  // its group 1, else the whole match); the group {DATE} stands in for.
  bool own_group_ = false;
  uint32_t date_group_ = 0;
  bool line_begin_only_ = true;
  bool long_epoch_ = false;
  bool tai64n_ = false; // epoch mode: TAI64N instead of decimal seconds
  bool cut_space_after_ = false; // epoch mode: the space after the timestamp is cut too
  const TimeZone *zone_ = nullptr;
  // PCRE2 match data is per object; the parser is used by one thread at a time.
  mutable std::unique_ptr<Pcre2Regex> regex_;
  mutable CalendarMemo calendar_;
  std::vector<std::pair<char, uint32_t>> custom_fields_; // custom: (strftime letter, group)
};

} // namespace mcf2b::matcher
