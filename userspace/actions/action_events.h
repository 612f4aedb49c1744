// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/ip_address.h"
#include "base/seconds.h"

namespace mcf2b::actions {

// What the daemon hands over when a jail bans: fail2ban's ActionInfo, as far as mcf2b
// knows it. The address, times and counts are mcf2b's own values (checked forms, spliced
// into commands); matched lines and fields came from logs (bound through the
// environment, never spliced).
struct BanEvent {
  std::string jail;
  IpPrefix address;      // <ip> (a host, or a prefix for a prefix ban), <family>, <ip-rev>
  int64_t time = 0;      // <time>: when the ban began, seconds since the epoch
  Seconds bantime = 0;   // <bantime>: -1 for permanent
  uint32_t failures = 0; // <failures>
  uint32_t bancount = 0; // <bancount>: bans of this address in this jail, this one included
  bool restored = false; // <restored>: re-applied at start, not a new ban
  std::vector<std::string> matches;          // <matches>: this jail's lines of this address
  std::vector<std::string> ipjailmatches;    // <ipjailmatches>: same jail, all that is kept
  std::vector<std::string> ipmatches;        // <ipmatches>: every jail's lines of this address
  std::map<std::string, std::string> fields; // <F-*>: the last line's captures ("user")
};

struct UnbanEvent {
  std::string jail;
  IpPrefix address;
  int64_t time = 0; // <time>: now
  Seconds bantime = 0;
};

// The receiver of ban events: what the daemon depends on (ActionService implements it).
// Calls return at once; the commands run later, elsewhere.
class ActionEvents {
public:
  virtual ~ActionEvents() = default;
  virtual void banned(const BanEvent &event) = 0;
  virtual void unbanned(const UnbanEvent &event) = 0;
};

} // namespace mcf2b::actions
