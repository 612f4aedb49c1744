// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace mcf2b {

// One action line of a jail, as fail2ban's extractOptions and ActionReader read it:
// "file[key=value, ...][key=value]" (later groups override), the action's name being the
// file's, suffixed when its name parameter differs from the jail's ("iptables-multiport"
// with name=asterisk-tcp in jail asterisk is "iptables-multiport-tcp").
struct Fail2banAction {
  std::string file;                          // action.d/FILE.conf ("smtp.py" for Python)
  std::string name;                          // fail2ban's actname
  std::map<std::string, std::string> params; // as written, names keep their case
};
Result<Fail2banAction> parse_fail2ban_action(std::string_view line, const std::string &jail);

// fail2ban's splitWithOptions: a jail's action value is lines "name" or "name[params]"
// (params may span lines and hold quoted spaces), separated by white space.
Result<std::vector<std::string>> split_fail2ban_actions(const std::string &text);


// MailCleaner's fail2ban_jail.port column.
inline constexpr size_t kPortColumn = 50;
// Ports as numbers, sorted, runs as ranges ("25,110,143,465,587,993,995,1080:1081"), for
// a list of names too long for the row.
std::string port_numbers(std::vector<uint16_t> ports);

} // namespace mcf2b
