// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/status.h"

#include "control/arguments.h"
#include "control/format/status_text.h"
#include "control/result_shapes.h"

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
    nlohmann::json args = nlohmann::json::object();
    if (o->all)
      args["all"] = true;
    else if (!o->jail.empty())
      args["jail"] = o->jail;
    auto result = session.call_for_text("status", args);
    if (!result)
      return;
    if (!o->all && o->jail.empty()) {
      auto names = strings_in(*result, "jails");
      if (!session.check(names))
        return;
      return session.print(format_status_summary(*names));
    }
    if (!result->is_object() || !result->contains("jails"))
      return session.fail("the answer to status holds no jails");
    auto statuses = jail_statuses_from_json((*result)["jails"]);
    if (!session.check(statuses))
      return;
    if (o->all)
      return session.print(format_status_all(*statuses));
    // A family root stands for several jails: one fail2ban block per jail.
    std::string text;
    for (const auto &s : *statuses)
      text += format_jail_status(s);
    session.print(text);
  });
}

} // namespace mcf2b::control
