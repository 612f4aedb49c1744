// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/ini_file.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

namespace mcf2b::matcher {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view strip(std::string_view s) {
  while (!s.empty() && (is_space(s.front()) || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (is_space(s.back()) || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

} // namespace

Result<IniFile> IniFile::read(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Error::sys("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse(buffer.str(), path);
}

Result<IniFile> IniFile::parse(const std::string &text, const std::string &path) {
  IniFile file;
  file.path = path;
  std::map<std::string, IniValue> *section = nullptr;
  IniValue *value = nullptr; // the option being continued
  std::vector<std::string> pending_lines;
  size_t indent_level = std::string::npos;
  int line_no = 0;

  auto finish_value = [&] {
    if (value) {
      std::string joined;
      for (size_t i = 0; i < pending_lines.size(); ++i) {
        if (i)
          joined += '\n';
        joined += pending_lines[i];
      }
      while (!joined.empty() && (is_space(joined.back()) || joined.back() == '\n'))
        joined.pop_back();
      value->text = std::move(joined);
    }
    value = nullptr;
    pending_lines.clear();
  };

  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos)
      eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    bool last = eol >= text.size();
    pos = eol + 1;
    ++line_no;
    if (last && line.empty())
      break;

    // Inline comments: ';' at the start or after whitespace.
    size_t comment_start = std::string_view::npos;
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == ';' && (i == 0 || is_space(line[i - 1]))) {
        comment_start = i;
        break;
      }
    }
    std::string_view stripped = strip(line);
    if (!stripped.empty() && (stripped.front() == '#' || stripped.front() == ';'))
      comment_start = 0;
    std::string_view content =
        strip(comment_start == std::string_view::npos ? line : line.substr(0, comment_start));
    if (content.empty()) {
      if (comment_start == std::string_view::npos && value)
        pending_lines.emplace_back();
      continue;
    }
    size_t indent = 0;
    while (indent < line.size() && is_space(line[indent]))
      ++indent;
    if (value && indent > indent_level) {
      pending_lines.emplace_back(content);
      continue;
    }
    finish_value();
    indent_level = indent;
    if (content.front() == '[' && content.back() == ']') {
      std::string name(content.substr(1, content.size() - 2));
      if (!file.sections.count(name))
        file.section_order.push_back(name);
      section = &file.sections[name];
      continue;
    }
    // The line itself is never quoted: an include or filter path may name any file
    // (`before = /etc/shadow`), and its content must not reach an error or a log.
    if (!section)
      return Error::msg(path + ":" + std::to_string(line_no) +
                        ": text outside of any [section] (not a fail2ban configuration file?)");
    size_t delim = content.find_first_of("=:");
    if (delim == std::string_view::npos || delim == 0)
      return Error::msg(path + ":" + std::to_string(line_no) +
                        ": not a 'key = value' line (not a fail2ban configuration file?)");
    std::string key = lower(strip(content.substr(0, delim)));
    IniValue &slot = (*section)[key];
    slot.where = SourceLocation{path, line_no};
    value = &slot;
    pending_lines.emplace_back(strip(content.substr(delim + 1)));
  }
  finish_value();
  return file;
}

} // namespace mcf2b::matcher
