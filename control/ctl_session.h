// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iosfwd>
#include <optional>
#include <string>

#include "base/error.h"
#include "control/request_router.h"
#include "protocol/commands.h"
#include "protocol/control_client.h"

namespace mcf2b::control {

// mcf2b-ctl's documented exit codes.
enum ExitCode : int {
  kExitOk = 0,
  kExitError = 1,   // the command failed (unknown jail, bad address, refused, unreachable)
  kExitUsage = 2,   // the command line is wrong (unknown option, missing argument)
  kExitAlready = 3, // already in that state (MailCleaner's 409)
};

// The options every command shares.
struct GlobalOptions {
  std::string socket = kDefaultSocketPath;
  std::string state_url = kDefaultStateUrl;
  bool json = false;  // print data as JSON
  bool quiet = false; // no confirmation lines on success
  int timeout_s = 30; // how long to wait for the daemon's answer
};

// One run of mcf2b-ctl: the global options, the way to the daemon or the store, and the
// exit code and output the subcommand callbacks produce. Errors are one line on stderr,
// "mcf2b-ctl: <message>".
class CtlSession {
public:
  CtlSession(int &exit_code, std::ostream &out, std::ostream &err)
      : exit_code_(exit_code), out_(out), err_(err) {}

  GlobalOptions &options() { return options_; }
  [[nodiscard]] bool json() const { return options_.json; }

  // Adds --socket, --state, --json, -q and --version to the top-level command.
  void add_global_options(CLI::App &app, const std::string &version);
  // Adds --json to a subcommand that prints data (the global flag works too).
  void add_json_flag(CLI::App &command);

  // Runs one command through the daemon (or the store when it is down). Reports a
  // failure and sets the exit code. With --json the answer is printed here as it came and
  // nothing comes back; otherwise the typed result comes back, to be shown as text. When
  // the store answered, says so on stderr. `too_wide_hint` is added to the refusal of a
  // range as too wide.
  template <class Command>
  std::optional<typename Command::Result> call(const typename Command::Request &request,
                                               const std::string &too_wide_hint = {}) {
    auto result = call_raw(request_for<Command>(request), too_wide_hint);
    if (!result)
      return std::nullopt;
    if (json()) {
      print_json(*result);
      return std::nullopt;
    }
    auto typed = Command::Result::from_json(*result);
    if (!check(typed))
      return std::nullopt;
    return std::move(*typed);
  }

  // The same, but the typed result comes back with --json too, for a command that
  // sends several requests and prints one answer of its own.
  template <class Command>
  std::optional<typename Command::Result> fetch(const typename Command::Request &request) {
    auto result = call_raw(request_for<Command>(request), {});
    if (!result)
      return std::nullopt;
    auto typed = Command::Result::from_json(*result);
    if (!check(typed))
      return std::nullopt;
    return std::move(*typed);
  }

  // Whether `r` succeeded; reports its error (exit 1) when not.
  template <class R> bool check(const R &r) {
    if (r.ok())
      return true;
    fail(r.error());
    return false;
  }

  // Reports an error and sets the exit code (the first failure's code is kept).
  void fail(const std::string &message, int code = kExitError);
  void fail(const Error &error, int code = kExitError) { fail(error.message(), code); }

  // Data on stdout: text as it is, JSON pretty-printed.
  void print(const std::string &text);
  void print_json(const nlohmann::json &value);
  // A confirmation of a change for people: left out with -q and with --json.
  void confirm(const std::string &line);

private:
  // The result of a request, or nullopt once a failure is reported.
  std::optional<nlohmann::json> call_raw(const Request &request, const std::string &too_wide_hint);

  int &exit_code_;
  std::ostream &out_;
  std::ostream &err_;
  GlobalOptions options_;
};

} // namespace mcf2b::control
