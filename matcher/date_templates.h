// SPDX-License-Identifier: GPL-2.0-only
#pragma once

// fail2ban's default date templates (the forms it tries on a line without a datepattern:
// ISO 8601, syslog, the zone-named syslog form, Apache's, US month-first, MySQL's compact
// form, TAI64N, epoch seconds, a time alone), each a small parser over a cursor: what
// LogTimeParser (log_time.h) runs at each candidate position of a line.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "matcher/log_time.h"

namespace mcf2b::matcher::date_templates {

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
inline char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }
inline char lower(char c) { return is_upper(c) ? static_cast<char>(c + 32) : c; }
// fail2ban compiles its date regexes with re.IGNORECASE: "sept." is September.
inline bool same_letters(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}
// fail2ban's \w on bytes: ASCII letters, digits, '_', and every non-ASCII byte. (No
// locale is set, so isalnum would say the same for ASCII, at the cost of a call.)
inline bool is_word(char c) {
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

bool iso(Cursor c, WallClock &w, size_t &end);
bool syslog(Cursor c, WallClock &w, size_t &end);
bool zone_named_syslog(Cursor c, WallClock &w, size_t &end);
bool day_first(Cursor c, WallClock &w, size_t &end);
bool month_first(Cursor c, WallClock &w, size_t &end);
bool tai64n(Cursor c, int64_t &out, size_t &end);
bool epoch(Cursor c, bool long_form, int64_t &out, size_t &end);
bool compact_ymd(Cursor c, WallClock &w, size_t &end);
bool time_only(Cursor c, WallClock &w, size_t &end);

} // namespace mcf2b::matcher::date_templates
