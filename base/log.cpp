// SPDX-License-Identifier: GPL-2.0-only
#include "base/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

namespace mcf2b {
namespace {
std::atomic<LogLevel> g_level{LogLevel::info};
std::mutex g_write;
} // namespace

void set_log_level(LogLevel level) { g_level = level; }
LogLevel log_level() { return g_level; }

bool parse_log_level(std::string_view name, LogLevel *out) {
  if (name == "error")
    *out = LogLevel::error;
  else if (name == "warning" || name == "warn")
    *out = LogLevel::warning;
  else if (name == "info")
    *out = LogLevel::info;
  else if (name == "debug")
    *out = LogLevel::debug;
  else
    return false;
  return true;
}

void log(LogLevel level, std::string_view message) {
  if (static_cast<int>(level) > static_cast<int>(g_level.load()))
    return;
  std::string line = "<" + std::to_string(static_cast<int>(level)) + ">";
  // Messages may quote log content: keep them on one line and printable.
  for (char c : message)
    line += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  line += '\n';
  std::lock_guard lock(g_write);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

} // namespace mcf2b
