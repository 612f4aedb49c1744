// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "base/fd.h"
#include "base/listening_socket.h"
#include "base/result.h"

namespace mcf2b {

// Serves GET /metrics over HTTP/1.0 on a loopback address only (127.0.0.0/8 or ::1);
// off unless the daemon is configured with a port. Like the control server it owns an
// epoll set, so the daemon's loop polls fd() and calls process() when readable.
class MetricsServer {
public:
  using Render = std::function<std::string()>;

  // `address` must be a loopback address; port 0 picks a free port (see port()).
  static Result<MetricsServer> listen(const std::string &address, uint16_t port);

  [[nodiscard]] int fd() const { return socket_->fd(); }
  [[nodiscard]] uint16_t port() const { return port_; }
  void process(const Render &render);

private:
  struct Connection {
    Fd fd;
    std::string in, out;
    bool answered = false;
  };
  MetricsServer() = default;
  void answer(Connection &c, const Render &render);
  std::optional<ListeningSocket> socket_;
  uint16_t port_ = 0;
  std::map<int, Connection> connections_;
};

} // namespace mcf2b
