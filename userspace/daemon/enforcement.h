// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "userspace/controller/decisions.h"
#include "userspace/model/ban.h"
#include "userspace/model/jail.h"

namespace mcf2b {

struct EnforcementOptions {
  std::string pin_root;
  uint32_t capacity = 1u << 20;
  bool ipset_mirror = true;
};

struct EnforcementStats {
  uint64_t passed = 0, dropped = 0, unparsable = 0, map_full = 0;
  uint64_t apply_errors = 0;  // ban/unban calls the maps refused
  uint64_t mirror_errors = 0; // ipset restore streams that failed
  struct Jail {
    std::string name;
    uint64_t packets = 0, bytes = 0;
  };
  std::vector<Jail> jails;
};

// The enforcers the controller drives: the XDP program's pinned maps (applied at once,
// the fast path) and the ipset mirror (changes queued and written in one `ipset restore`
// stream per flush), plus iptables rules over the ipsets on interfaces where XDP cannot
// attach. The controller's state is the source of truth; reconcile() makes both
// enforcers match it at start.
class Enforcement {
public:
  static Result<Enforcement> open(const EnforcementOptions &options);
  ~Enforcement();
  Enforcement(Enforcement &&) noexcept;
  Enforcement &operator=(Enforcement &&) noexcept;

  // Gives every jail its slot and ports (in maps and ipsets). Jails not listed keep
  // their slots; at most 64 jails.
  Status configure_jails(const std::vector<JailConfig> &jails);
  // Attaches to each interface (native XDP, generic as fallback); where neither works,
  // installs the iptables rules over the ipsets. Returns one line per interface.
  Result<std::vector<std::string>> attach(const std::vector<std::string> &interfaces);

  // Applies decided unbans then bans to the maps now, and queues them for the mirror.
  void apply(const Decisions &decisions);
  // Hands the queued mirror changes to the mirror's thread (one restore stream there).
  Status flush_mirror();
  [[nodiscard]] bool mirror_pending() const;
  // Blocks until the mirror has written everything handed to it (at shutdown).
  void wait_for_mirror();

  // At start: makes the maps hold exactly the active bans given (the store's view,
  // after restore) before returning, and the ipsets too, on the mirror's thread; reports
  // bans found only in the maps (kept by the caller, which records them). Expired map
  // entries are dropped.
  Result<std::vector<BanRecord>> reconcile(const std::vector<JailBans> &active, Seconds now);
  // How the last reconcile() spent its time (maps, ipsets), for the start-up log.
  [[nodiscard]] const std::string &last_reconcile() const;

  // The kernel whitelist: global prefixes (ignore list, own addresses, cluster nodes)
  // and per-jail whitelists, set to exactly what is given.
  Status sync_whitelist(const std::vector<IpPrefix> &global,
                        const std::vector<std::pair<std::string, IpPrefix>> &per_jail);

  // Drops expired map entries (the kernel already ignores them).
  Status sweep(Seconds now);

  [[nodiscard]] EnforcementStats stats() const;
  // The enforcer's own bans of a jail (for tests and status).
  Result<std::vector<IpPrefix>> map_bans(const std::string &jail) const;

private:
  struct State;
  explicit Enforcement(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

} // namespace mcf2b
