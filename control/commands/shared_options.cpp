// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/shared_options.h"

#include "control/arguments.h"
#include "control/format/ban_table_text.h"

namespace mcf2b::control {

CLI::Option *add_jail_option(CLI::App &cmd, std::string &jail) {
  return cmd.add_option("-j,--jail", jail, "a jail (mc-exim-1d) or a family (mc-exim)")->required();
}

CLI::Option *add_jail_filter_option(CLI::App &cmd, std::string &jail) {
  return cmd.add_option("-j,--jail", jail, "only this jail or family");
}

CLI::Option *add_ip_option(CLI::App &cmd, std::string &ip) {
  return cmd.add_option("-i,--ip", ip, "an address or a CIDR prefix")->required();
}

std::optional<JailAndIp> checked_jail_and_address(CtlSession &session, const std::string &jail,
                                                  const std::string &ip) {
  if (!session.check(check_jail_name(jail)))
    return std::nullopt;
  auto prefix = parse_ip_argument(ip);
  if (!session.check(prefix))
    return std::nullopt;
  return JailAndIp{jail, *prefix};
}

CLI::App *add_jail_address_command(CLI::App &group, CtlSession &session, const std::string &name,
                                   const std::string &description, const std::string &footer,
                                   std::function<void(const JailAndIp &)> run) {
  struct Options {
    std::string jail, ip;
  };
  auto o = std::make_shared<Options>();
  CLI::App *cmd = group.add_subcommand(name, description);
  add_jail_option(*cmd, o->jail);
  add_ip_option(*cmd, o->ip);
  session.add_json_flag(*cmd);
  cmd->footer(footer);
  cmd->callback([o, run = std::move(run), &session] {
    if (auto target = checked_jail_and_address(session, o->jail, o->ip))
      run(*target);
  });
  return cmd;
}

void add_confirm_wide_flag(CLI::App &cmd, bool &yes) {
  cmd.add_flag("--yes", yes, "confirm a range wider than /24 (IPv4) or /48 (IPv6)");
}

std::string confirm_wide_hint(const IpPrefix &ip, bool yes) {
  return ip.is_host() || yes ? "" : "use --yes to confirm";
}

bool checked_jail_filter(CtlSession &session, const std::string &jail,
                         std::optional<std::string> &filter) {
  if (jail.empty())
    return true;
  if (!session.check(check_jail_name(jail)))
    return false;
  filter = jail;
  return true;
}

void print_bans(CtlSession &session, const BansResult &result, bool utc) {
  session.print(format_ban_table(result.bans, utc ? Clock::utc : Clock::local));
}

} // namespace mcf2b::control
