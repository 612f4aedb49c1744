// SPDX-License-Identifier: GPL-2.0-only
#include "control/format/whitelist_text.h"

#include "control/format/text_table.h"

namespace mcf2b::control {

std::string format_whitelist_table(const std::vector<WhitelistRow> &rows) {
  if (rows.empty())
    return "No whitelist entries.\n";
  TextTable table({{"IP"}, {"JAIL"}, {"NODE"}});
  for (const auto &r : rows)
    table.add_row({r.ip, r.jail, r.host.empty() ? "-" : r.host});
  return table.render();
}

} // namespace mcf2b::control
