// SPDX-License-Identifier: GPL-2.0-only
#include "base/word_list.h"

namespace mcf2b {

std::vector<std::string> split_word_list(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == ',' || c == ' ' || c == '\n' || c == '\t') {
      if (!cur.empty())
        out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    out.push_back(std::move(cur));
  return out;
}

} // namespace mcf2b
