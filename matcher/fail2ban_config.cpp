// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/fail2ban_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>

namespace mcf2b::matcher {
namespace {

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
        // Every occurrence replaced in one pass into a new string (the inserted text is
        // not searched again): replacing in place moved the whole value at each
        // occurrence, quadratic in a value that doubles each round (<a0> = <a0><a0>).
        std::string needle = "<" + name + ">";
        std::string replaced;
        size_t p = 0;
        for (size_t hit = value.find(needle); hit != std::string::npos;
             hit = value.find(needle, p)) {
          replaced.append(value, p, hit - p);
          replaced += *repl;
          p = hit + needle.size();
          if (replaced.size() + (value.size() - p) > kMaxExpandedSize)
            return Error::msg("option '" + tag + "' expands beyond " +
                              std::to_string(kMaxExpandedSize / 1024) +
                              " KiB through <" + name + ">");
        }
        replaced.append(value, p);
        value = std::move(replaced);
        ++counts[name];
        changed = true;
        from = start;
      }
    }
  }
  return {};
}

} // namespace mcf2b::matcher
