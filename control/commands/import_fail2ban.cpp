// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/import_fail2ban.h"

#include <algorithm>
#include <ctime>

#include "control/fail2ban/ban_database.h"
#include "control/fail2ban/tree_report.h"
#include "control/format/time_text.h"
#include "matcher/filter_definition.h"
#include "protocol/model_json.h"
#include "userspace/daemon/fail2ban_jail.h"

namespace mcf2b::control {
namespace {

// Bans per request: a request and its answer stay far below the protocol's 1 MiB.
constexpr size_t kBansPerRequest = 1000;

// What the daemon answered for every batch, together.
struct ImportOutcome {
  std::vector<BanRecord> imported;
  std::vector<SkippedBan> skipped;
};

// The reason the daemon gives for an address banned there already (a second import).
constexpr std::string_view kAlreadyBanned = "already banned";

std::optional<ImportOutcome> import_bans(CtlSession &session,
                                         const std::vector<ImportedBan> &bans) {
  ImportOutcome out;
  for (size_t first = 0; first < bans.size(); first += kBansPerRequest) {
    BanImportCommand::Request request;
    size_t last = std::min(bans.size(), first + kBansPerRequest);
    request.bans.assign(bans.begin() + static_cast<std::ptrdiff_t>(first),
                        bans.begin() + static_cast<std::ptrdiff_t>(last));
    auto result = session.fetch<BanImportCommand>(request);
    if (!result)
      return std::nullopt; // reported; what earlier batches took stays taken
    out.imported.insert(out.imported.end(), result->bans.begin(), result->bans.end());
    out.skipped.insert(out.skipped.end(), result->skipped.begin(), result->skipped.end());
  }
  return out;
}

std::string ban_line(const BanRecord &b) {
  return "imported " + b.ip.to_string() + " in " + b.jail +
         (b.permanent() ? " permanently" : " until " + format_timestamp(b.ban_end, Clock::local)) +
         " (ban " + std::to_string(b.count) + ")\n";
}

nlohmann::json skipped_json(const std::vector<SkippedBan> &skipped) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto &s : skipped)
    out.push_back({{"jail", s.jail}, {"ip", s.ip}, {"reason", s.reason}});
  return out;
}

void run_ban_import(CtlSession &session, const std::string &path) {
  auto database = read_fail2ban_bans(path);
  if (!session.check(database))
    return;
  auto found = bans_in_force(database->rows, static_cast<Seconds>(std::time(nullptr)));
  ImportOutcome outcome;
  if (!found.in_force.empty()) {
    auto taken = import_bans(session, found.in_force);
    if (!taken)
      return;
    outcome = std::move(*taken);
  }
  std::vector<SkippedBan> skipped = found.unusable;
  skipped.insert(skipped.end(), outcome.skipped.begin(), outcome.skipped.end());
  const size_t in_force = found.in_force.size() + found.unusable.size();
  if (session.json()) {
    nlohmann::json bans = nlohmann::json::array();
    for (const auto &b : outcome.imported)
      bans.push_back(to_json(b));
    session.print_json({{"database", path},
                        {"version", database->version},
                        {"in_force", in_force},
                        {"ended", found.ended},
                        {"bans", std::move(bans)},
                        {"skipped", skipped_json(skipped)}});
  } else {
    std::string text;
    for (const auto &b : outcome.imported)
      text += ban_line(b);
    for (const auto &s : skipped)
      text += "skipped " + s.ip + " in " + s.jail + ": " + s.reason + "\n";
    text += "fail2ban database " + path + " (version " + std::to_string(database->version) +
            "): " + std::to_string(in_force) + " ban(s) in force, " +
            std::to_string(outcome.imported.size()) + " imported, " +
            std::to_string(skipped.size()) + " skipped; " + std::to_string(found.ended) +
            " had ended\n";
    session.print(text);
  }
  // Skipped for any reason but an earlier import is an error to look at; everything
  // already there is MailCleaner's 409, as for `ban`.
  size_t already = 0;
  for (const auto &s : skipped)
    already += s.reason == kAlreadyBanned;
  if (already < skipped.size())
    session.fail(std::to_string(skipped.size() - already) + " ban(s) in force were not imported",
                 kExitError);
  else if (already > 0 && outcome.imported.empty())
    session.fail("every ban in force was imported before", kExitAlready);
}

// Stores the tree's enabled jails that mcf2b does not have yet as jail rows (through the
// daemon, or the store when it is down). What a row cannot hold (log paths beyond the
// first, the journal, bantime.increment, actions, ignoreip) stays in the tree, for the
// daemon's fail2ban_dir.
void apply_tree(CtlSession &session, const Fail2banImport &tree, const std::string &dir) {
  auto existing = session.fetch<JailListCommand>({});
  if (!existing)
    return;
  std::string text;
  size_t added = 0;
  for (const auto &j : tree.enabled) {
    const JailConfig &c = j.config;
    bool known = std::any_of(existing->jails.begin(), existing->jails.end(),
                             [&](const JailConfig &e) { return e.name == c.name; });
    if (known) {
      text += "kept " + c.name + ": mcf2b has this jail already (left as it is)\n";
      continue;
    }
    if (c.logpath.empty()) {
      text += "not stored " + c.name +
              ": it reads the journal, which a stored jail cannot; fail2ban_dir runs it\n";
      continue;
    }
    if (!session.fetch<JailAddCommand>({c}))
      continue; // reported
    ++added;
    text += "stored " + c.name + "\n";
  }
  text += std::to_string(added) +
          " jail(s) stored. Log paths beyond the first, the journal, bantime.increment, "
          "actions and ignoreip are this node's: set [mcf2bd] fail2ban_dir = " +
          dir + "\n";
  if (!session.json())
    session.print(text);
}

void run_tree_report(CtlSession &session, const std::string &dir, bool apply) {
  Fail2banJailOptions options;
  options.filters.dirs = filter_dirs_with_tree(matcher::FilterSearchPath::defaults().dirs, dir);
  Fail2banImport tree = import_fail2ban_tree(dir, {}, options);
  if (tree.enabled.empty() && !tree.jails.errors.empty() && tree.jails.files.empty()) {
    session.fail(tree.jails.errors.front());
    return;
  }
  if (session.json())
    session.print_json(fail2ban_tree_json(tree, dir));
  else
    session.print(fail2ban_tree_text(tree, dir));
  if (apply)
    apply_tree(session, tree, dir);
}

} // namespace

void register_import_fail2ban(CLI::App &app, CtlSession &session) {
  struct Options {
    std::string dir, bans;
    bool apply = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App *cmd = app.add_subcommand(
      "import-fail2ban",
      "Carry over what an existing fail2ban has: its jails (DIR) and its bans in force");
  cmd->add_option("dir", o->dir,
                  "fail2ban's configuration folder (default /etc/fail2ban unless --bans "
                  "alone is given): print what its jails become");
  cmd->add_flag("--apply", o->apply, "store the tree's new jails as jail rows");
  cmd->add_option("--bans", o->bans,
                  "fail2ban's ban database (/var/lib/fail2ban/fail2ban.sqlite3), read-only");
  session.add_json_flag(*cmd);
  cmd->footer("Every ban still in force (timeofban + bantime in the future, or permanent) is\n"
              "taken with its end and ban count into jails of the same name, which must\n"
              "exist; the others are listed as skipped with the reason. Through the daemon\n"
              "(kernel maps, ipsets, store at once), or into the store when it is down.\n"
              "Exit 1 when any ban in force was skipped, 3 when all were imported before.\n"
              "Examples:\n"
              "  mcf2b-ctl import-fail2ban /etc/fail2ban\n"
              "  mcf2b-ctl import-fail2ban /etc/fail2ban --apply\n"
              "  mcf2b-ctl import-fail2ban --bans /var/lib/fail2ban/fail2ban.sqlite3\n"
              "  mcf2b-ctl import-fail2ban --bans fail2ban.sqlite3 --json | jq '.skipped'");
  cmd->callback([o, &session] {
    // The jails first, so that the bans find them.
    if (!o->dir.empty() || o->bans.empty())
      run_tree_report(session, o->dir.empty() ? "/etc/fail2ban" : o->dir, o->apply);
    if (!o->bans.empty())
      run_ban_import(session, o->bans);
  });
}

} // namespace mcf2b::control
