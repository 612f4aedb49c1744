// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/blacklist.h"

#include "control/arguments.h"
#include "control/commands/shared_options.h"

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
    BlacklistEnableCommand::Request request{o->jail, std::nullopt};
    if (!o->value.empty()) {
      auto n = parse_count_argument("value", o->value, 1);
      if (!session.check(n))
        return;
      request.value = *n;
    }
    auto result = session.call<BlacklistEnableCommand>(request);
    if (!result)
      return;
    for (const auto &j : result->jails)
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
    auto result = session.call<BlacklistDisableCommand>({*jail});
    if (!result)
      return;
    for (const auto &j : result->jails)
      session.confirm(j.name + ": blacklisting off");
  });
}

void register_add(CLI::App &group, CtlSession &session) {
  auto yes = std::make_shared<bool>(false);
  CLI::App *cmd = add_jail_address_command(
      group, session, "add", "Blacklist an address now: banned for good in the family's -bl jail",
      "Example:\n  mcf2b-ctl blacklist add -j mc-exim -i 203.0.113.5",
      [yes, &session](const JailAndIp &target) {
        auto result = session.call<BlacklistAddCommand>({target.jail, target.ip, *yes},
                                                        confirm_wide_hint(target.ip, *yes));
        if (!result)
          return;
        for (const auto &b : result->bans)
          session.confirm("Blacklisted " + b.ip.to_string() + " in " + b.jail);
      });
  add_confirm_wide_flag(*cmd, *yes);
}

void register_remove(CLI::App &group, CtlSession &session) {
  add_jail_address_command(group, session, "remove", "Lift an address's blacklisting",
                           "Example:\n  mcf2b-ctl blacklist remove -j mc-exim -i 203.0.113.5",
                           [&session](const JailAndIp &target) {
                             auto result = session.call<BlacklistRemoveCommand>(target);
                             if (!result)
                               return;
                             for (const auto &u : result->unbanned)
                               session.confirm("Removed " + u.ip + " from the blacklist of " +
                                               u.jail);
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
    JailFilter request;
    if (!checked_jail_filter(session, o->jail, request.jail))
      return;
    if (auto result = session.call<BlacklistListCommand>(request))
      print_bans(session, *result, o->utc);
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
  register_add(*group, session);
  register_remove(*group, session);
  register_list(*group, session);
}

} // namespace mcf2b::control
