// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "protocol/control_client.h"
#include "userspace/daemon/daemon.h"
#include "userspace/enforce/memory_enforcer.h"

namespace mcf2b::testing {

// The real mcf2bd code (store, controller, log sources, control socket, timers) over the
// in-memory enforcer, its event loop on a thread of the test: daemon tests without root.
// One request over a daemon's control socket at `socket_path`; a failure to connect or to
// get an answer fails the test and comes back as a failed response.
control::Response call_daemon(const std::string &socket_path, const std::string &command,
                              nlohmann::json args = nlohmann::json::object());

class InMemoryDaemon {
public:
  ~InMemoryDaemon() { (void)stop(); }

  // What the kernel keeps between daemons (as pinned maps do): kept across stop() and
  // start(); a test that wants a daemon to find none sets a fresh one before start().
  std::shared_ptr<MemoryEnforcer::Kernel> kernel = std::make_shared<MemoryEnforcer::Kernel>();

  // Starts a daemon with `config` over `kernel` and runs its loop until stop().
  ::testing::AssertionResult start(const DaemonConfig &config);
  // Stops the loop; returns the loop's exit status (0 when none ran).
  int stop();
  [[nodiscard]] bool running() const { return daemon_ != nullptr; }
  Daemon &daemon() { return *daemon_; }

  // call_daemon() on this daemon's socket.
  control::Response call(const std::string &command,
                         nlohmann::json args = nlohmann::json::object()) const;

private:
  std::string socket_path_;
  std::unique_ptr<Daemon> daemon_;
  std::thread loop_;
  int exit_status_ = 0;
};

} // namespace mcf2b::testing
