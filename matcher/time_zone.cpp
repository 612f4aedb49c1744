// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mcf2b::matcher {

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  // Howard Hinnant's algorithm.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t &year, unsigned &month, unsigned &day) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2);
}

namespace {

int64_t be64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | p[i];
  return static_cast<int64_t>(v);
}
int32_t be32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v = (v << 8) | p[i];
  return static_cast<int32_t>(v);
}

// "+0100", "-04:00", "+01", "Z", "UTC", "GMT" -> seconds east; false if not an offset.
bool parse_fixed_offset(std::string_view s, int32_t &out) {
  if (s == "Z" || s == "UTC" || s == "GMT" || s == "utc") {
    out = 0;
    return true;
  }
  if (s.size() < 3 || (s[0] != '+' && s[0] != '-'))
    return false;
  std::string digits;
  for (char c : s.substr(1))
    if (c != ':')
      digits += c;
  if ((digits.size() != 2 && digits.size() != 4) ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return false;
  int h = std::stoi(digits.substr(0, 2));
  int m = digits.size() == 4 ? std::stoi(digits.substr(2, 2)) : 0;
  if (h > 23 || m > 59)
    return false;
  out = (h * 3600 + m * 60) * (s[0] == '-' ? -1 : 1);
  return true;
}

// POSIX offsets are west-positive: "CET-1" is UTC+1.
bool parse_posix_offset(std::string_view &s, int32_t &seconds) {
  int sign = 1;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  int parts[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0])))
      return i > 0;
    int v = 0;
    while (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
      v = v * 10 + (s[0] - '0');
      s.remove_prefix(1);
    }
    parts[i] = v;
    seconds = sign * (parts[0] * 3600 + parts[1] * 60 + parts[2]);
    if (s.empty() || s[0] != ':')
      return true;
    s.remove_prefix(1);
  }
  return true;
}

bool skip_name(std::string_view &s) {
  if (!s.empty() && s[0] == '<') {
    size_t close = s.find('>');
    if (close == std::string_view::npos)
      return false;
    s.remove_prefix(close + 1);
    return true;
  }
  size_t n = 0;
  while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n])))
    ++n;
  s.remove_prefix(n);
  return n >= 3;
}

bool parse_rule_date(std::string_view &s, int &month, int &week, int &day, int &time) {
  if (s.empty() || s[0] != 'M')
    return false; // Jn and n forms are not used by current zones
  s.remove_prefix(1);
  auto num = [&](int &out) {
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s[0])))
      return false;
    out = 0;
    while (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
      out = out * 10 + (s[0] - '0');
      s.remove_prefix(1);
    }
    return true;
  };
  if (!num(month) || s.empty() || s[0] != '.')
    return false;
  s.remove_prefix(1);
  if (!num(week) || s.empty() || s[0] != '.')
    return false;
  s.remove_prefix(1);
  if (!num(day))
    return false;
  time = 7200;
  if (!s.empty() && s[0] == '/') {
    s.remove_prefix(1);
    int32_t t = 0;
    if (!parse_posix_offset(s, t))
      return false;
    time = t;
  }
  return true;
}

// Seconds (local standard/daylight wall clock) since epoch of a rule's transition.
int64_t rule_transition(int64_t year, int month, int week, int wday, int time) {
  int64_t first = days_from_civil(year, static_cast<unsigned>(month), 1);
  int first_wday = static_cast<int>(((first % 7) + 7 + 4) % 7); // 1970-01-01 was Thursday
  int64_t day = first + ((wday - first_wday + 7) % 7) + (week - 1) * 7;
  if (week == 5) {
    int64_t next_month = month == 12 ? days_from_civil(year + 1, 1, 1)
                                     : days_from_civil(year, static_cast<unsigned>(month + 1), 1);
    day = first + ((wday - first_wday + 7) % 7);
    while (day + 7 < next_month)
      day += 7;
  }
  return day * 86400 + time;
}

} // namespace

bool TimeZone::parse_posix(std::string_view tz, Rule &rule) {
  Rule r;
  if (!skip_name(tz))
    return false;
  int32_t west = 0;
  if (!parse_posix_offset(tz, west))
    return false;
  r.std_offset = -west;
  if (tz.empty()) {
    r.dst_offset = r.std_offset;
    r.present = true;
    rule = r;
    return true;
  }
  if (!skip_name(tz))
    return false;
  r.dst_offset = r.std_offset + 3600;
  if (!tz.empty() && tz[0] != ',') {
    if (!parse_posix_offset(tz, west))
      return false;
    r.dst_offset = -west;
  }
  if (tz.empty() || tz[0] != ',')
    return false;
  tz.remove_prefix(1);
  if (!parse_rule_date(tz, r.start_month, r.start_week, r.start_day, r.start_time))
    return false;
  if (tz.empty() || tz[0] != ',')
    return false;
  tz.remove_prefix(1);
  if (!parse_rule_date(tz, r.end_month, r.end_week, r.end_day, r.end_time))
    return false;
  r.present = true;
  rule = r;
  return true;
}

int32_t TimeZone::rule_offset(int64_t utc) const {
  if (rule_.std_offset == rule_.dst_offset || rule_.start_month == 0)
    return rule_.std_offset;
  int64_t year = 0;
  unsigned m = 0, d = 0;
  civil_from_days((utc + rule_.std_offset) / 86400, year, m, d);
  // Transition instants in UTC: start is given in standard time, end in daylight time.
  int64_t start = rule_transition(year, rule_.start_month, rule_.start_week, rule_.start_day,
                                  rule_.start_time) -
                  rule_.std_offset;
  int64_t end =
      rule_transition(year, rule_.end_month, rule_.end_week, rule_.end_day, rule_.end_time) -
      rule_.dst_offset;
  bool dst = start < end ? (utc >= start && utc < end) : !(utc >= end && utc < start);
  return dst ? rule_.dst_offset : rule_.std_offset;
}

Result<TimeZone> TimeZone::load(std::string_view name) {
  TimeZone zone;
  zone.name_ = std::string(name);
  int32_t fixed = 0;
  if (name.empty() || parse_fixed_offset(name, fixed)) {
    zone.initial_offset_ = fixed;
    return zone;
  }
  std::string path;
  if (name == "local") {
    const char *tz = std::getenv("TZ");
    if (tz && *tz) {
      std::string_view t = tz;
      if (t[0] == ':')
        t.remove_prefix(1);
      if (parse_fixed_offset(t, fixed)) {
        zone.initial_offset_ = fixed;
        return zone;
      }
      path = t.front() == '/' ? std::string(t) : "/usr/share/zoneinfo/" + std::string(t);
    } else {
      path = "/etc/localtime";
    }
  } else {
    if (name.find("..") != std::string_view::npos || name.front() == '/')
      return Error::msg("time zone '" + std::string(name) + "' is not a zone name");
    path = "/usr/share/zoneinfo/" + std::string(name);
  }
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error::sys("unknown time zone '" + std::string(name) + "' (cannot read " + path + ")");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  auto bad = [&] { return Error::msg("time zone file " + path + " is not in TZif format"); };
  const auto *p = reinterpret_cast<const unsigned char *>(data.data());
  size_t size = data.size();
  if (size < 44 || std::memcmp(p, "TZif", 4) != 0)
    return bad();
  auto counts = [&](const unsigned char *h, int32_t c[6]) {
    for (int i = 0; i < 6; ++i)
      c[i] = be32(h + 20 + 4 * i); // isutcnt isstdcnt leapcnt timecnt typecnt charcnt
  };
  int32_t c[6];
  counts(p, c);
  bool v2 = p[4] >= '2';
  size_t v1_size = static_cast<size_t>(c[3]) * 5 + static_cast<size_t>(c[4]) * 6 +
                   static_cast<size_t>(c[5]) + static_cast<size_t>(c[2]) * 8 +
                   static_cast<size_t>(c[1]) + static_cast<size_t>(c[0]);
  const unsigned char *h = p;
  int time_size = 4;
  if (v2) {
    if (44 + v1_size + 44 > size)
      return bad();
    h = p + 44 + v1_size;
    if (std::memcmp(h, "TZif", 4) != 0)
      return bad();
    counts(h, c);
    time_size = 8;
  }
  const unsigned char *q = h + 44;
  size_t need = static_cast<size_t>(c[3]) * (time_size + 1) + static_cast<size_t>(c[4]) * 6 +
                static_cast<size_t>(c[5]) + static_cast<size_t>(c[2]) * (time_size + 4) +
                static_cast<size_t>(c[1]) + static_cast<size_t>(c[0]);
  if (static_cast<size_t>(q - p) + need > size)
    return bad();
  std::vector<int64_t> times(static_cast<size_t>(c[3]));
  for (auto &t : times) {
    t = time_size == 8 ? be64(q) : be32(q);
    q += time_size;
  }
  std::vector<uint8_t> idx(q, q + c[3]);
  q += c[3];
  std::vector<int32_t> type_offsets(static_cast<size_t>(c[4]));
  std::vector<bool> type_dst(static_cast<size_t>(c[4]));
  for (int32_t i = 0; i < c[4]; ++i) {
    type_offsets[static_cast<size_t>(i)] = be32(q);
    type_dst[static_cast<size_t>(i)] = q[4] != 0;
    q += 6;
  }
  q += static_cast<size_t>(c[5]) + static_cast<size_t>(c[2]) * (time_size + 4) +
       static_cast<size_t>(c[1]) + static_cast<size_t>(c[0]);
  if (type_offsets.empty())
    return bad();
  zone.initial_offset_ = type_offsets[0];
  for (size_t i = 0; i < times.size(); ++i) {
    if (idx[i] >= type_offsets.size())
      return bad();
    zone.transitions_.push_back(times[i]);
    zone.offsets_.push_back(type_offsets[idx[i]]);
  }
  if (v2 && static_cast<size_t>(q - p) < size && *q == '\n') {
    const char *start = reinterpret_cast<const char *>(q + 1);
    const char *end = static_cast<const char *>(
        std::memchr(start, '\n', size - static_cast<size_t>(q + 1 - p)));
    if (end)
      parse_posix(std::string_view(start, static_cast<size_t>(end - start)), zone.rule_);
  }
  return zone;
}

int32_t TimeZone::offset_at(int64_t utc) const {
  if (transitions_.empty())
    return rule_.present ? rule_offset(utc) : initial_offset_;
  if (utc < transitions_.front())
    return initial_offset_;
  if (utc >= transitions_.back() && rule_.present)
    return rule_offset(utc);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc);
  return offsets_[static_cast<size_t>(it - transitions_.begin()) - 1];
}

int64_t TimeZone::to_utc(int64_t local) const {
  int32_t guess = offset_at(local);
  int64_t utc = local - guess;
  int32_t actual = offset_at(utc);
  if (actual != guess)
    utc = local - actual;
  return utc;
}

} // namespace mcf2b::matcher
