// SPDX-License-Identifier: GPL-2.0-only
// The Hyperscan pre-scan runs a literal factor of each failregex when it has one: the
// factor must be held by every line the failregex can match (checked here against
// PCRE2 on lines that match), and patterns the factor finder does not understand keep
// the whole superset.
#include <gtest/gtest.h>

#include "matcher/pcre2_regex.h"
#include "matcher/regex_translation.h"

namespace mcf2b::matcher {
namespace {

std::string prescan(std::string_view failregex) {
  return hyperscan_prescan_pattern(expand_fail2ban_tags_for_prescan(failregex));
}

bool factor_finds(std::string_view failregex, std::string_view line) {
  auto re = Pcre2Regex::compile(prescan(failregex));
  EXPECT_TRUE(re) << prescan(failregex);
  return re && re->search(line) == Pcre2Regex::Outcome::matched;
}

TEST(PrescanPattern, TheLongestLiteralRunIsChosen) {
  EXPECT_EQ(prescan(R"(^Failed \S+ for (?:invalid user )?<F-USER>\S+</F-USER> from <HOST>)"),
            "Failed ");
  EXPECT_EQ(
      prescan(
          R"(^User <F-USER>\S+</F-USER> from <HOST> not allowed because listed in DenyUsers\s*$)"),
      " not allowed because listed in DenyUsers");
  // Case pairs and alternations of literals are part of a run; plain groups are looked
  // through.
  EXPECT_EQ(prescan(R"(^[aA]uthentication (?:failure|error|failed) for .* from <HOST>)"),
            "[aA]uthentication (?:failure|error|failed) for ");
  EXPECT_EQ(prescan(R"(^(?:Accepted \w+) for \S+ from <HOST>)"), "Accepted ");
  EXPECT_EQ(prescan(R"(rejected by local_scan\(\): .*)"), "rejected by local_scan\\(\\): ");
}

TEST(PrescanPattern, WithoutAUsableFactorTheWholeSupersetIsKept) {
  // Too short a literal, top-level alternation, inline flags, escapes with arguments.
  EXPECT_EQ(prescan(R"(^ab\S+ <HOST>)"), R"((?:ab\S+ \S+).*$)");
  EXPECT_EQ(prescan(R"(^Failed login from <HOST>|^Bad password from <HOST>)"),
            R"((?:Failed login from \S+|Bad password from \S+).*$)");
  EXPECT_EQ(prescan(R"((?i)failed login from <HOST>)"), R"((?:(?i)failed login from \S+).*$)");
  EXPECT_EQ(prescan(R"(^\x46ailed login from <HOST>)"), R"((?:\x46ailed login from \S+).*$)");
  // Optional and repeated parts are never part of a factor.
  EXPECT_EQ(prescan(R"(^(?:Failed )?password(?: for)* x<HOST>)"), R"(password)");
}

TEST(PrescanPattern, EveryMatchingLineHoldsTheFactor) {
  struct Case {
    const char *failregex, *line;
  };
  const Case cases[] = {
      {R"(^[aA]uthentication (?:failure|error|failed) for .* from <HOST>( via \S+)?\s*$)",
       "Authentication failed for root from 192.0.2.1 via 10.0.0.1"},
      {R"(^(?:Connection (?:closed|reset)|Disconnected) (?:by|from) <HOST>)",
       "Connection reset by 192.0.2.7"},
      {R"(^\[\]\s*login FAILED for user: .* - <HOST>$)",
       "[10/Mar/2025:11:27:58 +0100] login FAILED for user: x - 192.0.2.2"},
      {R"(^(?: \[\d+\])? H=\S+ \[<HOST>\] F=<[^>]*> rejected RCPT <[^>]*>: relay not permitted)",
       " H=x [192.0.2.3] F=<a@b> rejected RCPT <c@d>: relay not permitted"},
  };
  for (const Case &c : cases) {
    EXPECT_TRUE(factor_finds(c.failregex, c.line)) << c.failregex << " -> " << prescan(c.failregex);
  }
}

TEST(PrescanPattern, ScanningDropsTheSpacesAFactorEndsIn) {
  EXPECT_EQ(prescan_pattern_for_scanning("Failed "), "Failed");
  EXPECT_EQ(prescan_pattern_for_scanning("[iI](?:llegal|nvalid) user "),
            "[iI](?:llegal|nvalid) user");
  EXPECT_EQ(prescan_pattern_for_scanning("Accepted   "), "Accepted");
  EXPECT_EQ(prescan_pattern_for_scanning("abc "), "abc ");         // too short without
  EXPECT_EQ(prescan_pattern_for_scanning("Login\\ "), "Login\\ "); // escaped
  EXPECT_EQ(prescan_pattern_for_scanning("(?:a b).*$"), "(?:a b).*$");
  // Still found on a line the full factor is found on.
  auto re = Pcre2Regex::compile(prescan_pattern_for_scanning(prescan("^Failed \\S+ for <HOST>")));
  ASSERT_TRUE(re);
  EXPECT_EQ(re->search("Mar 1 h sshd[1]: Failed password for 1.2.3.4"),
            Pcre2Regex::Outcome::matched);
}

// Python's "{,n}" (zero to n) is written for PCRE2, outside classes and escapes only.
TEST(PythonSyntax, UpperBoundOnlyQuantifiers) {
  EXPECT_EQ(expand_fail2ban_tags(R"(too much AUTH errors \(\d{,3}\);$)"),
            R"(too much AUTH errors \(\d{0,3}\);$)");
  EXPECT_EQ(expand_fail2ban_tags(R"([{,3}] \{,3} x{,} {,3})"), R"([{,3}] \{,3} x{,} {0,3})");
  auto re = Pcre2Regex::compile(expand_fail2ban_tags(R"(^errors \(\d{,3}\);$)"));
  ASSERT_TRUE(re);
  EXPECT_EQ(re->search("errors (8);"), Pcre2Regex::Outcome::matched);
  EXPECT_EQ(re->search("errors (1234);"), Pcre2Regex::Outcome::no_match);
}

} // namespace
} // namespace mcf2b::matcher
