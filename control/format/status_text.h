// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/commands.h"

namespace mcf2b::control {

// fail2ban-client's layouts, byte for byte (tree characters, one TAB after each colon,
// lists joined by ", " for jails and by " " for files and addresses), so the scripts
// admins already run against `fail2ban-client status` keep parsing our output. Each
// result ends with one '\n', as fail2ban-client's print() adds.
//
//   Status                          Status for the jail: NAME
//   |- Number of jail:<TAB>N        |- Filter
//   `- Jail list:<TAB>a, b          |  |- Currently failed:<TAB>N
//                                   |  |- Total failed:<TAB>N
//                                   |  `- File list:<TAB>/var/log/auth.log
//                                   `- Actions
//                                      |- Currently banned:<TAB>N
//                                      |- Total banned:<TAB>N
//                                      `- Banned IP list:<TAB>192.0.2.1 192.0.2.7
std::string format_status_summary(const std::vector<std::string> &jail_names);
std::string format_jail_status(const JailStatus &status);
// `fail2ban-client status --all` (fail2ban 1.1): the summary, then every jail's tree
// nested under "`- Status for the jails:"; with no jail, just the summary.
std::string format_status_all(const std::vector<JailStatus> &statuses);

} // namespace mcf2b::control
