// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "userspace/store/sql_connection.h"
#include "userspace/store/state_store.h"

namespace mcf2b {

// The StateStore over one SQL connection; SqliteStore and MariadbStore are this with
// their connection. All SQL is shared; sql_dialect.h holds the few differences.
//
// Change-log sequence numbers come from a one-row counter that every write transaction
// increments first: its row lock makes writers across the cluster take turns, so
// sequence numbers are dense and commit in order, and a reader asking for "seq > N"
// (the primary key) never misses one. Writers therefore serialise on the master; bans
// are rare enough for that, and a batch shares one turn.
class SqlStateStore : public StateStore {
public:
  [[nodiscard]] const std::string &node() const override { return node_; }
  [[nodiscard]] std::string_view backend() const override { return backend_; }

  Status apply(std::span<const Mutation> batch) override;
  Result<bool> seed_default_jails() override;
  Status set_position(const LogPosition &position) override;
  Status apply_with_positions(std::span<const Mutation> batch,
                              std::span<const LogPosition> positions) override;

  Result<std::vector<JailConfig>> list_jails() override;
  Result<std::optional<JailConfig>> get_jail(std::string_view name) override;
  Result<std::vector<BanRecord>> list_bans(const BanQuery &query) override;
  Status scan_bans(const BanQuery &query, const BanSink &sink) override;
  Result<size_t> count_bans(const BanQuery &query) override;
  Result<std::optional<BanRecord>> get_ban(const IpPrefix &ip, std::string_view jail) override;
  Result<std::vector<WhitelistRow>> list_whitelist(std::string_view jail) override;
  Result<std::optional<std::string>> get_setting(std::string_view key) override;
  Result<std::map<std::string, std::string>> list_settings() override;
  Result<MailConf> get_mail_conf() override;
  Result<std::optional<LogPosition>> get_position(std::string_view path) override;
  Result<std::vector<LogPosition>> list_positions() override;
  Result<std::vector<Change>> changes_since(int64_t since, size_t limit) override;
  Result<int64_t> max_seq() override;

  // Applies a batch stamped with a writer's client sequence number, exactly once: a
  // batch whose number is not above the last one recorded for `writer` was applied
  // before (its acknowledgement was lost) and is skipped. Returns whether it applied.
  Result<bool> apply_once(std::span<const Mutation> batch, std::string_view writer,
                          int64_t client_seq);
  // The last client sequence number applied for `writer` (0 if none).
  Result<int64_t> last_client_seq(std::string_view writer);

  // Runs `before`, applies a batch, then runs `after`, all in one transaction (either
  // function may be empty). JournalingStore records its journal row atomically with its
  // snapshot, and replaces its snapshot, this way.
  using ConnectionStep = std::function<Status(SqlConnection &)>;
  Status apply_with(const ConnectionStep &before, std::span<const Mutation> batch,
                    const ConnectionStep &after);
  // Runs `fn` on the connection under the store's lock, outside any transaction.
  Status with_connection(const ConnectionStep &fn);

protected:
  SqlStateStore(std::unique_ptr<SqlConnection> conn, std::string node, std::string backend,
                bool change_log);
  // Migrates the schema; call once after construction.
  Status open_schema();

private:
  // Runs `body` in a write transaction, retrying transient conflicts.
  Status transaction(const std::function<Status()> &body);
  Status apply_locked(std::span<const Mutation> batch);
  Status apply_one(const Mutation &m, int64_t seq);
  Status append_change(int64_t seq, ChangeKind kind, std::string_view jail, const BanRecord *row,
                       std::string_view key = {}, std::string_view value = {});
  Result<std::optional<BanRecord>> read_ban(const std::string &ip, std::string_view jail);

  std::mutex mutex_;
  std::unique_ptr<SqlConnection> conn_;
  std::string node_;
  std::string backend_;
  bool change_log_;
  // Statements whose text depends on the dialect, built once.
  std::string ban_columns_, upsert_ban_, upsert_whitelist_, upsert_jail_, upsert_setting_,
      upsert_position_, upsert_node_ops_;
};

// The default store of a single node: a SQLite file.
class SqliteStore final : public SqlStateStore {
public:
  // `change_log` false keeps no change log (a local snapshot that is never replicated).
  static Result<std::unique_ptr<SqliteStore>> open(const std::string &path, std::string node,
                                                   bool change_log = true);

private:
  using SqlStateStore::SqlStateStore;
};

// A cluster's master database: MariaDB through Connector/C.
class MariadbStore final : public SqlStateStore {
public:
  static Result<std::unique_ptr<MariadbStore>> open(const std::string &url, std::string node);
  // A read replica of the master (MailCleaner's nodes each have one): opened without
  // migrating, since its schema comes from the master through replication; it must be
  // at the current schema version.
  static Result<std::unique_ptr<MariadbStore>> open_replica(const std::string &url,
                                                            std::string node);

private:
  using SqlStateStore::SqlStateStore;
};

// The host name, the default node name.
std::string default_node_name();

} // namespace mcf2b
