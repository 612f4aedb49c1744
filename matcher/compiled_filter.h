// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "matcher/failure.h"
#include "matcher/fields.h"
#include "matcher/filter_definition.h"
#include "matcher/line_buffer.h"
#include "matcher/log_time.h"
#include "matcher/pcre2_regex.h"
#include "matcher/session_cache.h"
#include "matcher/time_zone.h"

namespace mcf2b::matcher {

struct FilterJudgeOptions {
  size_t max_line = 32 * 1024;     // longer lines are counted as truncated, never matched
  bool check_all_rules = false;    // fail2ban-regex / sample-test mode: try every failregex
  size_t session_capacity = 4096;  // <F-MLFID> sessions kept
  // Seconds a session lives after its first line, as fail2ban's mlfidCache (5 minutes).
  // Measured in log time (the line's timestamp): fail2ban measures it on the clock while
  // it follows the log live, which is the log's time; reading an old log at once, a
  // process id reused hours later must not join the earlier session either.
  int64_t session_max_age = 300;
  Pcre2Regex::Limits limits;
  // Lines are journal entries formatted by JournalFollower: the entry's own time leads
  // each line and the filter's datepattern does not apply (as in fail2ban's journal mode).
  bool journal_entries = false;
  // fail2ban-regex's reading of a log (test-filter): a line that is empty or starts with
  // '#' is skipped, never judged nor buffered.
  bool skip_comment_lines = false;
};

// One filter compiled for exact confirmation: the prefregex, failregexes and
// ignoreregexes as PCRE2-JIT regexes, the date parser, the <F-MLFID> session state, and
// for each failregex the Hyperscan pattern that pre-selects its candidate lines. Judges a
// line exactly as fail2ban's Filter.processLine / findFailure (daemon semantics: the
// first failregex that matches decides; `check_all_rules` gives fail2ban-regex's).
// A filter with maxlines > 1 keeps fail2ban's multi-line buffer (LineBuffer): it judges
// every line, in order, against the buffer of the last lines (see judge_buffered).
// Single-threaded: each thread owns its CompiledFilter.
class CompiledFilter {
public:
  static Result<CompiledFilter> compile(FilterDefinition definition, const TimeZone *zone,
                                        FilterJudgeOptions options = {});

  [[nodiscard]] const FilterDefinition &definition() const { return definition_; }
  [[nodiscard]] size_t rule_count() const { return rules_.size(); }
  // The Hyperscan superset pattern of a failregex.
  [[nodiscard]] const std::string &scan_pattern(size_t rule) const {
    return rules_[rule].scan_pattern;
  }

  using Emit = std::function<void(const Match &)>;
  // A line fail2ban-regex counts as matched without a failure (see CountedLine).
  using OnCounted = std::function<void(uint64_t line, CountedLine why)>;

  // maxlines > 1: every line must be added to the batch, and no rule uses the pre-scan.
  [[nodiscard]] bool buffers_lines() const { return line_buffer_ != nullptr; }
  void on_counted_line(OnCounted observer) { counted_ = std::move(observer); }

private:
  void note(uint64_t line, CountedLine why) const {
    if (counted_)
      counted_(line, why);
  }

public:

  // Lines are judged in batches (a scanned piece's proposed lines), one stage at a time
  // over the whole batch: the timestamps and the prefregex, then each failregex over the
  // lines proposed for it, then, line by line in order, what the matches mean (ignore,
  // sessions, hosts). Each regex's compiled code thus stays in the CPU's caches, and the
  // results are those of judging the lines one after the other.
  //
  // begin_batch(), then add_line() for each line in order: no newline inside it (the
  // prefregex relies on that), with or without its own newline at the end (with it, the
  // line is read in place); the text must stay valid until the batch is finished.
  // propose(line, i): the pre-scan proposed failregex i for it; rules the pre-scan
  // cannot serve are always tried (mark them with set_slow). Then judge_batch(), and
  // finish_line() for each line in order, which emits its failures. `now` is the "now"
  // of year inference; session ages are measured in the lines' own times.
  void begin_batch();
  size_t add_line(uint64_t line_no, std::string_view line);
  void propose(size_t line, size_t rule);
  void judge_batch(int64_t now, MatcherCounters &counters);
  void finish_line(size_t line, uint32_t filter_index, MatcherCounters &counters,
                   const Emit &emit);

  void set_slow(size_t rule, bool slow) { slow_[rule] = slow; }
  [[nodiscard]] bool slow(size_t rule) const { return slow_[rule] != 0; }

private:
  // Where a regex's named groups go: fail2ban's groupdict() with its alt_ merging
  // (alt_user_1 -> user when user is empty), resolved to field numbers once.
  struct GroupFields {
    struct Binding {
      uint32_t group;
      FieldId field;
    };
    std::vector<Binding> named; // every named group, in group-number order
    std::vector<Binding> alt;   // the alt_ groups, with the field they stand in for
  };
  struct Rule {
    Pcre2Regex regex;
    GroupFields fields;
    std::string scan_pattern;
  };
  // A line of the batch and what the stages found about it.
  struct BatchLine {
    uint64_t line_no = 0;
    std::string_view line;    // as given
    std::string_view subject; // what the failregexes see: fail2ban's content and newline
    int64_t time = 0;
    bool dated = true;
    bool live = false;    // passed the timestamp and prefregex stage
    bool decided = false; // a failregex matched and, judging as the daemon, decides
    bool have_pre = false;
    Fields pre;                      // the prefregex's groups
    std::string buffer, content;     // copies, when the line cannot be read in place
    uint32_t first_match = kNoMatch; // its failregex matches, in rule order
    uint32_t last_match = kNoMatch;
  };
  struct BatchMatch {
    uint32_t rule;
    uint32_t offsets; // in batch_offsets_
    uint32_t next = kNoMatch;
  };
  static constexpr uint32_t kNoMatch = UINT32_MAX;

  CompiledFilter() = default;
  GroupFields bind_groups(const Pcre2Regex &regex);
  // Fills `out` with the groups of a match, leaving out field `skip`.
  static void collect(const MatchGroups &groups, const GroupFields &fields, Fields &out,
                      FieldId skip);
  // The timestamp stage: the line without its timestamp and with fail2ban's newline, or
  // false when the line is not judged (too long, impossible date, undated).
  bool cut_date(BatchLine &b, int64_t now, MatcherCounters &counters, std::string_view &subject);
  // The timestamp and prefregex stage: the subject, or not live.
  void prepare(BatchLine &b, int64_t now, MatcherCounters &counters);
  // A failregex matched and no ignoreregex vetoed it: the prefregex's fields merged, the
  // session, the host, and the Match emitted when the line names one.
  void report_failure(const BatchLine &b, const MatchGroups &groups, const Rule &rule,
                      uint32_t rule_index, const Fields *pre, uint32_t filter_index,
                      MatcherCounters &counters, const Emit &emit);
  // fail2ban's findFailure with a line buffer (maxlines > 1), for the line `b` (defined in
  // compiled_filter_buffered.cpp).
  void judge_buffered(const BatchLine &b, uint32_t filter_index, MatcherCounters &counters,
                      const Emit &emit);
  // fail2ban's Filter._mergeFailure: the session the line belongs to, updated with its
  // fields, or nullptr when the line's fields stand alone (then `fail` is the result).
  Session *merge_session(std::string_view mlfid, Fields &fail, int64_t line_time);
  bool ignored(std::string_view subject, MatcherCounters &counters);

  FilterDefinition definition_;
  FilterJudgeOptions options_;
  FieldSchema schema_;
  std::unique_ptr<Pcre2Regex> prefregex_;
  GroupFields prefregex_fields_;
  std::vector<Rule> rules_;
  std::vector<uint8_t> slow_; // per rule: tried on every line (apart from the rules,
                              // which the judge reads only when it runs them)
  std::vector<Pcre2Regex> ignores_;
  std::unique_ptr<LogTimeParser> time_parser_;
  std::unique_ptr<SessionCache> sessions_;
  int64_t last_time_ = 0;
  bool have_last_time_ = false;
  std::string_view prefregex_group(const std::vector<uint32_t> &numbers) const;

  std::vector<uint32_t> prefregex_content_; // group numbers named "content"
  // The field of <CIDR> (a prefix length), when a regex of the filter captures one.
  static constexpr FieldId kNoField = UINT16_MAX;
  FieldId cidr_field_ = kNoField;
  // The prefregex ended in <F-CONTENT>.+</F-CONTENT>$ and was compiled without it: the
  // content is the rest of the line after its match.
  bool content_to_line_end_ = false;
  // The batch: its lines (reused, so their buffers keep their capacity), the lines
  // proposed for each rule, the matches and their group offsets.
  std::vector<BatchLine> batch_;
  size_t batch_size_ = 0;
  std::vector<std::vector<uint32_t>> proposed_lines_; // per rule
  std::vector<BatchMatch> batch_matches_;
  std::vector<PCRE2_SIZE> batch_offsets_;
  Fields fail_, merged_; // per match, reused

  // maxlines > 1: the buffer, and what judging a line against it reuses.
  std::unique_ptr<LineBuffer> line_buffer_;
  OnCounted counted_;
  std::vector<LineBuffer::Line> org_lines_, matched_lines_, unmatched_lines_;
  std::string pre_subject_, rule_subject_, ignore_subject_;
  Fields buffered_pre_;
  std::vector<uint64_t> lines_before_;
};

} // namespace mcf2b::matcher
