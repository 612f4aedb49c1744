// SPDX-License-Identifier: GPL-2.0-only
// ban.import's request and result (commands.h): bans carried over with their own start,
// end and count, and the ones left out with the reason.
#include "protocol/commands.h"
#include "protocol/json_fields.h"
#include "protocol/model_json.h"
#include "protocol/result_shapes.h"

namespace mcf2b::control {

using nlohmann::json;

namespace {

// An epoch-seconds member, present and >= 0.
Parsed<Seconds> time_field(const json &item, const char *key) {
  auto it = item.find(key);
  if (it == item.end() || !it->is_number_integer() || it->get<Seconds>() < 0)
    return CommandError(ErrorKind::usage,
                        std::string("each imported ban needs ") + key + " (epoch seconds)");
  return it->get<Seconds>();
}

Parsed<ImportedBan> imported_ban(const json &item) {
  if (!item.is_object())
    return CommandError(ErrorKind::usage, "bans holds a non-object");
  auto jail = fields::required_text(item, "jail");
  if (!jail)
    return jail.error();
  auto ip = fields::prefix(item);
  if (!ip)
    return ip.error();
  auto start = time_field(item, "start");
  if (!start)
    return start.error();
  auto end = time_field(item, "end");
  if (!end)
    return end.error();
  auto count = item.find("count");
  if (count == item.end() || !count->is_number_integer() || count->get<int64_t>() < 1 ||
      count->get<int64_t>() > INT32_MAX)
    return CommandError(ErrorKind::usage, "each imported ban needs a count >= 1");
  return ImportedBan{*jail, *ip, *start, *end, count->get<int>()};
}

} // namespace

json BanImportCommand::Request::to_json() const {
  json list = json::array();
  for (const auto &b : bans)
    list.push_back({{"jail", b.jail},
                    {"ip", b.ip.to_string()},
                    {"start", b.start},
                    {"end", b.end},
                    {"count", b.count}});
  return {{"bans", std::move(list)}};
}

Parsed<BanImportCommand::Request> BanImportCommand::Request::from_json(const json &args) {
  auto list = args.find("bans");
  if (list == args.end() || !list->is_array())
    return CommandError(ErrorKind::usage, "missing argument: bans");
  Request r;
  r.bans.reserve(list->size());
  for (const auto &item : *list) {
    auto ban = imported_ban(item);
    if (!ban)
      return ban.error();
    r.bans.push_back(std::move(*ban));
  }
  return r;
}

json BanImportCommand::Result::to_json() const {
  json rows = json::array();
  for (const auto &b : bans)
    rows.push_back(control::to_json(b));
  json left_out = json::array();
  for (const auto &s : skipped)
    left_out.push_back({{"jail", s.jail}, {"ip", s.ip}, {"reason", s.reason}});
  return {{"bans", std::move(rows)}, {"skipped", std::move(left_out)}};
}

Parsed<BanImportCommand::Result> BanImportCommand::Result::from_json(const json &result) {
  auto bans = bans_in(result);
  if (!bans)
    return fields::malformed(bans.error());
  auto pairs = jail_addresses_in(result, "skipped");
  if (!pairs)
    return fields::malformed(pairs.error());
  Result r{std::move(*bans), {}};
  const json &list = result.contains("skipped") ? result["skipped"] : json::array();
  for (size_t i = 0; i < pairs->size(); ++i) {
    const json &item = list[i];
    std::string reason = item.contains("reason") && item["reason"].is_string()
                             ? item["reason"].get<std::string>()
                             : std::string();
    r.skipped.push_back({(*pairs)[i].jail, (*pairs)[i].ip, std::move(reason)});
  }
  return r;
}

} // namespace mcf2b::control
