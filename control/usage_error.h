// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>

#include <iosfwd>

namespace mcf2b::control {

// The footer of the top-level help.
inline constexpr const char *kExitCodesHelp =
    "Exit codes: 0 success, 1 error (unknown jail, malformed address, refused, daemon\n"
    "unreachable, permission denied), 2 usage (unknown option, missing argument),\n"
    "3 already in that state (MailCleaner's 409).\n"
    "When the daemon is not running, reads are answered from the store (--state) and\n"
    "changes are written there, applied when the daemon starts.";

// Turns a command-line parse failure into mcf2b-ctl's conventions: --help and --version
// print to `out` and give 0; anything else is one line on `err`,
// "mcf2b-ctl: <what> (see mcf2b-ctl SUBCOMMAND --help)", and exit code 2.
int report_parse_error(const CLI::App &app, const CLI::ParseError &error, std::ostream &out,
                       std::ostream &err);

} // namespace mcf2b::control
