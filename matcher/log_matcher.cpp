// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/log_matcher.h"

#include "matcher/regex_translation.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

namespace mcf2b::matcher {

LogMatcher::LogMatcher(LogMatcher &&) noexcept = default;
LogMatcher &LogMatcher::operator=(LogMatcher &&) noexcept = default;
LogMatcher::~LogMatcher() = default;

Result<LogMatcher> LogMatcher::create(std::vector<FilterDefinition> filters,
                                      MatcherOptions options) {
  if (filters.empty())
    return Error::msg("a log matcher needs at least one filter");
  LogMatcher m;
  m.zone_ = std::make_unique<TimeZone>(options.zone);
  std::vector<HyperscanDatabase::Pattern> patterns;
  for (size_t f = 0; f < filters.size(); ++f) {
    auto compiled = CompiledFilter::compile(std::move(filters[f]), m.zone_.get(), options.judge);
    if (!compiled)
      return compiled.error();
    m.filters_.push_back(std::make_unique<CompiledFilter>(std::move(*compiled)));
    CompiledFilter &cf = *m.filters_.back();
    // A multi-line filter judges every line against its buffer with PCRE2: its rules
    // span lines, which a pre-scan of single lines cannot serve.
    for (size_t r = 0; r < cf.rule_count(); ++r) {
      auto id = static_cast<unsigned>(m.ids_.size());
      m.ids_.push_back({static_cast<uint32_t>(f), static_cast<uint32_t>(r)});
      m.modes_.push_back(ScanMode::slow);
      if (cf.buffers_lines() || !options.use_hyperscan)
        cf.set_slow(r, true);
      else
        patterns.push_back({prescan_pattern_for_scanning(cf.scan_pattern(r)), id});
    }
  }
  if (!patterns.empty()) {
    auto db = HyperscanDatabase::build(patterns, options.cache_dir);
    if (!db)
      return db.error();
    m.db_ = std::move(*db);
    auto scratch = HyperscanScratch::create(m.db_);
    if (!scratch)
      return scratch.error();
    m.scratch_ = std::move(*scratch);
    for (size_t k = 0; k < patterns.size(); ++k) {
      const RuleRef &ref = m.ids_[patterns[k].id];
      m.modes_[patterns[k].id] = m.db_.modes()[k];
      if (m.db_.modes()[k] == ScanMode::slow)
        m.filters_[ref.filter]->set_slow(ref.rule, true);
    }
  }
  // The filters that see every line: those with a rule the pre-scan does not serve.
  m.every_line_filter_.assign(m.filters_.size(), 0);
  for (size_t f = 0; f < m.filters_.size(); ++f)
    for (size_t r = 0; r < m.filters_[f]->rule_count(); ++r)
      if (m.filters_[f]->slow(r)) {
        m.every_line_filter_[f] = 1;
        m.every_line_ = true;
      }
  m.options_ = std::move(options);
  return m;
}

std::vector<RuleInfo> LogMatcher::rules() const {
  std::vector<RuleInfo> out;
  for (size_t id = 0; id < ids_.size(); ++id)
    out.push_back({ids_[id].filter, ids_[id].rule, modes_[id]});
  return out;
}

void LogMatcher::on_counted_line(const OnCounted &observer) {
  for (size_t f = 0; f < filters_.size(); ++f)
    filters_[f]->on_counted_line(
        observer ? CompiledFilter::OnCounted([observer, f](uint64_t line, CountedLine why) {
          observer(static_cast<uint32_t>(f), line, why);
        })
                 : CompiledFilter::OnCounted());
}

int64_t LogMatcher::now() const {
  return options_.fixed_now ? *options_.fixed_now : static_cast<int64_t>(::time(nullptr));
}

size_t LogMatcher::scan(std::string_view text, const Emit &emit) {
  const void *last = memrchr(text.data(), '\n', text.size());
  if (!last)
    return 0;
  size_t end = static_cast<size_t>(static_cast<const char *>(last) - text.data()) + 1;
  // Pieces of about 1 MiB keep the hit list small and the data in cache.
  constexpr size_t kPiece = 1 << 20;
  size_t pos = 0;
  while (pos < end) {
    size_t stop = end;
    if (end - pos > kPiece + kPiece / 2) {
      const void *nl = std::memchr(text.data() + pos + kPiece, '\n', end - pos - kPiece);
      stop = static_cast<size_t>(static_cast<const char *>(nl) - text.data()) + 1;
    }
    scan_lines(text.substr(pos, stop - pos), emit);
    pos = stop;
  }
  return end;
}

void LogMatcher::scan_all(std::string_view text, const Emit &emit) {
  size_t done = scan(text, emit);
  if (done < text.size()) {
    std::string last(text.substr(done));
    last += '\n';
    scan_lines(last, emit);
  }
}

Status LogMatcher::replay(int fd, const Emit &emit) {
  std::string buffer;
  constexpr size_t kRead = 1 << 20;
  size_t filled = 0;
  for (;;) {
    if (buffer.size() < filled + kRead)
      buffer.resize(filled + kRead);
    ssize_t n = ::read(fd, buffer.data() + filled, kRead);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("read");
    }
    if (n == 0)
      break;
    filled += static_cast<size_t>(n);
    size_t done = scan(std::string_view(buffer.data(), filled), emit);
    std::memmove(buffer.data(), buffer.data() + done, filled - done);
    filled -= done;
  }
  // What is left is a last line without its newline: fail2ban's log reader (and so
  // fail2ban-regex) takes a line only once it is complete, and so does replay.
  return {};
}

size_t LogMatcher::count_long_lines(std::string_view piece) const {
  // Every line longer than the maximum holds a multiple of the maximum: looking at the
  // line around each such offset finds them all, in time linear in the piece, whether
  // the pre-scan proposes them or not.
  const size_t max_line = std::max<size_t>(options_.judge.max_line, 1);
  const char *base = piece.data();
  size_t found = 0;
  for (size_t p = 0; p < piece.size();) {
    const void *nl = std::memchr(base + p, '\n', piece.size() - p);
    size_t stop = nl ? static_cast<size_t>(static_cast<const char *>(nl) - base) : piece.size();
    const void *prev = p ? memrchr(base, '\n', p) : nullptr;
    size_t start = prev ? static_cast<size_t>(static_cast<const char *>(prev) - base) + 1 : 0;
    if (stop - start > max_line)
      ++found;
    p = (stop / max_line + 1) * max_line;
  }
  return found;
}

void LogMatcher::scan_lines(std::string_view piece, const Emit &emit) {
  counters_.bytes += piece.size();
  hits_.clear();
  if (!db_.empty()) {
    auto on_match = [](unsigned id, unsigned long long, unsigned long long to, unsigned,
                       void *ctx) -> int {
      static_cast<std::vector<Hit> *>(ctx)->push_back({to, id});
      return 0;
    };
    hs_scan(db_.get(), piece.data(), static_cast<unsigned>(piece.size()), 0, scratch_.get(),
            on_match, &hits_);
    // Reports come in end-offset order except across patterns of equal end.
    if (!std::is_sorted(hits_.begin(), hits_.end(),
                        [](const Hit &a, const Hit &b) { return a.end < b.end; }))
      std::stable_sort(hits_.begin(), hits_.end(),
                       [](const Hit &a, const Hit &b) { return a.end < b.end; });
  }
  const char *base = piece.data();
  uint64_t first_line = next_line_;
  size_t counted_to = 0; // newlines before this offset are accounted in line_no
  uint64_t line_no = first_line;
  int64_t now_value = now();

  counters_.truncated += count_long_lines(piece);
  const size_t max_line = options_.judge.max_line;
  // The number of the line that starts at `start`: the newlines before it are counted
  // from where the previous call stopped, so each byte is counted once.
  auto number_of = [&](size_t start) {
    line_no += count_newlines(base + counted_to, start - counted_to);
    counted_to = start;
    return line_no;
  };

  // Where a report lies: right before the newline of its line normally; a report that
  // ends just after a newline (a pattern whose \s crossed it) is given to the line that
  // newline ends. Monotonic in the report offset. The report's line ends at the first
  // newline from there.
  auto position_of = [&](unsigned long long end) {
    size_t at = std::min<size_t>(end, piece.size() - 1);
    if (at > 0 && at == end && base[at - 1] == '\n' && base[at] != '\n')
      --at;
    return at;
  };
  auto line_end_from = [&](size_t at) {
    const void *nl = std::memchr(base + at, '\n', piece.size() - at);
    return nl ? static_cast<size_t>(static_cast<const char *>(nl) - base) : piece.size();
  };
  // First the lines to judge and their numbers, while the piece is in cache from the
  // scan: the proposed ones, or every line when some rule runs without the pre-scan. A
  // line longer than the maximum is counted above and never matched: the cut-off part
  // could hold anything.
  candidates_.clear();
  if (!every_line_) {
    size_t i = 0;
    while (i < hits_.size()) {
      size_t at = position_of(hits_[i].end);
      size_t stop = line_end_from(at);
      // No newline lies between the report and `stop`: the line starts after the last
      // one before the report.
      const void *prev = at ? memrchr(base, '\n', at) : nullptr;
      size_t start = prev ? static_cast<size_t>(static_cast<const char *>(prev) - base) + 1 : 0;
      // Later reports up to `stop` belong to the same line (positions are monotonic).
      size_t first = i;
      do
        ++i;
      while (i < hits_.size() && position_of(hits_[i].end) <= stop);
      if (stop - start <= max_line)
        candidates_.push_back({start, stop, number_of(start), first, i});
    }
  } else {
    size_t h = 0, start = 0;
    while (start < piece.size()) {
      size_t stop = line_end_from(start);
      size_t first = h;
      while (h < hits_.size() && position_of(hits_[h].end) <= stop)
        ++h;
      if (stop - start <= max_line)
        candidates_.push_back({start, stop, number_of(start), first, h});
      start = stop + 1;
    }
  }
  number_of(piece.size()); // the rest of the piece's newlines, while it is in cache

  // Then each filter judges its lines as one batch, and their failures come out line by
  // line, in order.
  const size_t filter_count = filters_.size();
  batch_index_.assign(candidates_.size() * filter_count, kNotInBatch);
  for (auto &f : filters_)
    f->begin_batch();
  for (size_t c = 0; c < candidates_.size(); ++c) {
    const Candidate &cand = candidates_[c];
    // With its newline (every line of a piece has one), so that it is read in place.
    std::string_view line(base + cand.start,
                          cand.stop - cand.start + (cand.stop < piece.size() ? 1 : 0));
    uint32_t *index = &batch_index_[c * filter_count];
    for (size_t h = cand.first_hit; h < cand.end_hit; ++h) {
      const RuleRef &r = ids_[hits_[h].id];
      if (index[r.filter] == kNotInBatch)
        index[r.filter] = static_cast<uint32_t>(filters_[r.filter]->add_line(cand.line_no, line));
      filters_[r.filter]->propose(index[r.filter], r.rule);
    }
    if (every_line_)
      for (size_t f = 0; f < filter_count; ++f)
        if (every_line_filter_[f] && index[f] == kNotInBatch)
          index[f] = static_cast<uint32_t>(filters_[f]->add_line(cand.line_no, line));
  }
  for (auto &f : filters_)
    f->judge_batch(now_value, counters_);
  for (size_t c = 0; c < candidates_.size(); ++c)
    for (size_t f = 0; f < filter_count; ++f)
      if (uint32_t index = batch_index_[c * filter_count + f]; index != kNotInBatch) {
        ++counters_.candidates;
        filters_[f]->finish_line(index, static_cast<uint32_t>(f), counters_, emit);
      }
  counters_.lines += line_no - first_line;
  next_line_ = line_no;
}

} // namespace mcf2b::matcher
