// SPDX-License-Identifier: GPL-2.0-only
// <CIDR> and <SUBNET>: a rule that captures a prefix length gives a failure carrying the
// prefix, normalised (host bits cleared, IPv4-mapped IPv6 made IPv4); an impossible
// length is a bad address, counted, never a crash.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "matcher/log_matcher.h"

namespace mcf2b::matcher {
namespace {

struct Result {
  std::vector<Match> matches;
  std::vector<std::string> prefixes;
  MatcherCounters counters;
};

Result scan(std::string_view failregex, std::string_view log) {
  FilterDefinition def;
  def.name = "test";
  def.failregex.push_back({std::string(failregex), {}});
  MatcherOptions options;
  options.fixed_now = 1'800'000'000;
  auto matcher = LogMatcher::create({def}, options);
  EXPECT_TRUE(matcher) << matcher.error().message();
  Result out;
  if (!matcher)
    return out;
  matcher->scan_all(log, [&](const Match &m) {
    out.matches.push_back(m);
    out.prefixes.push_back(m.host_kind == HostKind::address ? m.prefix().to_string()
                                                            : "bad:" + std::string(m.host_text));
  });
  out.counters = matcher->counters();
  return out;
}

TEST(PrefixCapture, SubnetGivesThePrefixWithItsHostBitsCleared) {
  Result r = scan("spam source <SUBNET>$", "2026-11-21 10:00:00 spam source 192.0.2.77/24\n"
                                            "2026-11-21 10:00:01 spam source 192.0.2.78\n"
                                            "2026-11-21 10:00:02 spam source 2001:db8:1:2::5/48\n"
                                            "2026-11-21 10:00:03 spam source [2001:db8::9]\n");
  EXPECT_EQ(r.prefixes, (std::vector<std::string>{"192.0.2.0/24", "192.0.2.78",
                                                  "2001:db8:1::/48", "2001:db8::9"}));
  ASSERT_EQ(r.matches.size(), 4u);
  EXPECT_EQ(r.matches[0].prefix_length, uint8_t{24});
  EXPECT_EQ(r.matches[0].address, *IpAddress::parse("192.0.2.0"));
  EXPECT_FALSE(r.matches[1].prefix_length);
  EXPECT_EQ(r.counters.invalid_hosts, 0u);
}

TEST(PrefixCapture, AddrSlashCidrIsTheSameAsSubnet) {
  Result r = scan("net <ADDR>/<CIDR> blocked$", "2026-11-21 10:00:00 net 10.1.2.3/16 blocked\n"
                                                 "2026-11-21 10:00:01 net 10.1.2.3/32 blocked\n"
                                                 "2026-11-21 10:00:02 net 10.1.2.3/0 blocked\n");
  EXPECT_EQ(r.prefixes, (std::vector<std::string>{"10.1.0.0/16", "10.1.2.3", "0.0.0.0/0"}));
}

TEST(PrefixCapture, AnIPv4MappedPrefixBecomesAnIPv4Prefix) {
  Result r = scan("net <SUBNET>$", "2026-11-21 10:00:00 net ::ffff:c000:2a1/120\n"
                                    "2026-11-21 10:00:01 net ::ffff:192.0.2.161/24\n"
                                    "2026-11-21 10:00:02 net ::ffff:c000:2a1/64\n");
  EXPECT_EQ(r.prefixes,
            (std::vector<std::string>{"192.0.2.0/24", "192.0.2.0/24", "bad:::ffff:c000:2a1"}));
  EXPECT_EQ(r.counters.invalid_hosts, 1u);
}

TEST(PrefixCapture, AnImpossibleLengthIsABadAddressNotACrash) {
  Result r = scan("net <SUBNET>$", "2026-11-21 10:00:00 net 192.0.2.1/33\n"
                                    "2026-11-21 10:00:01 net 2001:db8::1/129\n"
                                    "2026-11-21 10:00:02 net 192.0.2.1/99999999999999999999\n"
                                    "2026-11-21 10:00:03 net 999.0.2.1/24\n");
  ASSERT_EQ(r.matches.size(), 4u);
  for (const Match &m : r.matches)
    EXPECT_EQ(m.host_kind, HostKind::invalid_address) << m.host_text;
  EXPECT_EQ(r.counters.invalid_hosts, 4u);
  EXPECT_EQ(r.counters.unparsable(), 4u);
}

TEST(PrefixCapture, ALengthThatIsNotANumberIsNotCaptured) {
  // <CIDR> is digits only, as in fail2ban: "/abc" is not part of the subnet, so the
  // line does not match a rule that needs the subnet to end the line...
  Result strict = scan("net <SUBNET>$", "2026-11-21 10:00:00 net 192.0.2.1/abc\n");
  EXPECT_TRUE(strict.matches.empty());
  // ...and where it need not, the address is taken without a prefix.
  Result loose = scan("net <SUBNET>", "2026-11-21 10:00:00 net 192.0.2.1/abc\n");
  EXPECT_EQ(loose.prefixes, std::vector<std::string>{"192.0.2.1"});
}

} // namespace
} // namespace mcf2b::matcher
