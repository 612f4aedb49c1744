// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "matcher/ini_file.h"

namespace mcf2b::matcher {

// How a jail names its filter: "sshd", "sshd[mode=aggressive]", a path to a .conf file,
// optionally with [key=value, ...] parameters that override the filter's [Init].
struct FilterSpec {
  std::string name;                          // name or path, without the [...] part
  std::map<std::string, std::string> params; // keys lower-cased
  static Result<FilterSpec> parse(std::string_view text);
  [[nodiscard]] std::string to_string() const;

  // Filter options set in a jail section (failregex, ignoreregex, prefregex, datepattern,
  // maxlines), applied as fail2ban's JailReader does: the filter's own [Definition] value
  // gives way to the jail's; a rule list (failregex, ignoreregex) is the rules of the
  // line's parameter, if any, then the jail's; any other option is the jail's.
  void add_jail_options(const std::map<std::string, std::string> &options);
};

// Where filters are looked up by name: ours first, then the installed fail2ban's.
struct FilterSearchPath {
  std::vector<std::string> dirs;
  // $MCF2B_FILTER_DIR when set, then default_filter_dirs() (shipped_filters.h):
  // /etc/mcf2b/filter.d, the shipped filters, /etc/fail2ban/filter.d.
  static FilterSearchPath defaults();
  // The .conf file a spec refers to: a path is taken as is, a name is searched in dirs.
  [[nodiscard]] Result<std::string> locate(const FilterSpec &spec) const;
};

// fail2ban's FilterReader.applyAutoOptions for a jail reading the journal: the filter
// gets logtype=journal unless its line sets logtype or its [Definition] section does
// (itself, not through [DEFAULT], where common.conf's logtype = file is).
[[nodiscard]] bool takes_journal_logtype(const FilterSpec &spec, const FilterSearchPath &search);

// A filter with every include, %(interpolation)s and <tag> resolved: what the matcher
// compiles. The fail2ban host tags (<HOST>, <F-USER>...) are still in the regexes.
struct FilterDefinition {
  struct Regex {
    std::string text;
    SourceLocation where; // the line of the option that defined it
  };
  std::string name; // as given (with its parameters)
  std::string path;
  std::optional<Regex> prefregex;
  std::vector<Regex> failregex;
  std::vector<Regex> ignoreregex;
  std::string datepattern; // empty: fail2ban's default templates
  // fail2ban's journalmatch (read from [Definition], then [Init]): the journal entries a
  // jail with backend = systemd reads, when the jail has no journalmatch of its own.
  std::string journalmatch;
  int maxlines = 1;
  // mcf2b extension ([Definition] require_date = true; fail2ban ignores the key): a line
  // without a timestamp never matches. For logs that interleave attacker text on lines
  // of their own (exim's reject log dumps the rejected message's headers).
  bool require_date = false;
};

// Loads a filter the way fail2ban's FilterReader does. Errors name the file, line and
// reason.
Result<FilterDefinition> load_filter(const FilterSpec &spec, const FilterSearchPath &search);
Result<FilterDefinition> load_filter(std::string_view spec_text, const FilterSearchPath &search);

} // namespace mcf2b::matcher
