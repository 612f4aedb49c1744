// SPDX-License-Identifier: GPL-2.0-only
// The matched lines kept per (jail family, address) for the ban mails: the newest N,
// oldest first, every failure counted, long lines cut, the bounds held.
#include <gtest/gtest.h>

#include "userspace/notify/mail_line_history.h"

using namespace mcf2b;

namespace {

IpPrefix ip(const char *text) {
  return *IpPrefix::parse(text);
}

TEST(MailLineHistory, KeepsTheNewestLinesOldestFirstAndCountsEveryFailure) {
  MailLineHistory h;
  for (int i = 0; i < 7; ++i)
    h.record(1, ip("192.0.2.1"), "line " + std::to_string(i), 3);
  const auto *e = h.find(1, ip("192.0.2.1"));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->lines(), (std::vector<std::string>{"line 4", "line 5", "line 6"}));
  EXPECT_EQ(e->failures, 7u);
  EXPECT_EQ(h.find(2, ip("192.0.2.1")), nullptr) << "families are apart";
  EXPECT_EQ(h.find(1, ip("192.0.2.2")), nullptr);
}

TEST(MailLineHistory, ABoundThatShrinksKeepsTheNewestAndZeroKeepsOnlyTheCount) {
  MailLineHistory h;
  for (int i = 0; i < 5; ++i)
    h.record(1, ip("2001:db8::1"), "l" + std::to_string(i), 5);
  h.record(1, ip("2001:db8::1"), "l5", 2);
  EXPECT_EQ(h.find(1, ip("2001:db8::1"))->lines(), (std::vector<std::string>{"l4", "l5"}));
  h.record(1, ip("2001:db8::1"), "l6", 0);
  EXPECT_EQ(h.find(1, ip("2001:db8::1"))->lines().size(), 2u);
  EXPECT_EQ(h.find(1, ip("2001:db8::1"))->failures, 7u);
}

TEST(MailLineHistory, LongLinesAreCutAndEmptyOrBinaryLinesKeptAsTheyAre) {
  MailLineHistory h;
  const std::string huge(70000, 'x'); // past what two length bytes could say
  const std::string binary("a\0b\xff\n", 5);
  h.record(1, ip("192.0.2.9"), huge, 4);
  h.record(1, ip("192.0.2.9"), "", 4);
  h.record(1, ip("192.0.2.9"), binary, 4);
  auto lines = h.find(1, ip("192.0.2.9"))->lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], huge.substr(0, MailLineHistory::kMaxLine));
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], binary);
}

TEST(MailLineHistory, ForgetStartsANewCountAndTheAddressBoundDropsTheOldest) {
  MailLineHistory h(3);
  h.record(1, ip("192.0.2.1"), "a", 2);
  h.record(1, ip("192.0.2.1"), "b", 2);
  h.forget(1, ip("192.0.2.1"));
  EXPECT_EQ(h.find(1, ip("192.0.2.1")), nullptr);
  h.record(1, ip("192.0.2.1"), "c", 2);
  EXPECT_EQ(h.find(1, ip("192.0.2.1"))->failures, 1u);
  for (const char *a : {"192.0.2.2", "192.0.2.3", "192.0.2.4"})
    h.record(1, ip(a), "x", 2);
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.find(1, ip("192.0.2.1")), nullptr) << "recorded longest ago, forgotten first";
  EXPECT_NE(h.find(1, ip("192.0.2.4")), nullptr);
  // Many forgotten keys do not grow the bookkeeping without bound.
  MailLineHistory churn(10);
  for (int i = 0; i < 100000; ++i) {
    IpPrefix p = IpPrefix::host(
        *IpAddress::parse("10.0." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256)));
    churn.record(1, p, "y", 1);
    churn.forget(1, p);
  }
  EXPECT_EQ(churn.size(), 0u);
}

TEST(MailLineHistory, TheRingKeepsTheNewestLinesAndNeverHandsOutOverwrittenText) {
  MailLineHistory h(1000, 8192);
  h.record(1, ip("192.0.2.1"), "first of A", 5);
  h.record(1, ip("192.0.2.1"), "second of A", 5);
  // Other addresses' lines, of many lengths, go round the ring several times.
  std::vector<std::string> written;
  for (int i = 0; i < 500; ++i) {
    std::string line = "B line " + std::to_string(i) + " " + std::string(size_t(i * 37 % 300), 'b');
    h.record(1, ip("192.0.2.2"), line, 4);
    written.push_back(line);
  }
  const auto *a = h.find(1, ip("192.0.2.1"));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->failures, 2u);
  EXPECT_TRUE(a->lines().empty()) << "overwritten since: gone, never garbage";
  EXPECT_EQ(h.find(1, ip("192.0.2.2"))->lines(),
            std::vector<std::string>(written.end() - 4, written.end()));
  // Interleaved addresses each get exactly their own newest lines.
  for (int i = 0; i < 200; ++i)
    for (int k = 0; k < 3; ++k)
      h.record(2, ip(("198.51.100." + std::to_string(k)).c_str()),
               std::to_string(k) + ":" + std::to_string(i), 3);
  for (int k = 0; k < 3; ++k) {
    auto lines = h.find(2, ip(("198.51.100." + std::to_string(k)).c_str()))->lines();
    EXPECT_EQ(lines,
              (std::vector<std::string>{std::to_string(k) + ":197", std::to_string(k) + ":198",
                                        std::to_string(k) + ":199"}));
  }
}

TEST(MailLineHistory, LinesAsLongAsTheRingAllowsStillComeBackWhole) {
  MailLineHistory h(10, 1); // the smallest ring: two of the longest lines
  const std::string longest(MailLineHistory::kMaxLine, 'L');
  for (int i = 0; i < 5; ++i)
    h.record(1, ip("192.0.2.7"), longest + std::to_string(i), 3);
  auto lines = h.find(1, ip("192.0.2.7"))->lines();
  ASSERT_FALSE(lines.empty());
  for (const auto &l : lines)
    EXPECT_EQ(l, longest);
}

} // namespace
