// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <memory>

#include "userspace/store/state_store.h"

namespace mcf2b {

// A cluster node's view with a local read replica, as MailCleaner's nodes have one:
// every write, the change log and log positions go to the primary (the master, or the
// journaling store around it); reads of jails, bans, whitelists and settings go to the
// replica, and to the primary when the replica does not answer. The change log is read
// at the primary so a node sees other nodes' changes without the replica's lag.
class ReplicaReadStore final : public StateStore {
public:
  ReplicaReadStore(std::unique_ptr<StateStore> primary, std::unique_ptr<StateStore> replica)
      : primary_(std::move(primary)), replica_(std::move(replica)) {}

  [[nodiscard]] const std::string &node() const override { return primary_->node(); }
  [[nodiscard]] std::string_view backend() const override { return primary_->backend(); }

  Status apply(std::span<const Mutation> batch) override { return primary_->apply(batch); }
  Result<bool> seed_default_jails() override { return primary_->seed_default_jails(); }
  Status set_position(const LogPosition &p) override { return primary_->set_position(p); }

  Result<std::vector<JailConfig>> list_jails() override {
    return read([](StateStore &s) { return s.list_jails(); });
  }
  Result<std::optional<JailConfig>> get_jail(std::string_view name) override {
    return read([&](StateStore &s) { return s.get_jail(name); });
  }
  Result<std::vector<BanRecord>> list_bans(const BanQuery &query) override {
    return read([&](StateStore &s) { return s.list_bans(query); });
  }
  Result<size_t> count_bans(const BanQuery &query) override {
    return read([&](StateStore &s) { return s.count_bans(query); });
  }
  Result<std::optional<BanRecord>> get_ban(const IpPrefix &ip, std::string_view jail) override {
    return read([&](StateStore &s) { return s.get_ban(ip, jail); });
  }
  Result<std::vector<WhitelistRow>> list_whitelist(std::string_view jail) override {
    return read([&](StateStore &s) { return s.list_whitelist(jail); });
  }
  Result<std::optional<std::string>> get_setting(std::string_view key) override {
    return read([&](StateStore &s) { return s.get_setting(key); });
  }
  Result<std::map<std::string, std::string>> list_settings() override {
    return read([](StateStore &s) { return s.list_settings(); });
  }
  Result<MailConf> get_mail_conf() override {
    return read([](StateStore &s) { return s.get_mail_conf(); });
  }
  Result<std::optional<LogPosition>> get_position(std::string_view path) override {
    return primary_->get_position(path);
  }
  Result<std::vector<LogPosition>> list_positions() override { return primary_->list_positions(); }
  Result<std::vector<Change>> changes_since(int64_t since, size_t limit) override {
    return primary_->changes_since(since, limit);
  }
  Result<int64_t> max_seq() override { return primary_->max_seq(); }

  [[nodiscard]] uint64_t replica_reads() const { return replica_reads_; }
  [[nodiscard]] uint64_t fallback_reads() const { return fallback_reads_; }

private:
  template <class F> auto read(F f) -> decltype(f(std::declval<StateStore &>())) {
    auto r = f(*replica_);
    if (r) {
      ++replica_reads_;
      return r;
    }
    ++fallback_reads_;
    return f(*primary_);
  }
  std::unique_ptr<StateStore> primary_, replica_;
  uint64_t replica_reads_ = 0, fallback_reads_ = 0;
};

} // namespace mcf2b
