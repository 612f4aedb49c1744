// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/blacklist.h"

#include "control/arguments.h"
#include "control/commands/shared_options.h"
#include "control/result_shapes.h"

namespace mcf2b::control {
namespace {

void register_enable(CLI::App &group, CtlSession &session) {
  struct Options {
    std::string jail, value;
  };
  auto o = std::make_shared<Options>();
  CLI::App *cmd = group.add_subcommand(
      "enable", "Blacklist for good an address banned more than N times in this jail");
  add_jail_option(*cmd, o->jail);
  cmd->add_option("-v,--value", o->value, "bans before the blacklist, at least 1 (default 3)");
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n  mcf2b-ctl blacklist enable -j mc-exim\n"
              "  mcf2b-ctl blacklist enable -j mc-ssh-1d -v 5");
  cmd->callback([o, &session] {
    if (!session.check(check_jail_name(o->jail)))
      return;
    nlohmann::json args = {{"jail", o->jail}};
    if (!o->value.empty()) {
      auto n = parse_count_argument("value", o->value, 1);
      if (!session.check(n))
        return;
      args["value"] = *n;
    }
    auto result = session.call_for_text("blacklist.enable", args);
    if (!result)
      return;
    auto jails = jails_in(*result);
    if (!session.check(jails))
      return;
    for (const auto &j : *jails)
      session.confirm(j.name + ": blacklisting after " + std::to_string(j.max_count) + " bans");
  });
}

void register_disable(CLI::App &group, CtlSession &session) {
  auto jail = std::make_shared<std::string>();
  CLI::App *cmd = group.add_subcommand("disable", "Turn blacklisting off in a jail");
  add_jail_option(*cmd, *jail);
  session.add_json_flag(*cmd);
  cmd->footer("Example:\n  mcf2b-ctl blacklist disable -j mc-exim");
  cmd->callback([jail, &session] {
    if (!session.check(check_jail_name(*jail)))
      return;
    auto result = session.call_for_text("blacklist.disable", {{"jail", *jail}});
    if (!result)
      return;
    auto jails = jails_in(*result);
    if (!session.check(jails))
      return;
    for (const auto &j : *jails)
      session.confirm(j.name + ": blacklisting off");
  });
}

void register_add_remove(CLI::App &group, CtlSession &session, bool add) {
  struct Options {
    std::string jail, ip;
  };
  auto o = std::make_shared<Options>();
  const char *name = add ? "add" : "remove";
  CLI::App *cmd = group.add_subcommand(
      name, add ? "Blacklist an address now: banned for good in the family's -bl jail"
                : "Lift an address's blacklisting");
  add_jail_option(*cmd, o->jail);
  add_ip_option(*cmd, o->ip);
  session.add_json_flag(*cmd);
  cmd->footer(std::string("Example:\n  mcf2b-ctl blacklist ") + name +
              " -j mc-exim -i 203.0.113.5");
  cmd->callback([o, add, &session] {
    auto target = checked_jail_and_address(session, o->jail, o->ip);
    if (!target)
      return;
    auto result = session.call_for_text(add ? "blacklist.add" : "blacklist.remove", target->args);
    if (!result)
      return;
    if (add) {
      auto bans = bans_in(*result);
      if (!session.check(bans))
        return;
      for (const auto &b : *bans)
        session.confirm("Blacklisted " + b.ip.to_string() + " in " + b.jail);
    } else {
      auto lifted = jail_addresses_in(*result, "unbanned");
      if (!session.check(lifted))
        return;
      for (const auto &u : *lifted)
        session.confirm("Removed " + u.ip + " from the blacklist of " + u.jail);
    }
  });
}

void register_list(CLI::App &group, CtlSession &session) {
  struct Options {
    std::string jail;
    bool utc = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App *cmd = group.add_subcommand("list", "List the blacklisted addresses");
  add_jail_filter_option(*cmd, o->jail);
  cmd->add_flag("--utc", o->utc, "times in UTC instead of local time");
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n  mcf2b-ctl blacklist list\n  mcf2b-ctl blacklist list -j mc-exim");
  cmd->callback([o, &session] {
    nlohmann::json args = nlohmann::json::object();
    if (add_jail_filter(session, o->jail, args))
      print_bans_of(session, "blacklist.list", args, o->utc);
  });
}

} // namespace

void register_blacklist(CLI::App &app, CtlSession &session) {
  CLI::App *group = app.add_subcommand("blacklist", "The permanent blacklist (-bl jails)");
  group->require_subcommand(1);
  group->footer("Examples:\n"
                "  mcf2b-ctl blacklist add -j mc-exim -i 203.0.113.5\n"
                "  mcf2b-ctl blacklist remove -j mc-exim -i 203.0.113.5\n"
                "  mcf2b-ctl blacklist disable -j mc-ssh");
  register_enable(*group, session);
  register_disable(*group, session);
  register_add_remove(*group, session, true);
  register_add_remove(*group, session, false);
  register_list(*group, session);
}

} // namespace mcf2b::control
