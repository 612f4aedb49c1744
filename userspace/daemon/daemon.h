// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <functional>
#include <memory>

#include "base/result.h"
#include "userspace/daemon/daemon_config.h"
#include "userspace/enforce/enforcer.h"

namespace mcf2b {

// mcf2bd: reads the logs, decides like MailCleaner's documentation says, enforces through
// XDP and the ipset mirror, persists every change, answers mcf2b-ctl. One thread, one
// epoll loop: log sources, the control socket, the metrics socket, timers, signals; the
// store's commits of what the logs decided run on a thread of their own (store_commits.h).
//
// Start-up order keeps enforcement continuous: the pinned maps (still enforced by the
// pinned program while no daemon runs) are reconciled with the store before the program
// is re-attached (an atomic replace), and only then do logs and commands flow.
class Daemon {
public:
  // Where bans take effect: the kernel (XDP maps, ipset mirror) in mcf2bd; memory in the
  // tests of the daemon's own logic.
  using EnforcerFactory = std::function<Result<std::unique_ptr<Enforcer>>(const DaemonConfig &)>;
  static Result<std::unique_ptr<Enforcer>> open_kernel_enforcer(const DaemonConfig &config);

  static Result<std::unique_ptr<Daemon>> start(DaemonConfig config,
                                               const EnforcerFactory &open_enforcer = open_kernel_enforcer);
  ~Daemon();
  // Runs until SIGTERM, SIGINT or request_stop(); returns the process exit status.
  int run();
  // Makes run() return as on SIGTERM; callable from any thread.
  void request_stop();

  struct Impl;

private:
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

} // namespace mcf2b
