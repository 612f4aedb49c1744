// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "userspace/enforce/xdp_enforcer.h"
#include "userspace/model/ban.h"
#include "userspace/model/jail.h"

namespace mcf2b {

// What enforcement has counted: packets the kernel passed or dropped, and the changes an
// enforcer refused. Implementations without a data path (the in-memory one) leave the
// packet counters at 0.
struct EnforcementCounters {
  uint64_t passed = 0, dropped = 0, unparsable = 0, map_full = 0;
  uint64_t apply_errors = 0;  // bans and unbans the enforcer refused
  uint64_t mirror_errors = 0; // deferred writes (ipset restore streams) that failed
  struct Jail {
    std::string name;
    uint64_t packets = 0, bytes = 0;
  };
  std::vector<Jail> jails;
};

// Where the controller's bans take effect. The daemon drives exactly this interface, so
// its own logic (start-up reconcile, commands, cluster sync, expiry) runs the same over
// the kernel (KernelEnforcer: XDP maps, the ipset mirror, iptables where XDP cannot
// attach) and over memory (MemoryEnforcer, for tests that need no root).
//
// Some of an enforcer's work may trail: apply() takes effect at once where it can (the
// maps) and queues the rest (the ipset mirror); pending() says something is queued and
// flush() hands it to the enforcer's writer, which the daemon does on a short timer.
class Enforcer {
public:
  virtual ~Enforcer() = default;

  // Gives every jail its kernel slot and ports; jails not listed keep theirs.
  virtual Status configure_jails(const std::vector<JailConfig> &jails) = 0;
  // Starts enforcing on each interface; one line per interface says how.
  virtual Result<std::vector<std::string>> attach(const std::vector<std::string> &interfaces) = 0;

  // A batch of changes, applied in order (the daemon puts unbans before bans). A change
  // that fails is counted (apply_errors) and logged; the others still apply.
  virtual void apply(std::span<const BanChange> changes) = 0;
  [[nodiscard]] virtual bool pending() const = 0;
  virtual Status flush() = 0;
  // Blocks until everything flushed has been written (at shutdown).
  virtual void wait_idle() = 0;

  // At start: makes the enforcer hold exactly the live bans given (the store's view, in
  // any order), drops expired entries, and returns the live bans it holds that were not
  // given (a daemon that died between enforcing and storing leaves those): the caller
  // adopts them.
  virtual Result<std::vector<EnforcedBan>> reconcile(std::vector<EnforcedBan> wanted,
                                                     Seconds now) = 0;
  // How the last reconcile() spent its time, for the start-up log.
  [[nodiscard]] virtual std::string last_reconcile() const = 0;

  // Never-ban prefixes, global and per jail, set to exactly what is given.
  virtual Status sync_whitelist(const std::vector<IpPrefix> &global,
                                const std::vector<std::pair<std::string, IpPrefix>> &per_jail) = 0;
  // Drops entries whose end has passed (the kernel already ignores them).
  virtual Status sweep(Seconds now) = 0;

  [[nodiscard]] virtual EnforcementCounters counters() const = 0;
  // The prefixes a jail's enforcement holds (status and tests).
  [[nodiscard]] virtual Result<std::vector<IpPrefix>> bans(const std::string &jail) const = 0;
};

} // namespace mcf2b
