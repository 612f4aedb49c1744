// SPDX-License-Identifier: GPL-2.0-only
#include "tests/daemon/in_memory_daemon.h"

#include "tests/fixtures/requirements.h"

namespace mcf2b::testing {

::testing::AssertionResult InMemoryDaemon::start(const DaemonConfig &config) {
  if (daemon_)
    return ::testing::AssertionFailure() << "a daemon is already running";
  auto kept = kernel;
  auto d = Daemon::start(config, [kept](const DaemonConfig &) {
    return Result<std::unique_ptr<Enforcer>>(std::make_unique<MemoryEnforcer>(kept));
  });
  if (!d)
    return ::testing::AssertionFailure() << "daemon start: " << d.error().message();
  socket_path_ = config.socket_path;
  daemon_ = std::move(*d);
  exit_status_ = -1;
  loop_ = std::thread([this] { exit_status_ = daemon_->run(); });
  return ::testing::AssertionSuccess();
}

int InMemoryDaemon::stop() {
  if (!daemon_)
    return 0;
  daemon_->request_stop();
  loop_.join();
  daemon_.reset();
  return exit_status_;
}

control::Response InMemoryDaemon::call(const std::string &command, nlohmann::json args) const {
  return call_daemon(socket_path_, command, std::move(args));
}

control::Response call_daemon(const std::string &socket_path, const std::string &command,
                              nlohmann::json args) {
  auto client = control::ControlClient::connect(socket_path);
  EXPECT_TRUE(ok(client));
  if (!client)
    return control::Response::failure(control::ErrorKind::unavailable, "no daemon");
  auto r = client->call({command, std::move(args)});
  EXPECT_TRUE(ok(r));
  return r ? *r : control::Response::failure(control::ErrorKind::internal, "no answer");
}

} // namespace mcf2b::testing
