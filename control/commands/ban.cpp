// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/ban.h"

#include "control/arguments.h"
#include "control/commands/shared_options.h"
#include "control/format/time_text.h"

namespace mcf2b::control {

void register_ban(CLI::App &app, CtlSession &session) {
  struct Options {
    std::string jail, ip, bantime;
    bool yes = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App *cmd = app.add_subcommand("ban", "Ban an address or a range in a jail (or a family)");
  add_jail_option(*cmd, o->jail);
  add_ip_option(*cmd, o->ip);
  add_confirm_wide_flag(*cmd, o->yes);
  cmd->add_option("--bantime", o->bantime,
                  "ban length instead of the jail's (600, 10m, 1d, 1w, -1 = permanent)");
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n"
              "  mcf2b-ctl ban -j mc-exim-1d -i 203.0.113.5\n"
              "  mcf2b-ctl ban -j mc-ssh -i 2001:db8::7 --bantime 1w\n"
              "  mcf2b-ctl ban -j mc-exim-1d -i 198.51.100.0/22 --yes");
  cmd->callback([o, &session] {
    auto target = checked_jail_and_address(session, o->jail, o->ip);
    if (!target)
      return;
    BanCommand::Request request{target->jail, target->ip, o->yes, std::nullopt};
    if (!o->bantime.empty()) {
      auto bantime = parse_time_argument("bantime", o->bantime, true);
      if (!session.check(bantime))
        return;
      request.bantime = *bantime;
    }
    auto result = session.call<BanCommand>(request, confirm_wide_hint(target->ip, o->yes));
    if (!result)
      return;
    for (const auto &b : result->bans)
      session.confirm(
          "Banned " + b.ip.to_string() + " in " + b.jail +
          (b.ban_end > 0 ? " until " + format_timestamp(b.ban_end, Clock::local) : " permanently"));
  });
}

void register_unban(CLI::App &app, CtlSession &session) {
  struct Options {
    std::string jail, ip;
    bool f2b_call = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App *cmd = app.add_subcommand(
      "unban", "Lift the bans of an address in a jail, a family, or (without -j) every jail");
  add_ip_option(*cmd, o->ip);
  cmd->add_option("-j,--jail", o->jail,
                  "a jail (mc-exim-1d) or a family (mc-exim); "
                  "without it, every jail");
  cmd->add_flag("--f2b-call", o->f2b_call, "accepted for MailCleaner's scripts; changes nothing");
  session.add_json_flag(*cmd);
  cmd->footer("Examples:\n"
              "  mcf2b-ctl unban -j mc-exim-1d -i 203.0.113.5\n"
              "  mcf2b-ctl unban -j mc-exim -i 203.0.113.5   # every tier of mc-exim\n"
              "  mcf2b-ctl unban -i 203.0.113.5              # every jail");
  cmd->callback([o, &session] {
    if (!o->jail.empty() && !session.check(check_jail_name(o->jail)))
      return;
    auto ip = parse_ip_argument(o->ip);
    if (!session.check(ip))
      return;
    UnbanCommand::Request request{*ip, std::nullopt};
    if (!o->jail.empty())
      request.jail = o->jail;
    auto result = session.call<UnbanCommand>(request);
    if (!result)
      return;
    for (const auto &u : result->unbanned)
      session.confirm("Unbanned " + u.ip + " from " + u.jail);
  });
}

} // namespace mcf2b::control
