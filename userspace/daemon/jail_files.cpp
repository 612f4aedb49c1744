// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/jail_files.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "base/word_list.h"
#include "matcher/filter_definition.h"
#include "matcher/ini_file.h"
#include "userspace/model/jail_name.h"

namespace mcf2b {
namespace {

using matcher::IniValue;
using Section = std::map<std::string, IniValue>;

bool parse_int(const std::string &text, int &out) {
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && p == text.data() + text.size();
}

// Keys a family root section may set: the ones that are the same on every tier.
const std::set<std::string> kFamilyKeys = {"enabled",  "logpath", "port",    "filter",
                                           "ignoreip", "usedns",  "backend", "journalmatch"};
const std::set<std::string> kJailKeys = {"enabled",   "filter",    "logpath",    "port",
                                         "maxretry",  "findtime",  "bantime",    "ignoreip",
                                         "max_count", "banaction", "action",     "backend",
                                         "protocol",  "usedns",    "ignoreself", "journalmatch"};

// Whether a jail file said more than the row holds: where its jail reads beyond the
// row's one logpath, or actions.
bool reads_beyond_row(const JailLocalOptions &local) {
  return !local.logpaths.empty() || local.backend != JailLocalOptions::Backend::file ||
         !local.journal_match.empty() || !local.journal_options.empty() ||
         !local.actions.empty();
}

// The non-empty lines of a multi-line value, each trimmed.
std::vector<std::string> split_lines(const std::string &value) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= value.size()) {
    size_t nl = value.find('\n', pos);
    if (nl == std::string::npos)
      nl = value.size();
    std::string line = value.substr(pos, nl - pos);
    line.erase(0, line.find_first_not_of(" \t"));
    line.erase(line.find_last_not_of(" \t") + 1);
    if (!line.empty())
      out.push_back(line);
    pos = nl + 1;
  }
  return out;
}

// Applies one section's keys to a jail (usedns, which the stored jail row has no column
// for, to `use_dns`); returns an error naming the offending line.
Status apply_keys(const Section &keys, JailConfig &jail,
                  std::vector<std::pair<std::string, IpPrefix>> &whitelist,
                  std::optional<matcher::UseDns> &use_dns, JailLocalOptions &local,
                  bool family_root) {
  for (const auto &[key, value] : keys) {
    auto fail = [&where = value.where](const std::string &why) {
      return Error::msg(where.to_string() + ": " + why);
    };
    const std::string &v = value.text;
    if (family_root ? !kFamilyKeys.count(key) : !kJailKeys.count(key))
      return fail(family_root ? "'" + key +
                                    "' cannot be set on a family root: its tiers need their own "
                                    "values (set it on each jail)"
                              : "unknown jail option '" + key + "'");
    if (key == "enabled") {
      if (v == "true" || v == "yes" || v == "1")
        jail.enabled = true;
      else if (v == "false" || v == "no" || v == "0")
        jail.enabled = false;
      else
        return fail("enabled must be true or false, not '" + v + "'");
    } else if (key == "filter") {
      jail.filter = v;
    } else if (key == "logpath") {
      // Several files or globs are this node's (JailLocalOptions); the row keeps one.
      auto paths = split_word_list(v);
      if (paths.empty())
        return fail("logpath names no file");
      jail.logpath = paths.front();
      local.logpaths.clear();
      if (paths.size() > 1 || paths.front().find_first_of("*?[") != std::string::npos)
        local.logpaths = paths;
    } else if (key == "backend") {
      // fail2ban's backend: auto, systemd[journalpath=..., ...], or a file backend.
      auto spec = matcher::FilterSpec::parse(v);
      if (!spec)
        return fail("backend: " + spec.error().message());
      if (spec->name == "systemd")
        local.backend = JailLocalOptions::Backend::systemd;
      else if (spec->name == "auto")
        local.backend = JailLocalOptions::Backend::auto_detect;
      else if (spec->name == "polling" || spec->name == "pyinotify" || spec->name == "gamin")
        local.backend = JailLocalOptions::Backend::file;
      else
        return fail("backend must be auto, systemd, polling, pyinotify or gamin, not '" + v + "'");
      local.journal_options = spec->params;
    } else if (key == "journalmatch") {
      local.journal_match = v;
    } else if (key == "port") {
      std::string why;
      if (!parse_port_list(v, &why))
        return fail(why);
      jail.port = v;
    } else if (key == "maxretry") {
      if (!parse_int(v, jail.maxretry) || jail.maxretry < 1)
        return fail("maxretry must be a whole number >= 1, not '" + v + "'");
    } else if (key == "findtime" || key == "bantime") {
      auto d = parse_duration(v);
      if (!d || (key == "findtime" && *d <= 0) || (key == "bantime" && *d == 0))
        return fail(key + ": invalid time '" + v + "' (e.g. 600, 10m, 1h, 1d, 1w, 1mo, 1y, -1)");
      (key == "findtime" ? jail.findtime : jail.bantime) = *d;
    } else if (key == "max_count") {
      if (!parse_int(v, jail.max_count) || jail.max_count < -1)
        return fail("max_count must be -1, 0 (off) or a positive number, not '" + v + "'");
    } else if (key == "banaction") {
      jail.banaction = v;
    } else if (key == "action") {
      // fail2ban's action lines, one action.d call per line (run by userspace/actions).
      local.actions = split_lines(v);
    } else if (key == "ignoreip") {
      for (const auto &item : split_word_list(v)) {
        auto p = IpPrefix::parse(item);
        if (!p)
          return fail("ignoreip: " + p.error().message() + " (host names are not resolved)");
        whitelist.emplace_back(jail.name, *p);
      }
    } else if (key == "usedns") {
      use_dns = matcher::parse_use_dns(v);
      if (!use_dns)
        return fail("usedns must be yes, warn, no or raw, not '" + v + "'");
    }
    // protocol, ignoreself: accepted for compatibility; mcf2b covers TCP, UDP and SCTP,
    // and never bans itself.
  }
  return {};
}

} // namespace

JailImport import_jail_files(const std::string &dir, const std::vector<JailConfig> &existing) {
  JailImport out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return out;
  std::vector<std::string> conf, local;
  for (const auto &entry : std::filesystem::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file())
      continue;
    std::string name = entry.path().string();
    if (name.ends_with(".conf"))
      conf.push_back(name);
    else if (name.ends_with(".local"))
      local.push_back(name);
  }
  std::sort(conf.begin(), conf.end());
  std::sort(local.begin(), local.end());
  conf.insert(conf.end(), local.begin(), local.end());

  std::map<std::string, JailConfig> jails;
  for (const auto &j : existing)
    jails[j.name] = j;
  std::set<std::string> changed;

  for (const auto &file : conf) {
    auto ini = matcher::IniFile::read(file);
    if (!ini) {
      out.errors.push_back(ini.error());
      continue;
    }
    out.files.push_back(file);
    Section defaults;
    if (auto d = ini->sections.find("DEFAULT"); d != ini->sections.end())
      defaults = d->second;
    for (const auto &name : ini->section_order) {
      if (name == "DEFAULT" || name == "INCLUDES")
        continue;
      Section keys = defaults;
      for (const auto &[k, v] : ini->sections[name])
        keys[k] = v;
      std::vector<std::pair<std::string, IpPrefix>> wl;
      // A family root: every existing jail of the family.
      std::vector<std::string> family;
      for (const auto &[jname, j] : jails)
        if (jname != name && jail_family(jname) == name)
          family.push_back(jname);
      if (!jails.count(name) && !family.empty()) {
        Section family_keys;
        for (const auto &[k, v] : ini->sections[name])
          family_keys[k] = v; // [DEFAULT] keys are for jails, not family roots
        std::map<std::string, JailConfig> updated;
        std::optional<matcher::UseDns> use_dns;
        JailLocalOptions family_local;
        Status st;
        for (const auto &jname : family) {
          JailConfig j = jails[jname];
          st = apply_keys(family_keys, j, wl, use_dns, family_local, true);
          if (!st)
            break;
          updated[jname] = j;
        }
        if (!st) {
          out.errors.push_back(st.error());
          continue;
        }
        for (auto &[jname, j] : updated) {
          jails[jname] = j;
          changed.insert(jname);
          if (use_dns)
            out.use_dns[jname] = *use_dns;
          if (reads_beyond_row(family_local))
            out.local_options[jname] = family_local;
        }
        // A family root's ignoreip whitelists the root (all tiers and -bl), once.
        std::set<std::string> seen;
        for (auto &[jail, prefix] : wl)
          if (seen.insert(prefix.to_string()).second)
            out.whitelist.emplace_back(name, prefix);
        continue;
      }
      bool is_new = !jails.count(name);
      JailConfig j;
      if (is_new) {
        j.name = name;
        j.enabled = false; // fail2ban: a jail is off unless it says enabled = true
        j.maxretry = 5;
        j.findtime = 600;
        j.bantime = 600;
        j.banaction = "mc-custom";
      } else {
        j = jails[name];
      }
      std::optional<matcher::UseDns> use_dns;
      JailLocalOptions reads;
      auto st = apply_keys(keys, j, wl, use_dns, reads, false);
      const auto &where = ini->sections[name].empty()
                              ? file
                              : ini->sections[name].begin()->second.where.to_string();
      if (st)
        if (auto valid = check_jail_config(j); !valid)
          st = valid.error().context(where);
      if (st && is_new &&
          (j.filter.empty() ||
           (j.logpath.empty() && reads.backend != JailLocalOptions::Backend::systemd)))
        st = Error::msg(where + ": new jail [" + name + "] needs filter and logpath");
      if (!st) {
        out.errors.push_back(st.error());
        continue;
      }
      jails[name] = j;
      changed.insert(name);
      out.whitelist.insert(out.whitelist.end(), wl.begin(), wl.end());
      if (use_dns)
        out.use_dns[name] = *use_dns;
      if (reads_beyond_row(reads))
        out.local_options[name] = reads;
    }
  }
  for (const auto &name : changed)
    out.jails.push_back(jails[name]);
  return out;
}

std::vector<Error> merge_jail_files(JailController &controller, const JailImport &imported,
                                    Decisions &out) {
  std::vector<Error> errors;
  // What the files say is written to the store only where it changes the store's row:
  // every start of every node rewriting every jail would make the whole cluster re-read
  // its jails. A log path alone is this node's business and stays local.
  for (const auto &j : imported.jails) {
    const JailConfig *known = controller.jail(j.name);
    const bool store_it = !known || !same_except_logpath(*known, j);
    auto u = controller.update_jail(j);
    if (!u) {
      errors.push_back(u.error().context("jail " + j.name));
      continue;
    }
    out.append(std::move(*u));
    const JailConfig *taken = controller.jail(j.name);
    auto &to_store = out.jails;
    bool listed = std::any_of(to_store.begin(), to_store.end(),
                              [&](const JailConfig &x) { return x.name == j.name; });
    if (taken && store_it && !listed)
      to_store.push_back(*taken);
  }
  for (const auto &[jail, prefix] : imported.whitelist) {
    auto names = controller.resolve(jail);
    bool known = names && std::all_of(names->begin(), names->end(),
                                      [&, &prefix = prefix](const std::string &n) {
                                        auto wl = controller.whitelist(n);
                                        return std::find(wl.begin(), wl.end(), prefix) != wl.end();
                                      });
    if (known)
      continue;
    // ignoreip in a file the admin wrote: any width, as in fail2ban.
    if (auto w = controller.whitelist_add(jail, prefix, true); w)
      out.append(std::move(*w));
  }
  return errors;
}

} // namespace mcf2b
