// SPDX-License-Identifier: GPL-2.0-only
// mcf2b-ctl: the admin CLI. Each subcommand lives in commands/<name>.{h,cpp} and is
// registered here; a subcommand stores its exit status in `exit_code`.
#include <CLI/CLI.hpp>

#include <iostream>

#include "control/commands/ban.h"
#include "control/commands/blacklist.h"
#include "control/commands/general.h"
#include "control/commands/import_fail2ban.h"
#include "control/commands/mail.h"
#include "control/commands/jail.h"
#include "control/commands/list.h"
#include "control/commands/stats.h"
#include "control/commands/status.h"
#include "control/commands/test_filter.h"
#include "control/commands/whitelist.h"
#include "control/usage_error.h"

int main(int argc, char **argv) {
  CLI::App app{"mcf2b-ctl: control the mcf2b ban engine"};
  app.require_subcommand(1);
  // Global options may also follow the subcommand: `mcf2b-ctl list --socket S`.
  app.fallthrough();
  int exit_code = 0;
  mcf2b::control::CtlSession session(exit_code, std::cout, std::cerr);
  session.add_global_options(app, std::string("mcf2b-ctl ") + MCF2B_VERSION);
  app.footer(mcf2b::control::kExitCodesHelp);
  mcf2b::control::register_status(app, session);
  mcf2b::control::register_ban(app, session);
  mcf2b::control::register_unban(app, session);
  mcf2b::control::register_jail(app, session);
  mcf2b::control::register_general(app, session);
  mcf2b::control::register_blacklist(app, session);
  mcf2b::control::register_whitelist(app, session);
  mcf2b::control::register_list(app, session);
  mcf2b::control::register_stats(app, session);
  mcf2b::control::register_mail(app, session); // after register_jail: adds jail modify-mail
  mcf2b::control::register_test_filter(app, exit_code);
  mcf2b::control::register_import_fail2ban(app, session);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    return mcf2b::control::report_parse_error(app, e, std::cout, std::cerr);
  } catch (const std::exception &e) {
    // A bug, not a usage problem: still one line, never a stack trace.
    std::cerr << "mcf2b-ctl: internal error: " << e.what() << "\n";
    return mcf2b::control::kExitError;
  }
  return exit_code;
}
