// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <string_view>

#include "base/ip_address.h"
#include "base/result.h"
#include "userspace/model/jail.h"
#include "userspace/model/jail_name.h"

namespace mcf2b::control {

// Client-side checks of command arguments, so that a typo is reported in one line before
// the daemon or the store is contacted. Each error message names the argument.

// An address or CIDR prefix ("203.0.113.5", "198.51.100.0/24", "2001:db8::/48").
Result<IpPrefix> parse_ip_argument(std::string_view text);

// A jail name or family root, by the one rule every layer applies (model/jail_name.h).
using mcf2b::check_jail_name;

// A time value with fail2ban's units ("600", "10m", "1d", "1h30m"); with
// `permanent_allowed`, also "-1" and "permanent" (both -1). Zero is refused.
Result<Seconds> parse_time_argument(std::string_view option, std::string_view text,
                                    bool permanent_allowed);

// A whole number >= `minimum` ("maxretry", "5").
Result<int> parse_count_argument(std::string_view option, std::string_view text, int minimum);

// A port list as fail2ban_jail.port stores it ("25,465,587", "ssh", "0:65535").
Status check_port_list(std::string_view text);

} // namespace mcf2b::control
