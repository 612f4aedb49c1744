// SPDX-License-Identifier: GPL-2.0-only
#include "control/format/whitelist_text.h"

#include "control/format/text_table.h"

namespace mcf2b::control {

Result<std::vector<WhitelistRow>> whitelist_rows_from_json(const nlohmann::json &list) {
  if (!list.is_array())
    return Error::msg("whitelist: the answer holds no list");
  std::vector<WhitelistRow> rows;
  for (const auto &item : list) {
    if (!item.is_object() || !item.contains("ip") || !item["ip"].is_string() ||
        !item.contains("jail") || !item["jail"].is_string())
      return Error::msg("whitelist: an entry without ip and jail");
    WhitelistRow row{item["ip"].get<std::string>(), item["jail"].get<std::string>(), {}};
    if (item.contains("host") && item["host"].is_string())
      row.host = item["host"].get<std::string>();
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string format_whitelist_table(const std::vector<WhitelistRow> &rows) {
  if (rows.empty())
    return "No whitelist entries.\n";
  TextTable table({{"IP"}, {"JAIL"}, {"NODE"}});
  for (const auto &r : rows)
    table.add_row({r.ip, r.jail, r.host.empty() ? "-" : r.host});
  return table.render();
}

} // namespace mcf2b::control
