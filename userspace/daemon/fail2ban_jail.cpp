// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/fail2ban_jail.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <glob.h>
#include <set>

#include "base/word_list.h"
#include "userspace/daemon/fail2ban_action.h"
#include "userspace/model/firewall_actions.h"
#include "userspace/daemon/fail2ban_time.h"
#include "userspace/model/jail_name.h"

namespace mcf2b {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  for (auto &c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// What fail2ban's JailReader reads from a jail section (its own options and its filter's).
const std::set<std::string> kJailOptions = {"enabled",
                                            "backend",
                                            "maxretry",
                                            "maxmatches",
                                            "findtime",
                                            "bantime",
                                            "bantime.increment",
                                            "bantime.factor",
                                            "bantime.formula",
                                            "bantime.multipliers",
                                            "bantime.maxtime",
                                            "bantime.rndtime",
                                            "bantime.overalljails",
                                            "ignorecommand",
                                            "ignoreself",
                                            "ignoreip",
                                            "ignorecache",
                                            "filter",
                                            "logtimezone",
                                            "logencoding",
                                            "logpath",
                                            "action",
                                            "usedns",
                                            "prefregex",
                                            "ignoreregex",
                                            "failregex",
                                            "maxlines",
                                            "datepattern",
                                            "journalmatch"};

struct Reader {
  const Fail2banTree &tree;
  const std::string &name;
  std::vector<std::string> &warnings;

  // The section's name as errors show it: a hostile one is cut.
  std::string shown() const { return name.size() > 64 ? name.substr(0, 64) + "..." : name; }
  std::string where(const std::string &key) const {
    if (auto v = tree.raw(name, key))
      return v->where.to_string();
    return section_where();
  }
  std::string section_where() const {
    const auto *own = tree.own(name);
    if (own && !own->empty()) {
      auto first = std::min_element(own->begin(), own->end(), [](const auto &a, const auto &b) {
        return a.second.where.line < b.second.where.line;
      });
      return first->second.where.file + ":" + std::to_string(first->second.where.line);
    }
    return tree.dir() + "/jail.conf";
  }
  Error fail(const std::string &key, const std::string &why) const {
    return Error::msg(where(key) + ": [" + name + "] " + key + ": " + why);
  }
  void warn(const std::string &key, const std::string &why) const {
    warnings.push_back(where(key) + ": [" + name + "] " + key + ": " + why);
  }
  Result<std::string> text(const std::string &key, const std::string &fallback = "",
                           const std::map<std::string, std::string> &filter_known = {}) const {
    auto v = tree.get(name, key, filter_known);
    if (!v)
      return Error::msg(v.error().message() + " (in [" + shown() + "] " + key + ")");
    return v->has_value() ? trim(**v) : fallback;
  }
  Result<std::optional<bool>> flag(const std::string &key) const {
    auto v = text(key);
    if (!v)
      return v.error();
    if (v->empty())
      return std::optional<bool>{};
    std::string b = lower(*v);
    if (b == "true" || b == "yes" || b == "on" || b == "1")
      return std::optional<bool>{true};
    if (b == "false" || b == "no" || b == "off" || b == "0")
      return std::optional<bool>{false};
    // fail2ban's _as_bool: anything else is false.
    warn(key, "not a yes/no value; taken as false, as fail2ban does");
    return std::optional<bool>{false};
  }
  Result<std::optional<int>> number(const std::string &key) const {
    auto v = text(key);
    if (!v)
      return v.error();
    if (v->empty())
      return std::optional<int>{};
    int out = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size())
      return fail(key, "not a whole number");
    return std::optional<int>{out};
  }
  Result<std::optional<Seconds>> duration(const std::string &key) const {
    auto v = text(key);
    if (!v)
      return v.error();
    if (v->empty())
      return std::optional<Seconds>{};
    auto s = fail2ban_seconds(*v);
    if (!s)
      return fail(key, "not a time fail2ban reads (e.g. 600, 10m, 1h 30m, 1d, 5w, 1mo, 1y, -1)");
    return std::optional<Seconds>{*s};
  }
};

Status read_backend(const Reader &r, JailLocalOptions &local) {
  auto backend = r.text("backend", "auto");
  if (!backend)
    return backend.error();
  auto spec = matcher::FilterSpec::parse(backend->empty() ? "auto" : *backend);
  if (!spec)
    return r.fail("backend", "not name[key=value, ...]");
  std::string kind = lower(spec->name);
  if (kind == "auto")
    local.backend = JailLocalOptions::Backend::auto_detect;
  else if (kind == "polling" || kind == "pyinotify" || kind == "gamin")
    local.backend = JailLocalOptions::Backend::file; // mcf2b follows files with inotify
  else if (kind == "systemd")
    local.backend = JailLocalOptions::Backend::systemd;
  else
    return r.fail("backend", "unknown backend (auto, polling, pyinotify, gamin or systemd)");
  if (kind != "systemd" && !spec->params.empty())
    return r.fail("backend", "only systemd takes [parameters]");
  local.journal_options = spec->params;
  return {};
}

Status read_logpaths(const Reader &r, JailConfig &row, JailLocalOptions &local) {
  if (local.backend == JailLocalOptions::Backend::systemd)
    return {}; // fail2ban ignores logpath for the journal
  auto text = r.text("logpath");
  if (!text)
    return text.error();
  std::string first_file;
  size_t pos = 0;
  while (pos <= text->size()) {
    size_t nl = text->find('\n', pos);
    if (nl == std::string::npos)
      nl = text->size();
    std::string line = trim(std::string_view(*text).substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty())
      continue;
    // fail2ban: "PATH [head|tail]", split at the last space.
    if (size_t sp = line.rfind(' '); sp != std::string::npos)
      line = trim(line.substr(0, sp));
    local.logpaths.push_back(line);
    glob_t g{};
    if (::glob(line.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc && first_file.empty(); ++i)
        if (exists(g.gl_pathv[i]))
          first_file = g.gl_pathv[i];
    }
    ::globfree(&g);
  }
  if (local.logpaths.empty()) {
    if (local.backend == JailLocalOptions::Backend::auto_detect)
      return {}; // the journal, when the filter has a journalmatch
    return r.fail("logpath", "no log file given");
  }
  if (first_file.empty())
    r.warn("logpath", "no file found yet (followed when one appears)");
  row.logpath = first_file.empty() ? local.logpaths.front() : first_file;
  return {};
}

// A filter's rule list as one option value, a rule a line.
std::string joined(const std::vector<matcher::FilterDefinition::Regex> &rules) {
  std::string out;
  for (const auto &rule : rules)
    out += (out.empty() ? "" : "\n") + rule.text;
  return out;
}

Status read_filter(const Reader &r, const Fail2banJailOptions &options, Fail2banJail &jail) {
  auto text = r.text("filter");
  if (!text)
    return text.error();
  if (text->empty())
    return r.fail("filter", "no filter set (mcf2b needs one to match the log)");
  auto spec = matcher::FilterSpec::parse(*text);
  if (!spec)
    return r.fail("filter", "not name[key=value, ...]");
  if (spec->name.size() > 255)
    return r.fail("filter", "a filter name longer than 255 characters");
  // fail2ban's FilterReader.applyAutoOptions: a journal jail's filter reads journal lines.
  if (jail.local.backend == JailLocalOptions::Backend::systemd &&
      matcher::takes_journal_logtype(*spec, options.filters))
    spec->params["logtype"] = "journal";
  auto def = matcher::load_filter(*spec, options.filters);
  if (!def)
    return Error::msg(r.where("filter") + ": [" + r.name + "] filter " + spec->name + ": " +
                      def.error().message());
  // Filter options set in the jail section, where %(known/failregex)s and the like are
  // the filter's own (the daemon applies them the same way when it loads the jail's
  // filter; they are checked here so that a bad one is said with its file and line).
  const std::map<std::string, std::string> filter_known = {
      {"failregex", joined(def->failregex)},
      {"ignoreregex", joined(def->ignoreregex)},
      {"prefregex", def->prefregex ? def->prefregex->text : ""},
      {"datepattern", def->datepattern},
      {"maxlines", std::to_string(def->maxlines)}};
  for (const char *key : {"failregex", "ignoreregex", "prefregex", "datepattern", "maxlines"}) {
    auto v = r.text(key, "", filter_known);
    if (!v)
      return v.error();
    if (!v->empty())
      jail.local.filter_options[key] = *v;
  }
  if (!jail.local.filter_options.empty()) {
    matcher::FilterSpec with_jail_options = *spec;
    with_jail_options.add_jail_options(jail.local.filter_options);
    def = matcher::load_filter(with_jail_options, options.filters);
  }
  if (!def)
    return Error::msg(r.where("filter") + ": [" + r.name + "] filter " + spec->name + ": " +
                      def.error().message());
  jail.config.filter = spec->to_string();
  jail.filter = std::move(*def);
  return {};
}

Status read_times(const Reader &r, JailConfig &row, JailLocalOptions &local) {
  auto maxretry = r.number("maxretry");
  if (!maxretry)
    return maxretry.error();
  if (*maxretry && **maxretry < 1)
    return r.fail("maxretry", "must be 1 or more");
  row.maxretry = maxretry->value_or(row.maxretry);
  auto maxmatches = r.number("maxmatches");
  if (!maxmatches)
    return maxmatches.error();
  local.maxmatches = std::max(0, maxmatches->value_or(0));
  auto findtime = r.duration("findtime");
  if (!findtime)
    return findtime.error();
  if (*findtime && **findtime <= 0)
    return r.fail("findtime", "must be more than 0 seconds");
  row.findtime = findtime->value_or(row.findtime);
  auto bantime = r.duration("bantime");
  if (!bantime)
    return bantime.error();
  if (*bantime && **bantime == 0)
    return r.fail("bantime", "must not be 0");
  row.bantime = bantime->value_or(row.bantime);
  if (row.bantime < 0)
    row.bantime = -1; // fail2ban: any negative bantime is for ever

  auto increment = r.flag("bantime.increment");
  if (!increment)
    return increment.error();
  if (!increment->value_or(false))
    return {};
  JailLocalOptions::BantimeIncrement inc;
  auto factor = r.text("bantime.factor");
  if (!factor)
    return factor.error();
  if (!factor->empty()) {
    char *end = nullptr;
    inc.factor = std::strtod(factor->c_str(), &end);
    if (!end || *end || !(inc.factor > 0))
      return r.fail("bantime.factor", "not a positive number");
  }
  auto multipliers = r.text("bantime.multipliers");
  if (!multipliers)
    return multipliers.error();
  for (const auto &word : split_word_list(*multipliers)) {
    Seconds m = 0;
    auto [p, ec] = std::from_chars(word.data(), word.data() + word.size(), m);
    if (ec != std::errc() || p != word.data() + word.size() || m < 0)
      return r.fail("bantime.multipliers", "not a list of whole numbers");
    inc.multipliers.push_back(m);
  }
  auto formula = r.text("bantime.formula");
  if (!formula)
    return formula.error();
  inc.formula = *formula;
  for (auto [key, field] :
       {std::pair{"bantime.maxtime", &inc.maxtime}, std::pair{"bantime.rndtime", &inc.rndtime}}) {
    auto d = r.duration(key);
    if (!d)
      return d.error();
    *field = d->value_or(0);
  }
  auto overall = r.flag("bantime.overalljails");
  if (!overall)
    return overall.error();
  inc.overall_jails = overall->value_or(false);
  local.increment = inc;
  return {};
}

Status read_ignore(const Reader &r, const Fail2banJailOptions &options, Fail2banJail &jail) {
  auto self = r.flag("ignoreself");
  if (!self)
    return self.error();
  jail.local.ignore_self = self->value_or(true);
  auto list = r.text("ignoreip");
  if (!list)
    return list.error();
  for (const auto &item : split_word_list(*list)) {
    if (auto prefix = IpPrefix::parse(item)) {
      jail.ignoreip.push_back(*prefix);
      continue;
    }
    bool host_name = item.size() <= 253 && std::all_of(item.begin(), item.end(), [](char c) {
                       return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-';
                     });
    if (!host_name) {
      r.warn("ignoreip", "an entry is neither an address, a prefix nor a host name; ignored");
      continue;
    }
    auto lookup = options.resolve ? options.resolve : matcher::system_name_lookup();
    auto addresses = lookup(item);
    if (!addresses || addresses->empty()) {
      r.warn("ignoreip", "host name " + item + " does not resolve; ignored");
      continue;
    }
    std::string shown;
    for (const auto &a : *addresses) {
      jail.ignoreip.push_back(IpPrefix::host(a));
      shown += (shown.empty() ? "" : ", ") + a.to_string();
    }
    r.warn("ignoreip", "host name " + item + " resolved once, at load, to " + shown);
  }
  return {};
}

Status read_actions(const Reader &r, const std::string &dir, Fail2banJail &jail) {
  auto text = r.text("action");
  if (!text)
    return text.error();
  auto lines = split_fail2ban_actions(*text);
  if (!lines)
    return r.fail("action", lines.error().message());
  std::set<std::string> banactions;
  for (const char *key : {"banaction", "banaction_allports"}) {
    auto v = r.text(key);
    if (!v)
      return v.error();
    if (!v->empty())
      banactions.insert(*v);
  }
  bool firewall_seen = false, ports_set = false;
  std::string enforced, kept;
  for (const auto &line : *lines) {
    auto spec = parse_fail2ban_action(line, r.name);
    if (!spec)
      return r.fail("action", "an action is not name[key=value, ...]: " + spec.error().message());
    const std::string &action = spec->file;
    bool python = action.ends_with(".py");
    if (python ? !exists(dir + "/action.d/" + action)
               : !exists(dir + "/action.d/" + action + ".conf") &&
                     !exists(dir + "/action.d/" + action + ".local"))
      return r.fail("action",
                    "action " + action.substr(0, 64) + " not found in " + dir + "/action.d");
    jail.local.actions.push_back(line);
    const bool firewall = is_firewall_action(action) || banactions.count(action);
    std::string &list = firewall ? enforced : kept;
    list += (list.empty() ? "" : ", ") + spec->name;
    if (!firewall || firewall_seen)
      continue;
    firewall_seen = true;
    jail.config.banaction = action;
    auto port = spec->params.find("port");
    if (action.find("allports") != std::string::npos) {
      jail.config.port.clear(); // every port
      ports_set = true;
    } else if (port != spec->params.end()) {
      jail.config.port = port->second;
      ports_set = true;
    } // else the action's own default port: the jail's port key below stands for it
  }
  jail.actions_note =
      "[" + r.name + "] actions: " +
      (enforced.empty() ? "no firewall action" : enforced + " carried out by mcf2b's enforcement") +
      (kept.empty() ? "" : "; " + kept + " kept for mcf2b's action runner");
  if (!ports_set) {
    auto port = r.text("port");
    if (!port)
      return port.error();
    jail.config.port = *port;
  }
  if (jail.local.actions.empty())
    r.warn("action", "no action: mcf2b's enforcement still bans on the jail's ports");
  std::erase_if(jail.config.port,
                [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  std::string why;
  auto ports = parse_port_list(jail.config.port, &why);
  if (!ports)
    return r.fail("port", why.substr(0, 80));
  if (ports->empty())
    jail.config.port.clear(); // 0:65535 and the like: every port
  else if (jail.config.port.size() > kPortColumn)
    jail.config.port = port_numbers(*ports); // names spelled as numbers to fit the row
  return {};
}

// Keys the jail sets that mcf2b does not apply, and keys nothing uses.
void warn_unused(const Reader &r) {
  static const std::set<std::string> kNotApplied = {"ignorecommand", "ignorecache",
                                                    "logtimezone"};
  for (const auto &key : kNotApplied) {
    auto v = r.text(key);
    if (v && !v->empty())
      r.warn(key, "set for the jail, not applied by mcf2b");
  }
  if (auto enc = r.text("logencoding"); enc && !enc->empty() && lower(*enc) != "auto" &&
                                        lower(*enc) != "utf-8" && lower(*enc) != "utf8")
    r.warn("logencoding", "mcf2b reads logs as UTF-8 or bytes");
  if (const auto *own = r.tree.own(r.name))
    for (const auto &[key, value] : *own)
      if (!kJailOptions.count(key) && !r.tree.in_default(key) && !r.tree.referenced(key))
        r.warn(key.substr(0, 64), "unknown jail option (neither fail2ban nor any value of the "
                                  "tree uses it); ignored");
}

} // namespace

Result<bool> fail2ban_jail_enabled(const Fail2banTree &tree, const std::string &name,
                                   std::vector<std::string> &warnings) {
  Reader r{tree, name, warnings};
  auto enabled = r.flag("enabled");
  if (!enabled)
    return enabled.error();
  return enabled->value_or(false);
}

Result<Fail2banJail> read_fail2ban_jail(const Fail2banTree &tree, const std::string &name,
                                        const Fail2banJailOptions &options,
                                        std::vector<std::string> &warnings) {
  Reader r{tree, name, warnings};
  if (auto valid = check_jail_name(name); !valid)
    return Error::msg(r.section_where() + ": [" + name.substr(0, 64) + "] " +
                      valid.error().message());
  Fail2banJail jail;
  JailConfig &row = jail.config;
  row.name = name;
  row.enabled = true;
  row.maxretry = 5;
  row.findtime = 600;
  row.bantime = 600;
  row.max_count = -1;
  row.send_mail = false;
  row.send_mail_bl = false;
  if (auto st = read_backend(r, jail.local); !st)
    return st.error();
  if (auto st = read_logpaths(r, row, jail.local); !st)
    return st.error();
  if (auto st = read_filter(r, options, jail); !st)
    return st.error();
  if (jail.local.backend != JailLocalOptions::Backend::file) {
    auto match = r.text("journalmatch");
    if (!match)
      return match.error();
    // The jail's journalmatch replaces the filter's, as in fail2ban.
    jail.local.journal_match = match->empty() ? jail.filter.journalmatch : *match;
  }
  if (auto st = read_times(r, row, jail.local); !st)
    return st.error();
  if (auto st = read_ignore(r, options, jail); !st)
    return st.error();
  auto use_dns = r.text("usedns");
  if (!use_dns)
    return use_dns.error();
  if (!use_dns->empty()) {
    jail.use_dns = matcher::parse_use_dns(lower(*use_dns));
    if (!jail.use_dns)
      return r.fail("usedns", "must be yes, warn, no or raw");
  }
  if (auto st = read_actions(r, tree.dir(), jail); !st)
    return st.error();
  warn_unused(r);
  if (auto valid = check_jail_config(row); !valid)
    return Error::msg(r.section_where() + ": [" + name + "] " + valid.error().message());
  return jail;
}

Fail2banImport import_fail2ban_tree(const std::string &dir, const std::vector<JailConfig> &existing,
                                    const Fail2banJailOptions &options) {
  Fail2banImport out;
  auto tree = Fail2banTree::read(dir, options.limits);
  if (!tree) {
    out.jails.errors.push_back(tree.error());
    return out;
  }
  out.jails.files = tree->files();
  out.jails.errors = tree->errors();
  size_t sections = 0;
  for (const auto &name : tree->jail_names()) {
    if (++sections > options.limits.max_jails) {
      out.jails.errors.push_back(Error::msg(
          dir + ": more than " + std::to_string(options.limits.max_jails) + " jail sections; [" +
          name.substr(0, 64) + "] and the ones after it not read"));
      break;
    }
    auto enabled = fail2ban_jail_enabled(*tree, name, out.warnings);
    if (!enabled) {
      out.jails.errors.push_back(enabled.error());
      continue;
    }
    if (!*enabled) {
      auto known = std::find_if(existing.begin(), existing.end(),
                                [&](const JailConfig &j) { return j.name == name; });
      if (known != existing.end() && known->enabled) {
        JailConfig off = *known;
        off.enabled = false;
        out.jails.jails.push_back(off);
      }
      continue;
    }
    auto jail = read_fail2ban_jail(*tree, name, options, out.warnings);
    if (!jail) {
      out.jails.errors.push_back(jail.error());
      continue;
    }
    out.jails.jails.push_back(jail->config);
    for (const auto &prefix : jail->ignoreip)
      out.jails.whitelist.emplace_back(name, prefix);
    if (jail->use_dns)
      out.jails.use_dns[name] = *jail->use_dns;
    out.jails.local_options[name] = jail->local;
    out.notes.push_back(jail->actions_note);
    out.enabled.push_back(std::move(*jail));
  }
  return out;
}

std::vector<std::string> filter_dirs_with_tree(std::vector<std::string> dirs,
                                               const std::string &fail2ban_dir) {
  std::string tree_filters = fail2ban_dir;
  while (tree_filters.size() > 1 && tree_filters.back() == '/')
    tree_filters.pop_back();
  tree_filters += "/filter.d";
  if (std::find(dirs.begin(), dirs.end(), tree_filters) != dirs.end())
    return dirs;
  auto stock = std::find(dirs.begin(), dirs.end(), "/etc/fail2ban/filter.d");
  dirs.insert(stock, tree_filters);
  return dirs;
}

} // namespace mcf2b
