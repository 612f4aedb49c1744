// SPDX-License-Identifier: GPL-2.0-only
#include "protocol/model_json.h"

#include "base/json_integer.h"

namespace mcf2b::control {

nlohmann::json to_json(const JailConfig &j) {
  return {{"name", j.name},         {"enabled", j.enabled},     {"maxretry", j.maxretry},
          {"findtime", j.findtime}, {"bantime", j.bantime},     {"port", j.port},
          {"filter", j.filter},     {"banaction", j.banaction}, {"logpath", j.logpath},
          {"max_count", j.max_count}, {"send_mail", j.send_mail},
          {"send_mail_bl", j.send_mail_bl}};
}

nlohmann::json to_json(const BanRecord &b) {
  return {{"ip", b.ip.to_string()},   {"jail", b.jail},
          {"count", b.count},         {"active", b.active},
          {"blacklisted", b.blacklisted}, {"whitelisted", b.whitelisted},
          {"last_hit", b.last_hit},   {"host", b.host},
          {"start", b.ban_start},     {"end", b.ban_end}};
}

Result<JailConfig> jail_from_json(const nlohmann::json &j) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string())
    return Error::msg("jail: an object with a name is required");
  try {
    JailConfig c;
    c.name = j.at("name").get<std::string>();
    c.enabled = j.value("enabled", c.enabled);
    for (auto [key, field] : {std::pair{"maxretry", &c.maxretry}, std::pair{"max_count", &c.max_count}}) {
      auto v = json_integer_or(j, key, *field);
      if (!v)
        return Error::msg("jail: " + v.error().message());
      *field = *v;
    }
    for (auto [key, field] : {std::pair{"findtime", &c.findtime}, std::pair{"bantime", &c.bantime}}) {
      auto v = json_integer_or(j, key, *field);
      if (!v)
        return Error::msg("jail: " + v.error().message());
      *field = *v;
    }
    c.port = j.value("port", c.port);
    c.filter = j.value("filter", c.filter);
    c.banaction = j.value("banaction", c.banaction);
    c.logpath = j.value("logpath", c.logpath);
    c.send_mail = j.value("send_mail", c.send_mail);
    c.send_mail_bl = j.value("send_mail_bl", c.send_mail_bl);
    return c;
  } catch (const nlohmann::json::exception &e) {
    return Error::msg(std::string("jail: ") + e.what());
  }
}

Result<BanRecord> ban_from_json(const nlohmann::json &j) {
  if (!j.is_object() || !j.contains("ip") || !j["ip"].is_string())
    return Error::msg("ban: an object with an ip is required");
  auto ip = IpPrefix::parse(j["ip"].get<std::string>());
  if (!ip)
    return ip.error();
  try {
    BanRecord b;
    b.ip = *ip;
    b.jail = j.value("jail", "");
    auto count = json_integer_or(j, "count", 0);
    if (!count)
      return Error::msg("ban: " + count.error().message());
    b.count = *count;
    b.active = j.value("active", false);
    b.blacklisted = j.value("blacklisted", false);
    b.whitelisted = j.value("whitelisted", false);
    b.host = j.value("host", "");
    for (auto [key, field] : {std::pair{"last_hit", &b.last_hit}, std::pair{"start", &b.ban_start},
                              std::pair{"end", &b.ban_end}}) {
      auto v = json_integer_or(j, key, Seconds{0});
      if (!v)
        return Error::msg("ban: " + v.error().message());
      *field = *v;
    }
    return b;
  } catch (const nlohmann::json::exception &e) {
    return Error::msg(std::string("ban: ") + e.what());
  }
}

} // namespace mcf2b::control
