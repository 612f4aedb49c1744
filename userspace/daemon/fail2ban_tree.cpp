// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/fail2ban_tree.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "matcher/ini_interpolation.h"

namespace mcf2b {
namespace {

using matcher::IniFile;
using matcher::IniValue;

bool exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// A folder's files ending in `suffix`, in name order (Python's sorted(glob(...)), which
// leaves out names starting with a dot).
std::vector<std::string> folder_files(const std::string &dir, const std::string &suffix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto &entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!name.empty() && name.front() != '.' && name.size() > suffix.size() &&
        name.ends_with(suffix))
      out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string local_of(const std::string &path) {
  size_t dot = path.rfind('.');
  size_t slash = path.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash))
    return path + ".local";
  return path.substr(0, dot) + ".local";
}

std::string dir_of(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::vector<std::string> include_lines(const IniFile &file, const char *key) {
  std::vector<std::string> out;
  auto inc = file.sections.find("INCLUDES");
  if (inc == file.sections.end())
    return out;
  auto it = inc->second.find(key);
  if (it == inc->second.end())
    return out;
  const std::string &text = it->second.text;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos)
      nl = text.size();
    std::string line = text.substr(pos, nl - pos);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
      line.pop_back();
    if (!line.empty())
      out.push_back(line.front() == '/' ? line : dir_of(file.path) + "/" + line);
    pos = nl + 1;
  }
  return out;
}

} // namespace

// One read of a tree: the include stack (for loops and depth) and the bounds.
struct Fail2banTree::Reading {
  Fail2banTree &tree;
  const Fail2banTreeLimits &limits;
  std::vector<std::string> stack;
  bool too_many_files = false;

  // fail2ban's _getIncludes: each file followed by its .local when that exists and is
  // not listed already.
  void add_with_locals(const std::vector<std::string> &paths) {
    std::vector<std::string> expanded;
    for (const auto &p : paths) {
      expanded.push_back(p);
      std::string local = local_of(p);
      if (std::find(paths.begin(), paths.end(), local) == paths.end() && exists(local))
        expanded.push_back(local);
    }
    for (const auto &p : expanded)
      add(p);
  }

  void add(const std::string &path) {
    auto fail = [&](const std::string &why) {
      tree.errors_.push_back(Error::msg(path + ": " + why));
    };
    if (!exists(path))
      return; // a missing include (typically a *.local) is not an error, as in fail2ban
    if (tree.files_.size() >= limits.max_files) {
      if (!too_many_files) // said once, not for each of a flood of files
        fail("not read, nor any file after it: the tree already has " +
             std::to_string(limits.max_files) + " files, the most it may have");
      too_many_files = true;
      return;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      return fail("not a regular file");
    if (static_cast<size_t>(st.st_size) > limits.max_file_size)
      return fail("not read: " + std::to_string(st.st_size) + " bytes, more than the " +
                  std::to_string(limits.max_file_size / 1024) +
                  " KiB a configuration file may have");
    auto file = IniFile::read(path);
    if (!file)
      return tree.errors_.push_back(file.error());
    stack.push_back(path);
    auto follow = [&](const char *key) {
      std::vector<std::string> includes;
      for (const auto &inc : include_lines(*file, key)) {
        if (std::find(stack.begin(), stack.end(), inc) != stack.end()) {
          fail("include loop: " + std::string(key) + " = " + inc +
               " includes a file that is including it; not followed");
          continue;
        }
        if (static_cast<int>(stack.size()) > limits.max_include_depth) {
          fail("includes nested more than " + std::to_string(limits.max_include_depth) +
               " levels deep; " + inc + " not followed");
          continue;
        }
        includes.push_back(inc);
      }
      add_with_locals(includes);
    };
    follow("before");
    tree.merge(*file);
    tree.files_.push_back(path);
    follow("after");
    stack.pop_back();
  }
};

Result<Fail2banTree> Fail2banTree::read(const std::string &dir, const Fail2banTreeLimits &limits) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    return Error::msg("fail2ban configuration folder " + dir + " does not exist");
  Fail2banTree tree;
  tree.dir_ = dir;
  while (tree.dir_.size() > 1 && tree.dir_.back() == '/')
    tree.dir_.pop_back();
  // ConfigReaderUnshared.read("jail"): jail.conf, jail.d/*.conf, jail.local,
  // jail.d/*.local; only those that exist.
  std::string base = tree.dir_ + "/jail";
  std::vector<std::string> top = {base + ".conf"};
  for (auto &f : folder_files(base + ".d", ".conf"))
    top.push_back(std::move(f));
  top.push_back(base + ".local");
  for (auto &f : folder_files(base + ".d", ".local"))
    top.push_back(std::move(f));
  std::erase_if(top, [](const std::string &p) { return !exists(p); });
  if (top.empty())
    return Error::msg(dir + " has no jail.conf, jail.local or jail.d/: not a fail2ban tree");
  Reading reading{tree, limits, {}, false};
  reading.add_with_locals(top);
  return tree;
}

void Fail2banTree::merge(const IniFile &file) {
  auto note_references = [&](const std::string &text) {
    for (size_t p = text.find("%("); p != std::string::npos; p = text.find("%(", p + 2)) {
      size_t close = text.find(")s", p + 2);
      if (close == std::string::npos)
        break;
      std::string name = text.substr(p + 2, close - p - 2);
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (size_t slash = name.rfind('/'); slash != std::string::npos)
        name = name.substr(slash + 1);
      referenced_.insert(name);
    }
  };
  for (const auto &name : file.section_order) {
    if (name == "INCLUDES")
      continue;
    const auto &keys = file.sections.at(name);
    for (const auto &[key, value] : keys)
      note_references(value.text);
    if (name == "DEFAULT") {
      for (const auto &[key, value] : keys)
        defaults_[key] = value;
      continue;
    }
    auto [section, is_new] = sections_.try_emplace(name);
    if (is_new)
      order_.push_back(name);
    for (const auto &[key, value] : keys) {
      if (auto old = section->second.find(key); old != section->second.end())
        known_[name][key] = old->second;
      section->second[key] = value;
    }
  }
}

const std::map<std::string, IniValue> *Fail2banTree::own(const std::string &section) const {
  auto it = sections_.find(section);
  return it == sections_.end() ? nullptr : &it->second;
}

std::optional<IniValue> Fail2banTree::raw(const std::string &section,
                                          const std::string &key) const {
  if (key.starts_with("known/")) {
    auto k = known_.find(section);
    if (k == known_.end())
      return std::nullopt;
    auto v = k->second.find(key.substr(6));
    return v == k->second.end() ? std::nullopt : std::optional<IniValue>(v->second);
  }
  if (section != "DEFAULT")
    if (const auto *keys = own(section))
      if (auto v = keys->find(key); v != keys->end())
        return v->second;
  if (auto v = defaults_.find(key); v != defaults_.end())
    return v->second;
  return std::nullopt;
}

Result<std::optional<std::string>>
Fail2banTree::get(const std::string &section, const std::string &key,
                  const std::map<std::string, std::string> &filter_known) const {
  matcher::IniInterpolator interpolator(
      [&](const std::string &s, const std::string &k) -> std::optional<IniValue> {
        auto v = raw(s, k);
        if (v || !k.starts_with("known/"))
          return v;
        auto f = filter_known.find(k.substr(6));
        if (f == filter_known.end())
          return std::nullopt;
        // Taken as written: a % in a regex is not the start of an interpolation.
        std::string text;
        for (char c : f->second)
          text += c == '%' ? std::string("%%") : std::string(1, c);
        return IniValue{std::move(text), {dir_ + "/filter.d", 0}};
      });
  return interpolator.get(section, key);
}

} // namespace mcf2b
