// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/filter_definition.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "matcher/fail2ban_config.h"
#include "matcher/shipped_filters.h"

namespace mcf2b::matcher {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

bool file_exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}


void split_regexes(const std::string &value, const SourceLocation &where,
                   std::vector<FilterDefinition::Regex> &out) {
  size_t pos = 0;
  int offset = 0;
  while (pos <= value.size()) {
    size_t nl = value.find('\n', pos);
    if (nl == std::string::npos)
      nl = value.size();
    std::string line = value.substr(pos, nl - pos);
    if (!line.empty())
      out.push_back({line, SourceLocation{where.file, where.line + offset}});
    ++offset;
    pos = nl + 1;
  }
}

} // namespace

Result<FilterSpec> FilterSpec::parse(std::string_view text) {
  FilterSpec spec;
  text = trim(text);
  size_t bracket = text.find('[');
  if (bracket == std::string_view::npos || text.back() != ']') {
    if (bracket != std::string_view::npos)
      return Error::msg("filter '" + std::string(text) + "': unbalanced '['");
    spec.name = std::string(text);
    return spec;
  }
  spec.name = std::string(trim(text.substr(0, bracket)));
  std::string_view args = text.substr(bracket + 1, text.size() - bracket - 2);
  // key=value pairs separated by commas; values may be quoted with ' or ".
  size_t i = 0;
  while (i < args.size()) {
    while (i < args.size() && (args[i] == ',' || std::isspace(static_cast<unsigned char>(args[i]))))
      ++i;
    if (i >= args.size())
      break;
    size_t eq = args.find('=', i);
    if (eq == std::string_view::npos)
      return Error::msg("filter '" + std::string(text) + "': parameter without '='");
    std::string key = lower(trim(args.substr(i, eq - i)));
    i = eq + 1;
    while (i < args.size() && std::isspace(static_cast<unsigned char>(args[i])))
      ++i;
    std::string value;
    if (i < args.size() && (args[i] == '"' || args[i] == '\'')) {
      char quote = args[i++];
      size_t close = args.find(quote, i);
      if (close == std::string_view::npos)
        return Error::msg("filter '" + std::string(text) + "': unterminated quote");
      value = std::string(args.substr(i, close - i));
      i = close + 1;
    } else {
      size_t comma = args.find(',', i);
      if (comma == std::string_view::npos)
        comma = args.size();
      value = std::string(trim(args.substr(i, comma - i)));
      i = comma;
    }
    if (key.empty())
      return Error::msg("filter '" + std::string(text) + "': empty parameter name");
    spec.params[key] = value;
  }
  if (spec.name.empty())
    return Error::msg("filter '" + std::string(text) + "': no name");
  return spec;
}

std::string FilterSpec::to_string() const {
  if (params.empty())
    return name;
  std::string out = name + "[";
  bool first = true;
  for (const auto &[k, v] : params) {
    out += (first ? "" : ", ") + k + "=" + v;
    first = false;
  }
  return out + "]";
}

void FilterSpec::add_jail_options(const std::map<std::string, std::string> &options) {
  for (const auto &[option, value] : options) {
    auto [it, added] = params.emplace(option, value);
    if (!added)
      it->second = option == "failregex" || option == "ignoreregex" ? it->second + "\n" + value
                                                                    : value;
  }
}

FilterSearchPath FilterSearchPath::defaults() {
  FilterSearchPath path;
  if (const char *env = std::getenv("MCF2B_FILTER_DIR"); env && *env)
    path.dirs.emplace_back(env);
  for (auto &dir : default_filter_dirs())
    path.dirs.push_back(std::move(dir));
  return path;
}

Result<std::string> FilterSearchPath::locate(const FilterSpec &spec) const {
  if (spec.name.find('/') != std::string::npos) {
    if (!file_exists(spec.name))
      return Error::msg("filter file " + spec.name + " does not exist");
    return spec.name;
  }
  std::string file = spec.name;
  if (file.size() < 5 || file.substr(file.size() - 5) != ".conf")
    file += ".conf";
  for (const auto &dir : dirs)
    if (file_exists(dir + "/" + file))
      return dir + "/" + file;
  std::string tried;
  for (const auto &dir : dirs)
    tried += (tried.empty() ? "" : ", ") + dir;
  return Error::msg("filter '" + spec.name + "' not found in " + tried);
}

Result<FilterDefinition> load_filter(std::string_view spec_text, const FilterSearchPath &search) {
  auto spec = FilterSpec::parse(spec_text);
  if (!spec)
    return spec.error();
  return load_filter(*spec, search);
}

bool takes_journal_logtype(const FilterSpec &spec, const FilterSearchPath &search) {
  if (spec.params.count("logtype"))
    return false;
  auto path = search.locate(spec);
  MergedConfig config;
  if (!path || !config.add_file_with_includes(*path, 0))
    return true; // loading the filter says what is wrong with it
  const auto *definition = config.section("Definition");
  return !definition || !definition->count("logtype");
}

Result<FilterDefinition> load_filter(const FilterSpec &spec, const FilterSearchPath &search) {
  auto path = search.locate(spec);
  if (!path)
    return path.error();
  MergedConfig config;
  if (auto s = config.add_file_with_includes(*path, 0); !s)
    return s.error();
  if (!config.has_section("Definition"))
    return Error::msg(*path + ": no [Definition] section");

  const ConfigVars &vars = spec.params;
  Interpolator interp(config, vars);

  // The options FilterReader sends, interpolated in [Definition].
  static const char *const kOptions[] = {"prefregex",   "failregex", "ignoreregex",
                                         "datepattern", "maxlines",  "journalmatch"};
  std::map<std::string, std::string> combined;
  std::map<std::string, SourceLocation> origin;
  for (const char *opt : kOptions) {
    // fail2ban's ConfigReader.getOptions: an option given as a parameter is not read from
    // [Definition] at all (the parameter's value, taken as written, is the option's).
    if (spec.params.count(opt))
      continue;
    auto v = interp.get("Definition", opt);
    if (!v)
      return v.error();
    if (*v) {
      combined[opt] = **v;
      if (const IniValue *raw = config.raw("Definition", opt))
        origin[opt] = raw->where;
    }
  }
  // [Init] parameters, overridden by those given with the name.
  std::map<std::string, std::string> init = spec.params;
  if (const auto *init_section = config.section("Init")) {
    for (const auto &[key, value] : *init_section) {
      (void)value;
      auto v = interp.get("Init", key);
      if (!v)
        return v.error();
      if (!key.starts_with("known/"))
        init.emplace("known/" + key, v->value_or(""));
      init.emplace(key, v->value_or(""));
    }
  }
  for (auto &[k, v] : init)
    combined[k] = v; // init options win over definition options

  TagSubstitution how;
  how.lookup = [&](const std::string &tag) {
    // fail2ban's get_ex: in <Section/option> the section keeps its case (guacamole's
    // <L_<logging>/failregex> is [L_catalina]'s), the option is lower-cased.
    size_t slash = tag.find('/');
    return interp.get("Definition", slash == std::string::npos
                                        ? lower(tag)
                                        : tag.substr(0, slash + 1) + lower(tag.substr(slash + 1)));
  };
  auto status = substitute_recursive_tags(combined, how);
  if (!status)
    return status.error().context(*path);

  FilterDefinition def;
  def.name = spec.to_string();
  def.path = *path;
  auto where = [&](const char *opt) {
    auto it = origin.find(opt);
    return it == origin.end() ? SourceLocation{*path, 0} : it->second;
  };
  if (auto it = combined.find("prefregex"); it != combined.end() && !trim(it->second).empty())
    def.prefregex = FilterDefinition::Regex{std::string(trim(it->second)), where("prefregex")};
  if (auto it = combined.find("failregex"); it != combined.end())
    split_regexes(it->second, where("failregex"), def.failregex);
  if (auto it = combined.find("ignoreregex"); it != combined.end())
    split_regexes(it->second, where("ignoreregex"), def.ignoreregex);
  if (auto it = combined.find("datepattern"); it != combined.end())
    def.datepattern = std::string(trim(it->second));
  if (auto it = combined.find("journalmatch"); it != combined.end())
    def.journalmatch = std::string(trim(it->second));
  if (auto it = combined.find("maxlines"); it != combined.end() && !trim(it->second).empty()) {
    try {
      def.maxlines = std::stoi(it->second);
    } catch (...) {
      return Error::msg(where("maxlines").to_string() + ": maxlines is not a number");
    }
  }
  {
    auto v = interp.get("Definition", "require_date");
    if (!v)
      return v.error();
    std::string flag = lower(trim(v->value_or("")));
    def.require_date = flag == "true" || flag == "yes" || flag == "1" || flag == "on";
  }
  if (def.failregex.empty())
    return Error::msg(*path + ": filter has no failregex");
  return def;
}

} // namespace mcf2b::matcher
