// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <variant>

#include "base/ip_address.h"
#include "userspace/model/ban.h"
#include "userspace/model/jail.h"
#include "userspace/model/mail_conf.h"

namespace mcf2b {

// A write to the state store. Every kind is idempotent (it sets a state, it does not
// add to one), so a journaled write can be replayed after an outage without harm, and
// every kind appends one entry to the change log that drives cluster replication.

// Upserts the (ban.ip, ban.jail) row with every field of `ban`. An empty ban.host means
// the store's own node.
struct PutBan {
  BanRecord ban;
};

// Lifts the ban on (ip, jail): active = 0; the ban count is kept.
struct Unban {
  IpPrefix ip;
  std::string jail;
};

// MailCleaner's per-(ip, jail) whitelisted flag; the ip may be a prefix and the jail a
// family root ("mc-exim"). Whitelisting lifts the row's ban (active = 0).
struct AddWhitelist {
  IpPrefix ip;
  std::string jail;
};
struct RemoveWhitelist {
  IpPrefix ip;
  std::string jail;
};

// Inserts or updates the fail2ban_jail row named jail.name.
struct PutJail {
  JailConfig jail;
};
struct RemoveJail {
  std::string name;
};

// A global setting (see settings.h for the known keys).
struct PutSetting {
  std::string key;
  std::string value;
};

// Sets every ban count of a jail to 0 (MailCleaner resets counts on `jail disable`).
struct ResetBanCounts {
  std::string jail;
};

// Sets the one fail2ban_conf row (the ban mails' sender, sender name and recipient).
struct PutMailConf {
  MailConf conf;
};

using Mutation = std::variant<PutBan, Unban, AddWhitelist, RemoveWhitelist, PutJail, RemoveJail,
                              PutSetting, ResetBanCounts, PutMailConf>;

} // namespace mcf2b
