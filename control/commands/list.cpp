// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/list.h"

#include "control/arguments.h"
#include "control/format/ban_table_text.h"
#include "control/result_shapes.h"

namespace mcf2b::control {

void register_list(CLI::App &app, CtlSession &session) {
  struct Options {
    std::string jail, node;
    bool active = false, utc = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App *cmd =
      app.add_subcommand("list", "List the bans: address, jail, node, count, flags, start and end");
  cmd->add_flag("--active", o->active, "only the bans in force");
  cmd->add_option("-j,--jail", o->jail, "only this jail or family");
  cmd->add_option("--node", o->node, "only the rows this cluster node wrote");
  cmd->add_flag("--utc", o->utc, "times in UTC instead of local time");
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n"
              "  mcf2b-ctl list --active                # all banned IPs on all servers\n"
              "  mcf2b-ctl list -j mc-exim --node mx2\n"
              "  mcf2b-ctl list --active --json | jq -r '.bans[].ip'");
  cmd->callback([o, &session] {
    nlohmann::json args = nlohmann::json::object();
    if (o->active)
      args["active"] = true;
    if (!o->jail.empty()) {
      if (!session.check(check_jail_name(o->jail)))
        return;
      args["jail"] = o->jail;
    }
    if (!o->node.empty())
      args["node"] = o->node;
    auto result = session.call_for_text("list", args);
    if (!result)
      return;
    auto bans = bans_in(*result);
    if (!session.check(bans))
      return;
    session.print(format_ban_table(*bans, o->utc ? Clock::utc : Clock::local));
  });
}

} // namespace mcf2b::control
