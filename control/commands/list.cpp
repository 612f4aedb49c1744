// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/list.h"

#include "control/commands/shared_options.h"

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
  add_jail_filter_option(*cmd, o->jail);
  cmd->add_option("--node", o->node, "only the rows this cluster node wrote");
  cmd->add_flag("--utc", o->utc, "times in UTC instead of local time");
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n"
              "  mcf2b-ctl list --active                # all banned IPs on all servers\n"
              "  mcf2b-ctl list -j mc-exim --node mx2\n"
              "  mcf2b-ctl list --active --json | jq -r '.bans[].ip'");
  cmd->callback([o, &session] {
    ListCommand::Request request;
    request.active = o->active;
    if (!checked_jail_filter(session, o->jail, request.jail))
      return;
    if (!o->node.empty())
      request.node = o->node;
    if (auto result = session.call<ListCommand>(request))
      print_bans(session, *result, o->utc);
  });
}

} // namespace mcf2b::control
