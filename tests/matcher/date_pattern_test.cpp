// SPDX-License-Identifier: GPL-2.0-only
// datepattern forms fail2ban accepts: text on both sides of {DATE} (its group 1, or the
// whole match, is what gets cut from the line), and several patterns, one per line.
#include <gtest/gtest.h>

#include <string>

#include "matcher/log_time.h"
#include "tests/fixtures/requirements.h"

namespace mcf2b::matcher {
namespace {

using mcf2b::testing::ok;

constexpr int64_t kNow = 1741608000; // 2025-03-10 12:00:00 UTC

struct Found {
  std::string cut;
  int64_t epoch;
};

std::optional<Found> find(const std::string &pattern, const std::string &line) {
  static const TimeZone utc = *TimeZone::load("UTC");
  auto parser = LogTimeParser::create(pattern, &utc);
  EXPECT_TRUE(ok(parser)) << pattern;
  if (!parser)
    return std::nullopt;
  auto t = parser->find(line, kNow);
  if (!t)
    return std::nullopt;
  EXPECT_TRUE(t->valid) << line;
  return Found{line.substr(t->begin, t->end - t->begin), t->epoch};
}

// apache-badbots: the date inside brackets after the client fields; group 1 is the date.
TEST(DatePattern, TextAroundDateCutsItsGroup) {
  auto f = find(R"(^[^\[]*\[({DATE}))",
                R"(192.0.2.1 - - [10/Mar/2025:11:27:58 +0100] "GET / HTTP/1.1" 200)");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cut, "10/Mar/2025:11:27:58 +0100");
  EXPECT_EQ(f->epoch, 1741602478);
}

// monit: fail2ban's default template "(?:%Z )?(?:%a )?%b %d %k:%M:%S" takes a zone name
// before a syslog date, at its fixed offset (PDT is -7 hours, CEST +2).
TEST(DatePattern, ZoneNameBeforeASyslogDate) {
  auto pdt = find("", "[PDT Mar 10 04:27:58] error    : Warning: Client '192.0.2.1'");
  ASSERT_TRUE(pdt);
  EXPECT_EQ(pdt->cut, "PDT Mar 10 04:27:58");
  EXPECT_EQ(pdt->epoch, 1741606078); // 11:27:58 UTC
  auto cest = find("", "[CEST Mar 10 13:27:58] error");
  ASSERT_TRUE(cest);
  EXPECT_EQ(cest->epoch, 1741606078);
  // A name that is no zone fail2ban knows gives no date from that template.
  auto unknown = find("", "[QQQ Mar 10 04:27:58] error");
  EXPECT_FALSE(unknown && unknown->cut.find("QQQ") != std::string::npos);
}

// guacamole's "^WARNING:()**" and ejabberd's "^I\(()**": an empty date group says the
// line has no date of its own (fail2ban takes the last one); "**" lifts the word
// boundary and is no part of the regex. A group of the pattern's own is what is cut.
TEST(DatePattern, AnEmptyDateGroupMarksALineWithoutItsOwnDate) {
  static const TimeZone utc = *TimeZone::load("UTC");
  auto parser = LogTimeParser::create("^WARNING:()**", &utc);
  ASSERT_TRUE(ok(parser));
  auto t = parser->find("WARNING: Authentication attempt from 192.0.2.0 failed.", kNow);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->valid);
  EXPECT_TRUE(t->absent);
  EXPECT_FALSE(parser->find("INFO: nothing", kNow));
  auto f = find(R"(^(?:=[^=]+={3,} )?(%ExY-%m-%d %H:%M:%S))",
                "=INFO REPORT==== 2025-03-10 11:27:58 ===");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cut, "2025-03-10 11:27:58"); // the group, not the text before it
  EXPECT_EQ(f->epoch, 1741606078);
}

// apache-fakegooglebot: the group holds the brackets and the spaces before ']'.
TEST(DatePattern, GroupAroundDateAndTextIsCutWhole) {
  auto f = find(R"(^[^\[]*(\[{DATE}\s*\]))",
                R"(192.0.2.1 - - [10/Mar/2025:11:27:58 +0100 ] "GET / HTTP/1.1" 200)");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cut, "[10/Mar/2025:11:27:58 +0100 ]");
}

// oracleims: no group of its own, so the whole match (quotes and spaces) is cut.
TEST(DatePattern, WithoutAGroupTheWholeMatchIsCut) {
  auto f = find(R"(^<co ts="{DATE}"\s+)",
                R"(<co ts="2025-03-10T11:27:58.123+01:00"   r="1" />)");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cut, R"(<co ts="2025-03-10T11:27:58.123+01:00"   )");
  EXPECT_EQ(f->epoch, 1741602478);
}

// The text after {DATE} must be there.
TEST(DatePattern, TextAfterDateMustMatch) {
  EXPECT_FALSE(find(R"(^<co ts="{DATE}"\s+)", R"(<co ts="2025-03-10T11:27:58+01:00"/>)"));
}

// Several patterns, one per line, tried in order: the second finds what the first does
// not (apache-badbots' "\n{^LN-BEG}").
TEST(DatePattern, SeveralPatternsAreTriedInOrder) {
  const std::string patterns = "^[^\\[]*\\[({DATE})\n{^LN-BEG}";
  auto bracketed = find(patterns, "192.0.2.1 - - [10/Mar/2025:11:27:58 +0000] \"GET /\"");
  ASSERT_TRUE(bracketed);
  EXPECT_EQ(bracketed->cut, "10/Mar/2025:11:27:58 +0000");
  auto syslog = find(patterns, "2025-03-10 11:27:59 host x: text without brackets");
  ASSERT_TRUE(syslog);
  EXPECT_EQ(syslog->cut, "2025-03-10 11:27:59");
  EXPECT_EQ(syslog->epoch, 1741606079);
}

// %Ex directives and a Python named group with its back-reference (nginx-bad-request).
TEST(DatePattern, ExactDirectivesAndBackReferences) {
  const std::string pattern =
      "{^LN-BEG}%ExY(?P<_sep>[-/.])%m(?P=_sep)%d[T ]%H:%M:%S(?:[.,]%f)?(?:\\s*%z)?\n"
      "^[^\\[]*\\[({DATE})\n{^LN-BEG}";
  auto f = find(pattern, "2025/03/10 11:27:58 [error] 12#12: *1 text");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cut, "2025/03/10 11:27:58");
  // Separators that differ are not that pattern's date (another pattern may still read
  // part of the line).
  auto g = find(pattern, "2025/03-10 11:27:58 the separators differ");
  EXPECT_TRUE(!g || g->cut != "2025/03-10 11:27:58") << g->cut;
}

// TAI64N, explicit and among the default templates: the 15 hex digits after "@4" are
// the seconds (fail2ban ignores the TAI offset).
TEST(DatePattern, Tai64n) {
  const std::string line = "@400000004c91b044077a9e94 imap-login: Info: Aborted login";
  for (const char *pattern : {"{^LN-BEG}TAI64N", "TAI64N", ""}) {
    auto f = find(pattern, line);
    ASSERT_TRUE(f) << pattern;
    EXPECT_EQ(f->cut, "@400000004c91b044077a9e94") << pattern;
    EXPECT_EQ(f->epoch, 0x4c91b044) << pattern;
  }
  EXPECT_FALSE(find("TAI64N", "@40000000xc91b044077a9e94 not hex"));
}

// The default templates read MySQL's "yymmdd  h:mm:ss".
TEST(DatePattern, CompactYearMonthDay) {
  auto f = find("", "130324  0:04:00 [Warning] Access denied for user 'root'@'192.0.2.35'");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cut, "130324  0:04:00");
  EXPECT_EQ(f->epoch, 1364083440);
}

// Month names in any case, as fail2ban compiles date regexes with re.IGNORECASE
// (openhab's French "sept.").
TEST(DatePattern, MonthNamesInAnyCase) {
  auto f = find("%d/%b[^/]*/%Y:%H:%M:%S %z",
                "192.0.2.10 -  -  [02/sept./2015:00:11:31 +0200] \"GET /rest HTTP/1.1\" 401");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->cut, "02/sept./2015:00:11:31 +0200");
  EXPECT_EQ(f->epoch, 1441145491);
}

// The default EPOCH template reads epoch seconds at the line start, in "[...]" there (nsd)
// or in SELinux's "audit(...:n)", never a 10-digit number elsewhere (Domino's thread id).
TEST(DatePattern, DefaultEpochOnlyWhereFail2banReadsIt) {
  auto start = find("", "1403884279 - 06/27/2014 17:51:19 Host: 192.0.2.1 Blocked");
  ASSERT_TRUE(start);
  EXPECT_EQ(start->cut, "1403884279");
  auto bracketed = find("", "[1387348935] nsd[23600]: info: axfr refused");
  ASSERT_TRUE(bracketed);
  EXPECT_EQ(bracketed->cut, "1387348935");
  auto audit = find("", "type=AVC msg=audit(1403884279.123:123): avc: denied");
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit->epoch, 1403884279);
  auto domino = find("", "[28325:00010-3735542592] 22-06-2014 09:56:12   smtp: postmaster");
  ASSERT_TRUE(domino);
  EXPECT_EQ(domino->cut, "22-06-2014 09:56:12");
}

} // namespace
} // namespace mcf2b::matcher
