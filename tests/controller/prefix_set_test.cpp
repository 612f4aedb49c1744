// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/prefix_set.h"

#include <gtest/gtest.h>

namespace mcf2b {
namespace {

IpPrefix P(const char *text) {
  return IpPrefix::parse(text).value();
}
IpAddress A(const char *text) {
  return IpAddress::parse(text).value();
}

TEST(PrefixSet, HostsAndPrefixesOfBothFamilies) {
  PrefixSet set;
  EXPECT_TRUE(set.add(P("192.0.2.7")));
  EXPECT_FALSE(set.add(P("192.0.2.7")));
  EXPECT_TRUE(set.add(P("198.51.100.0/24")));
  EXPECT_TRUE(set.add(P("2001:db8:1::/48")));
  EXPECT_TRUE(set.contains(A("192.0.2.7")));
  EXPECT_FALSE(set.contains(A("192.0.2.8")));
  EXPECT_TRUE(set.contains(A("198.51.100.200")));
  EXPECT_TRUE(set.contains(A("2001:db8:1:ffff::1")));
  EXPECT_FALSE(set.contains(A("2001:db8:2::1")));
  // An IPv4 entry never matches an IPv6 address with the same leading bytes.
  EXPECT_FALSE(set.contains(A("c000:207::")));
  EXPECT_TRUE(set.contains(A("::ffff:192.0.2.7"))); // IPv4-mapped is the IPv4 host
}

TEST(PrefixSet, CoversAndOverlaps) {
  PrefixSet set;
  set.add(P("198.51.100.0/24"));
  set.add(P("203.0.113.9"));
  EXPECT_TRUE(set.covers(P("198.51.100.128/25")));
  EXPECT_FALSE(set.covers(P("198.51.100.0/23")));
  EXPECT_TRUE(set.overlaps(P("198.51.100.0/23"))); // holds an entry
  EXPECT_TRUE(set.overlaps(P("203.0.113.0/24")));  // holds the host
  EXPECT_FALSE(set.overlaps(P("192.0.2.0/24")));
}

TEST(PrefixSet, RemoveIsExact) {
  PrefixSet set;
  set.add(P("198.51.100.0/24"));
  EXPECT_FALSE(set.remove(P("198.51.100.1")));
  EXPECT_TRUE(set.contains(A("198.51.100.1")));
  EXPECT_TRUE(set.remove(P("198.51.100.0/24")));
  EXPECT_FALSE(set.contains(A("198.51.100.1")));
  EXPECT_TRUE(set.empty());
}

} // namespace
} // namespace mcf2b
