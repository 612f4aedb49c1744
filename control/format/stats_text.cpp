// SPDX-License-Identifier: GPL-2.0-only
#include "control/format/stats_text.h"

#include "control/format/text_table.h"

namespace mcf2b::control {
namespace {

std::string scalar_text(const nlohmann::json &v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_null())
    return "-";
  return v.dump();
}

void flatten(const nlohmann::json &object, const std::string &prefix,
             std::vector<std::pair<std::string, std::string>> &out) {
  for (const auto &[key, value] : object.items()) {
    std::string name = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object())
      flatten(value, name, out);
    else
      out.emplace_back(name, scalar_text(value));
  }
}

std::string count_text(const nlohmann::json &row, const char *key) {
  if (!row.contains(key))
    return "-";
  return scalar_text(row[key]);
}

} // namespace

Result<std::string> format_stats(const nlohmann::json &stats) {
  if (!stats.is_object())
    return Error::msg("stats: the answer is not an object");
  std::string out;
  if (stats.contains("jails")) {
    const auto &jails = stats["jails"];
    if (!jails.is_array())
      return Error::msg("stats: jails is not a list");
    using A = TextTable::Align;
    TextTable table({{"JAIL"},
                     {"FAILURES", A::right},
                     {"BANS", A::right},
                     {"ACTIVE", A::right},
                     {"DROPPED_PACKETS", A::right},
                     {"DROPPED_BYTES", A::right}});
    for (const auto &row : jails) {
      if (!row.is_object() || !row.contains("jail") || !row["jail"].is_string())
        return Error::msg("stats: a jail row without a jail name");
      table.add_row({row["jail"].get<std::string>(), count_text(row, "failures"),
                     count_text(row, "bans"), count_text(row, "active"),
                     count_text(row, "dropped_packets"), count_text(row, "dropped_bytes")});
    }
    out += table.empty() ? "No jails.\n" : table.render();
  }
  if (stats.contains("xdp") && stats["xdp"].is_object()) {
    const auto &x = stats["xdp"];
    out += std::string(out.empty() ? "" : "\n") + "XDP: passed " + count_text(x, "passed") +
           ", dropped " + count_text(x, "dropped") + ", unparsable " + count_text(x, "unparsable") +
           "\n";
  }
  // Everything else is a group of counters (the daemon's, the controller's, ...).
  std::vector<std::pair<std::string, std::string>> counters;
  for (const auto &[key, value] : stats.items()) {
    if (key == "jails" || key == "xdp")
      continue;
    if (value.is_object())
      flatten(value, key, counters);
    else
      counters.emplace_back(key, scalar_text(value));
  }
  if (!counters.empty()) {
    TextTable table({{"COUNTER"}, {"VALUE", TextTable::Align::right}});
    for (auto &[name, value] : counters)
      table.add_row({name, value});
    out += (out.empty() ? "" : "\n") + table.render();
  }
  return out;
}

} // namespace mcf2b::control
