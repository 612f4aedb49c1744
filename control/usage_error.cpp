// SPDX-License-Identifier: GPL-2.0-only
#include "control/usage_error.h"

#include <ostream>

#include "control/ctl_session.h"

namespace mcf2b::control {

int report_parse_error(const CLI::App &app, const CLI::ParseError &error, std::ostream &out,
                       std::ostream &err) {
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
    return app.exit(error, out, err);
  // Point at the help of the deepest subcommand that was recognised.
  std::string path = "mcf2b-ctl";
  const CLI::App *current = &app;
  while (!current->get_subcommands().empty()) {
    current = current->get_subcommands().front();
    path += " " + current->get_name();
  }
  std::string message = error.what();
  for (char &c : message)
    if (c == '\n' || c == '\r')
      c = ' ';
  err << "mcf2b-ctl: " << message << " (see " << path << " --help)\n";
  return kExitUsage;
}

} // namespace mcf2b::control
