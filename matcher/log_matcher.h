// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "matcher/compiled_filter.h"
#include "matcher/failure.h"
#include "matcher/filter_definition.h"
#include "matcher/hyperscan_database.h"
#include "matcher/newline_count.h"
#include "matcher/time_zone.h"

namespace mcf2b::matcher {

struct MatcherOptions {
  TimeZone zone = TimeZone::utc();  // the log's zone, for timestamps without one
  std::optional<int64_t> fixed_now; // "now" for year inference; wall clock when unset
  std::string cache_dir;            // Hyperscan database cache; empty: none
  FilterJudgeOptions judge;
  bool use_hyperscan = true; // false: every line goes through PCRE2 (the baseline)
};

// How one failregex is served.
struct RuleInfo {
  uint32_t filter = 0, rule = 0;
  ScanMode mode = ScanMode::native;
};

// The matcher of one log file: every filter that reads the file (usually one, shared by
// the four tiers of a service) compiled into one Hyperscan database. scan() takes
// newline-aligned chunks (64 KiB or more for full speed), runs one hs_scan per chunk
// whose callback only records (offset, rule), then confirms each candidate line with
// its filter's PCRE2 regexes and emits a Match per failure. Single-threaded: use one
// LogMatcher per thread (they can share nothing but the on-disk cache).
class LogMatcher {
public:
  using Emit = CompiledFilter::Emit;

  static Result<LogMatcher> create(std::vector<FilterDefinition> filters,
                                   MatcherOptions options);
  LogMatcher(LogMatcher &&) noexcept;
  LogMatcher &operator=(LogMatcher &&) noexcept;
  ~LogMatcher();

  // Scans the complete lines at the start of `text` and returns how many bytes they
  // span; a trailing partial line is left for the caller to complete.
  size_t scan(std::string_view text, const Emit &emit);
  // Scans `text` to its end, a final line without newline included (replay mode).
  void scan_all(std::string_view text, const Emit &emit);
  // Reads a whole file (or stdin, fd 0) in large chunks and scans its complete lines: a
  // last line without its newline is not read, as fail2ban(-regex) does not read it.
  Status replay(int fd, const Emit &emit);

  [[nodiscard]] const MatcherCounters &counters() const { return counters_; }
  [[nodiscard]] size_t filter_count() const { return filters_.size(); }
  [[nodiscard]] const CompiledFilter &filter(size_t i) const { return *filters_[i]; }
  [[nodiscard]] std::vector<RuleInfo> rules() const;
  // Reports the lines fail2ban-regex counts as matched that yield no failure (see
  // CountedLine), with the filter's index.
  using OnCounted = std::function<void(uint32_t filter, uint64_t line, CountedLine why)>;
  void on_counted_line(const OnCounted &observer);
  [[nodiscard]] bool database_from_cache() const { return db_.from_cache(); }
  // Line numbers continue from here (a follower resuming in the middle of a file).
  void set_next_line_number(uint64_t n) { next_line_ = n; }
  [[nodiscard]] uint64_t next_line_number() const { return next_line_; }

private:
  LogMatcher() = default;
  void scan_lines(std::string_view piece, const Emit &emit);
  // Lines of the piece longer than the examined maximum.
  size_t count_long_lines(std::string_view piece) const;
  int64_t now() const;

  struct Hit {
    unsigned long long end;
    unsigned id;
  };
  struct RuleRef {
    uint32_t filter, rule;
  };

  MatcherOptions options_;
  std::unique_ptr<TimeZone> zone_;
  std::vector<std::unique_ptr<CompiledFilter>> filters_;
  std::vector<RuleRef> ids_; // Hyperscan id -> rule
  HyperscanDatabase db_;
  HyperscanScratch scratch_;
  std::vector<ScanMode> modes_; // per rule (ids_ order): how the pre-scan serves it
  bool every_line_ = false; // some rule runs without Hyperscan
  std::vector<uint8_t> every_line_filter_; // per filter: it has such a rule
  // A line the pre-scan proposed: where it lies, its number, its reports in hits_.
  struct Candidate {
    size_t start, stop;
    uint64_t line_no;
    size_t first_hit, end_hit;
  };
  std::vector<Hit> hits_;
  std::vector<Candidate> candidates_;
  // Per candidate and filter: the line's number in the filter's batch.
  static constexpr uint32_t kNotInBatch = UINT32_MAX;
  std::vector<uint32_t> batch_index_;
  MatcherCounters counters_;
  uint64_t next_line_ = 1;
};

} // namespace mcf2b::matcher
