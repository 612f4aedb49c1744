// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "matcher/host_name_resolver.h"
#include "matcher/log_follower.h"
#include "matcher/failure.h"
#include "userspace/actions/action_service.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/enforce/enforcer.h"
#include "userspace/notify/mailer.h"

namespace mcf2b {

// One reading of every counter the daemon keeps, taken at once: the metrics endpoint and
// `mcf2b-ctl stats` render the same snapshot, so they cannot disagree.
struct DaemonStats {
  matcher::MatcherCounters logs; // summed over the log files
  struct LogFile {
    std::string path;
    matcher::MatcherCounters counters;
    matcher::FollowerCounters follower;
    uint64_t bytes_behind = 0; // what its files hold past the daemon's position
  };
  std::vector<LogFile> log_files;
  matcher::HostNameResolverCounters resolver;
  JailControllerStats controller;
  struct Jail {
    std::string name;
    JailStats counts;
    std::string broken; // why the jail reads no log, if it does not
    uint64_t dropped_packets = 0, dropped_bytes = 0;
  };
  std::vector<Jail> jails;
  EnforcementCounters enforcement;
  uint64_t store_errors = 0, source_errors = 0, replicated = 0;
  uint64_t store_pending = 0; // enforced changes waiting for the store to take them
  uint64_t store_dropped = 0; // ... dropped because too many waited
  uint64_t ban_capacity = 0; // bans per address family the maps and ipsets hold
  MailerStats mail;          // MailCleaner's ban mails
  std::string store_backend, node;
  actions::ActionCounters actions; // fail2ban action.d commands
};

DaemonStats read_daemon_stats(const JailController &controller, const Enforcer &enforcer);

// Prometheus text exposition (format 0.0.4).
std::string to_prometheus(const DaemonStats &stats);
// The `stats` command's "daemon", "xdp" and "jails" objects.
nlohmann::json to_json(const DaemonStats &stats);

} // namespace mcf2b
