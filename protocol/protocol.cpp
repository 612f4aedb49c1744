// SPDX-License-Identifier: GPL-2.0-only
#include "protocol/protocol.h"

namespace mcf2b::control {
namespace {

constexpr std::pair<ErrorKind, std::string_view> kKindNames[] = {
    {ErrorKind::usage, "usage"},           {ErrorKind::not_found, "not_found"},
    {ErrorKind::invalid, "invalid"},       {ErrorKind::refused, "refused"},
    {ErrorKind::too_wide, "too_wide"},     {ErrorKind::already, "already"},
    {ErrorKind::permission, "permission"}, {ErrorKind::unavailable, "unavailable"},
    {ErrorKind::internal, "internal"},
};

} // namespace

std::string_view to_string(ErrorKind kind) {
  for (auto [k, name] : kKindNames)
    if (k == kind)
      return name;
  return "internal";
}

ErrorKind error_kind_from_string(std::string_view text) {
  for (auto [k, name] : kKindNames)
    if (name == text)
      return k;
  return ErrorKind::internal;
}

int exit_code(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::usage:
    return 2;
  case ErrorKind::already:
    return 3;
  default:
    return 1;
  }
}

std::string encode(const Request &request) {
  nlohmann::json j = {{"v", kProtocolVersion},
                      {"cmd", request.command},
                      {"args", request.args.is_null() ? nlohmann::json::object() : request.args}};
  // Replace invalid UTF-8 rather than throw: arguments may come from anywhere.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string encode(const Response &response) {
  nlohmann::json j = {{"v", kProtocolVersion}, {"ok", response.ok}};
  if (response.ok)
    j["result"] = response.result;
  else
    j["error"] = {{"kind", to_string(response.error.kind)}, {"message", response.error.message}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<Request> decode_request(std::string_view line, Response *failure) {
  auto fail = [&](std::string message) -> Result<Request> {
    if (failure)
      *failure = Response::failure(ErrorKind::usage, message);
    return Error::msg(message);
  };
  if (line.size() > kMaxMessageBytes)
    return fail("request larger than " + std::to_string(kMaxMessageBytes) + " bytes");
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return fail("malformed request: not a JSON object");
  auto v = j.find("v");
  if (v == j.end() || !v->is_number_integer())
    return fail("malformed request: no protocol version");
  // Compared as the number sent: 4294967297 is not version 1.
  if (v->is_number_unsigned() ? v->get<uint64_t>() != uint64_t(kProtocolVersion)
                              : v->get<int64_t>() != kProtocolVersion)
    return fail("protocol version " + std::to_string(v->get<long long>()) +
                " not supported; this daemon speaks version " + std::to_string(kProtocolVersion));
  auto cmd = j.find("cmd");
  if (cmd == j.end() || !cmd->is_string() || cmd->get<std::string>().empty())
    return fail("malformed request: no command");
  Request r;
  r.command = cmd->get<std::string>();
  if (auto args = j.find("args"); args != j.end()) {
    if (!args->is_object())
      return fail("malformed request: args must be an object");
    r.args = *args;
  }
  return r;
}

Result<Response> decode_response(std::string_view line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("ok") || !j["ok"].is_boolean())
    return Error::msg("malformed response from the daemon");
  Response r;
  r.ok = j["ok"].get<bool>();
  if (r.ok) {
    r.result = j.value("result", nlohmann::json());
  } else {
    const auto &e = j.value("error", nlohmann::json::object());
    r.error.kind = error_kind_from_string(e.value("kind", "internal"));
    r.error.message = e.value("message", "unknown error");
  }
  return r;
}

} // namespace mcf2b::control
