// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <vector>

namespace mcf2b::control {

// A plain-text table: columns separated by two spaces, each as wide as its widest cell,
// numbers right-aligned; no trailing blanks, so `awk '{print $1}'` and `column -t` work.
class TextTable {
public:
  enum class Align { left, right };
  struct Column {
    std::string header;
    Align align = Align::left;
  };

  explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

  // A row with fewer cells than columns is padded with empty cells.
  void add_row(std::vector<std::string> cells);
  [[nodiscard]] bool empty() const { return rows_.empty(); }
  // The header line and one line per row, each ending in '\n'.
  [[nodiscard]] std::string render() const;

private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

} // namespace mcf2b::control
