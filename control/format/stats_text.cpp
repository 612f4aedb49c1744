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

std::string count_text(const std::optional<uint64_t> &count) {
  return count ? std::to_string(*count) : "-";
}

} // namespace

std::string format_stats(const StatsCommand::Result &stats) {
  std::string out;
  if (stats.jails) {
    using A = TextTable::Align;
    TextTable table({{"JAIL"},
                     {"FAILURES", A::right},
                     {"BANS", A::right},
                     {"ACTIVE", A::right},
                     {"DROPPED_PACKETS", A::right},
                     {"DROPPED_BYTES", A::right}});
    for (const auto &row : *stats.jails)
      table.add_row({row.jail, count_text(row.failures), count_text(row.bans),
                     count_text(row.active), count_text(row.dropped_packets),
                     count_text(row.dropped_bytes)});
    out += table.empty() ? "No jails.\n" : table.render();
  }
  if (stats.xdp) {
    const auto &x = *stats.xdp;
    out += std::string(out.empty() ? "" : "\n") + "XDP: passed " + count_text(x.passed) +
           ", dropped " + count_text(x.dropped) + ", unparsable " + count_text(x.unparsable) + "\n";
  }
  // Everything else is a group of counters (the daemon's, the controller's, ...).
  std::vector<std::pair<std::string, std::string>> counters;
  for (const auto &[key, value] : stats.counters.items()) {
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

Result<std::string> format_stats(const nlohmann::json &stats) {
  auto parsed = StatsCommand::Result::from_json(stats);
  if (!parsed)
    return Error(parsed.error());
  return format_stats(*parsed);
}

} // namespace mcf2b::control
