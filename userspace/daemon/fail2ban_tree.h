// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"
#include "matcher/ini_file.h"

namespace mcf2b {

// Bounds on what a fail2ban tree may make the reader do: files are small, includes are a
// few levels deep; anything beyond is refused with an error naming the file.
struct Fail2banTreeLimits {
  size_t max_file_size = 1024 * 1024; // bytes per file
  size_t max_files = 256;             // files read, includes counted
  int max_include_depth = 8;
  size_t max_jails = 1024; // jail sections read; the stock jail.conf has about 100
};

// An existing fail2ban configuration tree's jail configuration, read as fail2ban's
// JailsReader reads it: jail.conf, jail.d/*.conf, jail.local, jail.d/*.local (each
// folder's files in name order), every file preceded by its [INCLUDES] before = ...
// and followed by its .local and its after = ... (paths-debian.conf, paths-common.conf),
// all merged into one set of sections. A later value overrides an earlier one; the one it
// overrode stays reachable as %(known/key)s. Values are interpolated when asked for, in
// the context of the asking section ([DEFAULT]'s %(port)s is the jail's port).
class Fail2banTree {
public:
  // A missing folder, or one with neither jail.conf nor jail.local, is an error. A file
  // that cannot be used (unreadable, too large, bad syntax, an include loop) is in
  // errors() and left out; the others are read.
  static Result<Fail2banTree> read(const std::string &dir, const Fail2banTreeLimits &limits = {});

  [[nodiscard]] const std::string &dir() const { return dir_; }
  [[nodiscard]] const std::vector<std::string> &files() const { return files_; }
  [[nodiscard]] const std::vector<Error> &errors() const { return errors_; }

  // The jail sections, in the order they first appear (every section but DEFAULT and
  // INCLUDES is a jail to fail2ban).
  [[nodiscard]] const std::vector<std::string> &jail_names() const { return order_; }
  // A section's own keys (without [DEFAULT]'s); nullptr for an unknown section.
  [[nodiscard]] const std::map<std::string, matcher::IniValue> *
  own(const std::string &section) const;
  // The raw value of key seen from section: its own, else [DEFAULT]'s; "known/<key>" is
  // what the section's value overrode.
  [[nodiscard]] std::optional<matcher::IniValue> raw(const std::string &section,
                                                     const std::string &key) const;
  // The value interpolated (%(name)s, %(section/name)s, %(known/name)s, %(__name__)s);
  // nullopt when the key is not set. Errors name the file and line, never the text.
  // `filter_known`: a jail's filter options (failregex, ...), reachable as
  // %(known/failregex)s where the tree itself has no earlier value (fail2ban merges the
  // filter's options into the jail section as known/...).
  [[nodiscard]] Result<std::optional<std::string>>
  get(const std::string &section, const std::string &key,
      const std::map<std::string, std::string> &filter_known = {}) const;
  // Whether some value of the tree refers to %(key)s (or %(known/key)s): a key a jail
  // sets for the others to use, not an unknown one.
  [[nodiscard]] bool referenced(const std::string &key) const { return referenced_.count(key); }
  [[nodiscard]] bool in_default(const std::string &key) const { return defaults_.count(key); }

private:
  struct Reading;
  void merge(const matcher::IniFile &file);

  std::string dir_;
  std::vector<std::string> files_;
  std::vector<Error> errors_;
  std::map<std::string, matcher::IniValue> defaults_;
  std::map<std::string, std::map<std::string, matcher::IniValue>> sections_;
  std::map<std::string, std::map<std::string, matcher::IniValue>> known_;
  std::vector<std::string> order_;
  std::set<std::string> referenced_;
};

} // namespace mcf2b
