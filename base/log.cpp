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

namespace {

bool filtered(LogLevel level) {
  return static_cast<int>(level) > static_cast<int>(g_level.load());
}

void append_line(std::string &text, LogLevel level, std::string_view message) {
  text += "<" + std::to_string(static_cast<int>(level)) + ">";
  // Messages may quote log content: keep them on one line and printable.
  for (char c : message)
    text += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  text += '\n';
}

void write(const std::string &text) {
  std::lock_guard lock(g_write);
  std::fwrite(text.data(), 1, text.size(), stderr);
}

} // namespace

void log(LogLevel level, std::string_view message) {
  if (filtered(level))
    return;
  std::string line;
  append_line(line, level, message);
  write(line);
}

void log_lines(LogLevel level, std::span<const std::string> messages) {
  if (filtered(level) || messages.empty())
    return;
  std::string text;
  for (const auto &m : messages)
    append_line(text, level, m);
  write(text);
}

} // namespace mcf2b
