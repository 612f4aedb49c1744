// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace mcf2b {

// Leveled logging to stderr, one line per message, prefixed with a syslog priority
// ("<3>") that journald understands when it captures the daemon's stderr.
enum class LogLevel { error = 3, warning = 4, info = 6, debug = 7 };

void set_log_level(LogLevel level);
LogLevel log_level();
// "error", "warning", "info", "debug"; false when the name is unknown.
bool parse_log_level(std::string_view name, LogLevel *out);

void log(LogLevel level, std::string_view message);
// Several messages of one level, each its own line as log() writes it, in one write
// (the daemon's bans of one loop pass: one write each was a few % of a replay's CPU).
void log_lines(LogLevel level, std::span<const std::string> messages);
inline void log_error(std::string_view m) { log(LogLevel::error, m); }
inline void log_warning(std::string_view m) { log(LogLevel::warning, m); }
inline void log_info(std::string_view m) { log(LogLevel::info, m); }
inline void log_debug(std::string_view m) { log(LogLevel::debug, m); }

} // namespace mcf2b
