// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/service/command_handler.h"

#include <algorithm>
#include <map>
#include <set>

#include "userspace/store/settings.h"

namespace mcf2b {

using namespace control;
using nlohmann::json;

namespace {

CommandError fail(ErrorKind kind, std::string message) {
  return CommandError(kind, std::move(message));
}

// A refused controller call, answered with the kind its category stands for.
CommandError fail(const ControllerError &error) {
  switch (error.category) {
  case ControllerError::Category::not_found:
    return fail(ErrorKind::not_found, error.message());
  case ControllerError::Category::invalid:
    return fail(ErrorKind::invalid, error.message());
  case ControllerError::Category::refused:
    return fail(ErrorKind::refused, error.message());
  case ControllerError::Category::too_wide:
    return fail(ErrorKind::too_wide, error.message());
  }
  return fail(ErrorKind::internal, error.message());
}

std::vector<LiftedBan> lifted(const Decisions &d) {
  std::vector<LiftedBan> out;
  for (const auto &u : d.unbans)
    out.push_back({u.jail, u.prefix.to_string(), std::string(to_string(u.reason))});
  return out;
}

bool family_matches(const std::string &jail, const std::set<std::string> &wanted) {
  return wanted.empty() || wanted.count(jail) != 0;
}

// Reads the request, runs it, writes the answer: one command of AllCommands.
template <class Command> Response dispatch(CommandHandler &handler, const json &args) {
  auto request = Command::Request::from_json(args);
  if (!request)
    return Response::failure(request.error().kind, request.error().message());
  auto result = handler.run(Command{}, *request);
  if (!result)
    return Response::failure(result.error().kind, result.error().message());
  return Response::success(result->to_json());
}

using Dispatch = Response (*)(CommandHandler &, const json &);

template <class... Commands>
std::map<std::string, Dispatch, std::less<>> dispatch_table(std::tuple<Commands...> *) {
  return {{std::string(Commands::kName), &dispatch<Commands>}...};
}

} // namespace

CommandHandler::CommandHandler(JailController &controller, StateStore &store, DecisionSink &sink,
                               CommandContext context)
    : controller_(controller), store_(store), sink_(sink), context_(std::move(context)) {}

Response CommandHandler::handle(const Request &request) {
  static const auto kCommands = dispatch_table(static_cast<AllCommands *>(nullptr));
  auto it = kCommands.find(request.command);
  if (it == kCommands.end())
    return Response::failure(ErrorKind::usage, "unknown command '" + request.command + "'");
  return it->second(*this, request.args);
}

std::optional<CommandError> CommandHandler::commit(const Decisions &d) {
  if (d.empty())
    return std::nullopt;
  if (auto st = sink_.apply(d); !st)
    return fail(ErrorKind::unavailable, "the change could not be stored: " + st.error().message());
  if (!d.jails.empty())
    sink_.jails_changed();
  return std::nullopt;
}

std::optional<CommandError> CommandHandler::commit(const ControllerResult<Decisions> &d) {
  if (!d)
    return fail(d.error());
  return commit(*d);
}

CommandHandler::Answer<std::vector<std::string>>
CommandHandler::resolve(const std::string &jail) const {
  auto names = controller_.resolve(jail);
  if (!names)
    return fail(names.error());
  return std::move(*names);
}

CommandHandler::Answer<BansResult>
CommandHandler::committed_bans(const ControllerResult<Decisions> &d) {
  if (auto failed = commit(d))
    return *failed;
  // The rows as `list` shows them: the controller holds one for every ban it decided.
  BansResult out;
  for (const auto &b : d->bans)
    if (auto row = controller_.record(b.jail, b.prefix))
      out.bans.push_back(std::move(*row));
  return out;
}

CommandHandler::Answer<PingCommand::Result> CommandHandler::run(PingCommand, const NoArgs &) {
  PingCommand::Result out{context_.version, context_.node};
  if (context_.catching_up)
    out.catching_up = context_.catching_up();
  return out;
}

JailStatus CommandHandler::jail_status(const std::string &jail) const {
  const JailConfig *config = controller_.jail(jail);
  JailStatus s;
  s.name = jail;
  auto active = controller_.active_bans(jail);
  for (const auto &r : active)
    s.banned.push_back(r.ip.to_string());
  auto js = controller_.jail_stats(jail);
  if (auto family = controller_.family(jail_family(jail)); family)
    s.currently_failed = static_cast<int64_t>(controller_.windows().tracked(*family));
  s.total_failed = js ? static_cast<int64_t>(js->failures) : 0;
  if (config && !config->logpath.empty())
    s.file_list.push_back(config->logpath);
  s.currently_banned = static_cast<int64_t>(active.size());
  s.total_banned = js ? static_cast<int64_t>(js->bans) : 0;
  if (context_.broken)
    s.broken = context_.broken(jail);
  if (context_.actions)
    s.actions = context_.actions(jail);
  return s;
}

CommandHandler::Answer<StatusCommand::Result> CommandHandler::run(StatusCommand,
                                                                  const StatusCommand::Request &r) {
  StatusCommand::Result out;
  if (context_.catching_up)
    out.catching_up = context_.catching_up();
  if (r.all) {
    for (const auto &j : controller_.jails())
      if (j.enabled)
        out.jails.push_back(jail_status(j.name));
    return out;
  }
  if (!r.jail) {
    for (const auto &j : controller_.jails())
      if (j.enabled)
        out.names.push_back(j.name);
    return out;
  }
  auto names = resolve(*r.jail);
  if (!names)
    return names.error();
  for (const auto &name : *names)
    out.jails.push_back(jail_status(name));
  return out;
}

CommandHandler::Answer<BansResult> CommandHandler::run(BanCommand, const BanCommand::Request &r) {
  auto names = resolve(r.jail);
  if (!names)
    return names.error();
  // Already banned everywhere it names is MailCleaner's 409, not a silent success.
  bool all_banned = std::all_of(names->begin(), names->end(), [&](const std::string &n) {
    return controller_.is_banned(n, r.ip);
  });
  if (all_banned)
    return fail(ErrorKind::already, r.ip.to_string() + " is already banned in " + r.jail);
  BanRequest request;
  request.confirm_wide = r.yes;
  request.bantime = r.bantime;
  return committed_bans(controller_.ban(r.jail, r.ip, request));
}

CommandHandler::Answer<UnbannedResult> CommandHandler::run(UnbanCommand,
                                                           const UnbanCommand::Request &r) {
  Decisions all;
  if (r.jail) {
    if (auto names = resolve(*r.jail); !names)
      return names.error();
    auto d = controller_.unban(*r.jail, r.ip);
    if (!d)
      return fail(d.error());
    all = std::move(*d);
  } else {
    for (const auto &j : controller_.jails()) {
      if (!controller_.is_banned(j.name, r.ip))
        continue;
      auto d = controller_.unban(j.name, r.ip);
      if (d)
        all.append(std::move(*d));
    }
    if (all.unbans.empty())
      return fail(ErrorKind::not_found, r.ip.to_string() + " is not banned in any jail");
  }
  if (auto failed = commit(all))
    return *failed;
  return UnbannedResult{lifted(all)};
}

CommandHandler::Answer<JailsResult> CommandHandler::changed_jails(const Decisions &d) {
  if (auto failed = commit(d))
    return *failed;
  return JailsResult{d.jails, lifted(d)};
}

CommandHandler::Answer<JailsResult>
CommandHandler::changed_jails(const ControllerResult<Decisions> &d) {
  if (!d)
    return fail(d.error());
  return changed_jails(*d);
}

CommandHandler::Answer<JailsResult> CommandHandler::run(JailEnableCommand, const JailTarget &r) {
  auto names = resolve(r.jail);
  if (!names)
    return names.error();
  bool all_on = std::all_of(names->begin(), names->end(), [&](const std::string &n) {
    const JailConfig *j = controller_.jail(n);
    return j && j->enabled;
  });
  if (all_on)
    return fail(ErrorKind::already, r.jail + " is already enabled");
  return changed_jails(controller_.enable_jail(r.jail));
}

CommandHandler::Answer<JailsResult> CommandHandler::run(JailDisableCommand, const JailTarget &r) {
  auto names = resolve(r.jail);
  if (!names)
    return names.error();
  bool all_off = std::all_of(names->begin(), names->end(), [&](const std::string &n) {
    const JailConfig *j = controller_.jail(n);
    return j && !j->enabled;
  });
  if (all_off)
    return fail(ErrorKind::already, r.jail + " is already disabled");
  return changed_jails(controller_.disable_jail(r.jail));
}

CommandHandler::Answer<JailsResult> CommandHandler::run(JailChangeCommand,
                                                        const JailChangeCommand::Request &r) {
  return changed_jails(controller_.change_jail(r.jail, r.option, r.value));
}

CommandHandler::Answer<JailsResult> CommandHandler::run(JailAddCommand,
                                                        const JailAddCommand::Request &r) {
  const JailConfig &config = r.jail;
  if (controller_.jail(config.name))
    return fail(ErrorKind::already, "jail " + config.name + " already exists");
  if (config.filter.empty() || config.logpath.empty())
    return fail(ErrorKind::usage, "a new jail needs a filter and a logpath");
  if (config.name.size() > 28)
    return fail(ErrorKind::invalid, "jail names are at most 28 characters");
  auto d = controller_.update_jail(config);
  if (!d)
    return fail(d.error());
  Decisions all = std::move(*d);
  // update_jail reports what it stored only for jails it derived (a -bl twin); the new
  // jail itself is a row to store too.
  if (std::none_of(all.jails.begin(), all.jails.end(),
                   [&](const JailConfig &j) { return j.name == config.name; }))
    if (const JailConfig *taken = controller_.jail(config.name))
      all.jails.push_back(*taken);
  return changed_jails(all);
}

CommandHandler::Answer<JailRemoveCommand::Result> CommandHandler::run(JailRemoveCommand,
                                                                      const JailTarget &r) {
  const std::string &name = r.jail;
  const JailConfig *j = controller_.jail(name);
  // A removed jail stays known to the running controller (its id stays valid) but is
  // gone from the store: removing it again finds nothing.
  if (auto stored = store_.get_jail(name); j && stored && !stored->has_value())
    j = nullptr;
  if (!j) {
    auto family = controller_.resolve(name);
    return fail(ErrorKind::not_found, family ? name + " is a family: remove its jails one by one"
                                             : family.error().message());
  }
  // The controller keeps ids for its lifetime: the jail is disabled (its bans lifted)
  // here and disappears from the store, so it is gone from the next start on.
  Decisions d;
  if (j->enabled) {
    auto off = controller_.disable_jail(name);
    if (!off)
      return fail(off.error());
    d = std::move(*off);
  }
  if (auto failed = commit(d))
    return *failed;
  if (auto st = store_.remove_jail(name); !st)
    return fail(ErrorKind::unavailable, st.error().message());
  sink_.jails_changed();
  return JailRemoveCommand::Result{name, lifted(d)};
}

CommandHandler::Answer<JailsResult> CommandHandler::run(JailListCommand, const NoArgs &) {
  return JailsResult{controller_.jails(), {}};
}

CommandHandler::Answer<JailsResult> CommandHandler::run(GeneralEnableCommand, const NoArgs &) {
  return changed_jails(controller_.enable_all());
}

CommandHandler::Answer<JailsResult> CommandHandler::run(GeneralDisableCommand, const NoArgs &) {
  return changed_jails(controller_.disable_all());
}

CommandHandler::Answer<GeneralEnableBlCommand::Result>
CommandHandler::run(GeneralEnableBlCommand, const GeneralEnableBlCommand::Request &r) {
  int n = r.value.value_or(3);
  auto d = controller_.enable_blacklist(n);
  if (auto failed = commit(d))
    return *failed;
  std::vector<Mutation> settings = {
      PutSetting{std::string(settings::kBlacklistEnabled), "1"},
      PutSetting{std::string(settings::kBlacklistMaxCount), std::to_string(n)}};
  if (auto st = store_.apply(settings); !st)
    return fail(ErrorKind::unavailable, st.error().message());
  return GeneralEnableBlCommand::Result{n};
}

CommandHandler::Answer<UnbannedResult> CommandHandler::run(GeneralDisableBlCommand,
                                                           const NoArgs &) {
  Decisions d = controller_.disable_blacklist();
  if (auto failed = commit(d))
    return *failed;
  if (auto st = store_.set_setting(settings::kBlacklistEnabled, "0"); !st)
    return fail(ErrorKind::unavailable, st.error().message());
  return UnbannedResult{lifted(d)};
}

CommandHandler::Answer<JailsResult> CommandHandler::run(BlacklistEnableCommand,
                                                        const BlacklistEnableCommand::Request &r) {
  auto names = resolve(r.jail);
  if (!names)
    return names.error();
  int n = r.value.value_or(3);
  Decisions all;
  for (const auto &name : *names) {
    if (name.ends_with(kBlacklistSuffix))
      continue;
    auto d = controller_.change_jail(name, "max_count", n);
    if (!d)
      return fail(d.error());
    all.append(std::move(*d));
  }
  return changed_jails(all);
}

CommandHandler::Answer<JailsResult> CommandHandler::run(BlacklistDisableCommand,
                                                        const JailTarget &r) {
  // Resolved first so that an unknown name is reported as for every other command.
  if (auto names = resolve(r.jail); !names)
    return names.error();
  return changed_jails(controller_.disable_blacklist(r.jail));
}

CommandHandler::Answer<BansResult> CommandHandler::run(BlacklistAddCommand,
                                                       const BlacklistAddCommand::Request &r) {
  if (auto names = resolve(r.jail); !names)
    return names.error();
  std::string bl = std::string(jail_family(r.jail)) + std::string(kBlacklistSuffix);
  if (controller_.is_banned(bl, r.ip))
    return fail(ErrorKind::already, r.ip.to_string() + " is already blacklisted in " + bl);
  BanRequest request;
  request.confirm_wide = r.yes;
  return committed_bans(controller_.blacklist_add(r.jail, r.ip, request));
}

CommandHandler::Answer<UnbannedResult> CommandHandler::run(BlacklistRemoveCommand,
                                                           const JailAndIp &r) {
  if (auto names = resolve(r.jail); !names)
    return names.error();
  auto d = controller_.blacklist_remove(r.jail, r.ip);
  if (auto failed = commit(d))
    return *failed;
  return UnbannedResult{lifted(*d)};
}

CommandHandler::Answer<BansResult> CommandHandler::run(BlacklistListCommand, const JailFilter &r) {
  std::set<std::string> wanted;
  if (r.jail) {
    auto names = resolve(*r.jail);
    if (!names)
      return names.error();
    wanted.insert(names->begin(), names->end());
    // Blacklisted rows live in the family's -bl jail.
    wanted.insert(std::string(jail_family(*r.jail)) + std::string(kBlacklistSuffix));
  }
  BansResult out;
  for (auto &row : controller_.records())
    if (row.blacklisted && family_matches(row.jail, wanted))
      out.bans.push_back(std::move(row));
  return out;
}

CommandHandler::Answer<WhitelistChangeResult> CommandHandler::run(WhitelistAddCommand,
                                                                  const ConfirmedJailAndIp &r) {
  auto names = resolve(r.jail);
  if (!names)
    return names.error();
  bool all_there = std::all_of(names->begin(), names->end(), [&](const std::string &n) {
    auto wl = controller_.whitelist(n);
    return std::find(wl.begin(), wl.end(), r.ip) != wl.end();
  });
  if (all_there)
    return fail(ErrorKind::already, r.ip.to_string() + " is already whitelisted in " + r.jail);
  auto d = controller_.whitelist_add(r.jail, r.ip, r.yes);
  if (auto failed = commit(d))
    return *failed;
  sink_.whitelist_changed();
  // Every jail the entry now covers (a family root: its tiers and its -bl jail).
  WhitelistChangeResult out;
  for (const auto &row : d->records)
    if (row.whitelisted && row.ip == r.ip)
      out.whitelist.push_back({r.ip.to_string(), row.jail, {}});
  out.unbanned = lifted(*d);
  return out;
}

CommandHandler::Answer<WhitelistChangeResult> CommandHandler::run(WhitelistRemoveCommand,
                                                                  const JailAndIp &r) {
  if (auto names = resolve(r.jail); !names)
    return names.error();
  auto d = controller_.whitelist_remove(r.jail, r.ip);
  if (auto failed = commit(d))
    return *failed;
  sink_.whitelist_changed();
  WhitelistChangeResult out;
  for (const auto &row : d->records)
    out.whitelist.push_back({row.ip.to_string(), row.jail, {}});
  return out;
}

CommandHandler::Answer<WhitelistListCommand::Result> CommandHandler::run(WhitelistListCommand,
                                                                         const JailFilter &r) {
  std::vector<std::string> names;
  if (r.jail) {
    auto resolved = resolve(*r.jail);
    if (!resolved)
      return resolved.error();
    names = std::move(*resolved);
  } else {
    for (const auto &j : controller_.jails())
      names.push_back(j.name);
  }
  WhitelistListCommand::Result out;
  for (const auto &n : names)
    for (const auto &p : controller_.whitelist(n))
      out.whitelist.push_back({p.to_string(), n, {}});
  return out;
}

CommandHandler::Answer<BansResult> CommandHandler::run(ListCommand, const ListCommand::Request &r) {
  BanQuery query;
  query.active_only = r.active;
  query.host = r.node.value_or("");
  std::set<std::string> wanted;
  if (r.jail) {
    auto names = resolve(*r.jail);
    if (!names)
      return names.error();
    wanted.insert(names->begin(), names->end());
  }
  // The store, not the controller: on a cluster it holds every node's bans.
  auto rows = store_.list_bans(query);
  if (!rows)
    return fail(ErrorKind::unavailable, rows.error().message());
  BansResult out;
  for (auto &row : *rows)
    if (family_matches(row.jail, wanted))
      out.bans.push_back(std::move(row));
  return out;
}

CommandHandler::Answer<StatsCommand::Result> CommandHandler::run(StatsCommand, const NoArgs &) {
  auto parsed = StatsCommand::Result::from_json(context_.stats ? context_.stats() : json::object());
  if (!parsed)
    return fail(ErrorKind::internal, parsed.error().message());
  StatsCommand::Result out = std::move(*parsed);
  const auto cs = controller_.stats();
  out.counters["controller"] = {{"failures", cs.failures},
                                {"ignored", cs.ignored},
                                {"too_old", cs.too_old},
                                {"whitelisted", cs.whitelisted},
                                {"already_banned", cs.already_banned},
                                {"evictions", cs.evictions},
                                {"window_expirations", cs.window_expirations},
                                {"tracked", cs.tracked},
                                {"window_bytes", controller_.windows().memory_bytes()}};
  if (!out.jails) {
    out.jails.emplace();
    for (const auto &j : controller_.jails()) {
      auto js = controller_.jail_stats(j.name);
      out.jails->push_back({j.name, js ? js->failures : 0, js ? js->bans : 0, js ? js->active : 0,
                            std::nullopt, std::nullopt, std::nullopt});
    }
  }
  return out;
}

CommandHandler::Answer<BanImportCommand::Result>
CommandHandler::run(BanImportCommand, const BanImportCommand::Request &r) {
  // Each ban on its own: one refused (an unknown jail, a whitelisted address) is reported
  // and the others are taken.
  BanImportCommand::Result out;
  Decisions all;
  for (const auto &ban : r.bans) {
    // Said plainly, so that mcf2b-ctl can tell a second import from a refusal.
    if (controller_.is_banned(ban.jail, ban.ip)) {
      out.skipped.push_back({ban.jail, ban.ip.to_string(), "already banned"});
      continue;
    }
    auto d = controller_.import_ban(ban.jail, ban.ip, ban.start, ban.end, ban.count);
    if (!d) {
      out.skipped.push_back({ban.jail, ban.ip.to_string(), d.error().message()});
      continue;
    }
    all.append(std::move(*d));
  }
  if (auto failed = commit(all))
    return *failed;
  for (const auto &b : all.bans)
    if (auto row = controller_.record(b.jail, b.prefix))
      out.bans.push_back(std::move(*row));
  return out;
}

} // namespace mcf2b
