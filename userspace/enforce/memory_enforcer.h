// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "userspace/enforce/enforcer.h"

namespace mcf2b {

// An Enforcer that holds its bans in memory: the daemon's logic (start-up reconcile,
// commands, expiry, the deferred mirror) runs over it without root or a kernel. It
// behaves like the kernel one where the daemon can tell: a jail needs a slot (at most
// kMaxJails) before it takes bans, expired entries are ignored and swept, changes queue
// for a mirror that catches up on flush().
class MemoryEnforcer final : public Enforcer {
public:
  // What outlives one enforcer, as pinned maps outlive a daemon: hand the same Kernel to
  // the next enforcer to restart over the bans the last one left. Safe to read from
  // another thread while a daemon drives the enforcer.
  class Kernel {
  public:
    using Bans = std::map<IpPrefix, Seconds>; // prefix -> end (0 = permanent)
    [[nodiscard]] Bans bans(const std::string &jail) const;
    // The trailing copy (what the ipset mirror would hold).
    [[nodiscard]] Bans mirrored(const std::string &jail) const;
    [[nodiscard]] std::set<std::string> jails() const;
    // ("", prefix) for a global entry, (jail, prefix) for a jail's own.
    [[nodiscard]] std::set<std::pair<std::string, IpPrefix>> whitelist() const;
    [[nodiscard]] std::vector<std::string> attached() const;
    [[nodiscard]] uint64_t flushes() const;
    // A ban held in the maps that no store knows of (a daemon died before storing it).
    void hold(const std::string &jail, const IpPrefix &prefix, Seconds end);

  private:
    friend class MemoryEnforcer;
    mutable std::mutex mutex_;
    std::map<std::string, Bans> held_, mirror_;
    std::set<std::string> jails_;
    std::set<std::pair<std::string, IpPrefix>> whitelist_;
    std::vector<std::string> attached_;
    uint64_t flushes_ = 0;
  };

  explicit MemoryEnforcer(std::shared_ptr<Kernel> kernel);

  Status configure_jails(const std::vector<JailConfig> &jails) override;
  Result<std::vector<std::string>> attach(const std::vector<std::string> &interfaces) override;
  void apply(std::span<const BanChange> changes) override;
  [[nodiscard]] bool pending() const override { return !queue_.empty(); }
  Status flush() override;
  void wait_idle() override {}
  Result<std::vector<EnforcedBan>> reconcile(std::vector<EnforcedBan> wanted, Seconds now) override;
  [[nodiscard]] std::string last_reconcile() const override { return last_reconcile_; }
  Status sync_whitelist(const std::vector<IpPrefix> &global,
                        const std::vector<std::pair<std::string, IpPrefix>> &per_jail) override;
  Status sweep(Seconds now) override;
  [[nodiscard]] EnforcementCounters counters() const override;
  [[nodiscard]] Result<std::vector<IpPrefix>> bans(const std::string &jail) const override;

private:
  std::shared_ptr<Kernel> kernel_;
  std::vector<BanChange> queue_; // for the mirror, handed over by flush()
  std::string last_reconcile_;
  uint64_t apply_errors_ = 0;
};

} // namespace mcf2b
