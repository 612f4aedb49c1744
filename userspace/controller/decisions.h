// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "userspace/model/ban.h"
#include "userspace/model/jail.h"

namespace mcf2b {

// Why a ban was decided.
enum class BanCause : uint8_t {
  failures,  // maxretry failures within findtime
  manual,    // an admin's ban command
  blacklist, // the ban count went past max_count, or an admin's blacklist add
  replicated, // another cluster node decided it
  imported,   // carried over from another tool's bans in force (fail2ban's database)
};

// Why a ban is lifted.
enum class UnbanReason : uint8_t {
  expired,            // its end time has passed
  manual,             // an admin's unban command
  whitelisted,        // the address (or a prefix holding it) was whitelisted
  blacklist_removed,  // an admin's blacklist remove
  blacklist_disabled, // general disable-bl / blacklist disable
  jail_disabled,      // the jail was disabled (fail2ban stops it, which lifts its bans)
  replicated,         // another cluster node lifted it
};

std::string_view to_string(BanCause cause);
std::string_view to_string(UnbanReason reason);

// Enforce `prefix` in `jail` (its ports come from the jail's config) from `start`
// until `end` (0 = permanent).
struct BanDecision {
  std::string jail;
  IpPrefix prefix;
  Seconds start = 0;
  Seconds end = 0;
  int count = 0; // the (ip, jail) ban count after this ban
  bool blacklisted = false;
  BanCause cause = BanCause::failures;

  [[nodiscard]] bool permanent() const { return end == 0; }
};

// Stop enforcing `prefix` in `jail`.
struct UnbanDecision {
  std::string jail;
  IpPrefix prefix;
  UnbanReason reason = UnbanReason::manual;
};

// What one controller call decided, as values for the daemon to apply: unbans first,
// then bans (one call never unbans and bans the same (jail, prefix)), to the enforcers;
// `records` (fail2ban_ips rows, the last one for a (ip, jail) wins) and `jails`
// (fail2ban_jail rows) to the store.
struct Decisions {
  std::vector<BanDecision> bans;
  std::vector<UnbanDecision> unbans;
  std::vector<BanRecord> records;
  std::vector<JailConfig> jails;

  [[nodiscard]] bool empty() const {
    return bans.empty() && unbans.empty() && records.empty() && jails.empty();
  }
  // Merges the decisions of a later call; apply calls whose decisions touch the same
  // (jail, prefix) one at a time instead.
  void append(Decisions &&other);
};

} // namespace mcf2b
