// SPDX-License-Identifier: GPL-2.0-only
#include "protocol/json_fields.h"

#include "protocol/result_shapes.h"

namespace mcf2b::control::fields {

using nlohmann::json;

Parsed<std::string> required_text(const json &object, const char *key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get<std::string>().empty())
    return CommandError(ErrorKind::usage, std::string("missing argument: ") + key);
  return it->get<std::string>();
}

Parsed<std::optional<std::string>> optional_text(const json &object, const char *key) {
  if (!object.contains(key))
    return std::optional<std::string>();
  auto text = required_text(object, key);
  if (!text)
    return text.error();
  return std::optional<std::string>(*text);
}

Parsed<bool> flag(const json &object, const char *key) {
  auto it = object.find(key);
  if (it == object.end())
    return false;
  if (!it->is_boolean())
    return CommandError(ErrorKind::usage, std::string(key) + " must be true or false");
  return it->get<bool>();
}

Parsed<IpPrefix> prefix(const json &object, const char *key) {
  auto text = required_text(object, key);
  if (!text)
    return text.error();
  auto p = IpPrefix::parse(*text);
  if (!p)
    return CommandError(ErrorKind::invalid, p.error().message());
  return *p;
}

Parsed<std::optional<int>> blacklist_threshold(const json &object) {
  auto v = object.find("value");
  if (v == object.end())
    return std::optional<int>();
  if (!v->is_number_integer() || v->get<int64_t>() < 1 || v->get<int64_t>() > 1000000)
    return CommandError(ErrorKind::usage, "the number of bans before the blacklist must be >= 1");
  return std::optional<int>(v->get<int>());
}

CommandError malformed(const Error &error) {
  return CommandError(ErrorKind::internal, error.message());
}

json to_json(const std::vector<LiftedBan> &lifted) {
  json out = json::array();
  for (const auto &u : lifted)
    out.push_back({{"jail", u.jail}, {"ip", u.ip}, {"reason", u.reason}});
  return out;
}

Parsed<std::vector<LiftedBan>> lifted_in(const json &result) {
  auto pairs = jail_addresses_in(result, "unbanned");
  if (!pairs)
    return malformed(pairs.error());
  std::vector<LiftedBan> out;
  const json &list =
      result.is_object() && result.contains("unbanned") ? result["unbanned"] : json::array();
  for (size_t i = 0; i < pairs->size(); ++i) {
    const json &item = list.is_array() && i < list.size() ? list[i] : json::object();
    std::string reason = item.contains("reason") && item["reason"].is_string()
                             ? item["reason"].get<std::string>()
                             : std::string();
    out.push_back({(*pairs)[i].jail, (*pairs)[i].ip, std::move(reason)});
  }
  return out;
}

json to_json(const std::vector<WhitelistRow> &rows) {
  json out = json::array();
  for (const auto &r : rows) {
    json entry = {{"jail", r.jail}, {"ip", r.ip}};
    if (!r.host.empty())
      entry["host"] = r.host;
    out.push_back(std::move(entry));
  }
  return out;
}

} // namespace mcf2b::control::fields
