// SPDX-License-Identifier: GPL-2.0-only
// A prefregex ending in <F-CONTENT>.+</F-CONTENT>$ runs without its content tail: the
// rewritten regex must accept the same lines with the same groups, and the content must
// be the rest of the line after its match.
#include <gtest/gtest.h>

#include "matcher/pcre2_regex.h"
#include "matcher/regex_translation.h"

namespace mcf2b::matcher {
namespace {

// The stock sshd prefregex, with common.conf's prefix line.
constexpr const char *kSshd =
    R"(^<F-MLFID>(?:\[\])?\s*(?:<[^.]+\.[^.]+>\s+)?(?:\S+\s+)?(?:kernel:\s?\[ *\d+\.\d+\]:?\s+)?(?:@vserver_\S+\s+)?(?:(?:(?:\[\d+\])?:\s+[\[\(]?sshd(?:\(\S+\))?[\]\)]?:?|[\[\(]?sshd(?:\(\S+\))?[\]\)]?:?(?:\[\d+\])?:?)\s+)?(?:\[ID \d+ \S+\]\s+)?</F-MLFID>(?:(?:error|fatal): (?:PAM: )?)?<F-CONTENT>.+</F-CONTENT>$)";

void expect_same(const std::string &prefregex, std::string line) {
  std::string expanded = expand_fail2ban_tags(prefregex);
  auto rewritten = prefregex_with_content_to_line_end(expanded);
  ASSERT_TRUE(rewritten) << expanded;
  auto full = Pcre2Regex::compile(expanded);
  auto fast = Pcre2Regex::compile(*rewritten);
  ASSERT_TRUE(full && fast);
  line += '\n';
  auto outcome = full->search(line);
  ASSERT_EQ(fast->search(line), outcome) << line;
  if (outcome != Pcre2Regex::Outcome::matched)
    return;
  uint32_t content = 0;
  for (const auto &[name, number] : full->names()) {
    if (name == "content") {
      content = number;
      continue;
    }
    EXPECT_EQ(full->group(number), fast->group(number)) << name << " in " << line;
  }
  std::string_view whole = fast->group(0);
  size_t from = static_cast<size_t>(whole.data() + whole.size() - line.data());
  EXPECT_EQ(full->group(content), std::string_view(line).substr(from, line.size() - 1 - from));
}

TEST(PrefregexRewrite, TheContentIsTheRestOfTheLine) {
  using namespace std::string_literals;
  for (const std::string &line : {
           " mx1 sshd[1004]: Failed password for root from 192.0.2.1 port 22 ssh2"s,
           " mx1 sshd[1004]: error: PAM: Authentication failure for x from 192.0.2.1"s,
           " mx1 sshd[1004]: "s,   // empty content: the prefix gives some back
           " mx1 sshd[1004]:"s,    // the same without the space
           " mx1 sshd[1004]: x"s,  // one character of content
           ""s,                    // nothing at all
           " x"s,                  // no daemon
           "\tsshd: \r"s,          // a carriage return inside the content
           " host sshd[7]: a\0b"s, // a NUL byte
       })
    expect_same(kSshd, line);
  expect_same("^<F-MLFID>\\S+ \\S+</F-MLFID> <F-CONTENT>.+</F-CONTENT>$", "a b c d");
  expect_same("^<F-MLFID>\\S+ \\S+</F-MLFID> <F-CONTENT>.+</F-CONTENT>$", "a b ");
}

TEST(PrefregexRewrite, OtherShapesAreLeftAlone) {
  EXPECT_FALSE(prefregex_with_content_to_line_end("^(?P<content>.+) x$"));
  EXPECT_FALSE(prefregex_with_content_to_line_end("^(?P<content>a)?(?P<content>.+)$"));
  EXPECT_FALSE(prefregex_with_content_to_line_end("(?s)^x (?P<content>.+)$"));
  EXPECT_FALSE(prefregex_with_content_to_line_end("(?m)^x (?P<content>.+)$"));
  EXPECT_FALSE(prefregex_with_content_to_line_end("(*CRLF)^x (?P<content>.+)$"));
  EXPECT_EQ(prefregex_with_content_to_line_end("^(?:x)(?P<mlfid>y) (?P<content>.+)$"),
            "^(?:x)(?P<mlfid>y) (?=.)");
}

} // namespace
} // namespace mcf2b::matcher
