// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cerrno>
#include <string>

namespace mcf2b {

// A recoverable failure: what was being done, and the errno (0 when none applies).
struct Error {
  std::string what;
  int code = 0;

  // Captures the current errno (or the one given) for a failed system call.
  static Error sys(std::string what, int err = errno) { return Error{std::move(what), err}; }
  static Error msg(std::string what) { return Error{std::move(what), 0}; }

  // "what: strerror(code)" or just "what".
  [[nodiscard]] std::string message() const;

  // Prepends context: "context: what".
  [[nodiscard]] Error context(const std::string &outer) const {
    return Error{outer + ": " + what, code};
  }
};

} // namespace mcf2b
