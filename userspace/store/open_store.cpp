// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/journaling_store.h"
#include "userspace/store/mariadb_connection.h"
#include "userspace/store/replica_read_store.h"
#include "userspace/store/schema_migrations.h"
#include "userspace/store/sql_state_store.h"
#include "userspace/store/state_store.h"
#include "userspace/store/store_url.h"

namespace mcf2b {

namespace {

struct MariadbTarget {
  std::unique_ptr<MariadbConnection> conn;
  std::string display; // the URL without its password, for messages
};

// Parses a mariadb:// URL (`role` names it in errors) and connects.
Result<MariadbTarget> connect_mariadb(const std::string &url, const std::string &role) {
  auto parsed = parse_store_url(url);
  if (!parsed)
    return parsed.error();
  const auto *mariadb = std::get_if<MariadbUrl>(&*parsed);
  if (!mariadb)
    return Error::msg(role + " URL '" + url + "' is not a mariadb:// URL");
  auto conn = MariadbConnection::open(*mariadb);
  if (!conn)
    return conn.error();
  return MariadbTarget{std::move(*conn), mariadb->display()};
}

} // namespace

Result<std::unique_ptr<MariadbStore>> MariadbStore::open(const std::string &url,
                                                         std::string node) {
  auto target = connect_mariadb(url, "state");
  if (!target)
    return target.error();
  std::unique_ptr<MariadbStore> store(
      new MariadbStore(std::move(target->conn), std::move(node), "mariadb", true));
  if (auto st = store->open_schema(); !st)
    return st.error().context("database " + target->display);
  return store;
}

Result<std::unique_ptr<MariadbStore>> MariadbStore::open_replica(const std::string &url,
                                                                 std::string node) {
  auto target = connect_mariadb(url, "replica");
  if (!target)
    return target.error();
  auto version = schema_version(*target->conn);
  if (!version)
    return Error::msg("replica " + target->display +
                      " has no readable mcf2b schema version (is it replicating the master?): " +
                      version.error().message());
  if (*version != kSchemaVersion)
    return Error::msg("replica " + target->display + " is at schema version " +
                      std::to_string(*version) + ", not " + std::to_string(kSchemaVersion) +
                      ": is it replicating the master?");
  return std::unique_ptr<MariadbStore>(
      new MariadbStore(std::move(target->conn), std::move(node), "mariadb", true));
}

namespace {

Result<std::unique_ptr<StateStore>> open_primary(std::string_view url,
                                                 const StoreOptions &options) {
  auto parsed = parse_store_url(url);
  if (!parsed)
    return parsed.error();
  if (const auto *sqlite = std::get_if<SqliteUrl>(&*parsed)) {
    auto store = SqliteStore::open(sqlite->path, options.node);
    if (!store)
      return store.error();
    return std::unique_ptr<StateStore>(std::move(*store));
  }
  const auto &mariadb = std::get<MariadbUrl>(*parsed);
  std::string journal = options.journal_path.empty() ? mariadb.journal : options.journal_path;
  if (!journal.empty()) {
    auto store = JournalingStore::open(
        JournalOptions{.master_url = std::string(url), .journal_path = journal,
                       .node = options.node});
    if (!store)
      return store.error();
    return std::unique_ptr<StateStore>(std::move(*store));
  }
  auto store = MariadbStore::open(std::string(url), options.node);
  if (!store)
    return store.error();
  return std::unique_ptr<StateStore>(std::move(*store));
}

} // namespace

Result<std::unique_ptr<StateStore>> open_store(std::string_view url,
                                               const StoreOptions &options) {
  auto primary = open_primary(url, options);
  if (!primary || options.replica_url.empty())
    return primary;
  if (!std::holds_alternative<MariadbUrl>(*parse_store_url(url)))
    return Error::msg("a read replica goes with a mariadb:// state store only");
  auto replica = MariadbStore::open_replica(options.replica_url, (*primary)->node());
  if (!replica)
    return replica.error();
  return std::unique_ptr<StateStore>(
      std::make_unique<ReplicaReadStore>(std::move(*primary), std::move(*replica)));
}

} // namespace mcf2b
