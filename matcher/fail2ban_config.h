// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "base/result.h"
#include "matcher/ini_file.h"
#include "matcher/ini_interpolation.h"

namespace mcf2b::matcher {

// What filter.d and action.d files share: fail2ban's ConfigReader over one file and its
// includes, Python's BasicInterpolation (%(name)s) and substituteRecursiveTags (<tag>).
// One copy, read by the filter loader and the action loader alike.

// All files of one definition merged in fail2ban's read order: includes "before" (each
// expanded the same way), the file, its .local, includes "after". A later file's value
// overrides an earlier one; the earlier one stays reachable as "known/<key>". A
// conditional section ([Init?family=inet6]) is merged into its base section with each
// key suffixed by the condition ("blocktype?family=inet6"), as fail2ban does.
class MergedConfig {
public:
  Status add_file_with_includes(const std::string &path, int depth);

  // A raw value: section's own key, else [DEFAULT].
  [[nodiscard]] const IniValue *raw(const std::string &section, const std::string &key) const;
  [[nodiscard]] bool has_section(const std::string &s) const { return sections_.count(s) != 0; }
  [[nodiscard]] const std::map<std::string, IniValue> *section(const std::string &s) const;

private:
  Status add_optional(const std::string &path, int depth);
  void merge(const IniFile &file);

  std::map<std::string, std::map<std::string, IniValue>> sections_;
};

using ConfigVars = std::map<std::string, std::string>;

// Python's BasicInterpolation over a merged definition: IniInterpolator (the one
// implementation, shared with the jail.conf reader) reading the merged sections, with
// `vars` (a filter's or action's parameters) taking precedence.
class Interpolator {
public:
  Interpolator(const MergedConfig &config, const ConfigVars &vars)
      : impl_(
            [&config](const std::string &section, const std::string &key) {
              const IniValue *value = config.raw(section, key);
              return value ? std::optional<IniValue>(*value) : std::nullopt;
            },
            vars) {}

  // The interpolated value of section/key, or nullopt when it does not exist.
  Result<std::optional<std::string>> get(const std::string &section, const std::string &key) {
    return impl_.get(section, key);
  }

private:
  IniInterpolator impl_;
};

// fail2ban's substituteRecursiveTags: every <tag> of a value that names an option (of
// `opts`, else what `lookup` finds) is replaced, repeatedly, so tags nest (<mdre-<mode>>).
// Tags that name nothing are left as they are. With a `conditional` ("family=inet6"),
// "tag?family=inet6" is preferred to "tag". Tags in `ignore` are neither replaced nor
// resolved (they are dynamic, bound later).
struct TagSubstitution {
  std::function<Result<std::optional<std::string>>(const std::string &)> lookup;
  std::set<std::string> ignore;
  std::string conditional;
};
Status substitute_recursive_tags(std::map<std::string, std::string> &opts,
                                 const TagSubstitution &how);

// fail2ban's TAG_CRE, <([^ <>]+)>: the first tag at or after `from`.
bool find_tag(const std::string &text, size_t from, size_t &start, size_t &end);

} // namespace mcf2b::matcher
