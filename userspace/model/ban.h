// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <vector>

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

// An active ban as an enforcer needs it: what, and until when (0 = permanent).
struct ActiveBan {
  IpPrefix prefix;
  Seconds end = 0;
};

// One jail's active bans.
struct JailBans {
  std::string jail;
  std::vector<ActiveBan> bans;
};

} // namespace mcf2b
