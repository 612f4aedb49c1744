// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace mcf2b::testing {

// A free TCP port on 127.0.0.1 (bound once and released: the caller takes it next).
Result<uint16_t> free_loopback_port();

// A real SMTP server (aiosmtpd, tests/notify/smtp_sink.py) on 127.0.0.1:port, writing
// each accepted message, parsed by Python's email module, as NAME.json into a folder.
// Stopped (SIGTERM, reaped) on destruction.
class SmtpSink {
public:
  static Result<SmtpSink> start(uint16_t port, const std::string &folder);
  ~SmtpSink();
  SmtpSink(SmtpSink &&other) noexcept : pid_(other.pid_), folder_(std::move(other.folder_)) {
    other.pid_ = -1;
  }
  SmtpSink &operator=(SmtpSink &&) = delete;
  SmtpSink(const SmtpSink &) = delete;

  // The messages received so far, oldest first: {"mail_from", "rcpt_tos", "headers":
  // [[name, value]...], "body", "defects"}.
  [[nodiscard]] std::vector<nlohmann::json> messages() const;
  // Waits until at least `count` messages arrived or `limit` passed; the messages.
  [[nodiscard]] std::vector<nlohmann::json> wait_for(size_t count,
                                                     std::chrono::seconds limit) const;

private:
  SmtpSink(pid_t pid, std::string folder) : pid_(pid), folder_(std::move(folder)) {}
  pid_t pid_ = -1;
  std::string folder_;
};

// The values of every header named `name` (case-insensitive) in a received message.
std::vector<std::string> header_values(const nlohmann::json &message, const std::string &name);

} // namespace mcf2b::testing
