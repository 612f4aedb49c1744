// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include <unordered_set>

#include "base/ip_address.h"

using mcf2b::IpAddress;
using mcf2b::IpPrefix;

namespace {

TEST(IpAddress, ParsesAndFormatsCanonically) {
  EXPECT_EQ(IpAddress::parse("192.0.2.1")->to_string(), "192.0.2.1");
  EXPECT_EQ(IpAddress::parse("2001:DB8:0:0:0:0:0:1")->to_string(), "2001:db8::1");
  EXPECT_EQ(IpAddress::parse("[2001:db8::1]")->to_string(), "2001:db8::1");
}

TEST(IpAddress, MapsIpv4MappedIpv6ToIpv4) {
  auto a = IpAddress::parse("::ffff:203.0.113.5");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->is_v4());
  EXPECT_EQ(*a, *IpAddress::parse("203.0.113.5"));
}

TEST(IpAddress, RejectsImpossibleAddresses) {
  for (const char *bad : {"999.1.1.1", "1.2.3", "1.2.3.4.5", "010.0.0.1", "", "host.example",
                          "1.2.3.4 ", "::g", "2001:db8::1::2"})
    EXPECT_FALSE(IpAddress::parse(bad).ok()) << bad;
}

TEST(IpPrefix, ParsesMasksAndContains) {
  auto p = IpPrefix::parse("198.51.100.0/24");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->contains(*IpAddress::parse("198.51.100.77")));
  EXPECT_FALSE(p->contains(*IpAddress::parse("198.51.101.1")));
  EXPECT_FALSE(p->contains(*IpAddress::parse("2001:db8::1")));
  EXPECT_EQ(IpPrefix::parse("192.0.2.7")->to_string(), "192.0.2.7");
  EXPECT_TRUE(IpPrefix::parse("192.0.2.7")->is_host());
  EXPECT_EQ(IpPrefix::parse("2001:db8::/32")->to_string(), "2001:db8::/32");
  EXPECT_EQ(IpPrefix::parse("::ffff:192.0.2.0/120")->to_string(), "192.0.2.0/24");
  EXPECT_EQ(IpPrefix(*IpAddress::parse("2001:db8::1"), 0).to_string(), "::/0");
}

TEST(IpPrefix, RejectsHostBitsAndBadLengths) {
  EXPECT_FALSE(IpPrefix::parse("10.0.0.1/8").ok());
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/33").ok());
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/").ok());
  EXPECT_FALSE(IpPrefix::parse("10.0.0.0/8x").ok());
  EXPECT_FALSE(IpPrefix::parse("2001:db8::/129").ok());
}

TEST(IpAddress, Hashes) {
  std::unordered_set<IpAddress> set{*IpAddress::parse("192.0.2.1"),
                                    *IpAddress::parse("::ffff:192.0.2.1"),
                                    *IpAddress::parse("2001:db8::1")};
  EXPECT_EQ(set.size(), 2u);
}

} // namespace
