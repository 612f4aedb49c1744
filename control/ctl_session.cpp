// SPDX-License-Identifier: GPL-2.0-only
#include "control/ctl_session.h"

#include <ostream>

namespace mcf2b::control {

void CtlSession::add_global_options(CLI::App &app, const std::string &version) {
  app.add_option("--socket", options_.socket, "the daemon's control socket")
      ->envname("MCF2B_SOCKET")
      ->capture_default_str();
  app.add_option("--state", options_.state_url,
                 "the state store used when the daemon is not running "
                 "(sqlite:PATH or mariadb://USER:PASSWORD@HOST/DB)")
      ->envname("MCF2B_STATE")
      ->capture_default_str();
  app.add_option("--timeout", options_.timeout_s, "seconds to wait for the daemon's answer")
      ->check(CLI::Range(1, 86400))
      ->capture_default_str();
  app.add_flag("--json", options_.json, "print data as JSON");
  app.add_flag("-q,--quiet", options_.quiet, "print nothing on success but requested data");
  app.set_version_flag("--version", version);
}

void CtlSession::add_json_flag(CLI::App &command) {
  command.add_flag("--json", options_.json, "print the result as JSON");
}

std::optional<nlohmann::json> CtlSession::call_raw(const Request &request,
                                                   const std::string &too_wide_hint) {
  RequestRouter router(options_.socket, options_.state_url, options_.timeout_s * 1000);
  auto routed = router.send(request);
  if (!routed) {
    fail(routed.error());
    return std::nullopt;
  }
  const Response &response = routed->response;
  bool reading = is_read_command(request.command);
  if (!response.ok) {
    std::string message = response.error.message;
    // Only for the refusal the hint answers (a range also holding this host's address is
    // refused too, and --yes would not help there).
    if (response.error.kind == ErrorKind::too_wide && !too_wide_hint.empty())
      message += "; " + too_wide_hint;
    if (routed->from_store)
      message += " (the daemon is not running; the store answered)";
    fail(message, exit_code(response.error.kind));
    return std::nullopt;
  }
  if (routed->from_store) {
    std::string store = redact_store_url(options_.state_url);
    err_ << (reading ? "mcf2b-ctl: the daemon is not running; this answer comes from the store " +
                           store + "\n"
                     : "mcf2b-ctl: the daemon is not running; the change was written to the "
                       "store " +
                           store + " and will be applied when the daemon starts\n");
  }
  return response.result;
}

void CtlSession::fail(const std::string &message, int code) {
  std::string line = message;
  for (char &c : line)
    if (c == '\n' || c == '\r')
      c = ' ';
  err_ << "mcf2b-ctl: " << line << "\n";
  if (exit_code_ == kExitOk)
    exit_code_ = code;
}

void CtlSession::print(const std::string &text) {
  out_ << text;
}

void CtlSession::print_json(const nlohmann::json &value) {
  // Invalid UTF-8 from a log-derived field is replaced, never a reason to fail.
  out_ << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void CtlSession::confirm(const std::string &line) {
  if (!options_.quiet && !options_.json)
    out_ << line << "\n";
}

} // namespace mcf2b::control
