// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/fail2ban_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

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

// fail2ban's CONDITIONAL_RE, ^(\w+)(\?.+)$: "Init?family=inet6" -> ("Init", "?family=inet6").
bool split_conditional(const std::string &name, std::string &base, std::string &condition) {
  size_t q = name.find('?');
  if (q == 0 || q == std::string::npos || q + 1 >= name.size())
    return false;
  for (size_t i = 0; i < q; ++i)
    if (!std::isalnum(static_cast<unsigned char>(name[i])) && name[i] != '_')
      return false;
  base = name.substr(0, q);
  condition = name.substr(q);
  return true;
}

} // namespace

Status MergedConfig::add_file_with_includes(const std::string &path, int depth) {
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

const IniValue *MergedConfig::raw(const std::string &section, const std::string &key) const {
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

const std::map<std::string, IniValue> *MergedConfig::section(const std::string &s) const {
  auto it = sections_.find(s);
  return it == sections_.end() ? nullptr : &it->second;
}

Status MergedConfig::add_optional(const std::string &path, int depth) {
  // Missing includes (typically the *.local ones) are not an error, as in fail2ban.
  if (!file_exists(path))
    return {};
  return add_file_with_includes(path, depth + 1);
}

void MergedConfig::merge(const IniFile &file) {
  for (const auto &[name, keys] : file.sections) {
    if (name == "INCLUDES")
      continue;
    std::string base = name, condition;
    bool conditional = split_conditional(name, base, condition);
    auto &target = sections_[base];
    for (const auto &[raw_key, value] : keys) {
      std::string key = conditional ? raw_key + condition : raw_key;
      auto it = target.find(key);
      if (it != target.end())
        target["known/" + key] = it->second;
      target[key] = value;
    }
  }
}

Result<std::optional<std::string>> Interpolator::get(const std::string &section,
                                                     const std::string &key) {
  std::string sec = section, opt = key;
  if (auto slash = key.find('/'); slash != std::string::npos && key.rfind("known/", 0) != 0) {
    sec = key.substr(0, slash);
    opt = key.substr(slash + 1);
    if (lower(sec) == "default")
      sec = "DEFAULT";
  }
  std::string raw_text;
  SourceLocation where;
  if (auto v = vars_.find(opt); v != vars_.end() && sec == section) {
    raw_text = v->second;
  } else if (const IniValue *value = config_.raw(sec, opt)) {
    raw_text = value->text;
    where = value->where;
  } else {
    return std::optional<std::string>{};
  }
  // fail2ban's get_ex reads <section/option> in that section: its %(...)s are that
  // section's options (asterisk's [lt_journal] __extra_timestamp).
  auto out = interpolate(raw_text, sec, where, 0);
  if (!out)
    return out.error();
  return std::optional<std::string>{std::move(*out)};
}

Result<std::string> Interpolator::interpolate(const std::string &text, const std::string &section,
                                              const SourceLocation &where, int depth) {
  if (depth > 10)
    return Error::msg(where.to_string() + ": interpolation nested too deeply");
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] != '%') {
      out += text[i++];
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '%') {
      out += '%';
      i += 2;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '(') {
      size_t close = text.find(")s", i + 2);
      if (close == std::string::npos)
        return Error::msg(where.to_string() + ": bad interpolation syntax in: " + text);
      std::string name = lower(text.substr(i + 2, close - i - 2));
      std::string sec = section, opt = name;
      if (auto slash = name.find('/'); slash != std::string::npos && name.rfind("known/", 0)) {
        sec = text.substr(i + 2, slash); // section names keep their case
        opt = name.substr(slash + 1);
        if (lower(sec) == "default")
          sec = "DEFAULT";
      }
      std::string raw_text;
      SourceLocation inner_where = where;
      if (auto v = vars_.find(opt); v != vars_.end() && sec == section) {
        raw_text = v->second;
      } else if (const IniValue *value = config_.raw(sec, opt)) {
        raw_text = value->text;
        inner_where = value->where;
      } else if (opt.rfind("known/", 0) == 0 && config_.raw("DEFAULT", opt.substr(6))) {
        // Nothing of this section was overridden: fail2ban falls back to [DEFAULT]'s x
        // (never to the section's own x, which may be the very value referring here).
        const IniValue *known = config_.raw("DEFAULT", opt.substr(6));
        raw_text = known->text;
        inner_where = known->where;
      } else {
        return Error::msg(where.to_string() + ": %(" + name + ")s refers to an option that " +
                          "does not exist in [" + section + "]");
      }
      auto inner = interpolate(raw_text, section, inner_where, depth + 1);
      if (!inner)
        return inner;
      if (out.size() + inner->size() > kMaxExpandedSize)
        return Error::msg(where.to_string() + ": %(" + name + ")s expands beyond " +
                          std::to_string(kMaxExpandedSize / 1024) + " KiB");
      out += *inner;
      i = close + 2;
      continue;
    }
    return Error::msg(where.to_string() + ": '%' must be followed by '%' or '(': " + text);
  }
  return out;
}

bool find_tag(const std::string &v, size_t from, size_t &start, size_t &end) {
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
}

namespace {
constexpr int kMaxTagReplacements = 25;
}

Status substitute_recursive_tags(std::map<std::string, std::string> &opts,
                                 const TagSubstitution &how) {
  for (auto &[tag, value] : opts) {
    if (how.ignore.count(tag))
      continue;
    std::map<std::string, int> counts;
    // Rescanned from the start after each round of replacements, so that a tag built
    // by an inner replacement (<mdre-<mode>> -> <mdre-normal>) is resolved too.
    for (bool changed = true; changed;) {
      changed = false;
      size_t start = 0, end = 0, from = 0;
      while (find_tag(value, from, start, end)) {
        std::string name = value.substr(start + 1, end - start - 2);
        if (how.ignore.count(name)) {
          from = end;
          continue;
        }
        if (name == tag || counts[name] >= kMaxTagReplacements)
          return Error::msg("option '" + tag + "' refers to itself through <" + name + ">");
        std::optional<std::string> repl;
        if (!how.conditional.empty())
          if (auto it = opts.find(name + "?" + how.conditional); it != opts.end())
            repl = it->second;
        if (!repl) {
          if (auto it = opts.find(name); it != opts.end() && name != tag)
            repl = it->second;
          else if (how.lookup) {
            auto looked = how.lookup(name);
            if (!looked)
              return looked.error();
            repl = *looked;
          }
        }
        if (!repl) {
          from = end;
          continue;
        }
        std::string needle = "<" + name + ">";
        for (size_t p = value.find(needle); p != std::string::npos;
             p = value.find(needle, p + repl->size())) {
          if (value.size() - needle.size() + repl->size() > Interpolator::kMaxExpandedSize)
            return Error::msg("option '" + tag + "' expands beyond " +
                              std::to_string(Interpolator::kMaxExpandedSize / 1024) +
                              " KiB through <" + name + ">");
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

} // namespace mcf2b::matcher
