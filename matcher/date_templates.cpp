// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/date_templates.h"

#include <charconv>

#include "matcher/zone_abbreviations.h"

namespace mcf2b::matcher::date_templates {

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

} // namespace mcf2b::matcher::date_templates
