// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/whitelist.h"

#include "control/commands/shared_options.h"
#include "control/format/whitelist_text.h"
#include "control/result_shapes.h"

namespace mcf2b::control {
namespace {

void register_add_remove(CLI::App &group, CtlSession &session, bool add) {
  struct Options {
    std::string jail, ip;
  };
  auto o = std::make_shared<Options>();
  const char *name = add ? "add" : "remove";
  CLI::App *cmd = group.add_subcommand(
      name, add ? "Never ban an address or range in a jail (lifts its current bans)"
                : "Remove an address or range from a jail's whitelist");
  add_jail_option(*cmd, o->jail);
  add_ip_option(*cmd, o->ip);
  session.add_json_flag(*cmd);
  cmd->footer(std::string("Examples:\n  mcf2b-ctl whitelist ") + name +
              " -j mc-exim -i 192.0.2.25\n  mcf2b-ctl whitelist " + name +
              " -j mc-ssh-1d -i 198.51.100.0/24");
  cmd->callback([o, add, &session] {
    auto target = checked_jail_and_address(session, o->jail, o->ip);
    if (!target)
      return;
    auto result = session.call_for_text(add ? "whitelist.add" : "whitelist.remove", target->args);
    if (!result)
      return;
    auto entries = jail_addresses_in(*result, "whitelist");
    if (!session.check(entries))
      return;
    auto lifted = jail_addresses_in(*result, "unbanned");
    if (!session.check(lifted))
      return;
    for (const auto &e : *entries)
      session.confirm(add ? "Whitelisted " + e.ip + " in " + e.jail
                          : "Removed " + e.ip + " from the whitelist of " + e.jail);
    for (const auto &u : *lifted)
      session.confirm("Lifted the ban of " + u.ip + " in " + u.jail);
  });
}

void register_list(CLI::App &group, CtlSession &session) {
  auto jail = std::make_shared<std::string>();
  CLI::App *cmd = group.add_subcommand("list", "List the whitelist entries");
  add_jail_filter_option(*cmd, *jail);
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n  mcf2b-ctl whitelist list\n  mcf2b-ctl whitelist list -j mc-exim");
  cmd->callback([jail, &session] {
    nlohmann::json args = nlohmann::json::object();
    if (!add_jail_filter(session, *jail, args))
      return;
    auto result = session.call_for_text("whitelist.list", args);
    if (!result)
      return;
    if (!result->is_object() || !result->contains("whitelist"))
      return session.fail("the answer to whitelist list holds no whitelist");
    auto rows = whitelist_rows_from_json((*result)["whitelist"]);
    if (!session.check(rows))
      return;
    session.print(format_whitelist_table(*rows));
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
