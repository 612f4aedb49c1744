// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/journaling_store.h"
#include "userspace/store/replica_read_store.h"
#include "userspace/store/sql_state_store.h"
#include "userspace/store/state_store.h"
#include "userspace/store/store_url.h"

namespace mcf2b {

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
