// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/schema_migrations.h"

#include <map>
#include <string>
#include <vector>

#include "base/ip_address.h"
#include "userspace/store/sql_dialect.h"

namespace mcf2b {
namespace {

bool is_sqlite(SqlConnection &c) { return c.dialect() == SqlDialect::sqlite; }

Status exec_all(SqlConnection &conn, std::initializer_list<const char *> statements) {
  for (const char *sql : statements)
    if (auto st = conn.exec(sql); !st)
      return st;
  return {};
}

Result<bool> has_column(SqlConnection &conn, std::string_view table, std::string_view column) {
  const char *sql =
      is_sqlite(conn) ? "SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?"
                      : "SELECT COUNT(*) FROM information_schema.columns "
                        "WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?";
  int64_t n = 0;
  auto r = conn.run(sql, {table, column}, [&](const SqlRow &row) { n = row.integer(0); });
  if (!r)
    return r.error();
  return n > 0;
}

Status add_column(SqlConnection &conn, std::string_view table, std::string_view column,
                  std::string_view definition) {
  auto exists = has_column(conn, table, column);
  if (!exists)
    return exists.error();
  if (*exists)
    return {};
  return conn.exec("ALTER TABLE " + std::string(table) + " ADD COLUMN " + std::string(column) +
                   " " + std::string(definition));
}

// --- version 1: MailCleaner's tables as shipped ---
Status step_mailcleaner_tables(SqlConnection &conn) {
  if (is_sqlite(conn))
    return exec_all(conn, {
        "CREATE TABLE IF NOT EXISTS fail2ban_jail ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, enabled INTEGER DEFAULT 1,"
        " name TEXT NOT NULL UNIQUE, maxretry INTEGER NOT NULL, findtime INTEGER NOT NULL,"
        " bantime INTEGER NOT NULL, port TEXT NOT NULL, filter TEXT NOT NULL,"
        " banaction TEXT NOT NULL, logpath TEXT NOT NULL, max_count INTEGER NOT NULL,"
        " send_mail INTEGER DEFAULT 0, send_mail_bl INTEGER DEFAULT 1)",
        "CREATE TABLE IF NOT EXISTS fail2ban_ips ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, ip TEXT NOT NULL, count INTEGER NOT NULL,"
        " active INTEGER, blacklisted INTEGER DEFAULT 0, whitelisted INTEGER DEFAULT 0,"
        " jail TEXT NOT NULL, last_hit TEXT DEFAULT CURRENT_TIMESTAMP, host TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS fail2ban_conf ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, src_email TEXT NOT NULL,"
        " src_name TEXT NOT NULL, dest_email TEXT NOT NULL, chain TEXT)",
    });
  return exec_all(conn, {
      "CREATE TABLE IF NOT EXISTS fail2ban_jail ("
      " id int NOT NULL AUTO_INCREMENT, enabled tinyint(1) DEFAULT 1,"
      " name varchar(150) NOT NULL UNIQUE, maxretry int NOT NULL, findtime int NOT NULL,"
      " bantime int NOT NULL, port varchar(50) NOT NULL, filter varchar(50) NOT NULL,"
      " banaction varchar(50) NOT NULL, logpath varchar(250) NOT NULL, max_count int NOT NULL,"
      " send_mail tinyint(1) DEFAULT 0, send_mail_bl tinyint(1) DEFAULT 1, PRIMARY KEY (id))",
      "CREATE TABLE IF NOT EXISTS fail2ban_ips ("
      " id int NOT NULL AUTO_INCREMENT, ip varchar(150) NOT NULL, count int NOT NULL,"
      " active tinyint(1), blacklisted tinyint(1) DEFAULT 0, whitelisted tinyint(1) DEFAULT 0,"
      " jail varchar(20) NOT NULL, last_hit TIMESTAMP DEFAULT NOW(),"
      " host varchar(150) NOT NULL, PRIMARY KEY (id))",
      "CREATE TABLE IF NOT EXISTS fail2ban_conf ("
      " id int NOT NULL AUTO_INCREMENT, src_email varchar(150) NOT NULL,"
      " src_name varchar(150) NOT NULL, dest_email varchar(150) NOT NULL,"
      " chain varchar(50), PRIMARY KEY (id))",
  });
}

// --- version 2: one row per (ip, jail), ban start and end ---

struct IpsRow {
  int64_t id = 0;
  std::string ip, jail, host;
  int64_t count = 0, active = 0, blacklisted = 0, whitelisted = 0, last_hit = 0;
  int64_t ban_start = 0, ban_end = 0;
};

// The canonical text of an address as written by MailCleaner (which may carry spaces or
// IPv4-mapped IPv6); unparseable text is kept as it is.
std::string canonical_ip(const std::string &text) {
  size_t b = text.find_first_not_of(" \t");
  size_t e = text.find_last_not_of(" \t");
  if (b == std::string::npos)
    return text;
  auto prefix = IpPrefix::parse(std::string_view(text).substr(b, e - b + 1));
  return prefix ? prefix->to_string() : text;
}

// Merges duplicate (ip, jail) rows into the oldest one, which takes the highest count (a
// sum would count one ban twice when MailCleaner inserted instead of updating), any
// active/blacklisted/whitelisted flag, the latest last_hit and that row's host. Also
// gives active rows without an end the end MailCleaner implied: last_hit + bantime.
Status merge_duplicate_bans(SqlConnection &conn) {
  std::map<std::string, int64_t> bantimes;
  auto jr = conn.run("SELECT name, bantime FROM fail2ban_jail", {}, [&](const SqlRow &row) {
    bantimes[std::string(row.text(0))] = row.integer(1);
  });
  if (!jr)
    return jr.error();

  std::vector<IpsRow> rows;
  std::string select =
      "SELECT id, ip, jail, count, COALESCE(active, 0), COALESCE(blacklisted, 0),"
      " COALESCE(whitelisted, 0), " +
      sql::unix_time(conn.dialect(), "last_hit") +
      ", host, ban_start, ban_end FROM fail2ban_ips ORDER BY id";
  auto r = conn.run(select, {}, [&](const SqlRow &row) {
    IpsRow x;
    x.id = row.integer(0);
    x.ip = std::string(row.text(1));
    x.jail = std::string(row.text(2));
    x.count = row.integer(3);
    x.active = row.integer(4) != 0;
    x.blacklisted = row.integer(5) != 0;
    x.whitelisted = row.integer(6) != 0;
    x.last_hit = row.integer(7);
    x.host = std::string(row.text(8));
    x.ban_start = row.integer(9);
    x.ban_end = row.integer(10);
    rows.push_back(std::move(x));
  });
  if (!r)
    return r.error();

  std::map<std::pair<std::string, std::string>, std::vector<size_t>> groups;
  for (size_t i = 0; i < rows.size(); ++i)
    groups[{canonical_ip(rows[i].ip), rows[i].jail}].push_back(i);

  std::string update = "UPDATE fail2ban_ips SET ip = ?, count = ?, active = ?, blacklisted = ?,"
                       " whitelisted = ?, last_hit = " +
                       std::string(sql::timestamp_param(conn.dialect())) +
                       ", host = ?, ban_start = ?, ban_end = ? WHERE id = ?";
  for (auto &[key, members] : groups) {
    const IpsRow &first = rows[members.front()];
    IpsRow merged = first;
    merged.ip = key.first;
    for (size_t i : members) {
      const IpsRow &x = rows[i];
      merged.count = std::max(merged.count, x.count);
      merged.active |= x.active;
      merged.blacklisted |= x.blacklisted;
      merged.whitelisted |= x.whitelisted;
      if (x.last_hit > merged.last_hit) {
        merged.last_hit = x.last_hit;
        merged.host = x.host;
      }
      merged.ban_start = std::max(merged.ban_start, x.ban_start);
      merged.ban_end = std::max(merged.ban_end, x.ban_end);
    }
    if (merged.active && merged.ban_start == 0 && merged.ban_end == 0 && merged.last_hit > 0) {
      merged.ban_start = merged.last_hit;
      auto jail = bantimes.find(merged.jail);
      if (jail != bantimes.end() && jail->second > 0)
        merged.ban_end = merged.last_hit + jail->second;
    }
    bool changed = members.size() > 1 || merged.ip != first.ip || merged.count != first.count ||
                   merged.active != first.active || merged.blacklisted != first.blacklisted ||
                   merged.whitelisted != first.whitelisted || merged.host != first.host ||
                   merged.last_hit != first.last_hit || merged.ban_start != first.ban_start ||
                   merged.ban_end != first.ban_end;
    if (!changed)
      continue;
    for (size_t k = 1; k < members.size(); ++k)
      if (auto d = conn.run("DELETE FROM fail2ban_ips WHERE id = ?", {rows[members[k]].id}); !d)
        return d.error();
    auto u = conn.run(update, {merged.ip, merged.count, merged.active, merged.blacklisted,
                               merged.whitelisted, merged.last_hit, merged.host,
                               merged.ban_start, merged.ban_end, merged.id});
    if (!u)
      return u.error();
  }
  return {};
}

Status step_unique_bans(SqlConnection &conn) {
  for (auto [column, definition] :
       {std::pair{"ban_start", "BIGINT NOT NULL DEFAULT 0"},
        std::pair{"ban_end", "BIGINT NOT NULL DEFAULT 0"}})
    if (auto st = add_column(conn, "fail2ban_ips", column, definition); !st)
      return st;
  if (!is_sqlite(conn)) {
    // MailCleaner's varchar(20) cuts custom jail names; fail2ban_jail.name allows 150.
    if (auto st = conn.exec("ALTER TABLE fail2ban_ips MODIFY jail varchar(150) NOT NULL"); !st)
      return st;
  }
  // MariaDB runs DDL outside transactions, so a MailCleaner node not yet upgraded may
  // insert a duplicate between the merge and the index: merge again and retry.
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    bool own_transaction = !is_sqlite(conn); // SQLite runs the whole migration in one
    if (own_transaction)
      if (auto st = conn.begin(); !st)
        return st;
    Status merged = merge_duplicate_bans(conn);
    if (own_transaction) {
      if (!merged)
        conn.rollback();
      else if (auto st = conn.commit(); !st)
        return st;
    }
    if (!merged)
      return merged;
    last = conn.exec("CREATE UNIQUE INDEX IF NOT EXISTS fail2ban_ips_ip_jail"
                     " ON fail2ban_ips (ip, jail)");
    if (last)
      break;
  }
  if (!last)
    return last;
  return exec_all(conn, {
      "CREATE INDEX IF NOT EXISTS fail2ban_ips_active ON fail2ban_ips (active, jail)",
      "CREATE INDEX IF NOT EXISTS fail2ban_ips_host ON fail2ban_ips (host)",
  });
}

// --- version 3: mcf2b's own tables ---
Status step_mcf2b_tables(SqlConnection &conn) {
  if (is_sqlite(conn))
    return exec_all(conn, {
        "CREATE TABLE IF NOT EXISTS mcf2b_settings ("
        " name TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS mcf2b_change_seq ("
        " id INTEGER NOT NULL PRIMARY KEY, seq INTEGER NOT NULL)",
        "INSERT OR IGNORE INTO mcf2b_change_seq (id, seq) VALUES (1, 0)",
        "CREATE TABLE IF NOT EXISTS mcf2b_changes ("
        " seq INTEGER NOT NULL PRIMARY KEY, at INTEGER NOT NULL, node TEXT NOT NULL,"
        " kind INTEGER NOT NULL, jail TEXT NOT NULL, ip TEXT NOT NULL,"
        " count INTEGER NOT NULL, active INTEGER NOT NULL, blacklisted INTEGER NOT NULL,"
        " whitelisted INTEGER NOT NULL, last_hit INTEGER NOT NULL, host TEXT NOT NULL,"
        " ban_start INTEGER NOT NULL, ban_end INTEGER NOT NULL,"
        " setting_key TEXT NOT NULL, setting_value TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS mcf2b_positions ("
        " node TEXT NOT NULL, path TEXT NOT NULL, inode INTEGER NOT NULL,"
        " file_offset INTEGER NOT NULL, first_line_hash INTEGER NOT NULL,"
        " updated INTEGER NOT NULL, PRIMARY KEY (node, path))",
        "CREATE TABLE IF NOT EXISTS mcf2b_node_ops ("
        " node TEXT NOT NULL PRIMARY KEY, client_seq INTEGER NOT NULL)",
    });
  return exec_all(conn, {
      "CREATE TABLE IF NOT EXISTS mcf2b_settings ("
      " name varchar(100) NOT NULL, value text NOT NULL, PRIMARY KEY (name))",
      "CREATE TABLE IF NOT EXISTS mcf2b_change_seq ("
      " id int NOT NULL, seq bigint NOT NULL, PRIMARY KEY (id))",
      "INSERT IGNORE INTO mcf2b_change_seq (id, seq) VALUES (1, 0)",
      "CREATE TABLE IF NOT EXISTS mcf2b_changes ("
      " seq bigint NOT NULL, at bigint NOT NULL, node varchar(150) NOT NULL,"
      " kind tinyint NOT NULL, jail varchar(150) NOT NULL, ip varchar(150) NOT NULL,"
      " count int NOT NULL, active tinyint(1) NOT NULL, blacklisted tinyint(1) NOT NULL,"
      " whitelisted tinyint(1) NOT NULL, last_hit bigint NOT NULL, host varchar(150) NOT NULL,"
      " ban_start bigint NOT NULL, ban_end bigint NOT NULL,"
      " setting_key varchar(100) NOT NULL, setting_value text NOT NULL, PRIMARY KEY (seq))",
      "CREATE TABLE IF NOT EXISTS mcf2b_positions ("
      " node varchar(150) NOT NULL, path varchar(512) NOT NULL, inode bigint NOT NULL,"
      " file_offset bigint NOT NULL, first_line_hash bigint NOT NULL, updated bigint NOT NULL,"
      " PRIMARY KEY (node, path))",
      "CREATE TABLE IF NOT EXISTS mcf2b_node_ops ("
      " node varchar(200) NOT NULL, client_seq bigint NOT NULL, PRIMARY KEY (node))",
  });
}

// Columns added within version 3, each with a default that older builds never notice:
// checked at every open (one catalogue query each), so a database already at version 3
// gets them too.
//   mcf2b_positions.journal_cursor: where a journal source stopped (an sd-journal
//   cursor, about 150 characters); empty for files.
Status add_defaulted_columns(SqlConnection &conn) {
  return add_column(conn, "mcf2b_positions", "journal_cursor",
                    is_sqlite(conn) ? "TEXT NOT NULL DEFAULT ''"
                                    : "varchar(512) NOT NULL DEFAULT ''");
}

using Step = Status (*)(SqlConnection &);
constexpr Step kSteps[kSchemaVersion] = {step_mailcleaner_tables, step_unique_bans,
                                         step_mcf2b_tables};

Status ensure_version_table(SqlConnection &conn) {
  return conn.exec(is_sqlite(conn) ? "CREATE TABLE IF NOT EXISTS mcf2b_schema ("
                                     " id INTEGER NOT NULL PRIMARY KEY, version INTEGER NOT NULL)"
                                   : "CREATE TABLE IF NOT EXISTS mcf2b_schema ("
                                     " id int NOT NULL, version int NOT NULL, PRIMARY KEY (id))");
}

Status record_version(SqlConnection &conn, int version) {
  std::string sql = "INSERT INTO mcf2b_schema (id, version) VALUES (1, ?)" +
                    sql::upsert_tail(conn.dialect(), {"id"}, {"version"});
  auto r = conn.run(sql, {int64_t{version}});
  if (!r)
    return r.error();
  return {};
}

Status run_steps(SqlConnection &conn) {
  if (auto st = ensure_version_table(conn); !st)
    return st;
  auto version = schema_version(conn);
  if (!version)
    return version.error();
  // A newer build's schema: its steps only added, so this build's queries still work.
  for (int v = *version; v < kSchemaVersion; ++v) {
    if (auto st = kSteps[v](conn); !st)
      return st.error().context("schema migration to version " + std::to_string(v + 1));
    if (auto st = record_version(conn, v + 1); !st)
      return st;
  }
  return add_defaulted_columns(conn);
}

} // namespace

Result<int> schema_version(SqlConnection &conn) {
  int version = 0;
  auto r = conn.run("SELECT version FROM mcf2b_schema WHERE id = 1", {},
                    [&](const SqlRow &row) { version = static_cast<int>(row.integer(0)); });
  if (!r)
    return r.error();
  return version;
}

Status migrate_schema(SqlConnection &conn) {
  if (is_sqlite(conn)) {
    // SQLite DDL is transactional: the whole migration happens or none of it.
    if (auto st = conn.begin(); !st)
      return st;
    Status st = run_steps(conn);
    if (!st) {
      conn.rollback();
      return st;
    }
    return conn.commit();
  }
  // Nodes starting together take turns; each step is idempotent, so a node that died
  // half-way leaves nothing the next one cannot finish.
  int64_t locked = 0;
  auto lock = conn.run("SELECT GET_LOCK('mcf2b_schema_migration', 120)", {},
                       [&](const SqlRow &row) { locked = row.integer(0); });
  if (!lock)
    return lock.error();
  if (locked != 1)
    return Error::msg("schema migration: another node held the migration lock for 120 s");
  Status st = run_steps(conn);
  (void)conn.run("SELECT RELEASE_LOCK('mcf2b_schema_migration')");
  return st;
}

} // namespace mcf2b
