// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/seconds.h"

namespace mcf2b {

// A jail as MailCleaner stores it in mc_config.fail2ban_jail (one row per jail).
struct JailConfig {
  std::string name;        // e.g. "mc-exim-1d"; also the ipset name
  bool enabled = true;
  int maxretry = 5;        // failures within findtime that trigger a ban
  Seconds findtime = 600;  // the failure window
  Seconds bantime = 600;   // ban length; -1 = permanent
  std::string port;        // comma list as stored ("25,465,587"); empty = all ports
  std::string filter;      // filter name (filter.d)
  std::string banaction = "mc-ipset";
  std::string logpath;
  int max_count = -1;      // bans before the family's -bl jail; <= 0 = off
  bool send_mail = false;
  bool send_mail_bl = true;

  [[nodiscard]] bool permanent() const { return bantime < 0; }
  [[nodiscard]] bool blacklisting() const { return max_count > 0; }

  bool operator==(const JailConfig &) const = default;
};

// Whether two rows of one jail differ only in their log path: the path is where this
// node's log lives, which cluster nodes may each have elsewhere.
inline bool same_except_logpath(const JailConfig &a, const JailConfig &b) {
  JailConfig x = a;
  x.logpath = b.logpath;
  return x == b;
}

// The family of a jail: "mc-exim-1d" -> "mc-exim"; a name without a tier suffix
// (-1d, -1w, -1m, -1y, -bl) is its own family.
std::string_view jail_family(std::string_view jail_name);
// Whether `name` is a family root that names several jails ("mc-exim").
bool is_tier_name(std::string_view jail_name);

// The tier suffixes of a family, in escalation order, and the blacklist suffix.
inline constexpr std::string_view kTierSuffixes[] = {"-1d", "-1w", "-1m", "-1y"};
inline constexpr std::string_view kBlacklistSuffix = "-bl";

// MailCleaner's 15 default jails (mc-ssh, mc-exim, mc-webauth x -1d/-1w/-1m/-1y/-bl),
// values from its shipped fail2ban_jail rows, except -1y's bantime: a real year
// (31536000 s) instead of the shipped typo 20586000. Disabled by default as shipped,
// except where `enabled` says otherwise.
std::vector<JailConfig> mailcleaner_default_jails(bool enabled = false);

// Parses a port list ("25,465,587", "ssh", "smtp,465,submission", "0:65535", "" = all)
// into port numbers; a range expands. Unknown service names are an error.
std::optional<std::vector<uint16_t>> parse_port_list(std::string_view text, std::string *error);

// Parses fail2ban time values: "600", "10m", "1h", "1d", "1w", "1mo", "1y", "-1",
// combinations ("1h30m"). Returns nullopt on a malformed value.
std::optional<Seconds> parse_duration(std::string_view text);

} // namespace mcf2b
