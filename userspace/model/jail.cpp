// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/model/jail.h"

#include <netdb.h>

#include <cctype>
#include <charconv>

namespace mcf2b {
namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct ServiceDefaults {
  const char *service;
  const char *port;
  const char *filter;
  const char *logpath;
  int maxretry[4];
};

constexpr ServiceDefaults kServices[] = {
    {"mc-ssh", "22", "sshd", "/var/log/auth.log", {3, 6, 9, 12}},
    {"mc-exim", "25,465,587", "mc-exim-filter", "/var/mailcleaner/log/exim_stage1/rejectlog",
     {5, 10, 15, 20}},
    {"mc-webauth", "80,443", "mc-webauth-filter", "/var/mailcleaner/log/apache/mc_auth.log",
     {5, 10, 15, 20}},
};

constexpr Seconds kFindtime[4] = {3600, 172800, 1209600, 5356800};
// -1y: a real year, not MailCleaner's shipped 20586000 (about 238 days).
constexpr Seconds kBantime[4] = {86400, 604800, 2678400, 31536000};

} // namespace

std::string_view jail_family(std::string_view name) {
  for (auto suffix : kTierSuffixes)
    if (ends_with(name, suffix))
      return name.substr(0, name.size() - suffix.size());
  if (ends_with(name, kBlacklistSuffix))
    return name.substr(0, name.size() - kBlacklistSuffix.size());
  return name;
}

bool is_tier_name(std::string_view name) { return jail_family(name) != name; }

std::vector<JailConfig> mailcleaner_default_jails(bool enabled) {
  std::vector<JailConfig> jails;
  for (const auto &s : kServices) {
    for (int tier = 0; tier < 4; ++tier) {
      JailConfig j;
      j.name = std::string(s.service) + std::string(kTierSuffixes[tier]);
      j.enabled = enabled;
      j.maxretry = s.maxretry[tier];
      j.findtime = kFindtime[tier];
      j.bantime = kBantime[tier];
      j.port = s.port;
      j.filter = s.filter;
      j.logpath = s.logpath;
      j.max_count = -1;
      jails.push_back(j);
    }
    JailConfig bl;
    bl.name = std::string(s.service) + std::string(kBlacklistSuffix);
    bl.enabled = enabled;
    bl.maxretry = 1;
    bl.findtime = 1;
    bl.bantime = -1;
    bl.port = s.port;
    bl.filter = s.filter;
    bl.logpath = s.logpath;
    bl.max_count = -1;
    jails.push_back(bl);
  }
  return jails;
}

std::optional<std::vector<uint16_t>> parse_port_list(std::string_view text, std::string *error) {
  std::vector<uint16_t> ports;
  auto fail = [&](std::string why) -> std::optional<std::vector<uint16_t>> {
    if (error)
      *error = std::move(why);
    return std::nullopt;
  };
  auto number = [](std::string_view s, unsigned &out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && out <= 65535;
  };
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos)
      end = text.size();
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ')
      item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ')
      item.remove_suffix(1);
    start = end + 1;
    if (item.empty() || item == "all" || item == "any")
      continue;
    size_t colon = item.find(':');
    if (colon == std::string_view::npos)
      colon = item.find('-');
    // "ftp-data", "ftps-data": a service name with a dash, not a range.
    const bool dashed_name = colon != std::string_view::npos && item[colon] == '-' &&
                             !std::isdigit(static_cast<unsigned char>(item.front()));
    if (colon != std::string_view::npos && !dashed_name) {
      unsigned lo = 0, hi = 0;
      if (!number(item.substr(0, colon), lo) || !number(item.substr(colon + 1), hi) || lo > hi)
        return fail("invalid port range '" + std::string(item) + "'");
      if (lo == 0 && hi == 65535)
        return std::vector<uint16_t>{}; // all ports
      for (unsigned p = lo; p <= hi; ++p)
        ports.push_back(static_cast<uint16_t>(p));
      continue;
    }
    unsigned p = 0;
    if (number(item, p) && p > 0) {
      ports.push_back(static_cast<uint16_t>(p));
      continue;
    }
    std::string name(item);
    const servent *se = ::getservbyname(name.c_str(), "tcp");
    if (!se)
      return fail("unknown port or service '" + name + "'");
    ports.push_back(static_cast<uint16_t>(__builtin_bswap16(static_cast<uint16_t>(se->s_port))));
  }
  return ports;
}

std::optional<Seconds> parse_duration(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  if (text.empty())
    return std::nullopt;
  if (text == "-1")
    return -1;
  Seconds total = 0;
  size_t i = 0;
  while (i < text.size()) {
    Seconds value = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
    if (ec != std::errc() || value < 0)
      return std::nullopt;
    i = static_cast<size_t>(p - text.data());
    size_t unit_start = i;
    while (i < text.size() && ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z')))
      ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    Seconds mult;
    if (unit.empty() || unit == "s" || unit == "sec" || unit == "second" || unit == "seconds")
      mult = 1;
    else if (unit == "m" || unit == "min" || unit == "minute" || unit == "minutes")
      mult = 60;
    else if (unit == "h" || unit == "hour" || unit == "hours")
      mult = 3600;
    else if (unit == "d" || unit == "day" || unit == "days")
      mult = 86400;
    else if (unit == "w" || unit == "week" || unit == "weeks")
      mult = 604800;
    else if (unit == "mo" || unit == "month" || unit == "months")
      mult = 2678400; // 31 days, MailCleaner's -1m bantime
    else if (unit == "y" || unit == "year" || unit == "years")
      mult = 31536000;
    else
      return std::nullopt;
    // A duration past what a Seconds holds is no duration (not a wrapped negative one).
    Seconds part = 0;
    if (__builtin_mul_overflow(value, mult, &part) || __builtin_add_overflow(total, part, &total))
      return std::nullopt;
    while (i < text.size() && text[i] == ' ')
      ++i;
  }
  return total;
}

} // namespace mcf2b
