// SPDX-License-Identifier: GPL-2.0-only
// Bad input never crashes the matcher and is counted: random bytes (NULs, invalid
// UTF-8), lines of any length, backtracking bait, impossible dates and addresses. And
// the result never depends on how the input is cut into chunks.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "matcher/log_matcher.h"
#include "tests/fixtures/requirements.h"

namespace mcf2b::matcher {
namespace {

using mcf2b::testing::ok;

constexpr int64_t kNow = 1741608000; // 2025-03-10 12:00:00 UTC

LogMatcher make_matcher(std::vector<std::string> specs) {
  std::vector<FilterDefinition> defs;
  FilterSearchPath search{{MCF2B_TEST_FILTER_DIR, "/etc/fail2ban/filter.d"}};
  for (const auto &s : specs) {
    auto d = load_filter(s, search);
    EXPECT_TRUE(ok(d)) << s;
    defs.push_back(std::move(*d));
  }
  MatcherOptions options;
  options.fixed_now = kNow;
  auto m = LogMatcher::create(std::move(defs), options);
  EXPECT_TRUE(ok(m));
  return std::move(*m);
}

std::string realistic(std::mt19937_64 &rng, int lines) {
  // Each template has one "@" where the last octet of the address goes.
  static const char *const kinds[] = {
      "Mar 10 11:27:58 gw sshd[1234]: Failed password for invalid user admin from "
      "203.0.113.@ port 51234 ssh2\n",
      "Mar 10 11:27:58 gw sshd[1234]: Invalid user oracle from 198.51.100.@ port 2\n",
      "2025-03-10 11:27:58 H=(x) [192.0.2.@] F=<a@b.example> rejected RCPT <c@d.example>: "
      "relay not permitted\n",
      "[10/Mar/2025:11:27:58 +0100] login FAILED for user: u - 203.0.113.@\n",
      "Mar 10 11:27:58 gw CRON[@]: pam_unix(cron:session): session closed for user root\n",
  };
  std::string out;
  for (int i = 0; i < lines; ++i) {
    std::string line = kinds[rng() % 5];
    line.replace(line.find('@'), 1, std::to_string(rng() % 250 + 1));
    out += line;
  }
  return out;
}

struct Result_ {
  std::vector<std::string> matches;
  MatcherCounters counters;
};

Result_ scan_in_pieces(const std::string &text, std::mt19937_64 &rng, size_t max_piece) {
  LogMatcher m = make_matcher({"sshd", "mc-exim-filter", "mc-webauth-filter"});
  Result_ r;
  auto emit = [&](const Match &x) {
    r.matches.push_back(std::to_string(x.filter) + "/" + std::to_string(x.rule) + " " +
                        std::to_string(x.line) + " " + std::string(x.host_text) + " " +
                        std::to_string(x.time));
  };
  std::string carry;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t n = std::min<size_t>(text.size() - pos, 1 + rng() % max_piece);
    carry.append(text, pos, n);
    pos += n;
    size_t done = m.scan(carry, emit);
    carry.erase(0, done);
  }
  m.scan_all(carry, emit);
  r.counters = m.counters();
  return r;
}

TEST(MatcherRobustness, ChunkBoundariesDoNotChangeTheResult) {
  std::mt19937_64 rng(42);
  std::string text = realistic(rng, 3000);
  Result_ whole = scan_in_pieces(text, rng, text.size());
  Result_ tiny = scan_in_pieces(text, rng, 7);
  Result_ medium = scan_in_pieces(text, rng, 4096);
  EXPECT_EQ(whole.counters.lines, 3000u);
  EXPECT_GT(whole.matches.size(), 1000u);
  EXPECT_EQ(whole.matches, tiny.matches);
  EXPECT_EQ(whole.matches, medium.matches);
  EXPECT_EQ(tiny.counters.lines, 3000u);
  EXPECT_EQ(tiny.counters.bytes, text.size());
}

TEST(MatcherRobustness, RandomBytesAreCountedNeverFatal) {
  std::mt19937_64 rng(7);
  LogMatcher m = make_matcher({"sshd[mode=aggressive]", "mc-exim-filter", "mc-webauth-filter",
                               "/etc/fail2ban/filter.d/apache-auth.conf"});
  size_t newlines = 0, total = 0;
  for (int round = 0; round < 64; ++round) {
    std::string junk(1 + rng() % 20000, '\0');
    for (char &c : junk) {
      c = static_cast<char>(rng());
      if (rng() % 40 == 0)
        c = '\n';
    }
    // Sprinkle fragments that look like the real thing.
    if (round % 3 == 0)
      junk += "Mar 10 11:27:58 gw sshd[1]: Invalid user \xff\xfe\x00 from 203.0.113.9\n";
    for (char c : junk)
      newlines += c == '\n';
    total += junk.size();
    m.scan_all(junk, [](const Match &) {});
    if (junk.back() != '\n')
      ++newlines; // scan_all finishes the last line
  }
  EXPECT_EQ(m.counters().lines, newlines);
  EXPECT_GE(m.counters().bytes, total);
}

TEST(MatcherRobustness, PathologicalLines) {
  LogMatcher m = make_matcher({"sshd", "mc-webauth-filter"});
  std::vector<std::string> hosts;
  auto emit = [&](const Match &x) { hosts.emplace_back(x.host_text); };
  std::string text;
  // Over-long lines: counted, never matched (the cut-off part could hold anything).
  text += "Mar 10 11:27:58 gw sshd[1]: Invalid user " + std::string(100000, 'a') +
          " from 203.0.113.1\n";
  text += std::string(2'000'000, 'x') + "\n";
  // Backtracking bait within the examined length.
  std::string bait = "Mar 10 11:27:58 gw sshd[2]: Failed password for invalid user ";
  for (int i = 0; i < 900; ++i)
    bait += "x from 1.1.1.1 port 1 ssh2 ";
  text += bait + "\n";
  text += "[10/Mar/2025:11:27:58 +0100] login FAILED for user: " + std::string(20000, '-') +
          " - 203.0.113.2\n";
  // Impossible addresses and dates.
  text += "Mar 10 11:27:58 gw sshd[3]: Invalid user a from 999.1.1.1 port 2\n";
  text += "Feb 30 11:27:58 gw sshd[4]: Invalid user a from 203.0.113.3 port 2\n";
  text += "Mar 10 25:61:99 gw sshd[5]: Invalid user a from 203.0.113.4 port 2\n";
  // NUL bytes, CR LF, empty lines.
  static const char nul_line[] = "Mar 10 11:27:58 gw sshd[6]: Invalid user a\0b from 203.0.113.5 port 2";
  text += std::string(nul_line, sizeof nul_line - 1) + "\r\n\n\n";
  m.scan_all(text, emit);
  const MatcherCounters &c = m.counters();
  EXPECT_EQ(c.lines, 10u);
  EXPECT_EQ(c.truncated, 2u) << "two lines are longer than the examined maximum";
  EXPECT_EQ(c.invalid_hosts, 1u) << "999.1.1.1";
  EXPECT_EQ(c.bad_dates, 1u) << "February 30th";
  EXPECT_GE(c.unparsable(), 4u);
  // The webauth line (20 kB user name) and the NUL line match with their real hosts.
  EXPECT_NE(std::find(hosts.begin(), hosts.end(), "203.0.113.2"), hosts.end());
  EXPECT_NE(std::find(hosts.begin(), hosts.end(), "203.0.113.5"), hosts.end());
  EXPECT_EQ(std::find(hosts.begin(), hosts.end(), "203.0.113.1"), hosts.end());
  EXPECT_EQ(std::find(hosts.begin(), hosts.end(), "203.0.113.3"), hosts.end());
}

} // namespace
} // namespace mcf2b::matcher
