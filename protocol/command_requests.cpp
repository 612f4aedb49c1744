// SPDX-License-Identifier: GPL-2.0-only
// The requests' to_json/from_json (commands.h).
#include <cstdint>

#include "protocol/commands.h"
#include "protocol/json_fields.h"
#include "protocol/model_json.h"

namespace mcf2b::control {

using nlohmann::json;

bool is_read_command(std::string_view command) {
  for (std::string_view read :
       {PingCommand::kName, StatusCommand::kName, ListCommand::kName, StatsCommand::kName,
        JailListCommand::kName, BlacklistListCommand::kName, WhitelistListCommand::kName,
        MailShowCommand::kName})
    if (command == read)
      return true;
  return false;
}

json JailTarget::to_json() const {
  return {{"jail", jail}};
}

Parsed<JailTarget> JailTarget::from_json(const json &args) {
  auto jail = fields::required_text(args, "jail");
  if (!jail)
    return jail.error();
  return JailTarget{*jail};
}

json JailFilter::to_json() const {
  json out = json::object();
  if (jail)
    out["jail"] = *jail;
  return out;
}

Parsed<JailFilter> JailFilter::from_json(const json &args) {
  auto jail = fields::optional_text(args, "jail");
  if (!jail)
    return jail.error();
  return JailFilter{*jail};
}

json JailAndIp::to_json() const {
  return {{"jail", jail}, {"ip", ip.to_string()}};
}

Parsed<JailAndIp> JailAndIp::from_json(const json &args) {
  auto ip = fields::prefix(args);
  if (!ip)
    return ip.error();
  auto jail = fields::required_text(args, "jail");
  if (!jail)
    return jail.error();
  return JailAndIp{*jail, *ip};
}

json StatusCommand::Request::to_json() const {
  json out = json::object();
  if (jail)
    out["jail"] = *jail;
  if (all)
    out["all"] = true;
  return out;
}

Parsed<StatusCommand::Request> StatusCommand::Request::from_json(const json &args) {
  auto jail = fields::optional_text(args, "jail");
  if (!jail)
    return jail.error();
  auto all = fields::flag(args, "all");
  if (!all)
    return all.error();
  return Request{*jail, *all};
}

json BanCommand::Request::to_json() const {
  json out = JailAndIp{jail, ip}.to_json();
  if (yes)
    out["yes"] = true;
  if (bantime)
    out["bantime"] = *bantime;
  return out;
}

Parsed<BanCommand::Request> BanCommand::Request::from_json(const json &args) {
  auto target = BlacklistAddCommand::Request::from_json(args); // jail, ip and yes
  if (!target)
    return target.error();
  Request r{target->jail, target->ip, target->yes, std::nullopt};
  if (auto bt = args.find("bantime"); bt != args.end()) {
    if (!bt->is_number_integer() || bt->get<Seconds>() == 0 || bt->get<Seconds>() < -1)
      return CommandError(ErrorKind::usage, "bantime must be a number of seconds or -1");
    r.bantime = bt->get<Seconds>();
  }
  return r;
}

json UnbanCommand::Request::to_json() const {
  json out = {{"ip", ip.to_string()}};
  if (jail)
    out["jail"] = *jail;
  return out;
}

Parsed<UnbanCommand::Request> UnbanCommand::Request::from_json(const json &args) {
  auto ip = fields::prefix(args);
  if (!ip)
    return ip.error();
  auto jail = fields::optional_text(args, "jail");
  if (!jail)
    return jail.error();
  return Request{*ip, *jail};
}

json JailChangeCommand::Request::to_json() const {
  return {{"jail", jail}, {"option", option}, {"value", value}};
}

Parsed<JailChangeCommand::Request> JailChangeCommand::Request::from_json(const json &args) {
  auto option = fields::required_text(args, "option");
  if (!option)
    return option.error();
  auto jail = fields::required_text(args, "jail");
  if (!jail)
    return jail.error();
  auto v = args.find("value");
  if (v == args.end())
    return CommandError(ErrorKind::usage, "missing argument: value");
  int64_t value = 0;
  if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX)) {
    return CommandError(ErrorKind::invalid, "value " + v->dump() + " is out of range");
  } else if (v->is_number_integer()) {
    value = v->get<int64_t>();
  } else if (v->is_string()) {
    // findtime and bantime accept fail2ban's units (10m, 1h, 1d, 1w, 1mo, 1y, -1).
    auto d = parse_duration(v->get<std::string>());
    if (!d)
      return CommandError(ErrorKind::invalid, "invalid value '" + v->get<std::string>() + "'");
    value = *d;
  } else {
    return CommandError(ErrorKind::usage, "value must be a number or a duration");
  }
  if (*option != "findtime" && *option != "bantime" && *option != "maxretry" &&
      *option != "max_count")
    return CommandError(ErrorKind::usage, "option must be findtime, bantime, maxretry or "
                                          "max_count, not '" +
                                              *option + "'");
  return Request{*jail, *option, value};
}

json JailAddCommand::Request::to_json() const {
  return control::to_json(jail);
}

Parsed<JailAddCommand::Request> JailAddCommand::Request::from_json(const json &args) {
  auto config = jail_from_json(args);
  if (!config)
    return CommandError(ErrorKind::usage, config.error().message());
  return Request{*config};
}

json GeneralEnableBlCommand::Request::to_json() const {
  json out = json::object();
  if (value)
    out["value"] = *value;
  return out;
}

Parsed<GeneralEnableBlCommand::Request>
GeneralEnableBlCommand::Request::from_json(const json &args) {
  auto value = fields::blacklist_threshold(args);
  if (!value)
    return value.error();
  return Request{*value};
}

json BlacklistEnableCommand::Request::to_json() const {
  json out = {{"jail", jail}};
  if (value)
    out["value"] = *value;
  return out;
}

Parsed<BlacklistEnableCommand::Request>
BlacklistEnableCommand::Request::from_json(const json &args) {
  auto jail = fields::required_text(args, "jail");
  if (!jail)
    return jail.error();
  auto value = fields::blacklist_threshold(args);
  if (!value)
    return value.error();
  return Request{*jail, *value};
}

json ConfirmedJailAndIp::to_json() const {
  json out = JailAndIp{jail, ip}.to_json();
  if (yes)
    out["yes"] = true;
  return out;
}

Parsed<ConfirmedJailAndIp> ConfirmedJailAndIp::from_json(const json &args) {
  auto target = JailAndIp::from_json(args);
  if (!target)
    return target.error();
  auto yes = fields::flag(args, "yes");
  if (!yes)
    return yes.error();
  return ConfirmedJailAndIp{target->jail, target->ip, *yes};
}

json ListCommand::Request::to_json() const {
  json out = json::object();
  if (active)
    out["active"] = true;
  if (jail)
    out["jail"] = *jail;
  if (node)
    out["node"] = *node;
  return out;
}

Parsed<ListCommand::Request> ListCommand::Request::from_json(const json &args) {
  auto active = fields::flag(args, "active");
  if (!active)
    return active.error();
  auto jail = fields::optional_text(args, "jail");
  if (!jail)
    return jail.error();
  Request r{*active, *jail, std::nullopt};
  // An empty node is no filter, as before.
  if (auto node = args.find("node"); node != args.end()) {
    if (!node->is_string())
      return CommandError(ErrorKind::usage, "node must be a string");
    if (!node->get<std::string>().empty())
      r.node = node->get<std::string>();
  }
  return r;
}

} // namespace mcf2b::control
