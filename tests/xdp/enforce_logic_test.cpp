// SPDX-License-Identifier: GPL-2.0-only
// Userspace logic of the enforcer that needs no kernel: Bloom counts, covering prefixes,
// the TAI conversion.
#include <gtest/gtest.h>

#include "userspace/enforce/bloom_counts.h"
#include "userspace/enforce/prefix_cover.h"
#include "userspace/enforce/tai_clock.h"

using namespace mcf2b;

namespace {

IpPrefix P(const char *text) { return IpPrefix::parse(text).value(); }

TEST(BloomCounts, AddedAddressesAreFoundAndRemovalClearsOnlyUnsharedBits) {
  BloomCounts bloom(1024);
  std::vector<IpAddress> added;
  for (uint32_t i = 0; i < 2000; ++i) {
    added.push_back(IpAddress::v4(0xC6120000u + i));
    bloom.add(added.back());
  }
  added.push_back(IpAddress::parse("2001:db8::1").value());
  bloom.add(added.back());
  for (const auto &a : added)
    EXPECT_TRUE(bloom.may_contain(a));
  for (size_t i = 0; i < added.size(); i += 2)
    bloom.remove(added[i]);
  for (size_t i = 1; i < added.size(); i += 2)
    EXPECT_TRUE(bloom.may_contain(added[i])) << added[i].to_string();
  for (size_t i = 1; i < added.size(); i += 2)
    bloom.remove(added[i]);
  for (uint32_t w = 0; w < bloom.size(); ++w)
    EXPECT_EQ(bloom.word(w), 0u);
}

TEST(BloomCounts, FalsePositivesStayRareAtDesignLoad) {
  uint32_t capacity = 1 << 16;
  BloomCounts bloom(BloomCounts::words_for_capacity(capacity));
  for (uint32_t i = 0; i < capacity; ++i)
    bloom.add(IpAddress::v4(0x0A000000u + i * 7));
  int positives = 0;
  for (uint32_t i = 0; i < 100000; ++i)
    positives += bloom.may_contain(IpAddress::v4(0xC0000000u + i)) ? 1 : 0;
  EXPECT_LT(positives, 2000); // < 2 %
}

TEST(BloomCounts, RejectsSizesThatAreNotPowersOfTwo) {
  EXPECT_THROW(BloomCounts(1000), std::invalid_argument);
  EXPECT_EQ(BloomCounts::words_for_capacity(1u << 20), 1u << 18);
  EXPECT_EQ(BloomCounts::words_for_capacity(10), 1024u);
}

TEST(PrefixCover, LatestExpiryFoldsCoveringPrefixes) {
  std::vector<std::pair<IpPrefix, uint64_t>> entries = {
      {P("10.0.0.0/8"), 500}, {P("10.1.0.0/16"), 100}, {P("10.1.2.0/24"), 0},
      {P("10.1.2.128/25"), 50}, {P("11.0.0.0/8"), 7},  {P("2001:db8::/32"), 9},
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
