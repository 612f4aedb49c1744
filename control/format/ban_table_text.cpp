// SPDX-License-Identifier: GPL-2.0-only
#include "control/format/ban_table_text.h"

#include "control/format/text_table.h"

namespace mcf2b::control {

std::string ban_flags(const BanRecord &ban) {
  std::string out;
  for (auto [set, name] :
       {std::pair{ban.active, "active"}, std::pair{ban.blacklisted, "blacklisted"},
        std::pair{ban.whitelisted, "whitelisted"}}) {
    if (!set)
      continue;
    if (!out.empty())
      out += ',';
    out += name;
  }
  return out.empty() ? "-" : out;
}

std::string format_ban_table(const std::vector<BanRecord> &bans, Clock clock) {
  if (bans.empty())
    return "No bans.\n";
  using A = TextTable::Align;
  TextTable table({{"IP"}, {"JAIL"}, {"NODE"}, {"COUNT", A::right}, {"FLAGS"}, {"START"}, {"END"}});
  for (const auto &b : bans) {
    std::string start = b.ban_start > 0 ? format_timestamp(b.ban_start, clock) : "-";
    std::string end = b.ban_end > 0 ? format_timestamp(b.ban_end, clock)
                      : b.active    ? "permanent"
                                    : "-";
    table.add_row({b.ip.to_string(), b.jail, b.host.empty() ? "-" : b.host, std::to_string(b.count),
                   ban_flags(b), start, end});
  }
  return table.render();
}

} // namespace mcf2b::control
