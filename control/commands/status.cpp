// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/status.h"

#include <cstdio>

#include "control/arguments.h"
#include "control/format/status_text.h"

namespace mcf2b::control {

void register_status(CLI::App &app, CtlSession &session) {
  struct Options {
    std::string jail;
    bool all = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App *cmd = app.add_subcommand(
      "status", "Show the enabled jails, or one jail's failures and bans (fail2ban-client's "
                "layout)");
  auto *jail = cmd->add_option("JAIL", o->jail, "a jail (mc-exim-1d) or a family (mc-exim)");
  cmd->add_flag("--all", o->all, "every enabled jail's status, as `fail2ban-client status --all`")
      ->excludes(jail);
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n"
              "  mcf2b-ctl status                  # the enabled jails\n"
              "  mcf2b-ctl status mc-exim-1d       # one jail: failures, bans, banned addresses\n"
              "  mcf2b-ctl status mc-exim          # each tier of the family\n"
              "  mcf2b-ctl status --all --json     # every jail, for scripts");
  cmd->callback([o, &session] {
    if (!o->jail.empty() && !session.check(check_jail_name(o->jail)))
      return;
    StatusCommand::Request request;
    if (o->all)
      request.all = true;
    else if (!o->jail.empty())
      request.jail = o->jail;
    auto result = session.call<StatusCommand>(request);
    if (!result)
      return;
    // Said on stderr: stdout keeps fail2ban-client's layout for the scripts that read it.
    for (const auto &log : result->catching_up)
      std::fprintf(stderr, "mcf2bd is catching up on %s: %.1f MiB read, %.1f MiB behind\n",
                   log.log.c_str(), double(log.bytes_read) / (1 << 20),
                   double(log.bytes_behind) / (1 << 20));
    if (!o->all && o->jail.empty())
      return session.print(format_status_summary(result->names));
    if (o->all)
      return session.print(format_status_all(result->jails));
    // A family root stands for several jails: one fail2ban block per jail.
    std::string text;
    for (const auto &s : result->jails)
      text += format_jail_status(s);
    session.print(text);
  });
}

} // namespace mcf2b::control
