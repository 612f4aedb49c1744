// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/sql_state_store.h"

#include <unistd.h>

#include <chrono>
#include <climits>
#include <ctime>
#include <thread>

#include "userspace/store/mariadb_connection.h"
#include "userspace/store/mutation_checks.h"
#include "userspace/store/schema_migrations.h"
#include "userspace/store/sql_dialect.h"
#include "userspace/store/sqlite_connection.h"
#include "userspace/store/store_url.h"

namespace mcf2b {
namespace {

template <class... F> struct Overloaded : F... {
  using F::operator()...;
};
template <class... F> Overloaded(F...) -> Overloaded<F...>;

Seconds wall_clock() { return static_cast<Seconds>(std::time(nullptr)); }

// Reads the ban columns selected by SqlStateStore::ban_columns_ from `row` into `b`,
// reusing its strings' storage; false for a row MailCleaner wrote with an address we
// cannot read (left untouched).
bool read_ban_row(const SqlRow &row, BanRecord &b, int first = 0) {
  auto ip = IpPrefix::parse(row.text(first));
  if (!ip)
    return false;
  b.ip = *ip;
  b.jail.assign(row.text(first + 1));
  b.count = static_cast<int>(row.integer(first + 2));
  b.active = row.integer(first + 3) != 0;
  b.blacklisted = row.integer(first + 4) != 0;
  b.whitelisted = row.integer(first + 5) != 0;
  b.last_hit = row.integer(first + 6);
  b.host.assign(row.text(first + 7));
  b.ban_start = row.integer(first + 8);
  b.ban_end = row.integer(first + 9);
  return true;
}

std::optional<BanRecord> ban_from_row(const SqlRow &row, int first = 0) {
  BanRecord b;
  if (!read_ban_row(row, b, first))
    return std::nullopt;
  return b;
}

JailConfig jail_from_row(const SqlRow &row) {
  JailConfig j;
  j.name = std::string(row.text(0));
  j.enabled = row.integer(1) != 0;
  j.maxretry = static_cast<int>(row.integer(2));
  j.findtime = row.integer(3);
  j.bantime = row.integer(4);
  j.port = std::string(row.text(5));
  j.filter = std::string(row.text(6));
  j.banaction = std::string(row.text(7));
  j.logpath = std::string(row.text(8));
  j.max_count = static_cast<int>(row.integer(9));
  j.send_mail = row.integer(10) != 0;
  j.send_mail_bl = row.integer(11) != 0;
  return j;
}

constexpr const char *kJailColumns =
    "SELECT name, COALESCE(enabled, 1), maxretry, findtime, bantime, port, filter, banaction,"
    " logpath, max_count, COALESCE(send_mail, 0), COALESCE(send_mail_bl, 1) FROM fail2ban_jail";

constexpr const char *kChangeColumns =
    "SELECT seq, at, node, kind, jail, ip, count, active, blacklisted, whitelisted, last_hit,"
    " host, ban_start, ban_end, setting_key, setting_value FROM mcf2b_changes";

template <class T> Status status_of(const Result<T> &r) {
  if (!r)
    return r.error();
  return {};
}

} // namespace

std::string_view to_string(ChangeKind kind) {
  switch (kind) {
  case ChangeKind::ban: return "ban";
  case ChangeKind::unban: return "unban";
  case ChangeKind::whitelist_add: return "whitelist_add";
  case ChangeKind::whitelist_remove: return "whitelist_remove";
  case ChangeKind::jail_put: return "jail_put";
  case ChangeKind::jail_remove: return "jail_remove";
  case ChangeKind::setting_put: return "setting_put";
  case ChangeKind::counts_reset: return "counts_reset";
  case ChangeKind::mail_conf_put: return "mail_conf_put";
  }
  return "unknown";
}

std::optional<ChangeKind> change_kind_from_int(int64_t value) {
  if (value < 1 || value > 9)
    return std::nullopt;
  return static_cast<ChangeKind>(value);
}

std::string default_node_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0')
    return "localhost";
  return name;
}

SqlStateStore::SqlStateStore(std::unique_ptr<SqlConnection> conn, std::string node,
                             std::string backend, bool change_log)
    : conn_(std::move(conn)), node_(node.empty() ? default_node_name() : std::move(node)),
      backend_(std::move(backend)), change_log_(change_log) {
  SqlDialect d = conn_->dialect();
  std::string ts(sql::timestamp_param(d));
  ban_columns_ = "SELECT ip, jail, count, COALESCE(active, 0), COALESCE(blacklisted, 0),"
                 " COALESCE(whitelisted, 0), " +
                 sql::unix_time(d, "last_hit") + ", host, ban_start, ban_end FROM fail2ban_ips";
  upsert_ban_ = "INSERT INTO fail2ban_ips (ip, jail, count, active, blacklisted, whitelisted,"
                " last_hit, host, ban_start, ban_end) VALUES (?, ?, ?, ?, ?, ?, " +
                ts + ", ?, ?, ?)" +
                sql::upsert_tail(d, {"ip", "jail"},
                                 {"count", "active", "blacklisted", "whitelisted", "last_hit",
                                  "host", "ban_start", "ban_end"});
  upsert_whitelist_ = "INSERT INTO fail2ban_ips (ip, jail, count, active, blacklisted,"
                      " whitelisted, last_hit, host, ban_start, ban_end)"
                      " VALUES (?, ?, 0, 0, 0, 1, " +
                      ts + ", ?, 0, 0)" +
                      sql::upsert_tail(d, {"ip", "jail"}, {"active", "whitelisted", "host"});
  upsert_jail_ = "INSERT INTO fail2ban_jail (enabled, name, maxretry, findtime, bantime, port,"
                 " filter, banaction, logpath, max_count, send_mail, send_mail_bl)"
                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" +
                 sql::upsert_tail(d, {"name"},
                                  {"enabled", "maxretry", "findtime", "bantime", "port", "filter",
                                   "banaction", "logpath", "max_count", "send_mail",
                                   "send_mail_bl"});
  upsert_setting_ = "INSERT INTO mcf2b_settings (name, value) VALUES (?, ?)" +
                    sql::upsert_tail(d, {"name"}, {"value"});
  upsert_position_ = "INSERT INTO mcf2b_positions (node, path, inode, file_offset,"
                     " first_line_hash, updated, journal_cursor) VALUES (?, ?, ?, ?, ?, ?, ?)" +
                     sql::upsert_tail(d, {"node", "path"},
                                      {"inode", "file_offset", "first_line_hash", "updated",
                                       "journal_cursor"});
  upsert_node_ops_ = "INSERT INTO mcf2b_node_ops (node, client_seq) VALUES (?, ?)" +
                     sql::upsert_tail(d, {"node"}, {"client_seq"});
}

Status SqlStateStore::open_schema() {
  std::lock_guard lock(mutex_);
  return migrate_schema(*conn_);
}

Status SqlStateStore::transaction(const std::function<Status()> &body) {
  Status st;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (attempt > 0) // a deadlock victim or a busy file: let the other writer finish
      std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt));
    st = conn_->begin();
    if (st) {
      st = body();
      if (st)
        st = conn_->commit();
      if (st)
        return st;
      conn_->rollback();
    }
    if (st.error().code != kStoreRetry)
      return st;
  }
  return st;
}

Status SqlStateStore::append_change(int64_t seq, ChangeKind kind, std::string_view jail,
                                    const BanRecord *row, std::string_view key,
                                    std::string_view value) {
  if (!change_log_)
    return {};
  BanRecord empty;
  const BanRecord &r = row ? *row : empty;
  std::string ip = row ? r.ip.to_string() : std::string();
  auto result = conn_->run(
      "INSERT INTO mcf2b_changes (seq, at, node, kind, jail, ip, count, active, blacklisted,"
      " whitelisted, last_hit, host, ban_start, ban_end, setting_key, setting_value)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {seq, wall_clock(), node_, int64_t{static_cast<uint8_t>(kind)}, jail, ip,
       int64_t{r.count}, r.active, r.blacklisted, r.whitelisted, r.last_hit, r.host,
       r.ban_start, r.ban_end, key, value});
  return status_of(result);
}

Result<std::optional<BanRecord>> SqlStateStore::read_ban(const std::string &ip,
                                                         std::string_view jail) {
  std::optional<BanRecord> ban;
  auto r = conn_->run(ban_columns_ + " WHERE ip = ? AND jail = ?", {ip, jail},
                      [&](const SqlRow &row) { ban = ban_from_row(row); });
  if (!r)
    return r.error();
  return ban;
}

Status SqlStateStore::apply_one(const Mutation &m, int64_t seq) {
  Seconds now = wall_clock();
  // The row after a change to (ip, jail), for the change log.
  auto row_after = [&](const IpPrefix &ip, std::string_view jail) -> Result<BanRecord> {
    auto row = read_ban(ip.to_string(), jail);
    if (!row)
      return row.error();
    if (*row)
      return **row;
    BanRecord gone;
    gone.ip = ip;
    gone.jail = std::string(jail);
    return gone;
  };
  return std::visit(
      Overloaded{
          [&](const PutBan &x) -> Status {
            BanRecord b = x.ban;
            if (b.host.empty())
              b.host = node_;
            if (b.last_hit <= 0) // MariaDB's TIMESTAMP cannot hold 0
              b.last_hit = now;
            std::string ip = b.ip.to_string();
            auto r = conn_->run(upsert_ban_, {ip, b.jail, int64_t{b.count}, b.active,
                                              b.blacklisted, b.whitelisted, b.last_hit, b.host,
                                              b.ban_start, b.ban_end});
            if (!r)
              return r.error();
            return append_change(seq, ChangeKind::ban, b.jail, &b);
          },
          [&](const Unban &x) -> Status {
            std::string ip = x.ip.to_string();
            auto r = conn_->run("UPDATE fail2ban_ips SET active = 0 WHERE ip = ? AND jail = ?",
                                {ip, x.jail});
            if (!r)
              return r.error();
            auto row = row_after(x.ip, x.jail);
            if (!row)
              return row.error();
            return append_change(seq, ChangeKind::unban, x.jail, &*row);
          },
          [&](const AddWhitelist &x) -> Status {
            std::string ip = x.ip.to_string();
            auto r = conn_->run(upsert_whitelist_, {ip, x.jail, now, node_});
            if (!r)
              return r.error();
            auto row = row_after(x.ip, x.jail);
            if (!row)
              return row.error();
            return append_change(seq, ChangeKind::whitelist_add, x.jail, &*row);
          },
          [&](const RemoveWhitelist &x) -> Status {
            std::string ip = x.ip.to_string();
            auto r = conn_->run(
                "UPDATE fail2ban_ips SET whitelisted = 0 WHERE ip = ? AND jail = ?", {ip, x.jail});
            if (!r)
              return r.error();
            // A row that only carried the whitelist flag has nothing left to say.
            r = conn_->run("DELETE FROM fail2ban_ips WHERE ip = ? AND jail = ? AND count = 0"
                           " AND COALESCE(active, 0) = 0 AND COALESCE(blacklisted, 0) = 0",
                           {ip, x.jail});
            if (!r)
              return r.error();
            auto row = row_after(x.ip, x.jail);
            if (!row)
              return row.error();
            return append_change(seq, ChangeKind::whitelist_remove, x.jail, &*row);
          },
          [&](const PutJail &x) -> Status {
            const JailConfig &j = x.jail;
            auto r = conn_->run(upsert_jail_,
                                {j.enabled, j.name, int64_t{j.maxretry}, j.findtime, j.bantime,
                                 j.port, j.filter, j.banaction, j.logpath, int64_t{j.max_count},
                                 j.send_mail, j.send_mail_bl});
            if (!r)
              return r.error();
            return append_change(seq, ChangeKind::jail_put, j.name, nullptr);
          },
          [&](const RemoveJail &x) -> Status {
            auto r = conn_->run("DELETE FROM fail2ban_jail WHERE name = ?", {x.name});
            if (!r)
              return r.error();
            return append_change(seq, ChangeKind::jail_remove, x.name, nullptr);
          },
          [&](const PutSetting &x) -> Status {
            auto r = conn_->run(upsert_setting_, {x.key, x.value});
            if (!r)
              return r.error();
            return append_change(seq, ChangeKind::setting_put, {}, nullptr, x.key, x.value);
          },
          [&](const ResetBanCounts &x) -> Status {
            auto r = conn_->run("UPDATE fail2ban_ips SET count = 0 WHERE jail = ?", {x.jail});
            if (!r)
              return r.error();
            return append_change(seq, ChangeKind::counts_reset, x.jail, nullptr);
          },
          [&](const PutMailConf &x) -> Status {
            // MailCleaner keeps one row; the oldest is the one it reads, the rest are left.
            int64_t id = -1;
            auto r = conn_->run("SELECT id FROM fail2ban_conf ORDER BY id LIMIT 1", {},
                                [&](const SqlRow &row) { id = row.integer(0); });
            if (!r)
              return r.error();
            const MailConf &c = x.conf;
            if (id < 0)
              r = conn_->run("INSERT INTO fail2ban_conf (src_email, src_name, dest_email)"
                             " VALUES (?, ?, ?)",
                             {c.src_email, c.src_name, c.dest_email});
            else
              r = conn_->run("UPDATE fail2ban_conf SET src_email = ?, src_name = ?,"
                             " dest_email = ? WHERE id = ?",
                             {c.src_email, c.src_name, c.dest_email, id});
            if (!r)
              return r.error();
            return append_change(seq, ChangeKind::mail_conf_put, {}, nullptr);
          },
      },
      m);
}

Status SqlStateStore::apply_locked(std::span<const Mutation> batch) {
  if (batch.empty())
    return {};
  int64_t first_seq = 0;
  if (change_log_) {
    // Taking the counter row first is what orders writers (see the class comment).
    auto bump = conn_->run("UPDATE mcf2b_change_seq SET seq = seq + ? WHERE id = 1",
                           {static_cast<int64_t>(batch.size())});
    if (!bump)
      return bump.error();
    int64_t last = -1;
    auto read = conn_->run("SELECT seq FROM mcf2b_change_seq WHERE id = 1", {},
                           [&](const SqlRow &row) { last = row.integer(0); });
    if (!read)
      return read.error();
    if (last < 0)
      return Error::msg("the change sequence row is missing from mcf2b_change_seq");
    first_seq = last - static_cast<int64_t>(batch.size()) + 1;
  }
  for (size_t i = 0; i < batch.size(); ++i)
    if (auto st = apply_one(batch[i], first_seq + static_cast<int64_t>(i)); !st)
      return st;
  return {};
}

Status SqlStateStore::apply(std::span<const Mutation> batch) {
  return apply_with_positions(batch, {});
}

Status SqlStateStore::apply_with(const ConnectionStep &before, std::span<const Mutation> batch,
                                 const ConnectionStep &after) {
  for (const Mutation &m : batch)
    if (auto st = check_mutation(m); !st)
      return st;
  std::lock_guard lock(mutex_);
  return transaction([&]() -> Status {
    if (before)
      if (auto st = before(*conn_); !st)
        return st;
    if (auto st = apply_locked(batch); !st)
      return st;
    return after ? after(*conn_) : Status();
  });
}

Status SqlStateStore::with_connection(const ConnectionStep &fn) {
  std::lock_guard lock(mutex_);
  return fn(*conn_);
}

Result<bool> SqlStateStore::apply_once(std::span<const Mutation> batch, std::string_view writer,
                                       int64_t client_seq) {
  for (const Mutation &m : batch)
    if (auto st = check_mutation(m); !st)
      return st.error();
  std::lock_guard lock(mutex_);
  bool applied = false;
  Status st = transaction([&]() -> Status {
    applied = false;
    // Checked before the change counter is taken, so a skipped batch leaves no gap.
    int64_t last = 0;
    auto r = conn_->run("SELECT client_seq FROM mcf2b_node_ops WHERE node = ?", {writer},
                        [&](const SqlRow &row) { last = row.integer(0); });
    if (!r)
      return r.error();
    if (client_seq <= last)
      return {};
    if (auto s = apply_locked(batch); !s)
      return s;
    if (auto w = conn_->run(upsert_node_ops_, {writer, client_seq}); !w)
      return w.error();
    applied = true;
    return {};
  });
  if (!st)
    return st.error();
  return applied;
}

Result<int64_t> SqlStateStore::last_client_seq(std::string_view writer) {
  std::lock_guard lock(mutex_);
  int64_t last = 0;
  auto r = conn_->run("SELECT client_seq FROM mcf2b_node_ops WHERE node = ?", {writer},
                      [&](const SqlRow &row) { last = row.integer(0); });
  if (!r)
    return r.error();
  return last;
}

Result<bool> SqlStateStore::seed_default_jails() {
  std::lock_guard lock(mutex_);
  bool seeded = false;
  Status st = transaction([&]() -> Status {
    seeded = false;
    int64_t jails = 0;
    auto r = conn_->run("SELECT COUNT(*) FROM fail2ban_jail", {},
                        [&](const SqlRow &row) { jails = row.integer(0); });
    if (!r)
      return r.error();
    if (jails > 0)
      return {};
    std::vector<Mutation> batch;
    for (JailConfig &j : mailcleaner_default_jails())
      batch.emplace_back(PutJail{std::move(j)});
    if (auto s = apply_locked(batch); !s)
      return s;
    seeded = true;
    return {};
  });
  if (!st)
    return st.error();
  return seeded;
}

Result<std::vector<JailConfig>> SqlStateStore::list_jails() {
  std::lock_guard lock(mutex_);
  std::vector<JailConfig> jails;
  auto r = conn_->run(std::string(kJailColumns) + " ORDER BY id", {},
                      [&](const SqlRow &row) { jails.push_back(jail_from_row(row)); });
  if (!r)
    return r.error();
  return jails;
}

Result<std::optional<JailConfig>> SqlStateStore::get_jail(std::string_view name) {
  std::lock_guard lock(mutex_);
  std::optional<JailConfig> jail;
  auto r = conn_->run(std::string(kJailColumns) + " WHERE name = ?", {name},
                      [&](const SqlRow &row) { jail = jail_from_row(row); });
  if (!r)
    return r.error();
  return jail;
}

Result<std::vector<BanRecord>> SqlStateStore::list_bans(const BanQuery &query) {
  std::vector<BanRecord> bans;
  if (auto st = scan_bans(query, [&](const BanRecord &b) { bans.push_back(b); }); !st)
    return st.error();
  return bans;
}

namespace {

// The WHERE clause selecting a query's rows, its parameters appended to `params`: one
// statement per combination of filters, so each can use its index.
std::string ban_filter(const BanQuery &query, std::vector<SqlValue> &params) {
  std::string sql;
  const char *glue = " WHERE ";
  if (query.active_only) {
    sql += glue + std::string("active = 1");
    glue = " AND ";
  }
  if (!query.jail.empty()) {
    sql += glue + std::string("jail = ?");
    params.emplace_back(std::string_view(query.jail));
    glue = " AND ";
  }
  if (!query.host.empty()) {
    sql += glue + std::string("host = ?");
    params.emplace_back(std::string_view(query.host));
  }
  return sql;
}

} // namespace

Status SqlStateStore::scan_bans(const BanQuery &query, const BanSink &sink) {
  std::vector<SqlValue> params;
  std::string sql = ban_columns_ + ban_filter(query, params) + " ORDER BY id";
  std::lock_guard lock(mutex_);
  BanRecord b; // one record reused for every row
  auto r = conn_->run_span(sql, params, [&](const SqlRow &row) {
    if (read_ban_row(row, b))
      sink(b);
  });
  if (!r)
    return r.error();
  return {};
}

Result<size_t> SqlStateStore::count_bans(const BanQuery &query) {
  std::vector<SqlValue> params;
  std::string sql = "SELECT COUNT(*) FROM fail2ban_ips" + ban_filter(query, params);
  std::lock_guard lock(mutex_);
  size_t count = 0;
  auto r = conn_->run_span(sql, params,
                           [&](const SqlRow &row) { count = static_cast<size_t>(row.integer(0)); });
  if (!r)
    return r.error();
  return count;
}

Result<std::optional<BanRecord>> SqlStateStore::get_ban(const IpPrefix &ip,
                                                        std::string_view jail) {
  std::lock_guard lock(mutex_);
  return read_ban(ip.to_string(), jail);
}

Result<std::vector<WhitelistRow>> SqlStateStore::list_whitelist(std::string_view jail) {
  std::string sql = "SELECT ip, jail, host FROM fail2ban_ips WHERE whitelisted = 1";
  std::vector<SqlValue> params;
  if (!jail.empty()) {
    sql += " AND jail = ?";
    params.emplace_back(jail);
  }
  sql += " ORDER BY id";
  std::lock_guard lock(mutex_);
  std::vector<WhitelistRow> entries;
  auto r = conn_->run_span(sql, params, [&](const SqlRow &row) {
    if (auto ip = IpPrefix::parse(row.text(0)))
      entries.push_back({*ip, std::string(row.text(1)), std::string(row.text(2))});
  });
  if (!r)
    return r.error();
  return entries;
}

Result<std::optional<std::string>> SqlStateStore::get_setting(std::string_view key) {
  std::lock_guard lock(mutex_);
  std::optional<std::string> value;
  auto r = conn_->run("SELECT value FROM mcf2b_settings WHERE name = ?", {key},
                      [&](const SqlRow &row) { value = std::string(row.text(0)); });
  if (!r)
    return r.error();
  return value;
}

Result<std::map<std::string, std::string>> SqlStateStore::list_settings() {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::string> settings;
  auto r = conn_->run("SELECT name, value FROM mcf2b_settings", {}, [&](const SqlRow &row) {
    settings.emplace(std::string(row.text(0)), std::string(row.text(1)));
  });
  if (!r)
    return r.error();
  return settings;
}

Result<MailConf> SqlStateStore::get_mail_conf() {
  std::lock_guard lock(mutex_);
  MailConf conf;
  auto r = conn_->run("SELECT COALESCE(src_email, ''), COALESCE(src_name, ''),"
                      " COALESCE(dest_email, '') FROM fail2ban_conf ORDER BY id LIMIT 1",
                      {}, [&](const SqlRow &row) {
                        conf.src_email = std::string(row.text(0));
                        conf.src_name = std::string(row.text(1));
                        conf.dest_email = std::string(row.text(2));
                      });
  if (!r)
    return r.error();
  return conf;
}

Result<std::vector<Change>> SqlStateStore::changes_since(int64_t since, size_t limit) {
  std::lock_guard lock(mutex_);
  std::vector<Change> changes;
  int64_t expected = since + 1;
  bool gap = false;
  auto r = conn_->run(std::string(kChangeColumns) + " WHERE seq > ? ORDER BY seq LIMIT ?",
                      {since, static_cast<int64_t>(limit)}, [&](const SqlRow &row) {
                        int64_t seq = row.integer(0);
                        // A hole is a write still committing: stop before it.
                        if (gap || seq != expected) {
                          gap = true;
                          return;
                        }
                        ++expected;
                        auto kind = change_kind_from_int(row.integer(3));
                        Change c;
                        c.seq = seq;
                        c.at = row.integer(1);
                        c.node = std::string(row.text(2));
                        c.kind = kind.value_or(ChangeKind::setting_put);
                        c.jail = std::string(row.text(4));
                        if (auto ip = IpPrefix::parse(row.text(5)))
                          c.row.ip = *ip;
                        c.row.jail = c.jail;
                        c.row.count = static_cast<int>(row.integer(6));
                        c.row.active = row.integer(7) != 0;
                        c.row.blacklisted = row.integer(8) != 0;
                        c.row.whitelisted = row.integer(9) != 0;
                        c.row.last_hit = row.integer(10);
                        c.row.host = std::string(row.text(11));
                        c.row.ban_start = row.integer(12);
                        c.row.ban_end = row.integer(13);
                        c.key = std::string(row.text(14));
                        c.value = std::string(row.text(15));
                        if (kind) // an entry of a newer build's kind is skipped, not misread
                          changes.push_back(std::move(c));
                      });
  if (!r)
    return r.error();
  return changes;
}

Result<int64_t> SqlStateStore::max_seq() {
  std::lock_guard lock(mutex_);
  int64_t seq = 0;
  auto r = conn_->run("SELECT seq FROM mcf2b_change_seq WHERE id = 1", {},
                      [&](const SqlRow &row) { seq = row.integer(0); });
  if (!r)
    return r.error();
  return seq;
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string &path, std::string node,
                                                       bool change_log) {
  auto conn = SqliteConnection::open(path);
  if (!conn)
    return conn.error();
  std::unique_ptr<SqliteStore> store(
      new SqliteStore(std::move(*conn), std::move(node), "sqlite", change_log));
  if (auto st = store->open_schema(); !st)
    return st.error().context("state file " + path);
  return store;
}

} // namespace mcf2b
