// SPDX-License-Identifier: GPL-2.0-only
// Userspace logic of the enforcer that needs no kernel: the Bloom words, covering prefixes,
// the TAI conversion.
#include <gtest/gtest.h>

#include "userspace/enforce/bloom_words.h"
#include "userspace/enforce/prefix_cover.h"
#include "userspace/enforce/tai_clock.h"

using namespace mcf2b;

namespace {

IpPrefix P(const char *text) {
  return IpPrefix::parse(text).value();
}

TEST(BloomWords, AddedAddressesAreFoundAndARebuildKeepsExactlyTheBannedOnesBits) {
  std::vector<uint64_t> words(1024, 0);
  BloomWords bloom(words.data(), 1024);
  std::vector<IpAddress> added;
  for (uint32_t i = 0; i < 2000; ++i) {
    added.push_back(IpAddress::v4(0xC6120000u + i));
    bloom.add(added.back());
  }
  added.push_back(IpAddress::parse("2001:db8::1").value());
  bloom.add(added.back());
  for (const auto &a : added)
    EXPECT_TRUE(bloom.may_contain(a));
  // Half of them unbanned: their bits stay until a rebuild, which keeps the others'.
  std::vector<IpAddress> left;
  for (size_t i = 1; i < added.size(); i += 2)
    left.push_back(added[i]);
  bloom.rebuild([&](const auto &each) {
    for (const auto &a : left)
      each(a);
  });
  for (const auto &a : left)
    EXPECT_TRUE(bloom.may_contain(a)) << a.to_string();
  std::vector<uint64_t> expected(1024, 0);
  BloomWords only_left(expected.data(), 1024);
  for (const auto &a : left)
    only_left.add(a);
  EXPECT_EQ(words, expected) << "a rebuild clears every bit no banned address needs";
  bloom.rebuild([](const auto &) {});
  EXPECT_EQ(words, std::vector<uint64_t>(1024, 0));
}

TEST(BloomWords, ARebuildIsDueOnceUnbansOutnumberHalfTheBansLeft) {
  std::vector<uint64_t> words(1024, 0);
  BloomWords bloom(words.data(), 1024);
  int due_at = 0;
  for (int i = 1; i <= 5000 && !due_at; ++i)
    if (bloom.removed(100000))
      due_at = i;
  EXPECT_EQ(due_at, 0) << "5000 unbans among 100,000 bans: not yet";
  for (int i = 1; i <= 1100 && due_at == 0; ++i)
    if (bloom.removed(10))
      due_at = i;
  EXPECT_GT(due_at, 0) << "at least 1024 unbans, more than half the bans left";
  bloom.rebuild([](const auto &) {});
  EXPECT_FALSE(bloom.removed(0)) << "counted again from the rebuild";
}

TEST(BloomWords, FalsePositivesStayRareAtDesignLoad) {
  uint32_t capacity = 1 << 16;
  std::vector<uint64_t> words(BloomWords::words_for_capacity(capacity), 0);
  BloomWords bloom(words.data(), static_cast<uint32_t>(words.size()));
  for (uint32_t i = 0; i < capacity; ++i)
    bloom.add(IpAddress::v4(0x0A000000u + i * 7));
  int positives = 0;
  for (uint32_t i = 0; i < 100000; ++i)
    positives += bloom.may_contain(IpAddress::v4(0xC0000000u + i)) ? 1 : 0;
  EXPECT_LT(positives, 2000); // < 2 %
}

TEST(BloomWords, RejectsSizesThatAreNotPowersOfTwo) {
  std::vector<uint64_t> words(1000);
  EXPECT_THROW(BloomWords(words.data(), 1000), std::invalid_argument);
  EXPECT_EQ(BloomWords::words_for_capacity(1u << 20), 1u << 18);
  EXPECT_EQ(BloomWords::words_for_capacity(10), 1024u);
}

TEST(PrefixCover, LatestExpiryFoldsCoveringPrefixes) {
  std::vector<std::pair<IpPrefix, uint64_t>> entries = {
      {P("10.0.0.0/8"), 500},   {P("10.1.0.0/16"), 100}, {P("10.1.2.0/24"), 0},
      {P("10.1.2.128/25"), 50}, {P("11.0.0.0/8"), 7},    {P("2001:db8::/32"), 9},
      {P("2001:db8:1::/48"), 3}};
  auto e = covering_latest_expiry(entries);
  EXPECT_EQ(e, (std::vector<uint64_t>{500, 500, 0, 0, 7, 9, 9}));
}

TEST(PrefixCover, UnionFoldsCoveringMasks) {
  std::vector<std::pair<IpPrefix, uint64_t>> entries = {
      {P("192.0.2.0/24"), 1}, {P("192.0.2.0/28"), 2}, {P("192.0.2.16/28"), 4}, {P("0.0.0.0/0"), 8}};
  auto m = covering_union(entries);
  EXPECT_EQ(m, (std::vector<uint64_t>{9, 11, 13, 8}));
}

TEST(TaiClock, ConvertsBothWaysAndKeepsPermanent) {
  EXPECT_EQ(unix_to_tai_ns(0, 37), 0u);
  EXPECT_EQ(tai_ns_to_unix(0, 37), 0);
  EXPECT_EQ(unix_to_tai_ns(1700000000, 37), 1700000037ULL * 1000000000ULL);
  EXPECT_EQ(tai_ns_to_unix(unix_to_tai_ns(1700000000, 37), 37), 1700000000);
  EXPECT_EQ(unix_to_tai_ns(-100, 37), 1u); // long past, still an expiry
  int64_t offset = tai_offset_seconds();
  EXPECT_GE(offset, 0);
  EXPECT_LE(offset, 100);
}

} // namespace
