// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>

#include "base/ip_address.h"
#include "userspace/model/jail.h"

namespace mcf2b {

// One (address, jail) row, as MailCleaner's mc_config.fail2ban_ips keeps it, plus the
// ban's start and end that MailCleaner lacks (the end travels with the ban across a
// cluster so it ends at the same moment everywhere).
struct BanRecord {
  IpPrefix ip;               // a host, or a prefix for manual range bans
  std::string jail;
  int count = 0;             // how many times this ip was banned in this jail
  bool active = false;       // currently banned
  bool blacklisted = false;
  bool whitelisted = false;
  Seconds last_hit = 0;      // the time of the last ban
  std::string host;          // the cluster node that wrote the row
  Seconds ban_start = 0;
  Seconds ban_end = 0;       // 0 = permanent

  [[nodiscard]] bool permanent() const { return ban_end == 0; }
  [[nodiscard]] bool expired(Seconds now) const { return !permanent() && ban_end <= now; }
};

// A ban as an enforcer holds it: in which jail, what, and until when (0 = permanent).
// The controller hands the enforcers its active bans in this shape, and they answer in it.
struct EnforcedBan {
  std::string jail;
  IpPrefix prefix;
  Seconds expires = 0;
  bool operator==(const EnforcedBan &) const = default;
};

} // namespace mcf2b
