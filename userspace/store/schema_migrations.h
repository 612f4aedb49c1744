// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include "base/result.h"
#include "userspace/store/sql_connection.h"

namespace mcf2b {

// The schema version this build creates and understands:
//   1  MailCleaner's mc_config tables as it ships them (fail2ban_jail, fail2ban_ips,
//      fail2ban_conf), created when missing, never altered when present;
//   2  fail2ban_ips made unique per (ip, jail): addresses canonicalised and duplicate
//      rows merged, then a unique index; ban_start/ban_end columns (filled for active
//      MailCleaner rows from last_hit + the jail's bantime); jail widened to 150;
//   3  the mcf2b_* tables: settings, change log and its sequence, log positions (with
//      a journal cursor column, added to version-3 databases at open), the per-node
//      client sequence of replayed writes.
// Every step only adds, so MailCleaner's own readers keep working.
inline constexpr int kSchemaVersion = 3;

// Brings the database to kSchemaVersion. Runs at every open; idempotent; safe when
// several nodes open the same MariaDB at once (a named lock serialises them) and when a
// previous run was interrupted (every step can run again).
Status migrate_schema(SqlConnection &conn);

// The version recorded in the database (0 for none).
Result<int> schema_version(SqlConnection &conn);

} // namespace mcf2b
