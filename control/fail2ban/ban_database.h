// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "protocol/commands.h"
#include "userspace/model/jail.h"

namespace mcf2b::control {

// One row of fail2ban's ban database as fail2ban wrote it: the latest ban of an address
// in a jail (`bips`, or the newest `bans` row of a database older than version 4).
struct Fail2banBanRow {
  std::string jail;
  std::string ip; // as fail2ban stored it: an address, or anything a filter captured
  Seconds time_of_ban = 0;
  Seconds bantime = 0; // seconds; <= -1 permanent; -2 unknown (upgraded from < 0.11)
  int count = 1;
};

struct Fail2banBanDatabase {
  int version = 0;   // fail2banDb.version
  std::string table; // the table read: "bips" or "bans"
  std::vector<Fail2banBanRow> rows;
};

// Reads fail2ban's ban database (/var/lib/fail2ban/fail2ban.sqlite3) read-only: never
// written, never locked for writing, so a running fail2ban is not disturbed. A missing
// file, a file that is not SQLite, or a SQLite file without fail2ban's tables is an
// Error saying which.
Result<Fail2banBanDatabase> read_fail2ban_bans(const std::string &path);

// What the rows are at `now`, as fail2ban's own restore decides (timeofban + bantime >
// now, or bantime <= -1): bans in force, to import with their end and count; rows that
// cannot be imported, with the reason (not an address, an unknown ban length); and how
// many had ended.
struct Fail2banBansInForce {
  std::vector<ImportedBan> in_force;
  std::vector<SkippedBan> unusable;
  size_t ended = 0;
};
Fail2banBansInForce bans_in_force(const std::vector<Fail2banBanRow> &rows, Seconds now);

} // namespace mcf2b::control
