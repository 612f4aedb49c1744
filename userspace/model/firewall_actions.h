// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string_view>

namespace mcf2b {

// Whether a fail2ban action file (its name, or a path to it) is a firewall action whose
// work mcf2b's own enforcement (XDP and the ipset mirror) does on the jail's ports:
// iptables*, ip6tables*, nftables*, ipset*, firewallcmd*, shorewall*, ufw, route, the BSD
// and macOS packet filters, hostsdeny, and MailCleaner's mc-ipset. The one list the jail
// tree's report and the action runner both read, so what is reported replaced is what
// is not run (unless run_firewall_actions = yes).
bool is_firewall_action(std::string_view file);

} // namespace mcf2b
