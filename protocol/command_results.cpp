// SPDX-License-Identifier: GPL-2.0-only
// The results' to_json/from_json (commands.h).
#include "protocol/commands.h"
#include "protocol/json_fields.h"
#include "protocol/model_json.h"
#include "protocol/result_shapes.h"

namespace mcf2b::control {

using fields::malformed;
using nlohmann::json;

namespace {

Result<std::vector<std::string>> string_list(const json &j, const char *key) {
  std::vector<std::string> out;
  if (!j.contains(key))
    return out;
  const auto &list = j.at(key);
  if (!list.is_array())
    return Error::msg(std::string("status: ") + key + " is not a list");
  for (const auto &item : list) {
    if (!item.is_string())
      return Error::msg(std::string("status: ") + key + " holds a non-string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

json bans_to_json(const std::vector<BanRecord> &bans) {
  json out = json::array();
  for (const auto &b : bans)
    out.push_back(to_json(b));
  return out;
}

json jails_to_json(const std::vector<JailConfig> &jails) {
  json out = json::array();
  for (const auto &j : jails)
    out.push_back(to_json(j));
  return out;
}

// A counter, when it is there as a number.
Result<std::optional<uint64_t>> counter_in(const json &object, const char *key) {
  if (!object.contains(key) || object[key].is_null())
    return std::optional<uint64_t>();
  if (!object[key].is_number_integer())
    return Error::msg(std::string("stats: ") + key + " is not a count");
  return std::optional<uint64_t>(object[key].get<uint64_t>());
}

void put_counter(json &object, const char *key, const std::optional<uint64_t> &value) {
  if (value)
    object[key] = *value;
}

} // namespace

json to_json(const JailStatus &s) {
  json out = {{"name", s.name},
              {"currently_failed", s.currently_failed},
              {"total_failed", s.total_failed},
              {"file_list", s.file_list},
              {"currently_banned", s.currently_banned},
              {"total_banned", s.total_banned},
              {"banned", s.banned}};
  if (!s.broken.empty())
    out["broken"] = s.broken;
  if (!s.actions.empty()) {
    json actions = json::array();
    for (const auto &a : s.actions) {
      json one = {{"action", a.action}, {"mode", a.mode}};
      if (!a.reason.empty())
        one["reason"] = a.reason;
      actions.push_back(std::move(one));
    }
    out["actions"] = std::move(actions);
  }
  return out;
}

Result<JailStatus> jail_status_from_json(const json &j) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string())
    return Error::msg("status: a jail status without a name");
  JailStatus s;
  s.name = j["name"].get<std::string>();
  for (auto [key, field] : {std::pair{"currently_failed", &s.currently_failed},
                            std::pair{"total_failed", &s.total_failed},
                            std::pair{"currently_banned", &s.currently_banned},
                            std::pair{"total_banned", &s.total_banned}}) {
    if (!j.contains(key))
      continue;
    if (!j[key].is_number_integer())
      return Error::msg(std::string("status: ") + key + " is not an integer");
    *field = j[key].get<int64_t>();
  }
  auto files = string_list(j, "file_list");
  if (!files)
    return files.error();
  auto banned = string_list(j, "banned");
  if (!banned)
    return banned.error();
  s.file_list = std::move(*files);
  s.banned = std::move(*banned);
  if (j.contains("broken") && j["broken"].is_string())
    s.broken = j["broken"].get<std::string>();
  if (j.contains("actions")) {
    if (!j["actions"].is_array())
      return Error::msg("status: actions is not a list");
    for (const auto &a : j["actions"]) {
      if (!a.is_object() || !a.contains("action") || !a["action"].is_string() ||
          !a.contains("mode") || !a["mode"].is_string())
        return Error::msg("status: an action without action and mode");
      JailActionState state{a["action"].get<std::string>(), a["mode"].get<std::string>()};
      if (a.contains("reason") && a["reason"].is_string())
        state.reason = a["reason"].get<std::string>();
      s.actions.push_back(std::move(state));
    }
  }
  return s;
}

Result<std::vector<JailStatus>> jail_statuses_from_json(const json &list) {
  if (!list.is_array())
    return Error::msg("status: the daemon's answer holds no list of jails");
  std::vector<JailStatus> out;
  for (const auto &item : list) {
    auto s = jail_status_from_json(item);
    if (!s)
      return s.error();
    out.push_back(std::move(*s));
  }
  return out;
}

Result<std::vector<WhitelistRow>> whitelist_rows_from_json(const json &list) {
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

json BansResult::to_json() const {
  return {{"bans", bans_to_json(bans)}};
}

Parsed<BansResult> BansResult::from_json(const json &result) {
  auto bans = bans_in(result);
  if (!bans)
    return malformed(bans.error());
  return BansResult{std::move(*bans)};
}

json UnbannedResult::to_json() const {
  return {{"unbanned", fields::to_json(unbanned)}};
}

Parsed<UnbannedResult> UnbannedResult::from_json(const json &result) {
  auto lifted = fields::lifted_in(result);
  if (!lifted)
    return lifted.error();
  return UnbannedResult{std::move(*lifted)};
}

json JailsResult::to_json() const {
  json out = {{"jails", jails_to_json(jails)}};
  if (!unbanned.empty())
    out["unbanned"] = fields::to_json(unbanned);
  return out;
}

Parsed<JailsResult> JailsResult::from_json(const json &result) {
  auto jails = jails_in(result);
  if (!jails)
    return malformed(jails.error());
  auto lifted = fields::lifted_in(result);
  if (!lifted)
    return lifted.error();
  return JailsResult{std::move(*jails), std::move(*lifted)};
}

json to_json(const std::vector<LogProgress> &logs) {
  json out = json::array();
  for (const auto &l : logs)
    out.push_back({{"log", l.log}, {"bytes_read", l.bytes_read}, {"bytes_behind", l.bytes_behind}});
  return out;
}

Result<std::vector<LogProgress>> log_progress_from_json(const json &list) {
  std::vector<LogProgress> out;
  if (list.is_null())
    return out;
  if (!list.is_array())
    return Error::msg("catching_up is not a list");
  for (const auto &item : list) {
    if (!item.is_object() || !item.contains("log") || !item["log"].is_string() ||
        !item.value("bytes_read", json()).is_number_unsigned() ||
        !item.value("bytes_behind", json()).is_number_unsigned())
      return Error::msg("catching_up holds a malformed log: " + item.dump());
    out.push_back({item["log"].get<std::string>(), item["bytes_read"].get<uint64_t>(),
                   item["bytes_behind"].get<uint64_t>()});
  }
  return out;
}

json PingCommand::Result::to_json() const {
  json out = {{"version", version}, {"node", node}};
  if (!catching_up.empty())
    out["catching_up"] = control::to_json(catching_up);
  return out;
}

Parsed<PingCommand::Result> PingCommand::Result::from_json(const json &result) {
  auto logs = log_progress_from_json(result.value("catching_up", json()));
  if (!logs)
    return malformed(logs.error());
  return Result{string_in(result, "version").value_or(""), string_in(result, "node").value_or(""),
                std::move(*logs)};
}

json StatusCommand::Result::to_json() const {
  json list = json::array();
  for (const auto &name : names)
    list.push_back(name);
  for (const auto &s : jails)
    list.push_back(control::to_json(s));
  json out = {{"jails", list}};
  if (!catching_up.empty())
    out["catching_up"] = control::to_json(catching_up);
  return out;
}

Parsed<StatusCommand::Result> StatusCommand::Result::from_json(const json &result) {
  if (!result.is_object() || !result.contains("jails"))
    return CommandError(ErrorKind::internal, "the answer to status holds no jails");
  const json &list = result["jails"];
  Result r;
  auto logs = log_progress_from_json(result.value("catching_up", json()));
  if (!logs)
    return malformed(logs.error());
  r.catching_up = std::move(*logs);
  if (list.is_array() && !list.empty() && list.front().is_string()) {
    auto names = strings_in(result, "jails");
    if (!names)
      return malformed(names.error());
    r.names = std::move(*names);
    return r;
  }
  auto statuses = jail_statuses_from_json(list);
  if (!statuses)
    return malformed(statuses.error());
  r.jails = std::move(*statuses);
  return r;
}

json JailRemoveCommand::Result::to_json() const {
  return {{"removed", removed}, {"unbanned", fields::to_json(unbanned)}};
}

Parsed<JailRemoveCommand::Result> JailRemoveCommand::Result::from_json(const json &result) {
  auto lifted = fields::lifted_in(result);
  if (!lifted)
    return lifted.error();
  return Result{string_in(result, "removed").value_or(""), std::move(*lifted)};
}

json GeneralEnableBlCommand::Result::to_json() const {
  return {{"max_count", max_count}};
}

Parsed<GeneralEnableBlCommand::Result>
GeneralEnableBlCommand::Result::from_json(const json &result) {
  auto n = integer_in(result, "max_count");
  if (!n)
    return CommandError(ErrorKind::internal, "the answer holds no max_count");
  return Result{static_cast<int>(*n)};
}

json WhitelistChangeResult::to_json() const {
  return {{"whitelist", fields::to_json(whitelist)}, {"unbanned", fields::to_json(unbanned)}};
}

Parsed<WhitelistChangeResult> WhitelistChangeResult::from_json(const json &result) {
  auto entries = whitelist_rows_from_json(
      result.is_object() && result.contains("whitelist") ? result["whitelist"] : json::array());
  if (!entries)
    return malformed(entries.error());
  auto lifted = fields::lifted_in(result);
  if (!lifted)
    return lifted.error();
  return WhitelistChangeResult{std::move(*entries), std::move(*lifted)};
}

json WhitelistListCommand::Result::to_json() const {
  return {{"whitelist", fields::to_json(whitelist)}};
}

Parsed<WhitelistListCommand::Result> WhitelistListCommand::Result::from_json(const json &result) {
  if (!result.is_object() || !result.contains("whitelist"))
    return CommandError(ErrorKind::internal, "the answer to whitelist list holds no whitelist");
  auto rows = whitelist_rows_from_json(result["whitelist"]);
  if (!rows)
    return malformed(rows.error());
  return Result{std::move(*rows)};
}

json StatsCommand::Result::to_json() const {
  json out = counters.is_object() ? counters : json::object();
  if (jails) {
    json rows = json::array();
    for (const auto &j : *jails) {
      json row = {{"jail", j.jail}};
      put_counter(row, "failures", j.failures);
      put_counter(row, "bans", j.bans);
      put_counter(row, "active", j.active);
      put_counter(row, "dropped_packets", j.dropped_packets);
      put_counter(row, "dropped_bytes", j.dropped_bytes);
      if (j.broken)
        row["broken"] = *j.broken;
      rows.push_back(std::move(row));
    }
    out["jails"] = std::move(rows);
  }
  if (xdp) {
    json x = json::object();
    put_counter(x, "passed", xdp->passed);
    put_counter(x, "dropped", xdp->dropped);
    put_counter(x, "unparsable", xdp->unparsable);
    put_counter(x, "map_full", xdp->map_full);
    out["xdp"] = std::move(x);
  }
  return out;
}

Parsed<StatsCommand::Result> StatsCommand::Result::from_json(const json &result) {
  if (!result.is_object())
    return CommandError(ErrorKind::internal, "stats: the answer is not an object");
  Result r;
  for (const auto &[key, value] : result.items()) {
    if (key == "jails") {
      if (!value.is_array())
        return CommandError(ErrorKind::internal, "stats: jails is not a list");
      r.jails.emplace();
      for (const auto &row : value) {
        if (!row.is_object() || !row.contains("jail") || !row["jail"].is_string())
          return CommandError(ErrorKind::internal, "stats: a jail row without a jail name");
        JailCounters c{row["jail"].get<std::string>(), {}, {}, {}, {}, {}, {}};
        if (row.contains("broken") && row["broken"].is_string())
          c.broken = row["broken"].get<std::string>();
        for (auto [name, field] :
             {std::pair{"failures", &c.failures}, std::pair{"bans", &c.bans},
              std::pair{"active", &c.active}, std::pair{"dropped_packets", &c.dropped_packets},
              std::pair{"dropped_bytes", &c.dropped_bytes}}) {
          auto n = counter_in(row, name);
          if (!n)
            return malformed(n.error());
          *field = *n;
        }
        r.jails->push_back(std::move(c));
      }
    } else if (key == "xdp") {
      if (!value.is_object())
        continue; // not the verdicts: nothing to show
      XdpVerdicts x;
      for (auto [name, field] :
           {std::pair{"passed", &x.passed}, std::pair{"dropped", &x.dropped},
            std::pair{"unparsable", &x.unparsable}, std::pair{"map_full", &x.map_full}}) {
        auto n = counter_in(value, name);
        if (!n)
          return malformed(n.error());
        *field = *n;
      }
      r.xdp = x;
    } else {
      r.counters[key] = value;
    }
  }
  return r;
}

} // namespace mcf2b::control
