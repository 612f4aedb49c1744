// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/shared_options.h"

#include "control/arguments.h"
#include "control/format/ban_table_text.h"
#include "control/result_shapes.h"

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

std::optional<JailAndAddress> checked_jail_and_address(CtlSession &session, const std::string &jail,
                                                       const std::string &ip) {
  if (!session.check(check_jail_name(jail)))
    return std::nullopt;
  auto prefix = parse_ip_argument(ip);
  if (!session.check(prefix))
    return std::nullopt;
  return JailAndAddress{{{"jail", jail}, {"ip", prefix->to_string()}}, *prefix};
}

bool add_jail_filter(CtlSession &session, const std::string &jail, nlohmann::json &args) {
  if (jail.empty())
    return true;
  if (!session.check(check_jail_name(jail)))
    return false;
  args["jail"] = jail;
  return true;
}

void print_bans_of(CtlSession &session, const std::string &command, const nlohmann::json &args,
                   bool utc) {
  auto result = session.call_for_text(command, args);
  if (!result)
    return;
  auto bans = bans_in(*result);
  if (!session.check(bans))
    return;
  session.print(format_ban_table(*bans, utc ? Clock::utc : Clock::local));
}

} // namespace mcf2b::control
