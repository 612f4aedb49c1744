// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "userspace/model/ban.h"
#include "userspace/model/jail.h"

namespace mcf2b {

// What a change-log entry records. The numbers are stored; never renumber.
enum class ChangeKind : uint8_t {
  ban = 1,              // row: the (ip, jail) row after the ban was written
  unban = 2,            // row: the row after active was cleared
  whitelist_add = 3,    // row: the row after whitelisted was set (and its ban lifted)
  whitelist_remove = 4, // row: ip and jail
  jail_put = 5,         // jail: its name; read the jail itself with get_jail()
  jail_remove = 6,      // jail: its name
  setting_put = 7,      // key, value
  counts_reset = 8,     // jail: whose ban counts went back to 0
  mail_conf_put = 9,    // fail2ban_conf changed; read it with get_mail_conf()
};

std::string_view to_string(ChangeKind kind);
std::optional<ChangeKind> change_kind_from_int(int64_t value);

// One entry of the change log. Sequence numbers are dense (no gaps) and become visible
// in order, so a node that has applied everything up to N asks for "seq > N" and never
// misses an entry; see StateStore::changes_since.
struct Change {
  int64_t seq = 0;
  Seconds at = 0;    // wall-clock time of the write (informational)
  std::string node;  // the cluster node that made the change
  ChangeKind kind = ChangeKind::ban;
  std::string jail;  // every kind except setting_put and mail_conf_put
  BanRecord row;     // ban, unban, whitelist_add, whitelist_remove
  std::string key;   // setting_put
  std::string value; // setting_put
};

} // namespace mcf2b
