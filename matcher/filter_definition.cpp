// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/filter_definition.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <functional>
#include <optional>

#include "matcher/ini_interpolation.h"
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

std::string dir_of(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// All files of one filter merged in fail2ban's read order: includes "before" (each
// expanded the same way), the file, its .local, includes "after". A later file's value
// overrides an earlier one; the earlier one stays reachable as "known/<key>".
class MergedConfig {
public:
  Status add_file_with_includes(const std::string &path, int depth) {
    if (depth > 16)
      return Error::msg(path + ": includes nested too deeply (a loop?)");
    auto file = IniFile::read(path);
    if (!file)
      return file.error();
    std::vector<std::string> before, after;
    auto inc = file->sections.find("INCLUDES");
    if (inc != file->sections.end()) {
      auto split = [&](const char *key, std::vector<std::string> &out) {
        auto it = inc->second.find(key);
        if (it == inc->second.end())
          return;
        size_t pos = 0;
        const std::string &v = it->second.text;
        while (pos <= v.size()) {
          size_t nl = v.find('\n', pos);
          if (nl == std::string::npos)
            nl = v.size();
          std::string name(trim(std::string_view(v).substr(pos, nl - pos)));
          if (!name.empty())
            out.push_back(name.front() == '/' ? name : dir_of(path) + "/" + name);
          pos = nl + 1;
        }
      };
      split("before", before);
      split("after", after);
    }
    for (const auto &b : before)
      if (auto s = add_optional(b, depth); !s)
        return s;
    merge(*file);
    std::string local = path.substr(0, path.rfind('.')) + ".local";
    if (local != path && file_exists(local))
      if (auto s = add_file_with_includes(local, depth + 1); !s)
        return s;
    for (const auto &a : after)
      if (auto s = add_optional(a, depth); !s)
        return s;
    return {};
  }

  // A raw value: section's own key, else [DEFAULT].
  const IniValue *raw(const std::string &section, const std::string &key) const {
    auto s = sections_.find(section);
    if (s != sections_.end()) {
      auto k = s->second.find(key);
      if (k != s->second.end())
        return &k->second;
    }
    auto d = sections_.find("DEFAULT");
    if (d != sections_.end()) {
      auto k = d->second.find(key);
      if (k != d->second.end())
        return &k->second;
    }
    return nullptr;
  }

  bool has_section(const std::string &s) const { return sections_.count(s) != 0; }
  const std::map<std::string, IniValue> *section(const std::string &s) const {
    auto it = sections_.find(s);
    return it == sections_.end() ? nullptr : &it->second;
  }

private:
  Status add_optional(const std::string &path, int depth) {
    // Missing includes (typically the *.local ones) are not an error, as in fail2ban.
    if (!file_exists(path))
      return {};
    return add_file_with_includes(path, depth + 1);
  }

  void merge(const IniFile &file) {
    for (const auto &[name, keys] : file.sections) {
      if (name == "INCLUDES")
        continue;
      auto &target = sections_[name];
      for (const auto &[key, value] : keys) {
        auto it = target.find(key);
        if (it != target.end())
          target["known/" + key] = it->second;
        target[key] = value;
      }
    }
  }

  std::map<std::string, std::map<std::string, IniValue>> sections_;
};

using Vars = std::map<std::string, std::string>;

constexpr int kMaxTagReplacements = 25;

// fail2ban's substituteRecursiveTags: every <tag> whose name is an option (of the combined
// set, else of [Definition]) is replaced, repeatedly, so tags nest (<mdre-<mode>>). Tags
// that name nothing (<HOST>, <F-USER>, (?P<name>...)) are left for the regex stage.
Status substitute_tags(std::map<std::string, std::string> &opts,
                       const std::function<Result<std::optional<std::string>>(const std::string &)>
                           &lookup) {
  auto find_tag = [](const std::string &v, size_t from, size_t &start, size_t &end) {
    for (size_t i = from; i < v.size(); ++i) {
      if (v[i] != '<')
        continue;
      size_t j = i + 1;
      while (j < v.size() && v[j] != '<' && v[j] != '>' && v[j] != ' ')
        ++j;
      if (j < v.size() && v[j] == '>' && j > i + 1) {
        start = i;
        end = j + 1;
        return true;
      }
    }
    return false;
  };
  for (auto &[tag, value] : opts) {
    std::map<std::string, int> counts;
    // Rescanned from the start after each round of replacements, so that a tag built
    // by an inner replacement (<mdre-<mode>> -> <mdre-normal>) is resolved too.
    for (bool changed = true; changed;) {
    changed = false;
    size_t start = 0, end = 0, from = 0;
    while (find_tag(value, from, start, end)) {
      std::string name = value.substr(start + 1, end - start - 2);
      if (name == tag || counts[name] >= kMaxTagReplacements)
        return Error::msg("option '" + tag + "' refers to itself through <" + name + ">");
      std::optional<std::string> repl;
      if (auto it = opts.find(name); it != opts.end() && name != tag)
        repl = it->second;
      else {
        auto looked = lookup(name);
        if (!looked)
          return looked.error();
        repl = *looked;
      }
      if (!repl) {
        from = end;
        continue;
      }
      std::string needle = "<" + name + ">";
      for (size_t p = value.find(needle); p != std::string::npos;
           p = value.find(needle, p + repl->size())) {
        if (value.size() - needle.size() + repl->size() > kMaxExpandedSize)
          return Error::msg("option '" + tag + "' expands beyond " +
                            std::to_string(kMaxExpandedSize / 1024) + " KiB through <" + name +
                            ">");
        value.replace(p, needle.size(), *repl);
      }
      ++counts[name];
      changed = true;
      from = start;
    }
    }
  }
  return {};
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

Result<FilterDefinition> load_filter(const FilterSpec &spec, const FilterSearchPath &search) {
  auto path = search.locate(spec);
  if (!path)
    return path.error();
  MergedConfig config;
  if (auto s = config.add_file_with_includes(*path, 0); !s)
    return s.error();
  if (!config.has_section("Definition"))
    return Error::msg(*path + ": no [Definition] section");

  const Vars &vars = spec.params;
  IniInterpolator interp(
      [&config](const std::string &section, const std::string &key) -> std::optional<IniValue> {
        const IniValue *value = config.raw(section, key);
        return value ? std::optional<IniValue>(*value) : std::nullopt;
      },
      vars);

  // The options FilterReader sends, interpolated in [Definition].
  static const char *const kOptions[] = {"prefregex",   "failregex", "ignoreregex",
                                         "datepattern", "maxlines",  "journalmatch"};
  std::map<std::string, std::string> combined;
  std::map<std::string, SourceLocation> origin;
  for (const char *opt : kOptions) {
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

  auto status = substitute_tags(combined, [&](const std::string &tag) {
    // fail2ban's get_ex: in <Section/option> the section keeps its case (guacamole's
    // <L_<logging>/failregex> is [L_catalina]'s), the option is lower-cased.
    size_t slash = tag.find('/');
    return interp.get("Definition", slash == std::string::npos
                                        ? lower(tag)
                                        : tag.substr(0, slash + 1) + lower(tag.substr(slash + 1)));
  });
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
