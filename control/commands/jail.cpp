// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/jail.h"

#include "control/arguments.h"
#include "control/commands/shared_options.h"
#include "control/format/jail_table_text.h"
#include "control/format/time_text.h"

namespace mcf2b::control {
namespace {

// Confirms one line per jail in the answer: "<verb> jail NAME".
void confirm_jails(CtlSession &session, const JailsResult &result, const std::string &verb) {
  for (const auto &j : result.jails)
    session.confirm(verb + " jail " + j.name);
}

void register_enable_disable(CLI::App &group, CtlSession &session, bool enable) {
  auto jail = std::make_shared<std::string>();
  const char *name = enable ? "enable" : "disable";
  CLI::App *cmd = group.add_subcommand(
      name, enable ? "Enable a jail (or every tier of a family)"
                   : "Disable a jail (or every tier of a family): lifts its bans and resets "
                     "its ban counts");
  add_jail_option(*cmd, *jail);
  session.add_json_flag(*cmd);
  cmd->footer(std::string("Examples:\n  mcf2b-ctl jail ") + name + " -j mc-exim-1d\n" +
              "  mcf2b-ctl jail " + name + " -j mc-exim        # its four tiers");
  cmd->callback([jail, enable, &session] {
    if (!session.check(check_jail_name(*jail)))
      return;
    auto result = enable ? session.call<JailEnableCommand>({*jail})
                         : session.call<JailDisableCommand>({*jail});
    if (!result)
      return;
    confirm_jails(session, *result, enable ? "Enabled" : "Disabled");
  });
}

void register_change(CLI::App &group, CtlSession &session) {
  struct Options {
    std::string jail, option, value;
  };
  auto o = std::make_shared<Options>();
  CLI::App *cmd =
      group.add_subcommand("change", "Change a jail's findtime, bantime, maxretry or max_count");
  cmd->add_option("-j,--jail", o->jail, "one jail (a family's tiers differ on purpose)")
      ->required();
  cmd->add_option("--option", o->option, "findtime, bantime, maxretry or max_count")
      ->required()
      ->check(CLI::IsMember({"findtime", "bantime", "maxretry", "max_count", "max-count"}));
  cmd->add_option("-v,--value", o->value,
                  "times with units (600, 10m, 2h, 1d, 1w; bantime -1 = permanent); "
                  "max_count -1 = blacklisting off")
      ->required();
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n"
              "  mcf2b-ctl jail change -j mc-exim-1d --option bantime -v 2d\n"
              "  mcf2b-ctl jail change -j mc-ssh-1d --option maxretry -v 4\n"
              "  mcf2b-ctl jail change -j mc-ssh-1d --option findtime -v 30m");
  cmd->callback([o, &session] {
    if (!session.check(check_jail_name(o->jail)))
      return;
    std::string option = o->option == "max-count" ? "max_count" : o->option;
    int64_t value = 0;
    if (option == "findtime" || option == "bantime") {
      auto seconds = parse_time_argument(option, o->value, option == "bantime");
      if (!session.check(seconds))
        return;
      value = *seconds;
    } else {
      auto count = parse_count_argument(option, o->value, option == "maxretry" ? 1 : -1);
      if (!session.check(count))
        return;
      value = *count;
    }
    auto result = session.call<JailChangeCommand>({o->jail, option, value});
    if (!result)
      return;
    for (const auto &j : result->jails) {
      std::string shown = option == "findtime"  ? format_duration(j.findtime)
                          : option == "bantime" ? format_duration(j.bantime)
                          : option == "maxretry"
                              ? std::to_string(j.maxretry)
                              : (j.blacklisting() ? std::to_string(j.max_count) : "off");
      session.confirm(j.name + ": " + option + " = " + shown);
    }
  });
}

void register_add(CLI::App &group, CtlSession &session) {
  struct Options {
    std::string name, maxretry, findtime, bantime, port, filter, logpath, banaction = "mc-ipset";
    std::string max_count = "-1";
    bool disabled = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App *cmd = group.add_subcommand(
      "add", "Add a custom jail (instead of MailCleaner's SQL INSERT into fail2ban_jail)");
  cmd->add_option("NAME", o->name, "the jail's name, also its ipset's name")->required();
  cmd->add_option("--maxretry", o->maxretry, "failures within findtime that ban")->required();
  cmd->add_option("--findtime", o->findtime, "the failure window (600, 10m, 1h, 1d)")->required();
  cmd->add_option("--bantime", o->bantime, "the ban length (1h, 1d, 1w; -1 = permanent)")
      ->required();
  cmd->add_option("--port", o->port, "ports to block: a comma list (25,465,587, ssh, 0:65535)")
      ->required();
  cmd->add_option("--filter", o->filter, "the filter's name (filter.d)")->required();
  cmd->add_option("--logpath", o->logpath, "the log file the filter reads")->required();
  cmd->add_option("--max-count", o->max_count,
                  "bans before the permanent blacklist (-1 = off, the default)");
  cmd->add_option("--banaction", o->banaction, "MailCleaner's banaction column")
      ->capture_default_str();
  cmd->add_flag("--disabled", o->disabled, "add it disabled");
  session.add_json_flag(*cmd);
  cmd->footer("Example:\n"
              "  mcf2b-ctl jail add mc-dovecot-1d --maxretry 5 --findtime 1h --bantime 1d \\\n"
              "      --port 143,993 --filter dovecot --logpath /var/log/mail.log");
  cmd->callback([o, &session] {
    JailConfig jail;
    jail.name = o->name;
    if (!session.check(check_jail_name(o->name)))
      return;
    auto maxretry = parse_count_argument("maxretry", o->maxretry, 1);
    if (!session.check(maxretry))
      return;
    auto findtime = parse_time_argument("findtime", o->findtime, false);
    if (!session.check(findtime))
      return;
    auto bantime = parse_time_argument("bantime", o->bantime, true);
    if (!session.check(bantime))
      return;
    if (!session.check(check_port_list(o->port)))
      return;
    auto max_count = parse_count_argument("max-count", o->max_count, -1);
    if (!session.check(max_count))
      return;
    if (o->filter.empty())
      return session.fail("the filter name is empty");
    if (o->logpath.empty())
      return session.fail("the log path is empty");
    jail.enabled = !o->disabled;
    jail.maxretry = *maxretry;
    jail.findtime = *findtime;
    jail.bantime = *bantime;
    jail.port = o->port;
    jail.filter = o->filter;
    jail.logpath = o->logpath;
    jail.banaction = o->banaction;
    jail.max_count = *max_count;
    auto result = session.call<JailAddCommand>({jail});
    if (!result)
      return;
    for (const auto &j : result->jails)
      session.confirm("Added jail " + j.name + (j.enabled ? " (enabled)" : " (disabled)"));
  });
}

void register_remove(CLI::App &group, CtlSession &session) {
  auto jail = std::make_shared<std::string>();
  CLI::App *cmd = group.add_subcommand("remove", "Remove a jail: lifts its bans, drops its row");
  auto *positional = cmd->add_option("NAME", *jail, "the jail to remove");
  cmd->add_option("-j,--jail", *jail, "the jail to remove (as NAME)")->excludes(positional);
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n  mcf2b-ctl jail remove mc-dovecot-1d\n"
              "  mcf2b-ctl jail remove -j mc-dovecot-1d");
  cmd->callback([jail, &session] {
    if (jail->empty())
      return session.fail("jail remove: NAME or -j JAIL is required", kExitUsage);
    if (!session.check(check_jail_name(*jail)))
      return;
    auto result = session.call<JailRemoveCommand>({*jail});
    if (!result)
      return;
    session.confirm("Removed jail " + (result->removed.empty() ? *jail : result->removed));
  });
}

void register_list(CLI::App &group, CtlSession &session) {
  CLI::App *cmd = group.add_subcommand("list", "List the jails and their settings");
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n  mcf2b-ctl jail list\n  mcf2b-ctl jail list --json");
  cmd->callback([&session] {
    auto result = session.call<JailListCommand>({});
    if (!result)
      return;
    session.print(format_jail_table(result->jails));
  });
}

} // namespace

void register_jail(CLI::App &app, CtlSession &session) {
  CLI::App *group = app.add_subcommand("jail", "Enable, disable, change, add, remove, list jails");
  group->require_subcommand(1);
  group->footer("Examples:\n"
                "  mcf2b-ctl jail enable -j mc-exim\n"
                "  mcf2b-ctl jail change -j mc-exim-1d --option bantime -v 2d\n"
                "  mcf2b-ctl jail list");
  register_enable_disable(*group, session, true);
  register_enable_disable(*group, session, false);
  register_change(*group, session);
  register_add(*group, session);
  register_remove(*group, session);
  register_list(*group, session);
}

} // namespace mcf2b::control
