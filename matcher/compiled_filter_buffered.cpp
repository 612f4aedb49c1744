// SPDX-License-Identifier: GPL-2.0-only
// CompiledFilter with fail2ban's multi-line buffer (maxlines > 1): Filter.findFailure
// for __lineBufferSize > 1, and Regex.search's matched and unmatched lines.
#include <algorithm>

#include "matcher/compiled_filter.h"

namespace mcf2b::matcher {

// The line joins the buffer (the oldest line leaves when it is full); the ignoreregexes
// (when fewer than the failregexes less 2) and the prefregex read the whole buffer; the
// prefregex's content, when it has one, replaces the buffer; then each failregex
// searches the buffer. A match takes its lines out of the buffer (the lines its
// <SKIPLINES> passed over stay), whether an ignoreregex then vetoes it (read over the
// matched lines only) or it reports a failure. Judging as the daemon, the first
// failregex that matches decides; judging as fail2ban-regex, the later ones search what
// is left. The failure's time is the time of the line that completed the match.
void CompiledFilter::judge_buffered(const BatchLine &b, uint32_t filter_index,
                                    MatcherCounters &counters, const Emit &emit) {
  if (!b.live)
    return; // too long, an impossible date, or undated under require_date: not buffered
  LineBuffer &buffer = *line_buffer_;
  // fail2ban-regex counts as matched the lines that were in the buffer before this one
  // (less the one this line pushes out) and are gone after it.
  lines_before_.clear();
  for (size_t i = buffer.full() ? 1 : 0; i < buffer.lines().size(); ++i)
    lines_before_.push_back(buffer.lines()[i].number);
  auto report_consumed = [&] {
    if (!counted_)
      return;
    for (uint64_t number : lines_before_)
      if (std::none_of(buffer.lines().begin(), buffer.lines().end(),
                       [&](const LineBuffer::Line &l) { return l.number == number; }))
        note(number, CountedLine::taken);
  };

  std::string_view text = b.subject;
  if (!text.empty() && text.back() == '\n')
    text.remove_suffix(1);
  buffer.push(b.line_no, text);
  org_lines_ = buffer.lines();
  LineBuffer::join(org_lines_, pre_subject_);

  if (!ignores_.empty() && ignores_.size() + 2 < rules_.size() && ignored(pre_subject_, counters)) {
    ++counters.ignored;
    note(b.line_no, CountedLine::ignored);
    return;
  }

  const Fields *pre = nullptr;
  std::string_view subject = pre_subject_;
  if (prefregex_) {
    auto outcome = prefregex_->search(pre_subject_);
    if (outcome == Pcre2Regex::Outcome::limit_hit)
      ++counters.regex_limit_hits;
    if (outcome != Pcre2Regex::Outcome::matched)
      return;
    collect(prefregex_->groups(), prefregex_fields_, buffered_pre_, field::content);
    std::string_view content = prefregex_group(prefregex_content_);
    if (content.empty() && buffered_pre_.has(field::content))
      content = buffered_pre_.get(field::content);
    buffered_pre_.pop(field::content);
    if (!buffered_pre_.empty())
      pre = &buffered_pre_;
    if (!content.empty()) {
      // fail2ban: self.__lineBuffer = [('', '', content)].
      buffer.assign({LineBuffer::Line{b.line_no, std::string(content)}});
      LineBuffer::join(buffer.lines(), rule_subject_);
      subject = rule_subject_;
    }
  }

  constexpr FieldId no_skip = UINT16_MAX;
  bool changed = false; // the buffer lost lines since `subject` was joined
  for (size_t r = 0; r < rules_.size(); ++r) {
    Rule &rule = rules_[r];
    if (changed) {
      LineBuffer::join(buffer.lines(), rule_subject_);
      subject = rule_subject_;
      changed = false;
    }
    auto outcome = rule.regex.search(subject);
    if (outcome == Pcre2Regex::Outcome::limit_hit)
      ++counters.regex_limit_hits;
    if (outcome != Pcre2Regex::Outcome::matched)
      continue;
    MatchGroups groups = rule.regex.groups();
    std::string skipped;
    for (const auto &[name, number] : rule.regex.names())
      if (name.rfind("skiplines", 0) == 0 && groups.group_set(number))
        skipped += groups.group(number);
    std::string_view whole = groups.group(0);
    auto start = static_cast<size_t>(whole.data() - subject.data());
    LineBuffer::split(subject, start, start + whole.size(), skipped, org_lines_, matched_lines_,
                      unmatched_lines_);
    collect(groups, rule.fields, fail_, no_skip);
    // Whatever comes of the match, its lines leave the buffer (fail2ban removes an
    // ignored match's lines as well).
    buffer.assign(unmatched_lines_);
    changed = true;
    if (!ignores_.empty()) {
      LineBuffer::join(matched_lines_, ignore_subject_);
      if (ignored(ignore_subject_, counters)) {
        ++counters.ignored;
        note(b.line_no, CountedLine::ignored);
        if (!options_.check_all_rules)
          break;
        continue;
      }
    }
    report_failure(b, groups, rule, static_cast<uint32_t>(r), pre, filter_index, counters, emit);
    if (!options_.check_all_rules)
      break;
  }
  report_consumed();
}

} // namespace mcf2b::matcher
