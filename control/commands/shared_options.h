// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

#include "base/ip_address.h"
#include "control/ctl_session.h"
#include "protocol/commands.h"

namespace mcf2b::control {

// The options several commands share, worded once, and the checks their values pass
// before the daemon (or the store) is asked.

// -j/--jail: the jail, or every tier of the family, that the command changes (required).
CLI::Option *add_jail_option(CLI::App &cmd, std::string &jail);
// -j/--jail: narrows a listing to a jail or a family (optional).
CLI::Option *add_jail_filter_option(CLI::App &cmd, std::string &jail);
// -i/--ip: an address or a CIDR prefix (required).
CLI::Option *add_ip_option(CLI::App &cmd, std::string &ip);

// A command's checked jail and address. nullopt when a check failed (the session has
// reported it).
std::optional<JailAndIp> checked_jail_and_address(CtlSession &session, const std::string &jail,
                                                  const std::string &ip);

// A subcommand of `group` that takes -j JAIL and -i IP and nothing else (blacklist add and
// remove, whitelist add and remove): `run` gets them checked. Returns the subcommand, for
// a caller that adds a flag of its own.
CLI::App *add_jail_address_command(CLI::App &group, CtlSession &session, const std::string &name,
                                   const std::string &description, const std::string &footer,
                                   std::function<void(const JailAndIp &)> run);

// --yes on `cmd`: confirms a range wider than /24 (IPv4) or /48 (IPv6).
void add_confirm_wide_flag(CLI::App &cmd, bool &yes);
// The hint a refusal of a wide range carries, unless the range is a host or confirmed.
std::string confirm_wide_hint(const IpPrefix &ip, bool yes);

// A listing's optional jail filter once its name passes the check; false when it did
// not (reported).
bool checked_jail_filter(CtlSession &session, const std::string &jail,
                         std::optional<std::string> &filter);

// Prints bans as the ban table (list, blacklist list).
void print_bans(CtlSession &session, const BansResult &result, bool utc);

} // namespace mcf2b::control
