// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/model/firewall_actions.h"

#include <algorithm>
#include <iterator>

namespace mcf2b {

bool is_firewall_action(std::string_view file) {
  std::string_view name = file.substr(file.find_last_of('/') + 1);
  for (std::string_view ext : {".conf", ".local"})
    if (name.size() > ext.size() && name.ends_with(ext))
      name.remove_suffix(ext.size());
  static constexpr std::string_view kPrefixes[] = {
      "iptables",  "ip6tables",   "nftables",           "ipset",
      "mc-ipset",  "firewallcmd", "shorewall",          "ufw",
      "route",     "pf",          "bsd-ipfw",           "ipfw",
      "npf",       "apf",         "ipfilter",           "osx-ipfw",
      "osx-afctl", "hostsdeny",   "symbiosis-blacklist"};
  return std::any_of(std::begin(kPrefixes), std::end(kPrefixes),
                     [&](std::string_view p) { return name.starts_with(p); });
}

} // namespace mcf2b
