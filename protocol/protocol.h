// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "base/result.h"

namespace mcf2b::control {

// Version 1 of the control protocol. Framing: one JSON object per line, UTF-8, at most
// kMaxMessageBytes. A request is {"v":1,"cmd":"ban","args":{...}}; a response is
// {"v":1,"ok":true,"result":...} or {"v":1,"ok":false,"error":{"kind":"...","message":"..."}}.
// A server answers a request of a newer version with kind "usage" and its own version,
// so an old daemon and a new CLI fail clearly instead of misunderstanding each other.
inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxMessageBytes = 1 << 20;

// What went wrong, coarse enough to map onto the CLI's documented exit codes.
enum class ErrorKind {
  usage,       // malformed request, unknown command, bad arguments       -> exit 2
  not_found,   // unknown jail, no such ban                               -> exit 1
  invalid,     // malformed address or prefix, bad value                  -> exit 1
  refused,     // own address, cluster node, loopback, whitelisted       -> exit 1
  too_wide,    // a range wider than /24 or /48 without confirmation      -> exit 1
  already,     // already in that state (MailCleaner's 409)               -> exit 3
  permission,  // peer is not root                                        -> exit 1
  unavailable, // store or enforcement not reachable                      -> exit 1
  internal,    // a bug or an unexpected system error                     -> exit 1
};

std::string_view to_string(ErrorKind kind);
ErrorKind error_kind_from_string(std::string_view text);
// The CLI exit code for an error kind: 2 usage, 3 already, 1 otherwise.
int exit_code(ErrorKind kind);

struct Request {
  std::string command;
  nlohmann::json args = nlohmann::json::object();
};

struct ProtocolError {
  ErrorKind kind = ErrorKind::internal;
  std::string message;
};

struct Response {
  bool ok = true;
  nlohmann::json result;
  ProtocolError error;

  static Response success(nlohmann::json result = nullptr) { return {true, std::move(result), {}}; }
  static Response failure(ErrorKind kind, std::string message) {
    return {false, nullptr, {kind, std::move(message)}};
  }
};

// Encoding adds the trailing newline; decoding takes one line without it.
std::string encode(const Request &request);
std::string encode(const Response &response);
// A malformed request yields a ready-to-send failure Response as the error.
Result<Request> decode_request(std::string_view line, Response *failure);
Result<Response> decode_response(std::string_view line);

} // namespace mcf2b::control
