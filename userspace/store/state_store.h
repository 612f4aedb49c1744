// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "userspace/model/ban.h"
#include "userspace/model/jail.h"
#include "userspace/store/change.h"
#include "userspace/store/mutation.h"
#include "userspace/store/store_error.h"

namespace mcf2b {

// Where a log follower stopped in a file, per node: the file is identified by its inode
// and a hash of its first line (so a rotated file with a recycled inode is recognised);
// or where a journal follower stopped: its cursor.
struct LogPosition {
  LogPosition() = default;
  LogPosition(std::string path_, uint64_t inode_, uint64_t offset_, uint64_t first_line_hash_,
              std::string journal_cursor_ = {})
      : path(std::move(path_)), inode(inode_), offset(offset_),
        first_line_hash(first_line_hash_), journal_cursor(std::move(journal_cursor_)) {}

  std::string path;
  uint64_t inode = 0;
  uint64_t offset = 0;
  uint64_t first_line_hash = 0;
  // A journal source's position instead (`path` is its name, "journal:..."): the
  // sd-journal cursor of the last entry read. Empty for files.
  std::string journal_cursor;
};

// A per-(ip, jail) whitelist entry (MailCleaner's whitelisted flag on fail2ban_ips).
struct WhitelistRow {
  IpPrefix ip;
  std::string jail; // a jail or a family root ("mc-exim")
  std::string host; // the node that wrote it
};

// Which fail2ban_ips rows list_bans() returns. Empty strings match everything.
struct BanQuery {
  bool active_only = false;
  std::string jail;
  std::string host;
};

// The persistent state of mcf2b: MailCleaner's mc_config tables (fail2ban_jail,
// fail2ban_ips, fail2ban_conf) plus the additive mcf2b_* tables (settings, change log,
// log positions). Implementations: SqliteStore (one node), MariadbStore (cluster master),
// JournalingStore (a master that may be away, with a local journal and snapshot).
//
// Every write is one transaction, durable when the call returns, and appends its
// change-log entries in the same transaction. Calls are thread-safe.
class StateStore {
public:
  virtual ~StateStore() = default;
  StateStore() = default;
  StateStore(const StateStore &) = delete;
  StateStore &operator=(const StateStore &) = delete;

  // The cluster node this store writes as (fail2ban_ips.host, the change log's node).
  [[nodiscard]] virtual const std::string &node() const = 0;
  // "sqlite", "mariadb" or "journaling".
  [[nodiscard]] virtual std::string_view backend() const = 0;

  // --- writes ---
  // Applies a batch atomically: all of it or none of it.
  virtual Status apply(std::span<const Mutation> batch) = 0;
  Status apply(const Mutation &m) { return apply(std::span<const Mutation>(&m, 1)); }

  // Inserts MailCleaner's 15 default jails when fail2ban_jail is empty (never touches an
  // existing jail). Returns whether it seeded.
  virtual Result<bool> seed_default_jails() = 0;

  // Log positions are local to a node and not replicated.
  virtual Status set_position(const LogPosition &position) = 0;
  // Applies `batch`, then saves `positions` (the log positions past the lines that led to
  // it): in one transaction where the store can (one commit, one fsync), otherwise one
  // after the other. The default does the latter.
  virtual Status apply_with_positions(std::span<const Mutation> batch,
                                      std::span<const LogPosition> positions) {
    if (auto st = apply(batch); !st)
      return st;
    for (const auto &p : positions)
      if (auto st = set_position(p); !st)
        return st;
    return {};
  }

  // --- reads ---
  virtual Result<std::vector<JailConfig>> list_jails() = 0;
  virtual Result<std::optional<JailConfig>> get_jail(std::string_view name) = 0;
  virtual Result<std::vector<BanRecord>> list_bans(const BanQuery &query) = 0;
  // The rows list_bans() returns, handed to `sink` one at a time as they are read (a
  // start reads a million; no list of them is built where the back end can stream).
  // The record is valid during the call only; the sink must not call the store.
  using BanSink = std::function<void(const BanRecord &)>;
  // How many rows list_bans() would return (one COUNT, for sizing what receives them).
  virtual Result<size_t> count_bans(const BanQuery &query) = 0;
  virtual Status scan_bans(const BanQuery &query, const BanSink &sink) {
    auto bans = list_bans(query);
    if (!bans)
      return bans.error();
    for (const auto &b : *bans)
      sink(b);
    return {};
  }
  virtual Result<std::optional<BanRecord>> get_ban(const IpPrefix &ip, std::string_view jail) = 0;
  // Whitelist entries of one jail (or of all jails when `jail` is empty). A family root's
  // entries are not expanded: ask for "mc-exim" and for "mc-exim-1d".
  virtual Result<std::vector<WhitelistRow>> list_whitelist(std::string_view jail) = 0;
  virtual Result<std::optional<std::string>> get_setting(std::string_view key) = 0;
  virtual Result<std::map<std::string, std::string>> list_settings() = 0;
  // The fail2ban_conf row (empty fields when there is none).
  virtual Result<MailConf> get_mail_conf() = 0;
  virtual Result<std::optional<LogPosition>> get_position(std::string_view path) = 0;
  virtual Result<std::vector<LogPosition>> list_positions() = 0;

  // Change-log entries with seq > `since`, in order, at most `limit`: one indexed range
  // query. The result is gap-free from since + 1: it stops before an entry whose
  // predecessor is not visible yet, so applying it and asking again from its last seq
  // never skips anything.
  virtual Result<std::vector<Change>> changes_since(int64_t since, size_t limit) = 0;
  // The highest sequence number written so far (0 for an empty log).
  virtual Result<int64_t> max_seq() = 0;

  // --- convenience over apply() ---
  Status put_ban(const BanRecord &ban) { return apply(PutBan{ban}); }
  Status unban(const IpPrefix &ip, std::string_view jail) {
    return apply(Unban{ip, std::string(jail)});
  }
  Status add_whitelist(const IpPrefix &ip, std::string_view jail) {
    return apply(AddWhitelist{ip, std::string(jail)});
  }
  Status remove_whitelist(const IpPrefix &ip, std::string_view jail) {
    return apply(RemoveWhitelist{ip, std::string(jail)});
  }
  Status put_jail(const JailConfig &jail) { return apply(PutJail{jail}); }
  Status remove_jail(std::string_view name) { return apply(RemoveJail{std::string(name)}); }
  Status set_setting(std::string_view key, std::string_view value) {
    return apply(PutSetting{std::string(key), std::string(value)});
  }
  Status put_mail_conf(const MailConf &conf) { return apply(PutMailConf{conf}); }
};

struct StoreOptions {
  // The node name written into fail2ban_ips.host and the change log; empty = the host name.
  std::string node = {};
  // MariaDB only: a local SQLite file for the outage journal and the read snapshot. When
  // set, open_store() returns a JournalingStore around the master (see journaling_store.h).
  std::string journal_path = {};
  // MariaDB only: a read replica of the master (mariadb://...), read instead of the
  // master for jails, bans, whitelists and settings (see replica_read_store.h).
  std::string replica_url = {};
};

// Opens (creating and migrating as needed) the store a URL names:
//   sqlite:PATH
//   mariadb://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?socket=PATH][&journal=PATH]
// A missing or unreachable database is an Error with a message that says which.
Result<std::unique_ptr<StateStore>> open_store(std::string_view url,
                                               const StoreOptions &options = {});

} // namespace mcf2b
