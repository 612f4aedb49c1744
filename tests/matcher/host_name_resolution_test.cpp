// SPDX-License-Identifier: GPL-2.0-only
// usedns: host names are counted and left alone unless resolution is asked for; then
// they are kept during the scan and resolved after it, through a bounded cache with
// positive and negative entries, and each address a name has is a failure.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "matcher/deferred_host_names.h"
#include "matcher/host_name_resolver.h"
#include "matcher/log_matcher.h"
#include "matcher/use_dns.h"

namespace mcf2b::matcher {
namespace {

IpAddress ip(std::string_view text) { return *IpAddress::parse(text); }

// A lookup answering from a table and recording what it was asked.
struct FakeDns {
  std::map<std::string, std::vector<IpAddress>> names;
  std::vector<std::string> asked;
  NameLookup lookup() {
    return [this](const std::string &name) -> std::optional<std::vector<IpAddress>> {
      asked.push_back(name);
      auto it = names.find(name);
      if (it == names.end())
        return std::nullopt;
      return it->second;
    };
  }
};

TEST(UseDns, ParsesFail2bansFourValuesOnly) {
  EXPECT_EQ(parse_use_dns("yes"), UseDns::yes);
  EXPECT_EQ(parse_use_dns("warn"), UseDns::warn);
  EXPECT_EQ(parse_use_dns("no"), UseDns::no);
  EXPECT_EQ(parse_use_dns("raw"), UseDns::raw);
  EXPECT_EQ(parse_use_dns("Yes"), std::nullopt);
  EXPECT_EQ(parse_use_dns(""), std::nullopt);
  EXPECT_TRUE(resolves_names(UseDns::yes));
  EXPECT_TRUE(resolves_names(UseDns::warn));
  EXPECT_FALSE(resolves_names(UseDns::no));
  EXPECT_FALSE(resolves_names(UseDns::raw));
  EXPECT_EQ(to_string(UseDns::warn), "warn");
}

TEST(HostNameResolver, AnswersFromTheCacheUntilTheTtlEnds) {
  FakeDns dns;
  dns.names["mail.example"] = {ip("192.0.2.1"), ip("2001:db8::1"), ip("192.0.2.1")};
  HostNameResolver resolver(dns.lookup(), {16, 300, 60});
  auto first = resolver.resolve("mail.example", 1000);
  EXPECT_EQ(first, (std::vector<IpAddress>{ip("192.0.2.1"), ip("2001:db8::1")}));
  EXPECT_EQ(resolver.resolve("mail.example", 1299), first);
  EXPECT_EQ(dns.asked.size(), 1u);
  EXPECT_EQ(resolver.resolve("mail.example", 1300), first); // expired: asked again
  EXPECT_EQ(dns.asked.size(), 2u);
  EXPECT_EQ(resolver.counters().lookups, 2u);
  EXPECT_EQ(resolver.counters().cache_hits, 1u);
  EXPECT_EQ(resolver.counters().resolved, 3u);
  EXPECT_EQ(resolver.counters().failures, 0u);
}

TEST(HostNameResolver, AFailedNameIsCachedForTheNegativeTtlAndCounted) {
  FakeDns dns;
  HostNameResolver resolver(dns.lookup(), {16, 300, 60});
  EXPECT_TRUE(resolver.resolve("nowhere.invalid", 1000).empty());
  EXPECT_TRUE(resolver.resolve("nowhere.invalid", 1059).empty());
  EXPECT_EQ(dns.asked.size(), 1u);
  dns.names["nowhere.invalid"] = {ip("198.51.100.9")};
  EXPECT_EQ(resolver.resolve("nowhere.invalid", 1060),
            std::vector<IpAddress>{ip("198.51.100.9")});
  EXPECT_EQ(resolver.counters().failures, 2u);
  EXPECT_EQ(resolver.counters().resolved, 1u);
}

TEST(HostNameResolver, IPv4MappedAnswersBecomeIPv4) {
  HostNameResolver resolver([](const std::string &) -> std::optional<std::vector<IpAddress>> {
    uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 5};
    return std::vector<IpAddress>{IpAddress::v6_bytes(mapped)};
  });
  EXPECT_EQ(resolver.resolve("x", 0), std::vector<IpAddress>{ip("203.0.113.5")});
}

TEST(HostNameResolver, TheCacheKeepsAtMostItsCapacityDroppingTheOldest) {
  FakeDns dns;
  for (int i = 0; i < 10; ++i)
    dns.names["h" + std::to_string(i)] = {IpAddress::v4(0xC0000200u + uint32_t(i))};
  HostNameResolver resolver(dns.lookup(), {4, 300, 60});
  for (int i = 0; i < 10; ++i)
    resolver.resolve("h" + std::to_string(i), 100);
  EXPECT_EQ(resolver.cached(), 4u);
  dns.asked.clear();
  resolver.resolve("h9", 100); // among the newest four: cached
  EXPECT_TRUE(dns.asked.empty());
  resolver.resolve("h0", 100); // evicted long ago: asked again
  EXPECT_EQ(dns.asked, std::vector<std::string>{"h0"});
  EXPECT_EQ(resolver.cached(), 4u);
}

TEST(HostNameResolver, AMissingLookupFailsWithoutCrashing) {
  HostNameResolver resolver(NameLookup{});
  EXPECT_TRUE(resolver.resolve("anything", 0).empty());
  EXPECT_EQ(resolver.counters().failures, 1u);
}

TEST(HostNameResolver, TheSystemResolverFindsLocalhostsLoopbackAddresses) {
  HostNameResolver resolver(system_name_lookup(std::chrono::seconds(5)));
  const auto &addresses = resolver.resolve("localhost", 0);
  ASSERT_FALSE(addresses.empty());
  for (const IpAddress &a : addresses)
    EXPECT_TRUE(a.is_loopback()) << a.to_string();
}

// A scan over a filter whose rule captures a <HOST>.
struct Scan {
  std::vector<Match> direct;   // emitted during the scan
  std::vector<Match> resolved; // emitted after it
  std::vector<std::string> texts;
  std::vector<std::string> warned;
  MatcherCounters counters;
};

Scan scan_with(UseDns mode, HostNameResolver &resolver, std::string_view log) {
  FilterDefinition def;
  def.name = "test";
  def.failregex.push_back({"auth failure from <HOST>$", {}});
  MatcherOptions options;
  options.fixed_now = 1'800'000'000;
  auto matcher = LogMatcher::create({def}, options);
  EXPECT_TRUE(matcher) << matcher.error().message();
  Scan out;
  DeferredHostNames deferred(mode);
  matcher->scan_all(log, [&](const Match &m) {
    if (deferred.defer(m))
      return;
    out.direct.push_back(m);
  });
  EXPECT_TRUE(out.resolved.empty());
  deferred.resolve(
      resolver, 1000,
      [&](const Match &m) {
        out.resolved.push_back(m);
        out.texts.emplace_back(m.host_text);
      },
      [&](const Match &m, const std::vector<IpAddress> &) {
        out.warned.emplace_back(m.host_text);
      });
  EXPECT_EQ(deferred.size(), 0u);
  out.counters = matcher->counters();
  return out;
}

constexpr std::string_view kLog = "2026-11-21 10:00:00 auth failure from 192.0.2.50\n"
                                  "2026-11-21 10:00:01 auth failure from mail.example\n"
                                  "2026-11-21 10:00:02 auth failure from nowhere.invalid\n"
                                  "2026-11-21 10:00:03 auth failure from mail.example\n";

TEST(DeferredHostNames, WithUseDnsNoOrRawNamesAreCountedAndNeverLookedUp) {
  for (UseDns mode : {UseDns::no, UseDns::raw}) {
    FakeDns dns;
    dns.names["mail.example"] = {ip("192.0.2.1")};
    HostNameResolver resolver(dns.lookup());
    Scan s = scan_with(mode, resolver, kLog);
    EXPECT_TRUE(dns.asked.empty());
    EXPECT_TRUE(s.resolved.empty());
    ASSERT_EQ(s.direct.size(), 4u);
    EXPECT_EQ(s.direct[0].host_kind, HostKind::address);
    EXPECT_EQ(s.direct[1].host_kind, HostKind::name);
    EXPECT_EQ(s.counters.host_names, 3u);
  }
}

TEST(DeferredHostNames, WithUseDnsYesEachAddressOfANameIsAFailureAfterTheScan) {
  FakeDns dns;
  dns.names["mail.example"] = {ip("192.0.2.1"), ip("::ffff:192.0.2.1"), ip("2001:db8::25")};
  HostNameResolver resolver(dns.lookup());
  Scan s = scan_with(UseDns::yes, resolver, kLog);
  ASSERT_EQ(s.direct.size(), 1u); // the address line; names wait for the end of the scan
  EXPECT_EQ(s.direct[0].address, ip("192.0.2.50"));
  ASSERT_EQ(s.resolved.size(), 4u); // two lines, two distinct addresses each
  EXPECT_EQ(s.resolved[0].line, 2u);
  EXPECT_EQ(s.resolved[0].address, ip("192.0.2.1"));
  EXPECT_EQ(s.resolved[1].address, ip("2001:db8::25"));
  EXPECT_EQ(s.resolved[2].line, 4u);
  for (const Match &m : s.resolved)
    EXPECT_EQ(m.host_kind, HostKind::address);
  EXPECT_EQ(s.texts[0], "mail.example");
  EXPECT_EQ(s.resolved[0].time, s.direct[0].time + 1);
  // One lookup per distinct name: the repeated one came from the cache; the name that
  // does not resolve yields nothing and is counted.
  EXPECT_EQ(dns.asked, (std::vector<std::string>{"mail.example", "nowhere.invalid"}));
  EXPECT_EQ(resolver.counters().failures, 1u);
  EXPECT_EQ(resolver.counters().resolved, 2u);
  EXPECT_EQ(s.counters.host_names, 3u);
}

TEST(DeferredHostNames, WithUseDnsWarnEachResolvedNameIsReported) {
  FakeDns dns;
  dns.names["mail.example"] = {ip("192.0.2.1")};
  HostNameResolver resolver(dns.lookup());
  Scan s = scan_with(UseDns::warn, resolver, kLog);
  EXPECT_EQ(s.resolved.size(), 2u);
  EXPECT_EQ(s.warned, (std::vector<std::string>{"mail.example", "mail.example"}));
}

TEST(DeferredHostNames, TheWarningNamesTheNameAndEveryAddress) {
  Match m;
  m.host_text = "mail.example";
  EXPECT_EQ(resolution_warning(m, {ip("192.0.2.1"), ip("2001:db8::1")}),
            "determined the address of mail.example by a DNS lookup: 192.0.2.1, 2001:db8::1");
}

} // namespace
} // namespace mcf2b::matcher
