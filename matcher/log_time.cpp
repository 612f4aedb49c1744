// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/log_time.h"
#include "matcher/strftime_regex.h"
#include "matcher/zone_abbreviations.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace mcf2b::matcher {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }
char lower(char c) { return is_upper(c) ? static_cast<char>(c + 32) : c; }
// fail2ban compiles its date regexes with re.IGNORECASE: "sept." is September.
bool same_letters(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}
// fail2ban's \w on bytes: ASCII letters, digits, '_', and every non-ASCII byte. (No
// locale is set, so isalnum would say the same for ASCII, at the cost of a call.)
bool is_word(char c) {
  return is_digit(c) || is_upper(c) || (c >= 'a' && c <= 'z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// A tiny cursor over the line, with the field parsers the templates need.
struct Cursor {
  std::string_view s;
  size_t i;

  bool lit(char c) {
    if (i < s.size() && s[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  bool lit(std::string_view t) {
    if (s.substr(i, t.size()) == t) {
      i += t.size();
      return true;
    }
    return false;
  }
  // 1..max digits (at least min), value in [lo, hi].
  bool num(int min, int max, int lo, int hi, int &out) {
    int n = 0, v = 0;
    while (n < max && i + static_cast<size_t>(n) < s.size() && is_digit(s[i + static_cast<size_t>(n)])) {
      v = v * 10 + (s[i + static_cast<size_t>(n)] - '0');
      ++n;
    }
    if (n < min || v < lo || v > hi)
      return false;
    i += static_cast<size_t>(n);
    out = v;
    return true;
  }
  // A 1-2 digit number that may be space-padded (%d with " 5", %k).
  bool padded(int lo, int hi, int &out) {
    size_t save = i;
    if (i < s.size() && s[i] == ' ' && i + 1 < s.size() && is_digit(s[i + 1]))
      ++i;
    if (num(1, 2, lo, hi, out))
      return true;
    i = save;
    return false;
  }
  bool month_name(int &out) {
    static const char *const full[] = {"January", "February", "March",     "April",
                                       "May",     "June",     "July",      "August",
                                       "September", "October", "November", "December"};
    // The three-letter names differ, and each full name starts with its own: the month
    // is found by its first three letters, then the full name is taken when written.
    if (i > s.size() || s.size() - i < 3)
      return false;
    const char *abbr = s.data() + i;
    for (int m = 0; m < 12; ++m) {
      if (upper(abbr[0]) != full[m][0] || lower(abbr[1]) != full[m][1] ||
          lower(abbr[2]) != full[m][2])
        continue;
      std::string_view name = full[m];
      i += same_letters(s.substr(i, name.size()), name) ? name.size() : 3;
      out = m + 1;
      return true;
    }
    return false;
  }
  bool day_name() {
    static const char *const full[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                       "Friday", "Saturday", "Sunday"};
    // As month_name: the three-letter names differ and start the full ones.
    if (i > s.size() || s.size() - i < 3)
      return false;
    const char *abbr = s.data() + i;
    for (const char *name : full) {
      if (abbr[0] != name[0] || abbr[1] != name[1] || abbr[2] != name[2])
        continue;
      size_t length = std::strlen(name);
      i += s.substr(i, length) == name ? length : 3;
      return true;
    }
    return false;
  }
  void fraction(const char *seps) {
    if (i + 1 < s.size() && std::strchr(seps, s[i]) && is_digit(s[i + 1])) {
      ++i;
      while (i < s.size() && is_digit(s[i]))
        ++i;
    }
  }
  // %z: Z, UTC, GMT, +HH, +HHMM, +HH:MM.
  bool zone(int32_t &out) {
    size_t save = i;
    if (lit("UTC") || lit("GMT")) {
      out = 0;
      if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        int32_t extra = 0;
        if (zone(extra))
          out = extra;
      }
      return true;
    }
    if (lit('Z')) {
      out = 0;
      return true;
    }
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int sign = s[i] == '-' ? -1 : 1;
      ++i;
      int h = 0, m = 0;
      if (num(2, 2, 0, 23, h)) {
        size_t before = i;
        bool colon = lit(':');
        if (!num(2, 2, 0, 59, m)) {
          i = before;
          m = 0;
          (void)colon;
        }
        out = sign * (h * 3600 + m * 60);
        return true;
      }
    }
    i = save;
    return false;
  }
  bool hms(WallClock &w, bool padded_hour) {
    if (padded_hour ? !padded(0, 23, w.hour) : !num(1, 2, 0, 23, w.hour))
      return false;
    return lit(':') && num(1, 2, 0, 59, w.minute) && lit(':') && num(1, 2, 0, 61, w.second);
  }
  // The date must end at a word boundary: no letter or digit glued to it.
  [[nodiscard]] bool word_end() const { return i >= s.size() || !is_word(s[i]) || !is_word(s[i - 1]); }
};

// ISO: %ExY(sep)%m(sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?  (and compact 20050814T120000)
bool iso(Cursor c, WallClock &w, size_t &end) {
  if (!c.num(4, 4, 1000, 9999, w.year))
    return false;
  char sep = c.i < c.s.size() ? c.s[c.i] : 0;
  if (sep == '-' || sep == '/' || sep == '.') {
    ++c.i;
    if (!c.num(1, 2, 1, 12, w.month) || !c.lit(sep) || !c.num(1, 2, 1, 31, w.day))
      return false;
    if (!(c.lit('T') || c.lit("  ") || c.lit(' ')))
      return false;
    if (!c.hms(w, false))
      return false;
  } else {
    if (!c.num(2, 2, 1, 12, w.month) || !c.num(2, 2, 1, 31, w.day))
      return false;
    if (!(c.lit('T') || c.lit("  ") || c.lit(' ')))
      return false;
    if (!c.num(2, 2, 0, 23, w.hour) || !c.num(2, 2, 0, 59, w.minute) ||
        !c.num(2, 2, 0, 61, w.second))
      return false;
  }
  c.fraction(".,");
  size_t before_zone = c.i;
  while (c.i < c.s.size() && c.s[c.i] == ' ')
    ++c.i;
  if (c.zone(w.zone_offset) && c.word_end())
    w.has_zone = true;
  else
    c.i = before_zone;
  if (!c.word_end())
    return false;
  end = c.i;
  return true;
}

// (?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?  and  (?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?
bool syslog(Cursor c, WallClock &w, size_t &end) {
  size_t save = c.i;
  if (!(c.day_name() && c.lit(' ')))
    c.i = save;
  if (!c.month_name(w.month) || !c.lit(' ') || !c.padded(1, 31, w.day) || !c.lit(' '))
    return false;
  size_t at_time = c.i;
  if (c.hms(w, true)) {
    c.fraction(".");
    size_t before_year = c.i;
    int year = 0;
    if (c.lit(' ') && c.num(4, 4, 1000, 9999, year) && c.word_end())
      w.year = year;
    else
      c.i = before_year;
  } else {
    c.i = at_time;
    if (!c.num(4, 4, 1000, 9999, w.year) || !c.lit(' ') || !c.hms(w, true))
      return false;
    c.fraction(".");
  }
  if (!c.word_end())
    return false;
  end = c.i;
  return true;
}

// (?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?  (monit's "PDT Apr 16 21:05:29"): the
// syslog template after a zone name, Z or 3 to 5 letters (any case: fail2ban's date
// regexes ignore case). A name fail2ban cannot convert to an offset gives it no date
// from this template; here the template does not match either.
bool zone_named_syslog(Cursor c, WallClock &w, size_t &end) {
  size_t start = c.i;
  while (c.i < c.s.size() && c.i - start < 6 &&
         (is_upper(c.s[c.i]) || (c.s[c.i] >= 'a' && c.s[c.i] <= 'z')))
    ++c.i;
  std::string_view name = c.s.substr(start, c.i - start);
  if (!(name == "Z" || name == "z" || (name.size() >= 3 && name.size() <= 5)) || !c.lit(' '))
    return false;
  auto minutes = zone_abbreviation_minutes(name);
  if (!minutes || !syslog(c, w, end))
    return false;
  w.has_zone = true;
  w.zone_offset = *minutes * 60;
  return true;
}

// %d(sep)%b(sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?   (Apache access log)
// %d(sep)%m(sep)(?:%ExY|%Exy) %k:%M:%S
bool day_first(Cursor c, WallClock &w, size_t &end) {
  if (!c.num(1, 2, 1, 31, w.day))
    return false;
  char sep = c.i < c.s.size() ? c.s[c.i] : 0;
  if (sep != '-' && sep != '/')
    return false;
  ++c.i;
  if (c.month_name(w.month)) {
    if (!c.lit(sep) || !c.num(4, 4, 1000, 9999, w.year))
      return false;
    if (!c.lit(' '))
      c.lit(':');
    if (!c.hms(w, false))
      return false;
    c.fraction(".");
    size_t before_zone = c.i;
    if (c.lit(' ') && c.zone(w.zone_offset) && c.word_end())
      w.has_zone = true;
    else
      c.i = before_zone;
  } else {
    if (!c.num(1, 2, 1, 12, w.month) || !c.lit(sep))
      return false;
    if (!c.num(4, 4, 1000, 9999, w.year)) {
      if (!c.num(2, 2, 0, 99, w.year))
        return false;
      w.year += 2000;
    }
    if (!c.lit(' ') || !c.hms(w, true))
      return false;
  }
  if (!c.word_end())
    return false;
  end = c.i;
  return true;
}

// %m/%d/%ExY:%H:%M:%S  and  %m-%d-%ExY %k:%M:%S(?:\.%f)?
bool month_first(Cursor c, WallClock &w, size_t &end) {
  if (!c.num(1, 2, 1, 12, w.month))
    return false;
  char sep = c.i < c.s.size() ? c.s[c.i] : 0;
  if (sep != '-' && sep != '/')
    return false;
  ++c.i;
  if (!c.num(1, 2, 1, 31, w.day) || !c.lit(sep) || !c.num(4, 4, 1000, 9999, w.year))
    return false;
  if (!(sep == '/' ? c.lit(':') : c.lit(' ')) || !c.hms(w, sep == '-'))
    return false;
  if (sep == '-')
    c.fraction(".");
  if (!c.word_end())
    return false;
  end = c.i;
  return true;
}

// TAI64N (daemontools' "@" and 24 hex digits): fail2ban reads the seconds as the 15 hex
// digits after "@4", without the TAI offset.
bool tai64n(Cursor c, int64_t &out, size_t &end) {
  std::string_view hex = c.lit('@') ? c.s.substr(c.i, 24) : std::string_view();
  if (hex.size() < 24 || hex.find_first_not_of("0123456789abcdef") != std::string_view::npos)
    return false;
  std::from_chars(hex.data() + 1, hex.data() + 16, out, 16);
  end = c.i + 24;
  return true;
}

// Epoch seconds (10 or 11 digits, optional fraction); LEPOCH: milli/microseconds.
bool epoch(Cursor c, bool long_form, int64_t &out, size_t &end) {
  size_t start = c.i;
  while (c.i < c.s.size() && is_digit(c.s[c.i]))
    ++c.i;
  size_t n = c.i - start;
  if (long_form ? (n < 10 || n > 16) : (n < 10 || n > 11))
    return false;
  int64_t v = 0;
  for (size_t k = start; k < c.i; ++k)
    v = v * 10 + (c.s[k] - '0');
  if (long_form) {
    while (n > 10) {
      v /= 10;
      --n;
    }
  }
  if (!long_form && c.i + 1 < c.s.size() && c.s[c.i] == '.' && is_digit(c.s[c.i + 1]))
    c.fraction(".");
  if (!c.word_end())
    return false;
  out = v;
  end = c.i;
  return true;
}

// %Exy%Exm%Exd  ?%H:%M:%S (MySQL's "130324  0:04:00")
bool compact_ymd(Cursor c, WallClock &w, size_t &end) {
  if (!c.num(2, 2, 0, 99, w.year) || !c.num(2, 2, 1, 12, w.month) ||
      !c.num(2, 2, 1, 31, w.day) || !c.lit(' '))
    return false;
  w.year += 2000;
  c.lit(' ');
  if (!c.hms(w, false) || !c.word_end())
    return false;
  end = c.i;
  return true;
}

// {^LN-BEG}%H:%M:%S (today)
bool time_only(Cursor c, WallClock &w, size_t &end) {
  if (!c.hms(w, false) || !c.word_end())
    return false;
  end = c.i;
  return true;
}

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
