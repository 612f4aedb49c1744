// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/whitelist.h"

#include "control/commands/shared_options.h"
#include "control/format/whitelist_text.h"

namespace mcf2b::control {
namespace {

void register_add_remove(CLI::App &group, CtlSession &session, bool add) {
  const std::string name = add ? "add" : "remove";
  auto yes = std::make_shared<bool>(false);
  CLI::App *cmd = add_jail_address_command(
      group, session, name,
      add ? "Never ban an address or range in a jail (lifts its current bans)"
          : "Remove an address or range from a jail's whitelist",
      "Examples:\n  mcf2b-ctl whitelist " + name +
          " -j mc-exim -i 192.0.2.25\n  mcf2b-ctl whitelist " + name +
          " -j mc-ssh-1d -i 198.51.100.0/24",
      [add, yes, &session](const JailAndIp &target) {
        auto result = add ? session.call<WhitelistAddCommand>({target.jail, target.ip, *yes},
                                                              confirm_wide_hint(target.ip, *yes))
                          : session.call<WhitelistRemoveCommand>(target);
        if (!result)
          return;
        for (const auto &e : result->whitelist)
          session.confirm(add ? "Whitelisted " + e.ip + " in " + e.jail
                              : "Removed " + e.ip + " from the whitelist of " + e.jail);
        for (const auto &u : result->unbanned)
          session.confirm("Lifted the ban of " + u.ip + " in " + u.jail);
      });
  if (add)
    add_confirm_wide_flag(*cmd, *yes);
}

void register_list(CLI::App &group, CtlSession &session) {
  auto jail = std::make_shared<std::string>();
  CLI::App *cmd = group.add_subcommand("list", "List the whitelist entries");
  add_jail_filter_option(*cmd, *jail);
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n  mcf2b-ctl whitelist list\n  mcf2b-ctl whitelist list -j mc-exim");
  cmd->callback([jail, &session] {
    JailFilter request;
    if (!checked_jail_filter(session, *jail, request.jail))
      return;
    if (auto result = session.call<WhitelistListCommand>(request))
      session.print(format_whitelist_table(result->whitelist));
  });
}

} // namespace

void register_whitelist(CLI::App &app, CtlSession &session) {
  CLI::App *group = app.add_subcommand("whitelist", "Addresses a jail never bans");
  group->require_subcommand(1);
  group->footer("Examples:\n"
                "  mcf2b-ctl whitelist add -j mc-exim -i 192.0.2.25\n"
                "  mcf2b-ctl whitelist list");
  register_add_remove(*group, session, true);
  register_add_remove(*group, session, false);
  register_list(*group, session);
}

} // namespace mcf2b::control
