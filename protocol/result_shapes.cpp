// SPDX-License-Identifier: GPL-2.0-only
#include "protocol/result_shapes.h"

#include "protocol/model_json.h"

namespace mcf2b::control {
namespace {

// The list under `key`, or an Error when it is there but no list.
Result<const nlohmann::json *> list_in(const nlohmann::json &result, const char *key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  if (!result.is_object() || !result.contains(key) || result[key].is_null())
    return &kEmpty;
  if (!result[key].is_array())
    return Error::msg(std::string("the answer's ") + key + " is not a list");
  return &result[key];
}

} // namespace

Result<std::vector<BanRecord>> bans_in(const nlohmann::json &result, const char *key) {
  auto list = list_in(result, key);
  if (!list)
    return list.error();
  std::vector<BanRecord> out;
  for (const auto &item : **list) {
    auto ban = ban_from_json(item);
    if (!ban)
      return ban.error();
    out.push_back(std::move(*ban));
  }
  return out;
}

Result<std::vector<JailConfig>> jails_in(const nlohmann::json &result, const char *key) {
  auto list = list_in(result, key);
  if (!list)
    return list.error();
  std::vector<JailConfig> out;
  for (const auto &item : **list) {
    auto jail = jail_from_json(item);
    if (!jail)
      return jail.error();
    out.push_back(std::move(*jail));
  }
  return out;
}

Result<std::vector<std::string>> strings_in(const nlohmann::json &result, const char *key) {
  auto list = list_in(result, key);
  if (!list)
    return list.error();
  std::vector<std::string> out;
  for (const auto &item : **list) {
    if (!item.is_string())
      return Error::msg(std::string("the answer's ") + key + " holds a non-string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<int64_t> integer_in(const nlohmann::json &result, const char *key) {
  if (!result.is_object() || !result.contains(key) || !result[key].is_number_integer())
    return std::nullopt;
  return result[key].get<int64_t>();
}

std::optional<std::string> string_in(const nlohmann::json &result, const char *key) {
  if (!result.is_object() || !result.contains(key) || !result[key].is_string())
    return std::nullopt;
  return result[key].get<std::string>();
}

Result<std::vector<JailAddress>> jail_addresses_in(const nlohmann::json &result, const char *key) {
  auto list = list_in(result, key);
  if (!list)
    return list.error();
  std::vector<JailAddress> out;
  for (const auto &item : **list) {
    if (!item.is_object() || !item.contains("jail") || !item["jail"].is_string() ||
        !item.contains("ip") || !item["ip"].is_string())
      return Error::msg(std::string("the answer's ") + key + " holds an entry without jail and ip");
    out.push_back({item["jail"].get<std::string>(), item["ip"].get<std::string>()});
  }
  return out;
}

} // namespace mcf2b::control
