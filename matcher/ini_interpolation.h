// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "base/result.h"
#include "matcher/ini_file.h"

namespace mcf2b::matcher {

// No expanded option grows beyond this: a value that doubles at each of its ten levels
// of %(...)s (or of a filter's <tag>s) stops with an error instead of eating memory (the
// largest stock failregex expands to a few KiB).
inline constexpr size_t kMaxExpandedSize = 1024 * 1024;

// The raw (not interpolated) value of `key` as seen from `section`: the section's own,
// else [DEFAULT]'s; "known/<key>" is the value the section overrode (fail2ban's known/
// prefix). nullopt where there is none.
using RawValueLookup =
    std::function<std::optional<IniValue>(const std::string &section, const std::string &key)>;

// Python's BasicInterpolation as fail2ban configures it: %(name)s, %% and the
// %(section/option)s, %(known/option)s and %(__name__)s extensions, done in the context
// of one section, with `vars` (a filter's parameters) taking precedence over the files.
// Nesting is bounded at 10 levels (Python's limit) and the result at kMaxExpandedSize.
// Errors name the file and line of the value, never its text.
class IniInterpolator {
public:
  IniInterpolator(RawValueLookup raw, std::map<std::string, std::string> vars = {})
      : raw_(std::move(raw)), vars_(std::move(vars)) {}

  // The interpolated value of section/key (key may be "other-section/key", read in that
  // section as fail2ban's get_ex does), or nullopt when it does not exist.
  Result<std::optional<std::string>> get(const std::string &section, const std::string &key) const;

  // `text` interpolated as if it were a value of `section` written at `where`.
  Result<std::string> interpolate(const std::string &text, const std::string &section,
                                  const SourceLocation &where, int depth = 0) const;

private:
  RawValueLookup raw_;
  std::map<std::string, std::string> vars_;
};

} // namespace mcf2b::matcher
