// SPDX-License-Identifier: GPL-2.0-only
#include "control/format/text_table.h"

#include <algorithm>

namespace mcf2b::control {

void TextTable::add_row(std::vector<std::string> cells) {
  cells.resize(std::max(cells.size(), columns_.size()));
  rows_.push_back(std::move(cells));
}

std::string TextTable::render() const {
  std::vector<size_t> width(columns_.size());
  for (size_t c = 0; c < columns_.size(); ++c) {
    width[c] = columns_[c].header.size();
    for (const auto &row : rows_)
      width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](auto cell_of) {
    std::string out;
    for (size_t c = 0; c < columns_.size(); ++c) {
      const std::string &cell = cell_of(c);
      size_t pad = width[c] - cell.size();
      if (c > 0)
        out += "  ";
      if (columns_[c].align == Align::right)
        out.append(pad, ' ') += cell;
      else
        out += cell + std::string(pad, ' ');
    }
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    return out + "\n";
  };
  std::string out = line([&](size_t c) -> const std::string & { return columns_[c].header; });
  for (const auto &row : rows_)
    out += line([&](size_t c) -> const std::string & { return row[c]; });
  return out;
}

} // namespace mcf2b::control
