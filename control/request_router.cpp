// SPDX-License-Identifier: GPL-2.0-only
#include "control/request_router.h"

#include <cerrno>

#include "protocol/control_client.h"
#include "userspace/service/offline_commands.h"

namespace mcf2b::control {

Result<RoutedResponse> RequestRouter::send(const Request &request) const {
  auto client = ControlClient::connect(socket_path_, timeout_ms_);
  if (client) {
    auto response = client->call(request);
    if (!response)
      return response.error();
    return RoutedResponse{std::move(*response), false};
  }
  int err = client.error().code;
  if (err != ENOENT && err != ECONNREFUSED)
    return client.error();
  auto response = execute_offline(state_url_, request);
  if (!response)
    return response.error().context("the daemon is not running, and the store " +
                                    redact_store_url(state_url_) + " failed");
  return RoutedResponse{std::move(*response), true};
}

std::string redact_store_url(const std::string &url) {
  size_t scheme = url.find("://");
  if (scheme == std::string::npos)
    return url;
  size_t at = url.find('@', scheme + 3);
  if (at == std::string::npos)
    return url;
  size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at)
    return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

} // namespace mcf2b::control
