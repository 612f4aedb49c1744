// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/actions/action_definition.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "matcher/fail2ban_config.h"
#include "matcher/filter_definition.h"
#include "userspace/actions/tag_substitution.h"

namespace mcf2b::actions {
namespace {

bool file_exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string base_name(std::string_view file) {
  std::string name(
      file.substr(file.rfind('/') == std::string_view::npos ? 0 : file.rfind('/') + 1));
  for (const char *ext : {".conf", ".local"})
    if (name.size() > std::strlen(ext) && name.ends_with(ext))
      name.resize(name.size() - std::strlen(ext));
  return name;
}

// A value spliced into command text: letters, digits and , : . _ - / only.
bool spliceable(std::string_view v) {
  return std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr(",:._-/ ", c);
  });
}

// fail2ban's str2seconds for `timeout`: a number of seconds, or with s/m/h/d.
Result<Seconds> timeout_seconds(std::string_view text) {
  std::string t(text);
  t.erase(std::remove_if(t.begin(), t.end(),
                         [](char c) { return std::isspace(static_cast<unsigned char>(c)); }),
          t.end());
  if (t.empty())
    return Seconds{60};
  Seconds unit = 1;
  char last = t.back();
  if (last == 's' || last == 'm' || last == 'h' || last == 'd') {
    unit = last == 's' ? 1 : last == 'm' ? 60 : last == 'h' ? 3600 : 86400;
    t.pop_back();
  }
  if (t.empty() || t.size() > 9 || !std::all_of(t.begin(), t.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      }))
    return Error::msg("timeout '" + std::string(text) + "' is not a number of seconds");
  Seconds v = std::stoll(t) * unit;
  if (v <= 0)
    return Error::msg("timeout '" + std::string(text) + "' must be positive");
  return v;
}

} // namespace

Result<ActionCall> ActionCall::parse(std::string_view text) {
  // Same syntax as a filter's: name[key=value, key="value, with commas"].
  auto spec = matcher::FilterSpec::parse(text);
  if (!spec)
    return Error::msg(std::string(spec.error().message()).replace(0, 6, "action"));
  return ActionCall{spec->name, spec->params};
}

std::vector<std::string> ActionSearchPath::default_dirs() {
  return {"/etc/mcf2b/action.d", "/etc/fail2ban/action.d"};
}

Result<std::string> ActionSearchPath::locate(const std::string &file) const {
  if (file.find('/') != std::string::npos) {
    if (!file_exists(file))
      return Error::msg("action file " + file + " does not exist");
    return file;
  }
  std::string name = file.ends_with(".conf") ? file : file + ".conf";
  for (const auto &dir : dirs)
    if (file_exists(dir + "/" + name))
      return dir + "/" + name;
  std::string tried;
  for (const auto &dir : dirs)
    tried += (tried.empty() ? "" : ", ") + dir;
  return Error::msg("action '" + file + "' not found in " + tried);
}

std::string_view operation_key(Operation op) {
  switch (op) {
  case Operation::start:
    return "actionstart";
  case Operation::check:
    return "actioncheck";
  case Operation::repair:
    return "actionrepair";
  case Operation::ban:
    return "actionban";
  case Operation::unban:
    return "actionunban";
  case Operation::flush:
    return "actionflush";
  case Operation::stop:
    return "actionstop";
  }
  return "";
}

std::string ActionDefinition::command(Operation op) const {
  auto it = properties.find(std::string(operation_key(op)));
  if (it == properties.end())
    return {};
  // fail2ban runs nothing for an empty or blank command.
  bool blank = std::all_of(it->second.begin(), it->second.end(),
                           [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  return blank ? std::string() : it->second;
}

bool ActionDefinition::has_family_conditions() const {
  return std::any_of(properties.begin(), properties.end(),
                     [](const auto &kv) { return kv.first.find("?family=") != std::string::npos; });
}

Result<ActionDefinition> load_action(const ActionCall &call, const std::string &jail,
                                     const ActionSearchPath &search) {
  auto path = search.locate(call.file);
  if (!path)
    return path.error();
  matcher::MergedConfig config;
  if (auto s = config.add_file_with_includes(*path, 0); !s)
    return s.error();
  if (!config.has_section("Definition"))
    return Error::msg(*path + ": no [Definition] section");

  // fail2ban's ActionReader: the call's parameters, "name" defaulting to the jail and
  // "actname" to the file (suffixed when the name is not the jail's).
  matcher::ConfigVars vars = call.params;
  std::string name = vars.count("name") ? vars["name"] : jail;
  vars["name"] = name;
  std::string actname = base_name(call.file);
  if (vars.count("actname"))
    actname = vars["actname"];
  else if (name != jail)
    actname += name.starts_with(jail) ? name.substr(jail.size()) : "-" + name;
  vars["actname"] = actname;

  matcher::Interpolator interp(config, vars);
  ActionDefinition def;
  def.file = base_name(call.file);
  def.actname = actname;
  def.path = *path;
  def.firewall = is_firewall_action(call.file);

  // [Definition] options. The operations must interpolate; another option that does
  // not is left out (fail2ban reads it only when a tag names it, and fails then).
  if (const auto *definition = config.section("Definition"))
    for (const auto &[key, value] : *definition) {
      (void)value;
      if (key.starts_with("known/"))
        continue;
      auto v = interp.get("Definition", key);
      if (!v) {
        if (key.starts_with("action"))
          return v.error().context(*path);
        continue;
      }
      if (*v)
        def.properties[key] = **v;
    }
  // [Init] options, overridden by the call's parameters; "known/x" keeps the file's x.
  std::map<std::string, std::string> init = vars;
  if (const auto *init_section = config.section("Init"))
    for (const auto &[key, value] : *init_section) {
      (void)value;
      auto v = interp.get("Init", key);
      if (!v)
        return v.error().context(*path);
      if (!key.starts_with("known/"))
        init.emplace("known/" + key, v->value_or(""));
      init.emplace(key, v->value_or(""));
    }
  for (auto &[k, v] : init)
    def.properties[k] = v;

  if (auto it = def.properties.find("timeout"); it != def.properties.end()) {
    auto t = timeout_seconds(it->second);
    if (!t)
      return t.error().context(*path);
    def.timeout = *t;
    def.properties.erase(it);
  }
  // fail2ban ignores a `bantime` property: <bantime> is the ban's.
  def.properties.erase("bantime");

  // The admin's values that commands hold unquoted: checked once, here.
  for (const char *key : {"name", "port", "protocol"}) {
    for (std::string_view family : {"", "inet4", "inet6"}) {
      auto it = def.properties.find(key);
      if (it == def.properties.end())
        break;
      auto value = expand_static("<" + std::string(key) + ">", def.properties, family);
      if (!value)
        return value.error().context(*path);
      if (!spliceable(*value))
        return Error::msg(*path + ": " + key + " '" + *value + "' of jail " + jail +
                          " holds a character other than letters, digits, spaces and , : . _ - /");
    }
  }
  return def;
}

} // namespace mcf2b::actions
