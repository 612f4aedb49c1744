// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <functional>

#include "userspace/store/state_store.h"

namespace mcf2b {

// The store as the event loop's other users see it (commands, log sources, the cluster):
// each call first lets the commits already handed over finish (`settle`), so a command
// reads the bans the logs decided, a write of its own lands after theirs (an unban never
// before the ban it lifts), and the store is used by one thread at a time.
class AfterCommitsStore final : public StateStore {
public:
  AfterCommitsStore(StateStore &store, std::function<void()> settle)
      : store_(store), settle_(std::move(settle)) {}

  [[nodiscard]] const std::string &node() const override { return store_.node(); }
  [[nodiscard]] std::string_view backend() const override { return store_.backend(); }

  Status apply(std::span<const Mutation> batch) override { return settled().apply(batch); }
  Result<bool> seed_default_jails() override { return settled().seed_default_jails(); }
  Status set_position(const LogPosition &p) override { return settled().set_position(p); }
  Status apply_with_positions(std::span<const Mutation> batch,
                              std::span<const LogPosition> positions) override {
    return settled().apply_with_positions(batch, positions);
  }
  Result<std::vector<JailConfig>> list_jails() override { return settled().list_jails(); }
  Result<std::optional<JailConfig>> get_jail(std::string_view name) override {
    return settled().get_jail(name);
  }
  Result<std::vector<BanRecord>> list_bans(const BanQuery &query) override {
    return settled().list_bans(query);
  }
  Result<size_t> count_bans(const BanQuery &query) override { return settled().count_bans(query); }
  Status scan_bans(const BanQuery &query, const BanSink &sink) override {
    return settled().scan_bans(query, sink);
  }
  Result<std::optional<BanRecord>> get_ban(const IpPrefix &ip, std::string_view jail) override {
    return settled().get_ban(ip, jail);
  }
  Result<std::vector<WhitelistRow>> list_whitelist(std::string_view jail) override {
    return settled().list_whitelist(jail);
  }
  Result<std::optional<std::string>> get_setting(std::string_view key) override {
    return settled().get_setting(key);
  }
  Result<std::map<std::string, std::string>> list_settings() override {
    return settled().list_settings();
  }
  Result<MailConf> get_mail_conf() override { return settled().get_mail_conf(); }
  Result<std::optional<LogPosition>> get_position(std::string_view path) override {
    return settled().get_position(path);
  }
  Result<std::vector<LogPosition>> list_positions() override { return settled().list_positions(); }
  Result<std::vector<Change>> changes_since(int64_t since, size_t limit) override {
    return settled().changes_since(since, limit);
  }
  Result<int64_t> max_seq() override { return settled().max_seq(); }

private:
  StateStore &settled() {
    settle_();
    return store_;
  }
  StateStore &store_;
  std::function<void()> settle_;
};

} // namespace mcf2b
