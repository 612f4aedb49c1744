// SPDX-License-Identifier: GPL-2.0-only
// Failures of a prefix a log line named (<SUBNET>): a window of their own, a ban of the
// whole prefix at the threshold, and never an automatic ban of a range wider than /24
// or /48, nor of one that covers a never-banned or whitelisted address.
#include "userspace/controller/jail_controller.h"

#include <gtest/gtest.h>

namespace mcf2b {
namespace {

constexpr Seconds kT0 = 1'700'000'000;

IpAddress A(const char *text) { return IpAddress::parse(text).value(); }
IpPrefix P(const char *text) { return IpPrefix::parse(text).value(); }

class PrefixFailures : public ::testing::Test {
protected:
  PrefixFailures() : clock(kT0), controller(clock) {
    JailConfig jail;
    jail.name = "custom";
    jail.maxretry = 3;
    jail.findtime = 3600;
    jail.bantime = 600;
    controller.configure({jail});
    family = controller.family("custom").value();
  }

  // `n` failures of `prefix`, one minute apart; all decisions merged.
  Decisions fail_n(const IpPrefix &prefix, int n) {
    Decisions all;
    for (int i = 0; i < n; ++i) {
      clock.advance(60);
      all.append(controller.failure(family, prefix, clock.now()));
    }
    return all;
  }

  ManualClock clock;
  JailController controller;
  JailFamilyId family = 0;
};

TEST_F(PrefixFailures, APrefixReachingMaxretryIsBannedAsAWhole) {
  EXPECT_TRUE(fail_n(P("192.0.2.0/24"), 2).bans.empty());
  Decisions d = fail_n(P("192.0.2.0/24"), 1);
  ASSERT_EQ(d.bans.size(), 1u);
  EXPECT_EQ(d.bans[0].prefix, P("192.0.2.0/24"));
  EXPECT_EQ(d.bans[0].jail, "custom");
  EXPECT_TRUE(controller.is_banned("custom", P("192.0.2.0/24")));
  EXPECT_FALSE(controller.is_banned("custom", P("192.0.2.7")));

  Decisions v6 = fail_n(P("2001:db8:1::/48"), 3);
  ASSERT_EQ(v6.bans.size(), 1u);
  EXPECT_EQ(v6.bans[0].prefix, P("2001:db8:1::/48"));
}

TEST_F(PrefixFailures, APrefixAndItsAddressesCountApart) {
  fail_n(P("198.51.100.0/24"), 2);
  clock.advance(60);
  EXPECT_TRUE(controller.failure(family, A("198.51.100.0"), clock.now()).bans.empty());
  const auto prefix_window = controller.windows().find(family, P("198.51.100.0/24"));
  const auto address_window = controller.windows().find(family, A("198.51.100.0"));
  ASSERT_TRUE(prefix_window && address_window);
  EXPECT_EQ(prefix_window->times.size(), 2u);
  EXPECT_EQ(address_window->times.size(), 1u);
  // A host prefix is the address itself.
  fail_n(IpPrefix::host(A("198.51.100.0")), 1);
  EXPECT_EQ(controller.windows().find(family, A("198.51.100.0"))->times.size(), 2u);
}

TEST_F(PrefixFailures, ARangeWiderThanSlash24OrSlash48IsCountedNeverBanned) {
  EXPECT_TRUE(fail_n(P("10.0.0.0/16"), 5).bans.empty());
  EXPECT_TRUE(fail_n(P("2001:db8::/40"), 5).bans.empty());
  EXPECT_TRUE(fail_n(P("0.0.0.0/0"), 5).bans.empty());
  EXPECT_EQ(controller.stats().wide_prefixes, 15u);
  EXPECT_EQ(controller.stats().failures, 15u);
  EXPECT_FALSE(controller.windows().find(family, P("10.0.0.0/16")));
  EXPECT_TRUE(JailController::needs_confirmation(P("10.0.0.0/23")));
  EXPECT_FALSE(JailController::needs_confirmation(P("10.0.0.0/24")));
  EXPECT_TRUE(JailController::needs_confirmation(P("2001:db8::/47")));
  EXPECT_FALSE(JailController::needs_confirmation(P("2001:db8::/48")));
}

TEST_F(PrefixFailures, APrefixCoveringANeverBannedAddressIsIgnored) {
  controller.set_own_addresses({A("198.18.0.1")});
  controller.set_ignore_list({P("203.0.113.128/25")});
  EXPECT_TRUE(fail_n(P("127.0.0.0/24"), 5).bans.empty());
  EXPECT_TRUE(fail_n(P("198.18.0.0/24"), 5).bans.empty());
  EXPECT_TRUE(fail_n(P("203.0.113.0/24"), 5).bans.empty());
  EXPECT_EQ(controller.stats().ignored, 15u);
}

TEST_F(PrefixFailures, AJailWhoseWhitelistOverlapsThePrefixDoesNotCountIt) {
  ASSERT_TRUE(controller.whitelist_add("custom", P("192.0.2.9")).ok());
  EXPECT_TRUE(fail_n(P("192.0.2.0/24"), 5).bans.empty());
  EXPECT_EQ(controller.stats().whitelisted, 5u);
}

} // namespace
} // namespace mcf2b
