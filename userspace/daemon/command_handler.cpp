// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/command_handler.h"

#include <algorithm>
#include <map>
#include <set>

#include "control/protocol/model_json.h"
#include "userspace/store/settings.h"

namespace mcf2b {

using control::ErrorKind;
using control::Response;
using nlohmann::json;

namespace {

Response fail(ErrorKind kind, std::string message) {
  return Response::failure(kind, std::move(message));
}

// A required string argument, or the usage error to answer.
std::optional<std::string> text_arg(const json &args, const char *key, Response *error) {
  auto it = args.find(key);
  if (it == args.end() || !it->is_string() || it->get<std::string>().empty()) {
    *error = fail(ErrorKind::usage, std::string("missing argument: ") + key);
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<IpPrefix> ip_arg(const json &args, Response *error) {
  auto text = text_arg(args, "ip", error);
  if (!text)
    return std::nullopt;
  auto p = IpPrefix::parse(*text);
  if (!p) {
    *error = fail(ErrorKind::invalid, p.error().message());
    return std::nullopt;
  }
  return *p;
}

json unbanned_json(const Decisions &d) {
  json out = json::array();
  for (const auto &u : d.unbans)
    out.push_back({{"jail", u.jail}, {"ip", u.prefix.to_string()},
                   {"reason", std::string(to_string(u.reason))}});
  return out;
}

json bans_json(const Decisions &d) {
  json out = json::array();
  for (const auto &b : d.bans)
    out.push_back({{"jail", b.jail},
                   {"ip", b.prefix.to_string()},
                   {"start", b.start},
                   {"end", b.end},
                   {"count", b.count},
                   {"blacklisted", b.blacklisted},
                   {"cause", std::string(to_string(b.cause))}});
  return out;
}

bool family_matches(const std::string &jail, const std::set<std::string> &wanted) {
  return wanted.empty() || wanted.count(jail) != 0;
}

} // namespace

CommandHandler::CommandHandler(JailController &controller, StateStore &store, DecisionSink &sink,
                               CommandContext context)
    : controller_(controller), store_(store), sink_(sink), context_(std::move(context)) {}

Response CommandHandler::handle(const control::Request &request) {
  static const std::map<std::string, Handler, std::less<>> kCommands = {
      {"ping", &CommandHandler::ping},
      {"status", &CommandHandler::status},
      {"ban", &CommandHandler::ban},
      {"unban", &CommandHandler::unban},
      {"jail.enable", &CommandHandler::jail_enable},
      {"jail.disable", &CommandHandler::jail_disable},
      {"jail.change", &CommandHandler::jail_change},
      {"jail.add", &CommandHandler::jail_add},
      {"jail.remove", &CommandHandler::jail_remove},
      {"jail.list", &CommandHandler::jail_list},
      {"general.enable", &CommandHandler::general_enable},
      {"general.disable", &CommandHandler::general_disable},
      {"general.enable-bl", &CommandHandler::general_enable_bl},
      {"general.disable-bl", &CommandHandler::general_disable_bl},
      {"blacklist.enable", &CommandHandler::blacklist_enable},
      {"blacklist.disable", &CommandHandler::blacklist_disable},
      {"blacklist.add", &CommandHandler::blacklist_add},
      {"blacklist.remove", &CommandHandler::blacklist_remove},
      {"blacklist.list", &CommandHandler::blacklist_list},
      {"whitelist.add", &CommandHandler::whitelist_add},
      {"whitelist.remove", &CommandHandler::whitelist_remove},
      {"whitelist.list", &CommandHandler::whitelist_list},
      {"list", &CommandHandler::list},
      {"stats", &CommandHandler::stats},
  };
  auto it = kCommands.find(request.command);
  if (it == kCommands.end())
    return fail(ErrorKind::usage, "unknown command '" + request.command + "'");
  return (this->*(it->second))(request.args);
}

std::optional<Response> CommandHandler::commit(const Decisions &d) {
  if (d.empty())
    return std::nullopt;
  if (auto st = sink_.apply(d); !st)
    return fail(ErrorKind::unavailable, "the change could not be stored: " + st.error().message());
  if (!d.jails.empty())
    sink_.jails_changed();
  return std::nullopt;
}

Result<std::vector<std::string>> CommandHandler::resolve(const json &args) const {
  auto it = args.find("jail");
  if (it == args.end() || !it->is_string() || it->get<std::string>().empty())
    return Error::msg("missing argument: jail");
  return controller_.resolve(it->get<std::string>());
}

// Resolving a jail name: a missing argument is a usage error, an unknown name not_found.
#define MCF2B_RESOLVE(var, args)                                                               \
  auto var = resolve(args);                                                                    \
  if (!var)                                                                                    \
    return fail(args.contains("jail") ? ErrorKind::not_found : ErrorKind::usage,               \
                var.error().message());

Response CommandHandler::ping(const json &) {
  return Response::success({{"version", context_.version}, {"node", context_.node}});
}

json CommandHandler::jail_status(const std::string &jail) const {
  const JailConfig *config = controller_.jail(jail);
  json banned = json::array();
  auto active = controller_.active_bans(jail);
  for (const auto &r : active)
    banned.push_back(r.ip.to_string());
  auto js = controller_.jail_stats(jail);
  size_t currently_failed = 0;
  if (auto family = controller_.family(jail_family(jail)); family)
    currently_failed = controller_.windows().tracked(*family);
  return {{"name", jail},
          {"currently_failed", currently_failed},
          {"total_failed", js ? js->failures : 0},
          {"file_list", config && !config->logpath.empty() ? json::array({config->logpath})
                                                          : json::array()},
          {"currently_banned", active.size()},
          {"total_banned", js ? js->bans : 0},
          {"banned", banned}};
}

Response CommandHandler::status(const json &args) {
  json jails = json::array();
  if (args.value("all", false)) {
    for (const auto &j : controller_.jails())
      if (j.enabled)
        jails.push_back(jail_status(j.name));
    return Response::success({{"jails", jails}});
  }
  if (!args.contains("jail")) {
    for (const auto &j : controller_.jails())
      if (j.enabled)
        jails.push_back(j.name);
    return Response::success({{"jails", jails}});
  }
  MCF2B_RESOLVE(names, args);
  for (const auto &name : *names)
    jails.push_back(jail_status(name));
  return Response::success({{"jails", jails}});
}

Response CommandHandler::ban(const json &args) {
  Response error;
  auto ip = ip_arg(args, &error);
  if (!ip)
    return error;
  MCF2B_RESOLVE(names, args);
  BanRequest request;
  request.confirm_wide = args.value("yes", false);
  if (auto bt = args.find("bantime"); bt != args.end()) {
    if (!bt->is_number_integer() || bt->get<Seconds>() == 0 || bt->get<Seconds>() < -1)
      return fail(ErrorKind::usage, "bantime must be a number of seconds or -1");
    request.bantime = bt->get<Seconds>();
  }
  bool all_banned = std::all_of(names->begin(), names->end(), [&](const std::string &n) {
    return controller_.is_banned(n, *ip);
  });
  if (all_banned)
    return fail(ErrorKind::already, ip->to_string() + " is already banned in " +
                                        args["jail"].get<std::string>());
  auto d = controller_.ban(args["jail"].get<std::string>(), *ip, request);
  if (!d)
    return fail(ErrorKind::refused, d.error().message());
  if (auto failed = commit(*d))
    return *failed;
  return Response::success({{"bans", bans_json(*d)}});
}

Response CommandHandler::unban(const json &args) {
  Response error;
  auto ip = ip_arg(args, &error);
  if (!ip)
    return error;
  Decisions all;
  if (args.contains("jail")) {
    MCF2B_RESOLVE(names, args);
    bool any = std::any_of(names->begin(), names->end(), [&](const std::string &n) {
      return controller_.is_banned(n, *ip);
    });
    if (!any)
      return fail(ErrorKind::not_found, ip->to_string() + " is not banned in " +
                                            args["jail"].get<std::string>());
    auto d = controller_.unban(args["jail"].get<std::string>(), *ip);
    if (!d)
      return fail(ErrorKind::not_found, d.error().message());
    all = std::move(*d);
  } else {
    for (const auto &j : controller_.jails()) {
      if (!controller_.is_banned(j.name, *ip))
        continue;
      auto d = controller_.unban(j.name, *ip);
      if (d)
        all.append(std::move(*d));
    }
    if (all.unbans.empty())
      return fail(ErrorKind::not_found, ip->to_string() + " is not banned in any jail");
  }
  if (auto failed = commit(all))
    return *failed;
  return Response::success({{"unbanned", unbanned_json(all)}});
}

Response CommandHandler::changed_jails(const Decisions &d) {
  if (auto failed = commit(d))
    return *failed;
  json jails = json::array();
  for (const auto &j : d.jails)
    jails.push_back(control::to_json(j));
  json result = {{"jails", jails}};
  if (!d.unbans.empty())
    result["unbanned"] = unbanned_json(d);
  return Response::success(result);
}

Response CommandHandler::jail_enable(const json &args) {
  MCF2B_RESOLVE(names, args);
  bool all_on = std::all_of(names->begin(), names->end(), [&](const std::string &n) {
    const JailConfig *j = controller_.jail(n);
    return j && j->enabled;
  });
  if (all_on)
    return fail(ErrorKind::already, args["jail"].get<std::string>() + " is already enabled");
  auto d = controller_.enable_jail(args["jail"].get<std::string>());
  if (!d)
    return fail(ErrorKind::invalid, d.error().message());
  return changed_jails(*d);
}

Response CommandHandler::jail_disable(const json &args) {
  MCF2B_RESOLVE(names, args);
  bool all_off = std::all_of(names->begin(), names->end(), [&](const std::string &n) {
    const JailConfig *j = controller_.jail(n);
    return j && !j->enabled;
  });
  if (all_off)
    return fail(ErrorKind::already, args["jail"].get<std::string>() + " is already disabled");
  auto d = controller_.disable_jail(args["jail"].get<std::string>());
  if (!d)
    return fail(ErrorKind::invalid, d.error().message());
  return changed_jails(*d);
}

Response CommandHandler::jail_change(const json &args) {
  Response error;
  auto option = text_arg(args, "option", &error);
  if (!option)
    return error;
  MCF2B_RESOLVE(names, args);
  auto v = args.find("value");
  if (v == args.end())
    return fail(ErrorKind::usage, "missing argument: value");
  int64_t value = 0;
  if (v->is_number_integer()) {
    value = v->get<int64_t>();
  } else if (v->is_string()) {
    // findtime and bantime accept fail2ban's units (10m, 1h, 1d, 1w, 1mo, 1y, -1).
    auto d = parse_duration(v->get<std::string>());
    if (!d)
      return fail(ErrorKind::invalid, "invalid value '" + v->get<std::string>() + "'");
    value = *d;
  } else {
    return fail(ErrorKind::usage, "value must be a number or a duration");
  }
  if (*option != "findtime" && *option != "bantime" && *option != "maxretry" &&
      *option != "max_count")
    return fail(ErrorKind::usage,
                "option must be findtime, bantime, maxretry or max_count, not '" + *option + "'");
  auto d = controller_.change_jail(args["jail"].get<std::string>(), *option, value);
  if (!d)
    return fail(ErrorKind::invalid, d.error().message());
  return changed_jails(*d);
}

Response CommandHandler::jail_add(const json &args) {
  auto config = control::jail_from_json(args);
  if (!config)
    return fail(ErrorKind::usage, config.error().message());
  if (controller_.jail(config->name))
    return fail(ErrorKind::already, "jail " + config->name + " already exists");
  if (config->filter.empty() || config->logpath.empty())
    return fail(ErrorKind::usage, "a new jail needs a filter and a logpath");
  if (config->name.size() > 28)
    return fail(ErrorKind::invalid, "jail names are at most 28 characters");
  auto d = controller_.update_jail(*config);
  if (!d)
    return fail(ErrorKind::invalid, d.error().message());
  Decisions all = std::move(*d);
  // update_jail reports what it stored only for jails it derived (a -bl twin); the new
  // jail itself is a row to store too.
  if (std::none_of(all.jails.begin(), all.jails.end(),
                   [&](const JailConfig &j) { return j.name == config->name; }))
    if (const JailConfig *taken = controller_.jail(config->name))
      all.jails.push_back(*taken);
  return changed_jails(all);
}

Response CommandHandler::jail_remove(const json &args) {
  Response error;
  auto name = text_arg(args, "jail", &error);
  if (!name)
    return error;
  const JailConfig *j = controller_.jail(*name);
  // A removed jail stays known to the running controller (its id stays valid) but is
  // gone from the store: removing it again finds nothing.
  if (auto stored = store_.get_jail(*name); j && stored && !stored->has_value())
    j = nullptr;
  if (!j) {
    auto r = controller_.resolve(*name);
    return fail(ErrorKind::not_found,
                r ? *name + " is a family: remove its jails one by one" : r.error().message());
  }
  // The controller keeps ids for its lifetime: the jail is disabled (its bans lifted)
  // here and disappears from the store, so it is gone from the next start on.
  Decisions d;
  if (j->enabled) {
    auto off = controller_.disable_jail(*name);
    if (!off)
      return fail(ErrorKind::invalid, off.error().message());
    d = std::move(*off);
  }
  if (auto failed = commit(d))
    return *failed;
  if (auto st = store_.remove_jail(*name); !st)
    return fail(ErrorKind::unavailable, st.error().message());
  sink_.jails_changed();
  return Response::success({{"removed", *name}, {"unbanned", unbanned_json(d)}});
}

Response CommandHandler::jail_list(const json &) {
  json jails = json::array();
  for (const auto &j : controller_.jails())
    jails.push_back(control::to_json(j));
  return Response::success({{"jails", jails}});
}

Response CommandHandler::general_enable(const json &) {
  return changed_jails(controller_.enable_all());
}

Response CommandHandler::general_disable(const json &) {
  return changed_jails(controller_.disable_all());
}

Response CommandHandler::general_enable_bl(const json &args) {
  int n = 3;
  if (auto v = args.find("value"); v != args.end()) {
    if (!v->is_number_integer() || v->get<int64_t>() < 1 || v->get<int64_t>() > 1000000)
      return fail(ErrorKind::usage, "the number of bans before the blacklist must be >= 1");
    n = v->get<int>();
  }
  auto d = controller_.enable_blacklist(n);
  if (!d)
    return fail(ErrorKind::invalid, d.error().message());
  if (auto failed = commit(*d))
    return *failed;
  std::vector<Mutation> settings = {PutSetting{std::string(settings::kBlacklistEnabled), "1"},
                                    PutSetting{std::string(settings::kBlacklistMaxCount),
                                               std::to_string(n)}};
  if (auto st = store_.apply(settings); !st)
    return fail(ErrorKind::unavailable, st.error().message());
  return Response::success({{"max_count", n}});
}

Response CommandHandler::general_disable_bl(const json &) {
  Decisions d = controller_.disable_blacklist();
  if (auto failed = commit(d))
    return *failed;
  if (auto st = store_.set_setting(settings::kBlacklistEnabled, "0"); !st)
    return fail(ErrorKind::unavailable, st.error().message());
  return Response::success({{"unbanned", unbanned_json(d)}});
}

Response CommandHandler::blacklist_enable(const json &args) {
  MCF2B_RESOLVE(names, args);
  int n = 3;
  if (auto v = args.find("value"); v != args.end()) {
    if (!v->is_number_integer() || v->get<int64_t>() < 1 || v->get<int64_t>() > 1000000)
      return fail(ErrorKind::usage, "the number of bans before the blacklist must be >= 1");
    n = v->get<int>();
  }
  Decisions all;
  for (const auto &name : *names) {
    if (name.ends_with(kBlacklistSuffix))
      continue;
    auto d = controller_.change_jail(name, "max_count", n);
    if (!d)
      return fail(ErrorKind::invalid, d.error().message());
    all.append(std::move(*d));
  }
  return changed_jails(all);
}

Response CommandHandler::blacklist_disable(const json &args) {
  MCF2B_RESOLVE(names, args);
  auto d = controller_.disable_blacklist(args["jail"].get<std::string>());
  if (!d)
    return fail(ErrorKind::invalid, d.error().message());
  return changed_jails(*d);
}

Response CommandHandler::blacklist_add(const json &args) {
  Response error;
  auto ip = ip_arg(args, &error);
  if (!ip)
    return error;
  MCF2B_RESOLVE(names, args);
  std::string bl = std::string(jail_family(args["jail"].get<std::string>())) +
                   std::string(kBlacklistSuffix);
  if (controller_.is_banned(bl, *ip))
    return fail(ErrorKind::already, ip->to_string() + " is already blacklisted in " + bl);
  BanRequest request;
  request.confirm_wide = args.value("yes", false);
  auto d = controller_.blacklist_add(args["jail"].get<std::string>(), *ip, request);
  if (!d)
    return fail(ErrorKind::refused, d.error().message());
  if (auto failed = commit(*d))
    return *failed;
  return Response::success({{"bans", bans_json(*d)}});
}

Response CommandHandler::blacklist_remove(const json &args) {
  Response error;
  auto ip = ip_arg(args, &error);
  if (!ip)
    return error;
  MCF2B_RESOLVE(names, args);
  auto d = controller_.blacklist_remove(args["jail"].get<std::string>(), *ip);
  if (!d)
    return fail(ErrorKind::not_found, d.error().message());
  if (auto failed = commit(*d))
    return *failed;
  return Response::success({{"unbanned", unbanned_json(*d)}});
}

Response CommandHandler::blacklist_list(const json &args) {
  std::set<std::string> wanted;
  if (args.contains("jail")) {
    MCF2B_RESOLVE(names, args);
    wanted.insert(names->begin(), names->end());
    // Blacklisted rows live in the family's -bl jail.
    wanted.insert(std::string(jail_family(args["jail"].get<std::string>())) +
                  std::string(kBlacklistSuffix));
  }
  json bans = json::array();
  for (const auto &r : controller_.records())
    if (r.blacklisted && family_matches(r.jail, wanted))
      bans.push_back(control::to_json(r));
  return Response::success({{"bans", bans}});
}

Response CommandHandler::whitelist_add(const json &args) {
  Response error;
  auto ip = ip_arg(args, &error);
  if (!ip)
    return error;
  MCF2B_RESOLVE(names, args);
  bool all_there = std::all_of(names->begin(), names->end(), [&](const std::string &n) {
    auto wl = controller_.whitelist(n);
    return std::find(wl.begin(), wl.end(), *ip) != wl.end();
  });
  if (all_there)
    return fail(ErrorKind::already, ip->to_string() + " is already whitelisted in " +
                                        args["jail"].get<std::string>());
  auto d = controller_.whitelist_add(args["jail"].get<std::string>(), *ip);
  if (!d)
    return fail(ErrorKind::invalid, d.error().message());
  if (auto failed = commit(*d))
    return *failed;
  sink_.whitelist_changed();
  // Every jail the entry now covers (a family root: its tiers and its -bl jail).
  json wl = json::array();
  for (const auto &r : d->records)
    if (r.whitelisted && r.ip == *ip)
      wl.push_back({{"jail", r.jail}, {"ip", ip->to_string()}});
  return Response::success({{"whitelist", wl}, {"unbanned", unbanned_json(*d)}});
}

Response CommandHandler::whitelist_remove(const json &args) {
  Response error;
  auto ip = ip_arg(args, &error);
  if (!ip)
    return error;
  MCF2B_RESOLVE(names, args);
  auto d = controller_.whitelist_remove(args["jail"].get<std::string>(), *ip);
  if (!d)
    return fail(ErrorKind::not_found, d.error().message());
  if (auto failed = commit(*d))
    return *failed;
  sink_.whitelist_changed();
  json wl = json::array();
  for (const auto &r : d->records)
    wl.push_back({{"jail", r.jail}, {"ip", r.ip.to_string()}});
  return Response::success({{"whitelist", wl}, {"unbanned", json::array()}});
}

Response CommandHandler::whitelist_list(const json &args) {
  std::vector<std::string> names;
  if (args.contains("jail")) {
    MCF2B_RESOLVE(resolved, args);
    names = *resolved;
  } else {
    for (const auto &j : controller_.jails())
      names.push_back(j.name);
  }
  json wl = json::array();
  for (const auto &n : names)
    for (const auto &p : controller_.whitelist(n))
      wl.push_back({{"jail", n}, {"ip", p.to_string()}});
  return Response::success({{"whitelist", wl}});
}

Response CommandHandler::list(const json &args) {
  BanQuery query;
  query.active_only = args.value("active", false);
  query.host = args.value("node", "");
  std::set<std::string> wanted;
  if (args.contains("jail")) {
    MCF2B_RESOLVE(names, args);
    wanted.insert(names->begin(), names->end());
  }
  // The store, not the controller: on a cluster it holds every node's bans.
  auto rows = store_.list_bans(query);
  if (!rows)
    return fail(ErrorKind::unavailable, rows.error().message());
  json bans = json::array();
  for (const auto &r : *rows)
    if (family_matches(r.jail, wanted))
      bans.push_back(control::to_json(r));
  return Response::success({{"bans", bans}});
}

Response CommandHandler::stats(const json &) {
  json out = context_.stats ? context_.stats() : json::object();
  const auto cs = controller_.stats();
  out["controller"] = {{"failures", cs.failures},
                       {"ignored", cs.ignored},
                       {"too_old", cs.too_old},
                       {"whitelisted", cs.whitelisted},
                       {"already_banned", cs.already_banned},
                       {"evictions", cs.evictions},
                       {"window_expirations", cs.window_expirations},
                       {"tracked", cs.tracked},
                       {"window_bytes", controller_.windows().memory_bytes()}};
  if (!out.contains("jails")) {
    json jails = json::array();
    for (const auto &j : controller_.jails()) {
      auto js = controller_.jail_stats(j.name);
      jails.push_back({{"jail", j.name},
                       {"failures", js ? js->failures : 0},
                       {"bans", js ? js->bans : 0},
                       {"active", js ? js->active : 0}});
    }
    out["jails"] = jails;
  }
  return Response::success(out);
}

#undef MCF2B_RESOLVE

} // namespace mcf2b
