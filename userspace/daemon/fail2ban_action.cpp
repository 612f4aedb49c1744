// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/fail2ban_action.h"

#include <algorithm>
#include <cctype>

namespace mcf2b {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return std::string(s);
}

bool is_option_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// fail2ban's OPTION_EXTRACT_CRE over the text between the first '[' and the last ']':
// key=value pairs, values "quoted", 'quoted' or bare up to ',' or ']'; pairs separated
// by ',' or by "][" (a further group).
Status extract_options(std::string_view text, std::map<std::string, std::string> &out) {
  size_t i = 0;
  auto skip = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])))
      ++i;
  };
  while (true) {
    skip();
    if (i >= text.size())
      return {};
    if (text[i] == ',') { // ",?\s*$": a trailing comma
      ++i;
      skip();
      if (i >= text.size())
        return {};
      return Error::msg("expected key=value after ','");
    }
    size_t key_start = i;
    while (i < text.size() && is_option_name_char(text[i]))
      ++i;
    if (i == key_start || i >= text.size() || text[i] != '=')
      return Error::msg("expected key=value");
    std::string key(text.substr(key_start, i - key_start));
    ++i;
    std::string value;
    if (i < text.size() && (text[i] == '"' || text[i] == '\'')) {
      char quote = text[i++];
      size_t close = text.find(quote, i);
      if (close == std::string_view::npos)
        return Error::msg("unterminated quote");
      value = text.substr(i, close - i);
      i = close + 1;
    } else {
      size_t end = text.find_first_of(",]", i);
      if (end == std::string_view::npos)
        end = text.size();
      value = text.substr(i, end - i);
      i = end;
    }
    out[key] = trim(value);
    if (i >= text.size())
      return {};
    if (text[i] == ',') {
      ++i;
      continue;
    }
    if (text[i] == ']') { // "]\s*[": the next group
      ++i;
      skip();
      if (i < text.size() && text[i] == '[') {
        ++i;
        continue;
      }
    }
    return Error::msg("unexpected text after a value");
  }
}

} // namespace

std::string port_numbers(std::vector<uint16_t> ports) {
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  std::string out;
  for (size_t i = 0; i < ports.size();) {
    size_t j = i;
    while (j + 1 < ports.size() && ports[j + 1] == ports[j] + 1)
      ++j;
    out += (out.empty() ? "" : ",") + std::to_string(ports[i]);
    if (j > i)
      out += ":" + std::to_string(ports[j]);
    i = j + 1;
  }
  return out;
}

// fail2ban's splitWithOptions: action lines are "name" or "name[params]" (params may span
// lines and hold quoted spaces), separated by white space.
Result<std::vector<std::string>> split_fail2ban_actions(const std::string &text) {
  std::vector<std::string> out;
  size_t i = 0, n = text.size();
  auto space = [&](size_t k) { return std::isspace(static_cast<unsigned char>(text[k])); };
  while (i < n) {
    while (i < n && space(i))
      ++i;
    if (i >= n)
      break;
    size_t start = i;
    while (i < n && !space(i) && text[i] != '[')
      ++i;
    for (;;) {
      size_t k = i;
      while (k < n && space(k))
        ++k;
      if (k >= n || text[k] != '[')
        break;
      i = k + 1;
      char quote = 0;
      while (i < n && (quote || text[i] != ']')) {
        if (quote && text[i] == quote)
          quote = 0;
        else if (!quote && (text[i] == '"' || text[i] == '\''))
          quote = text[i];
        ++i;
      }
      if (i >= n)
        return Error::msg("an action's '[' has no closing ']'");
      ++i;
    }
    out.push_back(trim(std::string_view(text).substr(start, i - start)));
  }
  return out;
}

Result<Fail2banAction> parse_fail2ban_action(std::string_view line, const std::string &jail) {
  Fail2banAction action;
  size_t open = line.find('[');
  action.file = trim(line.substr(0, open));
  if (action.file.empty())
    return Error::msg("no action name");
  if (open != std::string_view::npos) {
    size_t close = line.rfind(']');
    if (close == std::string_view::npos || close < open || !trim(line.substr(close + 1)).empty())
      return Error::msg("'[' without a closing ']' at the end");
    if (auto st = extract_options(line.substr(open + 1, close - open - 1), action.params); !st)
      return st.error();
  }
  // ActionReader: the name parameter defaults to the jail's; the action's own name is
  // the file's, suffixed when that differs, unless actname says otherwise.
  std::string stem =
      action.file.ends_with(".py") ? action.file.substr(0, action.file.size() - 3) : action.file;
  auto name = action.params.find("name");
  if (auto actname = action.params.find("actname"); actname != action.params.end())
    action.name = actname->second;
  else if (name == action.params.end() || name->second == jail)
    action.name = stem;
  else if (name->second.starts_with(jail))
    action.name = stem + name->second.substr(jail.size());
  else
    action.name = stem + "-" + name->second;
  return action;
}

} // namespace mcf2b
