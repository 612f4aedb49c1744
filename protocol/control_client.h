// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>

#include "base/fd.h"
#include "protocol/protocol.h"

namespace mcf2b::control {

// The default socket path of the daemon, overridden by --socket or MCF2B_SOCKET.
inline constexpr const char *kDefaultSocketPath = "/run/mcf2b/mcf2bd.sock";

// Where an unreachable daemon is a normal condition (the CLI then falls back to the
// store), the error kind says so: ErrorKind::unavailable.
struct ClientError {
  ErrorKind kind;
  std::string message;
};

// One connection to the daemon's control socket; requests are answered in order.
class ControlClient {
public:
  static Result<ControlClient> connect(const std::string &socket_path, int timeout_ms = 30000);

  // Sends one request and waits for its response. A transport failure is an Error;
  // a daemon-side failure is a Response with ok == false.
  Result<Response> call(const Request &request);

private:
  ControlClient(Fd fd, int timeout_ms) : fd_(std::move(fd)), timeout_ms_(timeout_ms) {}
  Fd fd_;
  int timeout_ms_;
  std::string buffer_;
};

} // namespace mcf2b::control
