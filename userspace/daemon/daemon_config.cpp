// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/daemon_config.h"

#include <charconv>
#include <functional>
#include <map>

#include "base/word_list.h"
#include "matcher/ini_file.h"

namespace mcf2b {
namespace {

template <class Int> bool parse_int(const std::string &text, Int &out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

bool parse_bool(const std::string &text, bool &out) {
  if (text == "true" || text == "yes" || text == "1" || text == "on")
    out = true;
  else if (text == "false" || text == "no" || text == "0" || text == "off")
    out = false;
  else
    return false;
  return true;
}

} // namespace

Status parse_metrics_endpoint(const std::string &text, DaemonConfig &config) {
  std::string address = "127.0.0.1", port = text;
  if (size_t colon = text.rfind(':'); colon != std::string::npos) {
    address = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
      address = address.substr(1, address.size() - 2);
  }
  uint16_t p = 0;
  if (!parse_int(port, p) || p == 0)
    return Error::msg("invalid metrics port in '" + text + "'");
  auto ip = IpAddress::parse(address);
  if (!ip || !ip->is_loopback())
    return Error::msg("metrics are served on a loopback address only, not '" + address + "'");
  config.metrics_address = address;
  config.metrics_port = p;
  return {};
}

Status read_daemon_config(const std::string &path, DaemonConfig &config) {
  auto ini = matcher::IniFile::read(path);
  if (!ini)
    return ini.error();
  for (const auto &[section, keys] : ini->sections) {
    if (section != "mcf2bd") {
      auto where = keys.empty() ? path : keys.begin()->second.where.to_string();
      return Error::msg(where + ": unknown section [" + section + "] (expected [mcf2bd])");
    }
  }
  auto it = ini->sections.find("mcf2bd");
  if (it == ini->sections.end())
    return {};

  using Setter = std::function<bool(const std::string &, std::string &)>;
  auto text = [](std::string &field) {
    return Setter([&field](const std::string &v, std::string &) {
      field = v;
      return true;
    });
  };
  const std::map<std::string, Setter> setters = {
      {"state", text(config.state_url)},
      {"journal", text(config.journal_path)},
      {"replica", text(config.replica_url)},
      {"pin_root", text(config.pin_root)},
      {"socket", text(config.socket_path)},
      {"jail_dir", text(config.jail_dir)},
      {"cache_dir", text(config.cache_dir)},
      {"node", text(config.node)},
      {"log_timezone", text(config.log_timezone)},
      {"interface",
       [&](const std::string &v, std::string &) {
         config.interfaces = split_word_list(v);
         return true;
       }},
      {"filter_dir",
       [&](const std::string &v, std::string &) {
         config.filter_dirs = split_word_list(v);
         return !config.filter_dirs.empty();
       }},
      {"log_level",
       [&](const std::string &v, std::string &why) {
         why = "expected error, warning, info or debug";
         return parse_log_level(v, &config.log_level);
       }},
      {"metrics",
       [&](const std::string &v, std::string &why) {
         if (v.empty() || v == "off") {
           config.metrics_address.reset();
           return true;
         }
         auto st = parse_metrics_endpoint(v, config);
         if (!st)
           why = st.error().message();
         return st.ok();
       }},
      {"max_tracked",
       [&](const std::string &v, std::string &) {
         return parse_int(v, config.max_tracked) && config.max_tracked > 0;
       }},
      {"ban_capacity",
       [&](const std::string &v, std::string &) {
         return parse_int(v, config.ban_capacity) && config.ban_capacity > 0;
       }},
      {"sync_interval",
       [&](const std::string &v, std::string &why) {
         why = "expected milliseconds, e.g. 500";
         return parse_int(v, config.sync_interval_ms) && config.sync_interval_ms > 0;
       }},
      {"ignoreip",
       [&](const std::string &v, std::string &why) {
         config.ignore_list.clear();
         for (const auto &item : split_word_list(v)) {
           auto p = IpPrefix::parse(item);
           if (!p) {
             why = p.error().message();
             return false;
           }
           config.ignore_list.push_back(*p);
         }
         return true;
       }},
      {"cluster_nodes",
       [&](const std::string &v, std::string &why) {
         config.cluster_nodes.clear();
         for (const auto &item : split_word_list(v)) {
           auto a = IpAddress::parse(item);
           if (!a) {
             why = a.error().message();
             return false;
           }
           config.cluster_nodes.push_back(*a);
         }
         return true;
       }},
      {"enable_default_jails",
       [&](const std::string &v, std::string &) { return parse_bool(v, config.enable_default_jails); }},
      {"ipset_mirror",
       [&](const std::string &v, std::string &) { return parse_bool(v, config.ipset_mirror); }},
      {"usedns",
       [&](const std::string &v, std::string &why) {
         why = "expected yes, warn, no or raw";
         auto mode = matcher::parse_use_dns(v);
         if (mode)
           config.use_dns = *mode;
         return mode.has_value();
       }},
  };
  for (const auto &[key, value] : it->second) {
    auto setter = setters.find(key);
    if (setter == setters.end())
      return Error::msg(value.where.to_string() + ": unknown key '" + key + "'");
    std::string why;
    if (!setter->second(value.text, why))
      return Error::msg(value.where.to_string() + ": invalid value '" + value.text + "' for " +
                        key + (why.empty() ? "" : ": " + why));
  }
  return {};
}

} // namespace mcf2b
