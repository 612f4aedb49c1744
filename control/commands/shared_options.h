// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "base/ip_address.h"
#include "control/ctl_session.h"

namespace mcf2b::control {

// The options several commands share, worded once, and the checks their values pass
// before the daemon (or the store) is asked.

// -j/--jail: the jail, or every tier of the family, that the command changes (required).
CLI::Option *add_jail_option(CLI::App &cmd, std::string &jail);
// -j/--jail: narrows a listing to a jail or a family (optional).
CLI::Option *add_jail_filter_option(CLI::App &cmd, std::string &jail);
// -i/--ip: an address or a CIDR prefix (required).
CLI::Option *add_ip_option(CLI::App &cmd, std::string &ip);

// A command's checked jail and address: the request arguments {"jail", "ip"} and the
// parsed prefix. nullopt when a check failed (the session has reported it).
struct JailAndAddress {
  nlohmann::json args;
  IpPrefix ip;
};
std::optional<JailAndAddress> checked_jail_and_address(CtlSession &session, const std::string &jail,
                                                       const std::string &ip);

// Adds a listing's optional jail filter to `args` once its name passes the check; false
// when it did not (reported).
bool add_jail_filter(CtlSession &session, const std::string &jail, nlohmann::json &args);

// Asks `command` and prints the bans of its answer as the ban table (list, blacklist list).
void print_bans_of(CtlSession &session, const std::string &command, const nlohmann::json &args,
                   bool utc);

} // namespace mcf2b::control
