// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/line_buffer.h"

#include <algorithm>

namespace mcf2b::matcher {
namespace {

// Python's str.splitlines() on the ASCII line breaks (a buffered line holds no "\n").
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != '\n' && c != '\r' && c != '\v' && c != '\f' && c != '\x1c' && c != '\x1d' &&
        c != '\x1e')
      continue;
    out.push_back(text.substr(start, i - start));
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')
      ++i;
    start = i + 1;
  }
  if (start < text.size())
    out.push_back(text.substr(start));
  return out;
}

size_t count_newlines(std::string_view text, size_t stop) {
  return static_cast<size_t>(
      std::count(text.begin(), text.begin() + static_cast<long>(stop), '\n'));
}

} // namespace

void LineBuffer::push(uint64_t number, std::string_view text) {
  if (lines_.size() >= max_lines_)
    lines_.erase(lines_.begin(),
                 lines_.begin() + static_cast<long>(lines_.size() + 1 - max_lines_));
  lines_.push_back({number, std::string(text)});
}

void LineBuffer::join(const std::vector<Line> &lines, std::string &out) {
  out.clear();
  for (const Line &l : lines) {
    out += l.text;
    out += '\n';
  }
  if (lines.empty())
    out += '\n'; // "\n".join([]) + "\n"
}

void LineBuffer::split(std::string_view subject, size_t start, size_t end, std::string_view skipped,
                       const std::vector<Line> &org, std::vector<Line> &matched,
                       std::vector<Line> &unmatched) {
  matched.clear();
  unmatched.clear();
  if (org.size() <= 1) {
    matched = org;
    return;
  }
  // The start of the match's first line: after the last "\n" in [0, start] (the match's
  // own first character included, as fail2ban's rindex reads it).
  size_t line_start = 0;
  if (!subject.empty()) {
    size_t at = subject.rfind('\n', std::min(start, subject.size() - 1));
    if (at != std::string_view::npos)
      line_start = at + 1;
  }
  // The end of its last line: after the first "\n" from end - 1 (Python reads index -1 of
  // an empty match at 0 as the last character).
  size_t line_end = subject.size();
  if (!subject.empty()) {
    size_t from = end > 0 ? end - 1 : subject.size() - 1;
    size_t at = subject.find('\n', from);
    if (at != std::string_view::npos)
      line_end = at + 1;
  }
  size_t first = std::min(count_newlines(subject, line_start), org.size());
  size_t last = std::min(count_newlines(subject, line_end), org.size());
  if (last < first)
    last = first;
  matched.assign(org.begin() + static_cast<long>(first), org.begin() + static_cast<long>(last));
  unmatched.assign(org.begin(), org.begin() + static_cast<long>(first));
  // Each skipped line goes back to the buffer: the first matched line of that text from
  // where the previous one was found.
  size_t n = 0;
  for (std::string_view s : split_lines(skipped)) {
    for (size_t m = n; m < matched.size(); ++m)
      if (matched[m].text == s) {
        unmatched.push_back(std::move(matched[m]));
        matched.erase(matched.begin() + static_cast<long>(m));
        n = m;
        break;
      }
  }
  unmatched.insert(unmatched.end(), org.begin() + static_cast<long>(last), org.end());
}

} // namespace mcf2b::matcher
