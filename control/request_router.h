// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>

#include "base/result.h"
#include "protocol/protocol.h"

namespace mcf2b::control {

// Where mcf2b-ctl reads and writes when the daemon is not running.
inline constexpr const char *kDefaultStateUrl = "sqlite:/var/lib/mcf2b/state.sqlite3";

struct RoutedResponse {
  Response response;
  bool from_store = false; // the daemon was not running: the store answered
};

// Sends a request to the daemon's control socket; when no daemon listens there (the
// socket is missing or refuses connections), runs the same request against the state
// store (execute_offline), which the daemon applies when it next starts. Anything else
// that stops the request (permission denied, no answer in time, a store that cannot be
// opened) is an Error.
class RequestRouter {
public:
  RequestRouter(std::string socket_path, std::string state_url, int timeout_ms = 30000)
      : socket_path_(std::move(socket_path)), state_url_(std::move(state_url)),
        timeout_ms_(timeout_ms) {}

  Result<RoutedResponse> send(const Request &request) const;

private:
  std::string socket_path_;
  std::string state_url_;
  int timeout_ms_;
};

// A store URL fit for messages: a MariaDB password is replaced by "***".
std::string redact_store_url(const std::string &url);

} // namespace mcf2b::control
