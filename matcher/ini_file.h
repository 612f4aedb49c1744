// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/result.h"

namespace mcf2b::matcher {

// Where a configuration value was written, for error messages.
struct SourceLocation {
  std::string file;
  int line = 0;
  [[nodiscard]] std::string to_string() const { return file + ":" + std::to_string(line); }
};

struct IniValue {
  std::string text; // continuation lines joined with '\n', each stripped
  SourceLocation where;
};

// One file in fail2ban's configuration syntax, read the way Python's configparser reads
// it with fail2ban's settings: `[section]` headers, `key = value` or `key: value`
// (keys lower-cased), values continued on more-indented lines, full-line comments
// (# or ;), inline comments after whitespace + ';', empty lines kept inside values.
struct IniFile {
  std::string path;
  // section name -> key -> value; std::map keeps lookups simple (files are small).
  std::map<std::string, std::map<std::string, IniValue>> sections;
  std::vector<std::string> section_order;

  static Result<IniFile> read(const std::string &path);
  static Result<IniFile> parse(const std::string &text, const std::string &path);
};

} // namespace mcf2b::matcher
