// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "userspace/store/sql_state_store.h"
#include "userspace/store/state_store.h"

namespace mcf2b {

struct JournalOptions {
  std::string master_url;   // mariadb://...
  std::string journal_path; // the local SQLite file: journal and read snapshot
  std::string node;         // empty = the host name
  // After the master failed, calls use the journal and the snapshot for this long
  // before the master is tried again (so an outage costs one failed attempt per
  // interval, not one per ban).
  std::chrono::milliseconds retry_interval{2000};
};

// A cluster node's store: the master MariaDB when it answers, a local SQLite file when
// it does not (issue 7's outages, and MailCleaner's "jails missing when the database was
// not ready at boot").
//
// Writes go to the master, each batch stamped with this node's client sequence number.
// When the master is unreachable the batch is journaled durably in the local file (and
// applied to the local snapshot) and the call succeeds; the journal is replayed in order
// when the master answers again, before any new write. A replayed batch that the master
// had committed already (its acknowledgement was lost with the connection) is
// recognised by its client sequence number and skipped, so nothing is applied twice.
// The client sequence belongs to this journal file's incarnation (a random id made with
// the file), so a replaced file never collides with the numbers of an old one.
//
// Reads use the master when it answers and the journal is empty, else the snapshot: a
// copy of jails, settings and fail2ban_ips taken whenever the master comes back, kept
// current by this node's writes and by the changes changes_since() returns. Log
// positions are always local.
class JournalingStore final : public StateStore {
public:
  // Opens the local file and tries the master; an unreachable master is not an error.
  static Result<std::unique_ptr<JournalingStore>> open(JournalOptions options);

  [[nodiscard]] const std::string &node() const override { return local_->node(); }
  [[nodiscard]] std::string_view backend() const override { return "journaling"; }

  Status apply(std::span<const Mutation> batch) override;
  Result<bool> seed_default_jails() override;
  Status set_position(const LogPosition &position) override;

  Result<std::vector<JailConfig>> list_jails() override;
  Result<std::optional<JailConfig>> get_jail(std::string_view name) override;
  Result<std::vector<BanRecord>> list_bans(const BanQuery &query) override;
  Result<size_t> count_bans(const BanQuery &query) override;
  Result<std::optional<BanRecord>> get_ban(const IpPrefix &ip, std::string_view jail) override;
  Result<std::vector<WhitelistRow>> list_whitelist(std::string_view jail) override;
  Result<std::optional<std::string>> get_setting(std::string_view key) override;
  Result<std::map<std::string, std::string>> list_settings() override;
  Result<MailConf> get_mail_conf() override;
  Result<std::optional<LogPosition>> get_position(std::string_view path) override;
  Result<std::vector<LogPosition>> list_positions() override;
  // Master only (an unreachable master is an Error with code kStoreUnreachable); the
  // entries returned are applied to the local snapshot as well.
  Result<std::vector<Change>> changes_since(int64_t since, size_t limit) override;
  Result<int64_t> max_seq() override;

  // Replays the journal to the master now (ignoring the retry interval). Returns the
  // number of batches still journaled (0 when the master has everything).
  Result<size_t> flush();

  struct State {
    bool master_connected = false;
    size_t journaled = 0; // batches waiting for the master
    size_t rejected = 0;  // batches the master refused (kept in mcf2b_journal_rejected)
    std::string last_error;
  };
  State state();

  // This journal's writer id in mcf2b_node_ops ("node/incarnation").
  [[nodiscard]] const std::string &writer() const { return writer_; }

private:
  explicit JournalingStore(JournalOptions options) : options_(std::move(options)) {}
  Status open_local();
  bool master_ready(bool force);
  void mark_down(const Error &e);
  Result<int64_t> next_client_seq();
  Status journal(std::span<const Mutation> batch, int64_t client_seq);
  void replay();
  void refresh_snapshot();
  void apply_to_snapshot(const std::vector<Change> &changes);
  template <class T, class Fn> Result<T> read(Fn fn);

  std::recursive_mutex mutex_;
  JournalOptions options_;
  std::unique_ptr<SqliteStore> local_;
  std::unique_ptr<MariadbStore> master_;
  std::string writer_;
  int64_t next_seq_ = 1, reserved_seq_ = 0;
  size_t journaled_ = 0, rejected_ = 0;
  bool down_ = false, needs_refresh_ = true, pending_seed_ = false;
  std::chrono::steady_clock::time_point down_since_{};
  std::string last_error_;
};

} // namespace mcf2b
