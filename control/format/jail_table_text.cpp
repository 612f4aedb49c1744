// SPDX-License-Identifier: GPL-2.0-only
#include "control/format/jail_table_text.h"

#include "control/format/text_table.h"
#include "control/format/time_text.h"

namespace mcf2b::control {

std::string format_jail_table(const std::vector<JailConfig> &jails) {
  if (jails.empty())
    return "No jails.\n";
  using A = TextTable::Align;
  TextTable table({{"NAME"},
                   {"ENABLED"},
                   {"MAXRETRY", A::right},
                   {"FINDTIME", A::right},
                   {"BANTIME", A::right},
                   {"MAX_COUNT", A::right},
                   {"PORT"},
                   {"FILTER"},
                   {"LOGPATH"}});
  for (const auto &j : jails)
    table.add_row({j.name, j.enabled ? "yes" : "no", std::to_string(j.maxretry),
                   format_duration(j.findtime), format_duration(j.bantime),
                   j.blacklisting() ? std::to_string(j.max_count) : "off",
                   j.port.empty() ? "all" : j.port, j.filter.empty() ? "-" : j.filter,
                   j.logpath.empty() ? "-" : j.logpath});
  return table.render();
}

} // namespace mcf2b::control
