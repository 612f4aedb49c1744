// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "base/connection_limits.h"
#include "base/fd.h"
#include "base/listening_socket.h"
#include "base/result.h"

namespace mcf2b {

// Serves GET /metrics over HTTP/1.0 on a loopback address only (127.0.0.0/8 or ::1);
// off unless the daemon is configured with a port. Like the control server it owns an
// epoll set, so the daemon's loop polls fd() and calls process() when readable, and
// expire_stale() every second: a request must arrive whole within the request timeout
// and a client that connects and says nothing is closed, so idle or slow clients cannot
// keep scrapers out (a full server also closes its quietest client for a newcomer).
class MetricsServer {
public:
  using Render = std::function<std::string()>;

  // `address` must be a loopback address; port 0 picks a free port (see port()).
  static Result<MetricsServer> listen(const std::string &address, uint16_t port,
                                      ConnectionLimits limits = default_limits());
  static ConnectionLimits default_limits() {
    ConnectionLimits limits;
    limits.max_connections = 16;
    limits.idle_timeout = std::chrono::seconds(5); // a scraper sends its request at once
    return limits;
  }

  [[nodiscard]] int fd() const { return socket_->fd(); }
  [[nodiscard]] uint16_t port() const { return port_; }
  void process(const Render &render);
  void expire_stale();
  [[nodiscard]] size_t connections() const { return connections_.size(); }

private:
  struct Connection {
    Fd fd;
    std::string in, out;
    bool answered = false;
    ConnectionTimes times{ConnectionTimes::Clock::now()};
  };
  MetricsServer() = default;
  void answer(Connection &c, const Render &render);
  std::optional<ListeningSocket> socket_;
  uint16_t port_ = 0;
  ConnectionLimits limits_;
  std::map<int, Connection> connections_;
};

} // namespace mcf2b
