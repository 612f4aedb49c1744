// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mcf2b::matcher {

// fail2ban's multi-line buffer (Filter.__lineBuffer, for a filter with maxlines > 1):
// the last `max_lines` lines of the log, each without its timestamp, which the filter's
// regexes see joined by "\n" with a final "\n". A failregex match takes the lines it
// spans out of the buffer (less the lines its <SKIPLINES> passed over), so that they
// cannot be matched again; the rest stays, in order.
class LineBuffer {
public:
  struct Line {
    uint64_t number = 0; // in the scanned stream; the identity of the line
    std::string text;    // without timestamp and newline
  };

  explicit LineBuffer(size_t max_lines) : max_lines_(max_lines < 1 ? 1 : max_lines) {}

  // Appends a line; the oldest goes when the buffer holds more than max_lines.
  void push(uint64_t number, std::string_view text);
  [[nodiscard]] const std::vector<Line> &lines() const { return lines_; }
  [[nodiscard]] bool full() const { return lines_.size() >= max_lines_; }
  [[nodiscard]] size_t max_lines() const { return max_lines_; }
  void assign(std::vector<Line> lines) { lines_ = std::move(lines); }
  // The lines as the regexes see them: joined by "\n", with a final "\n".
  static void join(const std::vector<Line> &lines, std::string &out);

  // fail2ban's Regex.search bookkeeping for a match [start, end) of `subject` (the text
  // the regex searched), with the text its <SKIPLINES> groups captured, over `org` (the
  // buffer as it was when the line came: fail2ban counts lines in the searched text and
  // takes them from the original buffer, even when an earlier rule or the prefregex's
  // content changed the text). `matched`: the lines of the match less the skipped ones;
  // `unmatched`: the lines before it, the skipped ones, the lines after it.
  static void split(std::string_view subject, size_t start, size_t end, std::string_view skipped,
                    const std::vector<Line> &org, std::vector<Line> &matched,
                    std::vector<Line> &unmatched);

private:
  size_t max_lines_;
  std::vector<Line> lines_;
};

} // namespace mcf2b::matcher
