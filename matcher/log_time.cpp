// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/log_time.h"
#include "matcher/date_templates.h"
#include "matcher/strftime_regex.h"
#include "matcher/zone_abbreviations.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace mcf2b::matcher {
using namespace date_templates;
namespace {

std::optional<LogTime> finish(const WallClock &w, size_t begin, size_t end,
                              const TimeZone &zone, int64_t now, CalendarMemo &memo) {
  LogTime t;
  t.begin = begin;
  t.end = end;
  if (auto e = resolve_wall_clock(w, zone, now, &memo)) {
    t.epoch = *e;
    t.valid = true;
  }
  return t;
}

} // namespace

void CalendarMemo::today(int64_t now, const TimeZone &zone, int64_t &year, unsigned &month,
                         unsigned &day) {
  if (today_month_ == 0 || now != now_ || &zone != zone_) {
    int64_t ln = now + zone.offset_at(now);
    civil_from_days(ln >= 0 ? ln / 86400 : (ln - 86399) / 86400, today_year_, today_month_,
                    today_day_);
    now_ = now;
    zone_ = &zone;
  }
  year = today_year_;
  month = today_month_;
  day = today_day_;
}

int64_t CalendarMemo::days(int64_t year, unsigned month, unsigned day) {
  for (const Day &d : days_)
    if (d.month == month && d.day == day && d.year == year)
      return d.days;
  Day &d = days_[next_];
  next_ ^= 1;
  d = {year, month, day, days_from_civil(year, month, day)};
  return d.days;
}

namespace {

// fail2ban's rules, computed (memo: the day arithmetic only).
std::optional<int64_t> resolve_exactly(const WallClock &w, const TimeZone &zone, int64_t now,
                                       CalendarMemo *memo) {
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int64_t year = w.year;
  int month = w.month, day = w.day;
  bool assume_year = year < 0, assume_today = month < 0;
  if (assume_year || assume_today) {
    int64_t y = 0;
    unsigned m = 0, d = 0;
    if (memo) {
      memo->today(now, zone, y, m, d);
    } else {
      int64_t ln = now + zone.offset_at(now);
      civil_from_days(ln >= 0 ? ln / 86400 : (ln - 86399) / 86400, y, m, d);
    }
    if (assume_year)
      year = y;
    if (assume_today) {
      month = static_cast<int>(m);
      day = static_cast<int>(d);
    }
  }
  auto valid_day = [&](int64_t yr) {
    if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1])
      return false;
    bool leap = (yr % 4 == 0 && yr % 100 != 0) || yr % 400 == 0;
    return !(month == 2 && day == 29 && !leap);
  };
  auto local_of = [&](int64_t yr) {
    auto m = static_cast<unsigned>(month), d = static_cast<unsigned>(day);
    return (memo ? memo->days(yr, m, d) : days_from_civil(yr, m, d)) * 86400 +
           w.hour * 3600 + w.minute * 60 + std::min(w.second, 59);
  };
  if (!valid_day(year))
    return std::nullopt;
  int64_t local = local_of(year);
  auto to_utc = [&](int64_t l) { return w.has_zone ? l - w.zone_offset : zone.to_utc(l); };
  int64_t utc = to_utc(local);
  if (assume_today && utc > now)
    utc -= 86400;
  if (assume_year) {
    // fail2ban compares the (zone-corrected) date with now + 1 day.
    if (utc > now + 86400) {
      if (!valid_day(year - 1))
        return std::nullopt;
      utc = to_utc(local_of(year - 1));
    }
  }
  return utc;
}

} // namespace

std::optional<int64_t> CalendarMemo::resolve(const WallClock &w, const TimeZone &zone,
                                             int64_t now) {
  Minute key{w.year, w.month, w.day, w.hour, w.minute, w.has_zone, w.zone_offset, now, &zone};
  if (!(minute_kind_ != MinuteKind::none && key == minute_)) {
    // The seconds of one minute map to consecutive instants unless a zone transition,
    // or the year or day inference, falls inside it: then the ends say so.
    WallClock first = w, last = w;
    first.second = 0;
    last.second = 59;
    auto a = resolve_exactly(first, zone, now, this), b = resolve_exactly(last, zone, now, this);
    minute_ = key;
    minute_start_ = a.value_or(0);
    minute_kind_ = !a && !b                 ? MinuteKind::invalid
                   : a && b && *b == *a + 59 ? MinuteKind::linear
                                             : MinuteKind::irregular;
  }
  switch (minute_kind_) {
  case MinuteKind::invalid:
    return std::nullopt;
  case MinuteKind::linear:
    return minute_start_ + std::min(w.second, 59);
  default:
    return resolve_exactly(w, zone, now, this);
  }
}

std::optional<int64_t> resolve_wall_clock(const WallClock &w, const TimeZone &zone, int64_t now,
                                          CalendarMemo *memo) {
  return memo ? memo->resolve(w, zone, now) : resolve_exactly(w, zone, now, nullptr);
}

LogTimeParser::LogTimeParser(LogTimeParser &&) noexcept = default;
LogTimeParser &LogTimeParser::operator=(LogTimeParser &&) noexcept = default;
LogTimeParser::~LogTimeParser() = default;

LogTimeParser LogTimeParser::journal_entries() {
  LogTimeParser p;
  p.mode_ = Mode::epoch;
  p.line_begin_only_ = true;
  p.cut_space_after_ = true;
  return p;
}

Result<LogTimeParser> LogTimeParser::create(std::string_view pattern, const TimeZone *zone) {
  LogTimeParser p;
  p.zone_ = zone;
  while (!pattern.empty() && (pattern.back() == ' ' || pattern.back() == '\n'))
    pattern.remove_suffix(1);
  while (!pattern.empty() && (pattern.front() == ' ' || pattern.front() == '\n'))
    pattern.remove_prefix(1);
  if (pattern.find('\n') != std::string_view::npos) {
    // fail2ban's setDatePattern: one template per non-empty line.
    p.mode_ = Mode::several;
    for (size_t from = 0; from <= pattern.size();) {
      size_t nl = std::min(pattern.find('\n', from), pattern.size());
      std::string_view one = pattern.substr(from, nl - from);
      from = nl + 1;
      if (one.find_first_not_of(" \t") == std::string_view::npos)
        continue;
      auto alternative = create(one, zone);
      if (!alternative)
        return alternative.error();
      p.alternatives_.push_back(std::move(*alternative));
    }
    return p;
  }
  std::string_view rest = pattern;
  bool ln_beg = false;
  if (rest.substr(0, 9) == "{^LN-BEG}") {
    ln_beg = true;
    rest.remove_prefix(9);
  }
  if (rest.empty()) {
    p.mode_ = Mode::defaults;
    // fail2ban without a datepattern searches the whole line; with {^LN-BEG} only its start.
    p.line_begin_only_ = ln_beg;
    return p;
  }
  if (rest == "TAI64N" || rest == "^TAI64N") {
    p.mode_ = Mode::epoch;
    p.tai64n_ = true;
    p.line_begin_only_ = ln_beg || rest.front() == '^';
    return p;
  }
  if (rest == "EPOCH" || rest == "^EPOCH" || rest == "LEPOCH" || rest == "^LEPOCH") {
    p.mode_ = Mode::epoch;
    p.long_epoch_ = rest.find("LEPOCH") != std::string_view::npos;
    p.line_begin_only_ = ln_beg || rest.front() == '^';
    return p;
  }
  if (size_t at = rest.find("{DATE}"); at != std::string_view::npos) {
    // fail2ban puts each default template's regex where {DATE} is. Here a group takes
    // the characters a default timestamp is made of; the default parsers then read the
    // timestamp from its start, and a group end the class ran past is brought back.
    std::string regex(rest);
    for (size_t i = 0; i < regex.size(); ++i)
      if (regex[i] == '(' && (i == 0 || regex[i - 1] != '\\') &&
          (i + 1 >= regex.size() || regex[i + 1] != '?'))
        p.own_group_ = true;
    regex.replace(at, 6, R"((?<mcf2b_date>[\w:/.,+\- ]+))");
    if (regex.front() != '^')
      regex.insert(0, "^");
    auto re = Pcre2Regex::compile(regex);
    if (!re)
      return re.error().context("datepattern '" + std::string(pattern) + "'");
    p.regex_ = std::make_unique<Pcre2Regex>(std::move(*re));
    for (const auto &[name, number] : p.regex_->names())
      if (name == "mcf2b_date")
        p.date_group_ = number;
    p.mode_ = Mode::prefixed_defaults;
    return p;
  }
  // fail2ban's "**" at the start or the end only lifts the word boundary it would want
  // there (mcf2b wants none in a custom pattern): no part of the regex.
  std::string user(rest);
  if (size_t lead = user.find_first_not_of('('); lead != std::string::npos &&
                                                 user.compare(lead, 2, "**") == 0)
    user.erase(lead, 2);
  if (size_t trail = user.find_last_not_of(')'); trail != std::string::npos && trail >= 1 &&
                                                 user.compare(trail - 1, 2, "**") == 0 &&
                                                 (trail < 2 || user[trail - 2] != '\\'))
    user.erase(trail - 1, 2);
  // A capturing group of the pattern's own is the date fail2ban cuts (its group 1);
  // without one, the whole match is.
  for (size_t i = 0; i < user.size(); ++i)
    if (user[i] == '(' && (i == 0 || user[i - 1] != '\\') &&
        (i + 1 >= user.size() || user[i + 1] != '?'))
      p.own_group_ = true;
  p.date_group_ = p.own_group_ ? 2 : 1;
  bool ok = true;
  std::string regex = strftime_to_regex(user, ok);
  if (!ok)
    return Error::msg("datepattern '" + std::string(pattern) + "': unsupported % directive");
  regex = "(?i)(" + regex + ")"; // fail2ban: re.IGNORECASE
  if (ln_beg)
    regex = R"(^(?:\W{0,2})?)" + regex;
  auto re = Pcre2Regex::compile(regex);
  if (!re)
    return re.error().context("datepattern '" + std::string(pattern) + "'");
  p.regex_ = std::make_unique<Pcre2Regex>(std::move(*re));
  // The groups strftime_to_regex names are single letters: read by letter, in order.
  for (const auto &[name, number] : p.regex_->names())
    if (name.size() == 1)
      p.custom_fields_.emplace_back(name[0], number);
  p.mode_ = Mode::custom;
  return p;
}

std::optional<LogTime> LogTimeParser::defaults_at(std::string_view line, size_t pos,
                                                  int64_t now) const {
  WallClock w;
  size_t end = 0;
  Cursor c{line, pos};
  const TimeZone &zone = *zone_;
  if (pos < line.size() && is_digit(line[pos])) {
    if (iso(c, w = WallClock{}, end) || day_first(c, w = WallClock{}, end) ||
        month_first(c, w = WallClock{}, end) || compact_ymd(c, w = WallClock{}, end))
      return finish(w, pos, end, zone, now, calendar_);
    int64_t e = 0;
    // fail2ban's default EPOCH: at the line start, in "[...]" there, or in "audit(...:n)".
    auto at = [&](size_t p, std::string_view text) { return line.substr(p, text.size()) == text; };
    if (epoch(c, false, e, end) &&
        (pos == 0 || (pos == 1 && line[0] == '[' && at(end, "]")) ||
         (pos >= 6 && at(pos - 6, "audit(") && at(end, ":"))))
      return LogTime{pos, end, e, true};
    if (time_only(c, w = WallClock{}, end))
      return finish(w, pos, end, zone, now, calendar_);
    return std::nullopt;
  }
  if (int64_t e = 0; pos < line.size() && line[pos] == '@' && tai64n(c, e, end))
    return LogTime{pos, end, e, true};
  if (pos < line.size() && is_upper(line[pos]) &&
      syslog(c, w = WallClock{}, end))
    return finish(w, pos, end, zone, now, calendar_);
  if (pos < line.size() && is_word(line[pos]) && zone_named_syslog(c, w = WallClock{}, end))
    return finish(w, pos, end, zone, now, calendar_);
  return std::nullopt;
}

std::optional<LogTime> LogTimeParser::around_date(std::string_view line, int64_t now) const {
  if (regex_->search(line) != Pcre2Regex::Outcome::matched)
    return std::nullopt;
  auto span = [&](uint32_t group) {
    std::string_view g = regex_->group(group);
    auto from = static_cast<size_t>(g.data() - line.data());
    return std::pair<size_t, size_t>{from, from + g.size()};
  };
  auto [date_begin, date_end] = span(date_group_);
  auto t = defaults_at(line, date_begin, now);
  if (!t || t->end > date_end)
    return std::nullopt;
  // fail2ban cuts group 1 when the pattern has one, else the whole match ("<38>1 2019-...").
  auto [begin, end] = span(own_group_ ? 1 : 0);
  t->begin = begin;
  t->end = end == date_end ? t->end : end;
  return t;
}

std::optional<LogTime> LogTimeParser::find(std::string_view line, int64_t now) const {
  switch (mode_) {
  case Mode::defaults: {
    for (size_t k = 0; k <= 2 && k <= line.size(); ++k) {
      if (auto t = defaults_at(line, k, now))
        return t;
      if (k < line.size() && is_word(line[k]))
        break;
    }
    if (line_begin_only_)
      return std::nullopt;
    for (size_t k = 1; k < line.size(); ++k) {
      if (is_word(line[k - 1]))
        continue;
      if (auto t = defaults_at(line, k, now))
        return t;
    }
    return std::nullopt;
  }
  case Mode::prefixed_defaults:
    return around_date(line, now);
  case Mode::several:
    for (const auto &alternative : alternatives_)
      if (auto t = alternative.find(line, now))
        return t;
    return std::nullopt;
  case Mode::epoch: {
    size_t limit = line_begin_only_ ? std::min<size_t>(line.size(), 2) : line.size();
    for (size_t k = 0; k <= limit; ++k) {
      if (k > 0 && k < line.size() && is_word(line[k - 1]))
        continue;
      size_t end = 0;
      int64_t e = 0;
      if (tai64n_ ? tai64n(Cursor{line, k}, e, end) : epoch(Cursor{line, k}, long_epoch_, e, end)) {
        if (cut_space_after_ && end < line.size() && line[end] == ' ')
          ++end;
        return LogTime{k, end, e, true};
      }
    }
    return std::nullopt;
  }
  case Mode::custom: {
    if (regex_->search(line) != Pcre2Regex::Outcome::matched)
      return std::nullopt;
    WallClock w;
    int hour12 = -1;
    bool pm = false;
    int64_t epoch_value = -1;
    for (const auto &[field, number] : custom_fields_) {
      if (!regex_->group_set(number))
        continue;
      std::string_view v = regex_->group(number);
      while (!v.empty() && v.front() == ' ')
        v.remove_prefix(1);
      // The groups' regexes admit digits only (after the padding space): the value of
      // all of them, as std::stoi would read it.
      auto number_of = [&v] {
        int64_t value = 0;
        std::from_chars(v.data(), v.data() + v.size(), value);
        return value;
      };
      auto small = [&] { return static_cast<int>(number_of()); };
      switch (field) {
      case 'Y': w.year = small(); break;
      case 'y': w.year = 2000 + small(); break;
      case 'm': w.month = small(); break;
      case 'd': w.day = small(); break;
      case 'H': w.hour = small(); break;
      case 'I': hour12 = small(); break;
      case 'M': w.minute = small(); break;
      case 'S': w.second = small(); break;
      case 'p': pm = v == "PM" || v == "pm"; break;
      case 's': epoch_value = number_of(); break;
      case 'b': {
        Cursor c{v, 0};
        c.month_name(w.month);
        break;
      }
      case 'z': {
        Cursor c{v, 0};
        w.has_zone = c.zone(w.zone_offset);
        break;
      }
      default: break;
      }
    }
    if (hour12 >= 0)
      w.hour = hour12 % 12 + (pm ? 12 : 0);
    std::string_view whole = regex_->group(date_group_);
    if (whole.empty()) {
      // An empty date (guacamole's "^WARNING:()**"): fail2ban takes the last date seen
      // (or now) and cuts nothing.
      LogTime absent;
      absent.valid = true;
      absent.absent = true;
      return absent;
    }
    size_t begin = static_cast<size_t>(whole.data() - line.data());
    if (epoch_value >= 0)
      return LogTime{begin, begin + whole.size(), epoch_value, true};
    if (w.month < 0 && w.day >= 0)
      return LogTime{begin, begin + whole.size(), 0, false};
    return finish(w, begin, begin + whole.size(), *zone_, now, calendar_);
  }
  }
  return std::nullopt;
}

} // namespace mcf2b::matcher
