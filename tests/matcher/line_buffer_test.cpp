// SPDX-License-Identifier: GPL-2.0-only
// fail2ban's multi-line buffer (maxlines > 1): the failregexes search the last lines
// joined by "\n"; a match takes its lines out of the buffer, except those its
// <SKIPLINES> passed over; lines roll out of a full buffer; an ignoreregex reads the
// matched lines only and its veto takes them too; the failure's time is that of the
// line completing the match; <F-MLFID> sessions work across the buffer's matches.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "matcher/line_buffer.h"
#include "matcher/log_matcher.h"

namespace mcf2b::matcher {
namespace {

struct Found {
  uint64_t line;
  std::string host;
  int64_t time;
  bool operator==(const Found &) const = default;
};
std::ostream &operator<<(std::ostream &out, const Found &f) {
  return out << "{line " << f.line << ", " << f.host << ", " << f.time << "}";
}

struct Outcome {
  std::vector<Found> failures;
  std::vector<uint64_t> taken;
  MatcherCounters counters;
};

constexpr int64_t k10h = 1'795'255'200; // 2026-11-21 10:00:00 UTC

Outcome scan(std::vector<std::string> failregex, int maxlines, std::string_view log,
             std::vector<std::string> ignoreregex = {}) {
  FilterDefinition def;
  def.name = "buffered";
  def.maxlines = maxlines;
  for (auto &r : failregex)
    def.failregex.push_back({r, {}});
  for (auto &r : ignoreregex)
    def.ignoreregex.push_back({r, {}});
  MatcherOptions options;
  options.fixed_now = k10h + 3600;
  auto matcher = LogMatcher::create({def}, options);
  EXPECT_TRUE(matcher) << matcher.error().message();
  Outcome out;
  if (!matcher)
    return out;
  matcher->on_counted_line([&](uint32_t, uint64_t line, CountedLine why) {
    if (why == CountedLine::taken)
      out.taken.push_back(line);
  });
  matcher->scan_all(log, [&](const Match &m) {
    out.failures.push_back({m.line, std::string(m.host_text), m.time});
  });
  out.counters = matcher->counters();
  return out;
}

TEST(LineBuffer, TheMatchedLinesLeaveTheBufferAndAreNotMatchedAgain) {
  Outcome o = scan({R"(^ login from <HOST>\n auth failed$)"}, 3,
                   "2026-11-21 10:00:00 login from 192.0.2.1\n"
                   "2026-11-21 10:00:01 auth failed\n"
                   "2026-11-21 10:00:02 auth failed\n");
  // The second "auth failed" finds no login before it: the first match took it.
  EXPECT_EQ(o.failures, (std::vector<Found>{{2, "192.0.2.1", k10h + 1}}));
  EXPECT_EQ(o.taken, (std::vector<uint64_t>{1}));
}

TEST(LineBuffer, SkippedLinesStayForALaterMatch) {
  Outcome o = scan({R"(^ open conn=(?P<_c>\d+) from <HOST><SKIPLINES> close conn=(?P=_c) bad$)"}, 5,
                   "2026-11-21 10:00:00 open conn=1 from 192.0.2.1\n"
                   "2026-11-21 10:00:01 open conn=2 from 192.0.2.2\n"
                   "2026-11-21 10:00:02 close conn=1 bad\n"
                   "2026-11-21 10:00:03 close conn=2 bad\n");
  // Line 2 lay between the lines of the first match: it stayed for the second.
  EXPECT_EQ(o.failures,
            (std::vector<Found>{{3, "192.0.2.1", k10h + 2}, {4, "192.0.2.2", k10h + 3}}));
  EXPECT_EQ(o.taken, (std::vector<uint64_t>{1, 2}));
}

TEST(LineBuffer, ALineRollsOutOfAFullBuffer) {
  const char *log = "2026-11-21 10:00:00 open from 192.0.2.1\n"
                    "2026-11-21 10:00:01 something else\n"
                    "2026-11-21 10:00:02 close bad\n";
  const std::string rule = R"(^ open from <HOST><SKIPLINES> close bad$)";
  EXPECT_EQ(scan({rule}, 3, log).failures, (std::vector<Found>{{3, "192.0.2.1", k10h + 2}}));
  EXPECT_TRUE(scan({rule}, 2, log).failures.empty()); // line 1 left when line 3 came
}

TEST(LineBuffer, TheIgnoreregexReadsTheMatchedLinesOnly) {
  Outcome o = scan({R"(^ login from <HOST>\n auth failed$)"}, 3,
                   "2026-11-21 10:00:00 note: 192.0.2.1 is trusted\n"
                   "2026-11-21 10:00:01 login from 192.0.2.1\n"
                   "2026-11-21 10:00:02 auth failed\n",
                   {"trusted"});
  // "trusted" is in the buffer, not in the match's lines.
  EXPECT_EQ(o.failures, (std::vector<Found>{{3, "192.0.2.1", k10h + 2}}));
  EXPECT_EQ(o.counters.ignored, 0u);
}

TEST(LineBuffer, AnIgnoredMatchTakesItsLinesToo) {
  Outcome o = scan({R"(^ login from <HOST>.*\n auth failed$)"}, 3,
                   "2026-11-21 10:00:00 login from 192.0.2.1 trusted\n"
                   "2026-11-21 10:00:01 auth failed\n"
                   "2026-11-21 10:00:02 auth failed\n",
                   {"trusted"});
  EXPECT_TRUE(o.failures.empty());
  // Vetoed once: the third line no longer finds the login it would be vetoed with again.
  EXPECT_EQ(o.counters.ignored, 1u);
  EXPECT_EQ(o.taken, (std::vector<uint64_t>{1}));
}

TEST(LineBuffer, ASessionNamedInOneMatchIsBlamedInALaterOne) {
  Outcome o = scan({R"(^ conn <F-MLFID>\d+</F-MLFID> from <HOST> <F-NOFAIL>connected</F-NOFAIL>$)",
                    R"(^ conn <F-MLFID>\d+</F-MLFID> user \S+\n conn \d+ auth failed$)"},
                   3,
                   "2026-11-21 10:00:00 conn 7 from 192.0.2.7 connected\n"
                   "2026-11-21 10:00:01 conn 7 user bob\n"
                   "2026-11-21 10:00:02 conn 7 auth failed\n");
  EXPECT_EQ(o.failures, (std::vector<Found>{{3, "192.0.2.7", k10h + 2}}));
}

// One log read by a multi-line filter and a single-line one: each judges as alone (the
// single-line filter keeps the Hyperscan pre-selection).
TEST(LineBuffer, AMultiLineFilterSharesALogWithASingleLineOne) {
  FilterDefinition buffered;
  buffered.name = "buffered";
  buffered.maxlines = 2;
  buffered.failregex.push_back({R"(^ login from <HOST>\n auth failed$)", {}});
  FilterDefinition single;
  single.name = "single";
  single.failregex.push_back({R"(^ spam from <HOST>$)", {}});
  MatcherOptions options;
  options.fixed_now = k10h + 3600;
  auto matcher = LogMatcher::create({buffered, single}, options);
  ASSERT_TRUE(matcher) << matcher.error().message();
  auto rules = matcher->rules();
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].mode, ScanMode::slow);
  EXPECT_EQ(rules[1].mode, ScanMode::native);
  std::vector<std::pair<uint32_t, uint64_t>> found; // (filter, line)
  matcher->scan_all("2026-11-21 10:00:00 login from 192.0.2.1\n"
                    "2026-11-21 10:00:01 spam from 192.0.2.2\n"
                    "2026-11-21 10:00:02 login from 192.0.2.3\n"
                    "2026-11-21 10:00:03 auth failed\n",
                    [&](const Match &m) { found.emplace_back(m.filter, m.line); });
  // Line 2 sits between the first login and any "auth failed": no multi-line match.
  EXPECT_EQ(found, (std::vector<std::pair<uint32_t, uint64_t>>{{1, 2}, {0, 4}}));
}

TEST(LineBuffer, SplitCountsLinesInTheSearchedText) {
  std::vector<LineBuffer::Line> org{{1, "a"}, {2, "b"}, {3, "c"}, {4, "d"}};
  std::string text;
  LineBuffer::join(org, text);
  ASSERT_EQ(text, "a\nb\nc\nd\n");
  std::vector<LineBuffer::Line> matched, unmatched;
  // A match from "b" to "d" that skipped "c".
  LineBuffer::split(text, 2, 7, "c\n", org, matched, unmatched);
  auto numbers = [](const std::vector<LineBuffer::Line> &lines) {
    std::vector<uint64_t> n;
    for (const auto &l : lines)
      n.push_back(l.number);
    return n;
  };
  EXPECT_EQ(numbers(matched), (std::vector<uint64_t>{2, 4}));
  EXPECT_EQ(numbers(unmatched), (std::vector<uint64_t>{1, 3}));
  // A match within one line takes that line alone.
  LineBuffer::split(text, 4, 5, "", org, matched, unmatched);
  EXPECT_EQ(numbers(matched), (std::vector<uint64_t>{3}));
  EXPECT_EQ(numbers(unmatched), (std::vector<uint64_t>{1, 2, 4}));
}

TEST(LineBuffer, PushKeepsTheLastLines) {
  LineBuffer buffer(2);
  buffer.push(1, "one");
  buffer.push(2, "two");
  EXPECT_TRUE(buffer.full());
  buffer.push(3, "three");
  ASSERT_EQ(buffer.lines().size(), 2u);
  EXPECT_EQ(buffer.lines()[0].number, 2u);
  EXPECT_EQ(buffer.lines()[1].text, "three");
}

} // namespace
} // namespace mcf2b::matcher
