// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/jail_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

namespace mcf2b {
namespace {

constexpr Seconds kT0 = 1'700'000'000;
constexpr Seconds kHour = 3600, kDay = 86400;

IpAddress A(const char *text) {
  return IpAddress::parse(text).value();
}
IpPrefix P(const char *text) {
  return IpPrefix::parse(text).value();
}

BanRequest confirmed() {
  BanRequest r;
  r.confirm_wide = true;
  return r;
}
BanRequest lasting(Seconds bantime) {
  BanRequest r;
  r.bantime = bantime;
  return r;
}

// Names of the jails a batch of decisions bans in, sorted.
std::vector<std::string> banned_jails(const Decisions &d) {
  std::vector<std::string> names;
  for (const auto &b : d.bans)
    names.push_back(b.jail);
  std::sort(names.begin(), names.end());
  return names;
}

const BanDecision *ban_in(const Decisions &d, const std::string &jail) {
  for (const auto &b : d.bans)
    if (b.jail == jail)
      return &b;
  return nullptr;
}

class JailControllerTest : public ::testing::Test {
protected:
  explicit JailControllerTest(size_t max_tracked = 1000)
      : clock(kT0), controller(clock, JailControllerOptions{max_tracked, "node-a"}) {
    Decisions d = controller.configure(mailcleaner_default_jails(true));
    EXPECT_TRUE(d.jails.empty()); // the defaults have their -bl jails
  }

  // One failure logged now.
  Decisions fail(const char *family, const char *address) {
    auto d = controller.failure(family, A(address), clock.now());
    EXPECT_TRUE(d.ok()) << d.error().what;
    return d.ok() ? std::move(d).value() : Decisions{};
  }
  // `n` failures one minute apart, the clock moving along; all decisions merged.
  Decisions fail_n(const char *family, const char *address, int n) {
    Decisions all;
    for (int i = 0; i < n; ++i) {
      if (i)
        clock.advance(60);
      all.append(fail(family, address));
    }
    return all;
  }
  template <class T, class E> T ok(Result<T, E> r) {
    EXPECT_TRUE(r.ok()) << r.error().what;
    return r.ok() ? std::move(r).value() : T{};
  }

  ManualClock clock;
  JailController controller;
};

// ---- thresholds and windows -----------------------------------------------------------

TEST_F(JailControllerTest, MaxretryWithinFindtimeBans) {
  EXPECT_TRUE(fail_n("mc-ssh", "203.0.113.5", 2).bans.empty());
  Decisions d = fail("mc-ssh", "203.0.113.5"); // the third, two minutes after the first
  ASSERT_EQ(banned_jails(d), std::vector<std::string>{"mc-ssh-1d"});
  const BanDecision &b = d.bans.front();
  EXPECT_EQ(b.prefix, P("203.0.113.5"));
  EXPECT_EQ(b.start, clock.now());
  EXPECT_EQ(b.end, clock.now() + kDay);
  EXPECT_EQ(b.count, 1);
  EXPECT_FALSE(b.blacklisted);
  EXPECT_EQ(b.cause, BanCause::failures);
  ASSERT_EQ(d.records.size(), 1u);
  EXPECT_EQ(d.records[0].jail, "mc-ssh-1d");
  EXPECT_TRUE(d.records[0].active);
  EXPECT_EQ(d.records[0].host, "node-a");
  EXPECT_EQ(d.records[0].ban_end, b.end);
  EXPECT_TRUE(controller.is_banned("mc-ssh-1d", P("203.0.113.5")));
  // Other families keep their own windows.
  EXPECT_TRUE(fail_n("mc-exim", "203.0.113.5", 4).bans.empty());
}

TEST_F(JailControllerTest, WindowSlidesExactlyRatherThanInBuckets) {
  fail("mc-ssh", "198.51.100.1");
  clock.advance(1800);
  fail("mc-ssh", "198.51.100.1");
  clock.advance(1800); // the first failure is now exactly findtime old: out
  EXPECT_TRUE(fail("mc-ssh", "198.51.100.1").bans.empty());
  clock.advance(100); // the three newest are within one hour: ban
  EXPECT_EQ(banned_jails(fail("mc-ssh", "198.51.100.1")), std::vector<std::string>{"mc-ssh-1d"});
}

TEST_F(JailControllerTest, SpreadOutFailuresNeverBanTheShortTier) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(fail("mc-ssh", "198.51.100.2").bans.empty()) << i;
    clock.advance(31 * 60); // two per hour at most
  }
  // ...but the 1w tier (6 in 2 days) sees all of them on the sixth.
  EXPECT_EQ(banned_jails(fail("mc-ssh", "198.51.100.2")), std::vector<std::string>{"mc-ssh-1w"});
}

TEST_F(JailControllerTest, ReplayedOldFailuresDoNotBan) {
  // Three failures logged two hours ago: outside mc-ssh-1d's hour.
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(ok(controller.failure("mc-ssh", A("192.0.2.10"), clock.now() - 2 * kHour + i))
                    .bans.empty());
  // Older than every findtime of the family: not even tracked.
  for (int i = 0; i < 30; ++i)
    EXPECT_TRUE(ok(controller.failure("mc-ssh", A("192.0.2.11"), clock.now() - 70 * kDay + i))
                    .bans.empty());
  EXPECT_EQ(controller.stats().too_old, 30u);
  EXPECT_FALSE(controller.windows().find(*controller.family("mc-ssh"), A("192.0.2.11")));
  // Six two-hour-old failures are within mc-ssh-1w's two days: that tier bans.
  Decisions d;
  for (int i = 3; i < 6; ++i)
    d.append(ok(controller.failure("mc-ssh", A("192.0.2.10"), clock.now() - 2 * kHour + i)));
  EXPECT_EQ(banned_jails(d), std::vector<std::string>{"mc-ssh-1w"});
  EXPECT_EQ(ban_in(d, "mc-ssh-1w")->start, clock.now()); // the ban runs from now
}

// An admin's unban lets the address go: failures from before it count no more in its
// family, even when their lines reach the controller after it (read again after a crash,
// read late); failures after it count from zero.
TEST_F(JailControllerTest, AnUnbanForgivesTheFailuresFromBeforeItEvenReadAgain) {
  const Seconds t0 = clock.now();
  for (int i = 0; i < 3; ++i)
    controller.failure("mc-ssh", A("192.0.2.20"), t0 - 60 + i).value();
  ASSERT_TRUE(controller.is_banned("mc-ssh-1d", P("192.0.2.20")));
  clock.advance(10);
  ASSERT_FALSE(controller.unban("mc-ssh", P("192.0.2.20")).value().unbans.empty());
  EXPECT_FALSE(controller.windows().find(*controller.family("mc-ssh"), A("192.0.2.20")));
  // The same lines again: nothing.
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(controller.failure("mc-ssh", A("192.0.2.20"), t0 - 60 + i).value().bans.empty());
  EXPECT_FALSE(controller.is_banned("mc-ssh-1d", P("192.0.2.20")));
  EXPECT_EQ(controller.stats().forgiven, 3u);
  // Another address's old failures still count.
  for (int i = 0; i < 3; ++i)
    controller.failure("mc-ssh", A("192.0.2.21"), t0 - 60 + i).value();
  EXPECT_TRUE(controller.is_banned("mc-ssh-1d", P("192.0.2.21")));
  // New failures after the unban ban again.
  clock.advance(1);
  for (int i = 0; i < 3; ++i)
    controller.failure("mc-ssh", A("192.0.2.20"), clock.now()).value();
  EXPECT_TRUE(controller.is_banned("mc-ssh-1d", P("192.0.2.20")));
  // The forgiveness is dropped once no failure from before it could count.
  clock.advance(400 * kDay);
  controller.tick();
  for (int i = 0; i < 3; ++i)
    controller.failure("mc-ssh", A("192.0.2.20"), clock.now()).value();
  EXPECT_EQ(controller.stats().forgiven, 3u);
}

TEST_F(JailControllerTest, FutureTimestampsCountAsNow) {
  for (int i = 0; i < 3; ++i)
    controller.failure("mc-ssh", A("192.0.2.12"), clock.now() + 10 * kDay).value();
  EXPECT_TRUE(controller.is_banned("mc-ssh-1d", P("192.0.2.12")));
  clock.advance(kHour); // a far-future stamp must not keep the window open
  for (int i = 0; i < 2; ++i)
    controller.failure("mc-ssh", A("192.0.2.13"), clock.now() + 10 * kDay).value();
  clock.advance(kHour);
  EXPECT_TRUE(fail("mc-ssh", "192.0.2.13").bans.empty());
}

TEST_F(JailControllerTest, AnAddressAlreadyBannedIsNotBannedAgainThere) {
  fail_n("mc-ssh", "203.0.113.6", 3);
  Decisions again = fail_n("mc-ssh", "203.0.113.6", 3);
  EXPECT_EQ(ban_in(again, "mc-ssh-1d"), nullptr);
  EXPECT_EQ(controller.record("mc-ssh-1d", P("203.0.113.6"))->count, 1);
  EXPECT_EQ(controller.stats().already_banned, 1u);
}

TEST_F(JailControllerTest, IPv6AddressesAreTrackedAndBanned) {
  Decisions d = fail_n("mc-webauth", "2001:db8::66", 5);
  ASSERT_EQ(banned_jails(d), std::vector<std::string>{"mc-webauth-1d"});
  EXPECT_EQ(d.bans[0].prefix, P("2001:db8::66"));
}

// ---- escalation over days, as the seeds' table describes ------------------------------

TEST_F(JailControllerTest, EscalatesOneDayWeekMonthYear) {
  // While banned, the gateway drops the attacker's SMTP traffic: no lines until the
  // ban ends, then it comes back for another round of 5.
  const char *ip = "203.0.113.77";
  // Day 0: 5 hits within an hour -> mc-exim-1d for a day, nothing else yet.
  Decisions d = fail_n("mc-exim", ip, 5);
  ASSERT_EQ(banned_jails(d), std::vector<std::string>{"mc-exim-1d"});
  EXPECT_EQ(ban_in(d, "mc-exim-1d")->end, clock.now() + kDay);
  Seconds first_round = clock.now();

  // The day-long ban ends; tick() lifts it.
  clock.set(ban_in(d, "mc-exim-1d")->end);
  Decisions expiry = controller.tick();
  ASSERT_EQ(expiry.unbans.size(), 1u);
  EXPECT_EQ(expiry.unbans[0].jail, "mc-exim-1d");
  EXPECT_EQ(expiry.unbans[0].reason, UnbanReason::expired);

  // Back the next day: 5 more hits -> 10 within 2 days: a week (and the 1d tier again).
  clock.advance(kHour);
  d = fail_n("mc-exim", ip, 5);
  EXPECT_EQ(banned_jails(d), (std::vector<std::string>{"mc-exim-1d", "mc-exim-1w"}));
  EXPECT_EQ(ban_in(d, "mc-exim-1w")->end, clock.now() + 604800);
  EXPECT_EQ(ban_in(d, "mc-exim-1d")->count, 2);
  EXPECT_EQ(ban_in(d, "mc-exim-1w")->count, 1);

  // Back after the week (third offence within 2 weeks): 15 within 14 days -> a month.
  clock.set(ban_in(d, "mc-exim-1w")->end + kHour);
  EXPECT_EQ(controller.tick().unbans.size(), 2u);
  d = fail_n("mc-exim", ip, 5);
  EXPECT_EQ(banned_jails(d), (std::vector<std::string>{"mc-exim-1d", "mc-exim-1m"}));
  EXPECT_EQ(ban_in(d, "mc-exim-1m")->end, clock.now() + 2678400);
  EXPECT_LT(clock.now() - first_round, 14 * kDay);

  // Back after the month (fourth offence within 2 months): 20 within 62 days -> a year.
  clock.set(ban_in(d, "mc-exim-1m")->end + kHour);
  EXPECT_EQ(controller.tick().unbans.size(), 2u);
  d = fail_n("mc-exim", ip, 5);
  EXPECT_EQ(banned_jails(d), (std::vector<std::string>{"mc-exim-1d", "mc-exim-1y"}));
  EXPECT_EQ(ban_in(d, "mc-exim-1y")->end, clock.now() + 31536000);
  EXPECT_LT(clock.now() - first_round, 5356800);
  EXPECT_EQ(ban_in(d, "mc-exim-1d")->count, 4);
  // Blacklisting is off by default (max_count -1): no -bl ban, however many bans.
  EXPECT_EQ(ban_in(d, "mc-exim-bl"), nullptr);
}

TEST_F(JailControllerTest, NoEscalationWhenTheReturnIsOutsideTheLongerWindow) {
  const char *ip = "198.51.100.99";
  fail_n("mc-ssh", ip, 3);
  clock.advance(3 * kDay); // the 1w tier looks back 2 days only
  controller.tick();
  Decisions d = fail_n("mc-ssh", ip, 3);
  EXPECT_EQ(banned_jails(d), std::vector<std::string>{"mc-ssh-1d"});
}

// ---- blacklist ------------------------------------------------------------------------

class BlacklistTest : public JailControllerTest {
protected:
  BlacklistTest() {
    // Only the 1d tier, so every return is one more 1d ban.
    for (const char *j : {"mc-ssh-1w", "mc-ssh-1m", "mc-ssh-1y"})
      ok(controller.disable_jail(j));
  }
  Decisions offend(const char *ip) {
    Decisions d = fail_n("mc-ssh", ip, 3);
    clock.advance(kDay + kHour);
    controller.tick();
    return d;
  }
};

TEST_F(BlacklistTest, TheBanAfterMaxCountBlacklistsPermanently) {
  Decisions config = ok(controller.enable_blacklist(3));
  EXPECT_FALSE(config.jails.empty());
  EXPECT_EQ(controller.jail("mc-ssh-1d")->max_count, 3);
  const char *ip = "203.0.113.40";
  for (int i = 1; i <= 3; ++i) {
    Decisions d = offend(ip);
    ASSERT_EQ(banned_jails(d), std::vector<std::string>{"mc-ssh-1d"}) << i;
    EXPECT_EQ(d.bans[0].count, i);
    EXPECT_FALSE(d.bans[0].blacklisted);
  }
  Decisions d = fail_n("mc-ssh", ip, 3); // the fourth ban: count 4 > 3
  ASSERT_EQ(banned_jails(d), (std::vector<std::string>{"mc-ssh-1d", "mc-ssh-bl"}));
  const BanDecision *bl = ban_in(d, "mc-ssh-bl");
  EXPECT_TRUE(bl->permanent());
  EXPECT_TRUE(bl->blacklisted);
  EXPECT_EQ(bl->cause, BanCause::blacklist);
  EXPECT_TRUE(ban_in(d, "mc-ssh-1d")->blacklisted);
  EXPECT_TRUE(controller.record("mc-ssh-1d", P(ip))->blacklisted);
  // Permanent: no expiry however long we wait.
  clock.advance(400 * kDay);
  Decisions later = controller.tick();
  EXPECT_TRUE(std::none_of(later.unbans.begin(), later.unbans.end(),
                           [](const UnbanDecision &u) { return u.jail == "mc-ssh-bl"; }));
  EXPECT_TRUE(controller.is_banned("mc-ssh-bl", P(ip)));
}

TEST_F(BlacklistTest, OffMeansNeverBlacklisted) {
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(ban_in(offend("203.0.113.41"), "mc-ssh-bl"), nullptr);
  EXPECT_EQ(controller.record("mc-ssh-1d", P("203.0.113.41"))->count, 6);
  // max_count 0 is off too (MailCleaner's KB says "0 = disabled").
  ok(controller.change_jail("mc-ssh-1d", "max_count", 0));
  EXPECT_EQ(ban_in(offend("203.0.113.41"), "mc-ssh-bl"), nullptr);
}

TEST_F(BlacklistTest, CountsSurviveUntilTheJailIsDisabled) {
  ok(controller.enable_blacklist(2));
  offend("203.0.113.42");
  offend("203.0.113.42");
  EXPECT_EQ(controller.record("mc-ssh-1d", P("203.0.113.42"))->count, 2);
  ok(controller.disable_jail("mc-ssh-1d"));
  EXPECT_EQ(controller.record("mc-ssh-1d", P("203.0.113.42"))->count, 0);
  ok(controller.enable_jail("mc-ssh-1d"));
  Decisions d = offend("203.0.113.42");
  EXPECT_EQ(banned_jails(d), std::vector<std::string>{"mc-ssh-1d"});
  EXPECT_EQ(d.bans[0].count, 1);
}

TEST_F(BlacklistTest, ManualBlacklistAddAndRemove) {
  Decisions d = ok(controller.blacklist_add("mc-exim", P("198.51.100.50")));
  ASSERT_EQ(banned_jails(d), std::vector<std::string>{"mc-exim-bl"});
  EXPECT_TRUE(d.bans[0].permanent());
  EXPECT_TRUE(controller.record("mc-exim-bl", P("198.51.100.50"))->blacklisted);
  // A tier name means its family's -bl jail too.
  EXPECT_TRUE(ok(controller.blacklist_add("mc-exim-1w", P("198.51.100.50"))).bans.empty());
  Decisions removed = ok(controller.blacklist_remove("mc-exim", P("198.51.100.50")));
  ASSERT_EQ(removed.unbans.size(), 1u);
  EXPECT_EQ(removed.unbans[0].reason, UnbanReason::blacklist_removed);
  EXPECT_FALSE(controller.is_banned("mc-exim-bl", P("198.51.100.50")));
  auto again = controller.blacklist_remove("mc-exim", P("198.51.100.50"));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().what.find("not blacklisted"), std::string::npos);
}

TEST_F(BlacklistTest, DisablingBlacklistingLiftsTheBlacklist) {
  ok(controller.enable_blacklist(1));
  offend("203.0.113.43");
  Decisions d = fail_n("mc-ssh", "203.0.113.43", 3);
  ASSERT_NE(ban_in(d, "mc-ssh-bl"), nullptr);
  Decisions off = controller.disable_blacklist();
  ASSERT_EQ(off.unbans.size(), 1u);
  EXPECT_EQ(off.unbans[0].jail, "mc-ssh-bl");
  EXPECT_EQ(off.unbans[0].reason, UnbanReason::blacklist_disabled);
  EXPECT_FALSE(controller.jail("mc-ssh-bl")->enabled);
  EXPECT_EQ(controller.jail("mc-ssh-1d")->max_count, -1);
  EXPECT_FALSE(controller.record("mc-ssh-1d", P("203.0.113.43"))->blacklisted);
  // The 1d ban itself runs its course.
  EXPECT_TRUE(controller.is_banned("mc-ssh-1d", P("203.0.113.43")));
  EXPECT_FALSE(controller.enable_blacklist(0).ok());
}

TEST_F(BlacklistTest, PerJailDisableKeepsTheFamilysOtherJails) {
  ok(controller.enable_blacklist(3));
  ok(controller.disable_blacklist("mc-ssh-1d"));
  EXPECT_EQ(controller.jail("mc-ssh-1d")->max_count, -1);
  EXPECT_EQ(controller.jail("mc-ssh-1w")->max_count, 3);
  EXPECT_TRUE(controller.jail("mc-ssh-bl")->enabled);
  ok(controller.disable_blacklist("mc-ssh"));
  EXPECT_FALSE(controller.jail("mc-ssh-bl")->enabled);
  EXPECT_EQ(controller.jail("mc-exim-1d")->max_count, 3);
}

// ---- never ban ------------------------------------------------------------------------

TEST_F(JailControllerTest, NeverBansLoopbackOwnClusterOrIgnored) {
  controller.set_own_addresses({A("198.18.0.1"), A("2001:db8:18::1")});
  controller.set_cluster_nodes({A("198.18.0.2")});
  controller.set_ignore_list({P("192.0.2.0/28")});
  for (const char *ip : {"127.0.0.1", "127.9.9.9", "::1", "198.18.0.1", "2001:db8:18::1",
                         "198.18.0.2", "192.0.2.3", "::ffff:127.0.0.1"})
    EXPECT_TRUE(fail_n("mc-ssh", ip, 10).bans.empty()) << ip;
  EXPECT_EQ(controller.stats().ignored, 80u);
  EXPECT_EQ(controller.stats().tracked, 0u);
  EXPECT_FALSE(fail_n("mc-ssh", "192.0.2.30", 3).bans.empty()); // outside the /28
}

TEST_F(JailControllerTest, ManualBansRefuseOwnClusterAndLoopback) {
  controller.set_own_addresses({A("198.18.0.1")});
  controller.set_cluster_nodes({A("2001:db8:18::2")});
  auto own = controller.ban("mc-exim-1d", P("198.18.0.1"));
  ASSERT_FALSE(own.ok());
  EXPECT_NE(own.error().what.find("this host's address 198.18.0.1"), std::string::npos)
      << own.error().what;
  auto range = controller.ban("mc-exim-1d", P("198.18.0.0/24"));
  ASSERT_FALSE(range.ok()); // a range holding our address
  EXPECT_NE(range.error().what.find("198.18.0.1"), std::string::npos);
  auto node = controller.ban("mc-exim", P("2001:db8:18::2"));
  ASSERT_FALSE(node.ok());
  EXPECT_NE(node.error().what.find("cluster node"), std::string::npos) << node.error().what;
  EXPECT_FALSE(controller.ban("mc-exim", P("127.0.0.1")).ok());
  EXPECT_TRUE(controller.records().empty()); // nothing half-done
}

TEST_F(JailControllerTest, WidePrefixesNeedConfirmation) {
  EXPECT_TRUE(controller.ban("mc-exim-1d", P("198.51.100.0/24")).ok());
  auto wide = controller.ban("mc-exim-1d", P("198.50.0.0/23"));
  ASSERT_FALSE(wide.ok());
  EXPECT_NE(wide.error().what.find("wider than /24"), std::string::npos) << wide.error().what;
  Decisions d = ok(controller.ban("mc-exim-1d", P("198.50.0.0/23"), confirmed()));
  ASSERT_EQ(d.bans.size(), 1u);
  EXPECT_EQ(d.bans[0].prefix, P("198.50.0.0/23"));
  EXPECT_TRUE(controller.ban("mc-exim-1d", P("2001:db8:aa::/48")).ok());
  auto wide6 = controller.ban("mc-exim-1d", P("2001:db8:ba::/47"));
  ASSERT_FALSE(wide6.ok());
  EXPECT_NE(wide6.error().what.find("wider than /48"), std::string::npos);
}

// ---- whitelist ------------------------------------------------------------------------

TEST_F(JailControllerTest, WhitelistPreventsBansInItsJailsOnly) {
  Decisions d = ok(controller.whitelist_add("mc-exim", P("203.0.113.0/24")));
  EXPECT_EQ(d.records.size(), 5u); // four tiers and the -bl jail
  EXPECT_TRUE(fail_n("mc-exim", "203.0.113.8", 40).bans.empty());
  EXPECT_GT(controller.stats().whitelisted, 0u);
  EXPECT_EQ(banned_jails(fail_n("mc-ssh", "203.0.113.8", 3)),
            std::vector<std::string>{"mc-ssh-1d"});
  // A single tier's whitelist leaves the other tiers banning.
  ok(controller.whitelist_add("mc-webauth-1d", P("198.51.100.9")));
  Decisions w = fail_n("mc-webauth", "198.51.100.9", 10);
  EXPECT_EQ(banned_jails(w), std::vector<std::string>{"mc-webauth-1w"});
}

TEST_F(JailControllerTest, WhitelistingLiftsExistingBansAtOnce) {
  fail_n("mc-ssh", "198.51.100.20", 3);
  ok(controller.ban("mc-ssh-1w", P("198.51.100.0/24")));
  ok(controller.ban("mc-exim-1d", P("198.51.100.20")));
  Decisions d = ok(controller.whitelist_add("mc-ssh", P("198.51.100.20")));
  std::vector<std::string> lifted;
  for (const auto &u : d.unbans) {
    EXPECT_EQ(u.reason, UnbanReason::whitelisted);
    lifted.push_back(u.jail + " " + u.prefix.to_string());
  }
  std::sort(lifted.begin(), lifted.end());
  // The host's ban, and the range ban that holds it; the exim ban is another family's.
  EXPECT_EQ(lifted,
            (std::vector<std::string>{"mc-ssh-1d 198.51.100.20", "mc-ssh-1w 198.51.100.0/24"}));
  EXPECT_TRUE(controller.record("mc-ssh-1d", P("198.51.100.20"))->whitelisted);
  EXPECT_TRUE(controller.is_banned("mc-exim-1d", P("198.51.100.20")));
  auto refused = controller.ban("mc-ssh-1d", P("198.51.100.20"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().what.find("whitelisted"), std::string::npos);
}

TEST_F(JailControllerTest, WhitelistRemoveRestoresBanning) {
  ok(controller.whitelist_add("mc-ssh", P("198.51.100.21")));
  EXPECT_TRUE(fail_n("mc-ssh", "198.51.100.21", 3).bans.empty());
  ok(controller.whitelist_remove("mc-ssh", P("198.51.100.21")));
  EXPECT_FALSE(controller.record("mc-ssh-1d", P("198.51.100.21"))->whitelisted);
  clock.advance(kHour);
  EXPECT_EQ(banned_jails(fail_n("mc-ssh", "198.51.100.21", 3)),
            std::vector<std::string>{"mc-ssh-1d"});
  EXPECT_FALSE(controller.whitelist_remove("mc-ssh", P("198.51.100.21")).ok());
}

// ---- expiry ---------------------------------------------------------------------------

TEST_F(JailControllerTest, ExpiryLiftsEndedBansOnTime) {
  Decisions d = fail_n("mc-ssh", "203.0.113.60", 3);
  Seconds end = d.bans.at(0).end;
  EXPECT_EQ(controller.next_expiry(), end);
  clock.set(end - 1);
  EXPECT_TRUE(controller.tick().unbans.empty());
  clock.set(end);
  Decisions t = controller.tick();
  ASSERT_EQ(t.unbans.size(), 1u);
  EXPECT_EQ(t.unbans[0].prefix, P("203.0.113.60"));
  ASSERT_EQ(t.records.size(), 1u);
  EXPECT_FALSE(t.records[0].active);
  EXPECT_EQ(t.records[0].count, 1); // the count stays for escalation and blacklisting
  EXPECT_TRUE(controller.tick().unbans.empty());
}

TEST_F(JailControllerTest, ExpiryTakesExactlyTheEndedOnesInOrder) {
  // 1000 manual bans with ends spread over 1000 seconds.
  for (int i = 0; i < 1000; ++i) {
    IpPrefix p(IpAddress::v4(0xC6120000u + uint32_t(i)), 32);
    ok(controller.ban("mc-exim-1d", p, lasting(1 + (i * 7919) % 1000)));
  }
  clock.advance(500);
  Decisions t = controller.tick();
  EXPECT_EQ(t.unbans.size(), 500u);
  for (const auto &r : t.records)
    EXPECT_LE(r.ban_end, clock.now());
  EXPECT_EQ(controller.active_bans("mc-exim-1d").size(), 500u);
  EXPECT_EQ(ok(controller.jail_stats("mc-exim-1d")).active, 500u);
}

TEST_F(JailControllerTest, ABanLiftedEarlyAndRenewedExpiresAtItsNewEnd) {
  ok(controller.ban("mc-exim-1d", P("203.0.113.61")));
  clock.advance(kHour);
  ok(controller.unban("mc-exim-1d", P("203.0.113.61")));
  clock.advance(kHour);
  Decisions b = ok(controller.ban("mc-exim-1d", P("203.0.113.61")));
  clock.set(kT0 + kDay); // the first ban's end: nothing to do
  EXPECT_TRUE(controller.tick().unbans.empty());
  clock.set(b.bans[0].end);
  EXPECT_EQ(controller.tick().unbans.size(), 1u);
}

// ---- manual ban / unban ---------------------------------------------------------------

TEST_F(JailControllerTest, FamilyRootBansAndUnbansTheFourTiers) {
  Decisions d = ok(controller.ban("mc-exim", P("198.51.100.30")));
  EXPECT_EQ(banned_jails(d),
            (std::vector<std::string>{"mc-exim-1d", "mc-exim-1m", "mc-exim-1w", "mc-exim-1y"}));
  for (const auto &b : d.bans)
    EXPECT_EQ(b.cause, BanCause::manual);
  EXPECT_EQ(ban_in(d, "mc-exim-1y")->end, clock.now() + 31536000);
  // Banning again changes nothing and is not an error.
  EXPECT_TRUE(ok(controller.ban("mc-exim", P("198.51.100.30"))).bans.empty());
  Decisions u = ok(controller.unban("mc-exim", P("198.51.100.30")));
  EXPECT_EQ(u.unbans.size(), 4u);
  for (const auto &x : u.unbans)
    EXPECT_EQ(x.reason, UnbanReason::manual);
  auto none = controller.unban("mc-exim", P("198.51.100.30"));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().what.find("not banned"), std::string::npos);
}

TEST_F(JailControllerTest, UnbanOfOneTierLeavesTheOthers) {
  ok(controller.ban("mc-exim", P("198.51.100.31")));
  ok(controller.unban("mc-exim-1d", P("198.51.100.31")));
  EXPECT_FALSE(controller.is_banned("mc-exim-1d", P("198.51.100.31")));
  EXPECT_TRUE(controller.is_banned("mc-exim-1w", P("198.51.100.31")));
}

TEST_F(JailControllerTest, UnknownJailNamesSuggestTheClosest) {
  auto r = controller.ban("mc-exin-1d", P("198.51.100.32"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().what.find("mc-exim-1d"), std::string::npos) << r.error().what;
  auto f = controller.failure("mc-sshd", A("198.51.100.32"), clock.now());
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().what.find("mc-ssh"), std::string::npos) << f.error().what;
  EXPECT_FALSE(controller.whitelist_add("mc-web", P("198.51.100.32")).ok());
}

TEST_F(JailControllerTest, DisabledJailsNeitherCountNorAcceptBans) {
  Decisions off = ok(controller.disable_jail("mc-ssh"));
  EXPECT_EQ(off.jails.size(), 4u);
  EXPECT_TRUE(fail_n("mc-ssh", "198.51.100.33", 20).bans.empty());
  EXPECT_EQ(controller.stats().tracked, 0u);
  auto refused = controller.ban("mc-ssh-1d", P("198.51.100.33"));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().what.find("disabled"), std::string::npos);
}

TEST_F(JailControllerTest, DisablingAJailLiftsItsBans) {
  fail_n("mc-ssh", "198.51.100.34", 3);
  Decisions off = ok(controller.disable_jail("mc-ssh-1d"));
  ASSERT_EQ(off.unbans.size(), 1u);
  EXPECT_EQ(off.unbans[0].reason, UnbanReason::jail_disabled);
  EXPECT_FALSE(controller.jail("mc-ssh-1d")->enabled);
}

TEST_F(JailControllerTest, ChangingAJailAppliesToTheNextFailures) {
  auto root = controller.change_jail("mc-ssh", "maxretry", 2);
  ASSERT_FALSE(root.ok());
  EXPECT_NE(root.error().what.find("mc-ssh-1d"), std::string::npos);
  EXPECT_FALSE(controller.change_jail("mc-ssh-1d", "maxretry", 0).ok());
  EXPECT_FALSE(controller.change_jail("mc-ssh-1d", "colour", 2).ok());
  Decisions d = ok(controller.change_jail("mc-ssh-1d", "maxretry", 2));
  ASSERT_EQ(d.jails.size(), 1u);
  EXPECT_EQ(d.jails[0].maxretry, 2);
  EXPECT_EQ(banned_jails(fail_n("mc-ssh", "198.51.100.35", 2)),
            std::vector<std::string>{"mc-ssh-1d"});
  ok(controller.change_jail("mc-ssh-1d", "bantime", 600));
  Decisions shorter = fail_n("mc-ssh", "198.51.100.36", 2);
  EXPECT_EQ(shorter.bans.at(0).end, clock.now() + 600);
}

// ---- the tracked-address bound --------------------------------------------------------

class TrackedBoundTest : public JailControllerTest {
protected:
  TrackedBoundTest() : JailControllerTest(100) {}
};

TEST_F(TrackedBoundTest, OldestEvictedAndCounted) {
  fail_n("mc-ssh", "203.0.113.1", 2); // two of three: close to a ban
  for (uint32_t i = 0; i < 150; ++i)
    fail("mc-ssh", IpAddress::v4(0xC6120000u + i).to_string().c_str());
  JailControllerStats s = controller.stats();
  EXPECT_EQ(s.tracked, 100u);
  EXPECT_EQ(s.evictions, 51u);
  // Its window was evicted: the third failure starts a new count.
  EXPECT_TRUE(fail("mc-ssh", "203.0.113.1").bans.empty());
  // The newest are still counted exactly.
  EXPECT_FALSE(
      fail_n("mc-ssh", IpAddress::v4(0xC6120000u + 149).to_string().c_str(), 2).bans.empty());
}

TEST_F(TrackedBoundTest, AgedOutWindowsAreDroppedByTick) {
  for (uint32_t i = 0; i < 50; ++i)
    fail("mc-exim", IpAddress::v4(0xC6120000u + i).to_string().c_str());
  EXPECT_EQ(controller.stats().tracked, 50u);
  clock.advance(5356800); // mc-exim-1y's findtime: the longest window of the family
  controller.tick();
  EXPECT_EQ(controller.stats().tracked, 0u);
  EXPECT_EQ(controller.stats().window_expirations, 50u);
  EXPECT_EQ(controller.stats().evictions, 0u);
}

// ---- restore --------------------------------------------------------------------------

BanRecord row(const char *ip, const char *jail, int count, bool active, Seconds start,
              Seconds end) {
  BanRecord r;
  r.ip = P(ip);
  r.jail = jail;
  r.count = count;
  r.active = active;
  r.ban_start = start;
  r.ban_end = end;
  r.last_hit = start;
  r.host = "node-b";
  return r;
}

TEST_F(JailControllerTest, RestoresBansCountsAndWhitelists) {
  std::vector<BanRecord> rows;
  rows.push_back(row("203.0.113.70", "mc-ssh-1d", 2, true, kT0 - kHour, kT0 + kHour));
  rows.push_back(row("203.0.113.71", "mc-ssh-1d", 1, true, kT0 - 2 * kDay, kT0 - kDay));
  rows.push_back(row("203.0.113.72", "mc-ssh-bl", 1, true, kT0 - kDay, 0));
  rows.back().blacklisted = true;
  BanRecord wl = row("198.51.100.0/24", "mc-exim-1d", 0, false, 0, 0);
  wl.whitelisted = true;
  rows.push_back(wl);
  rows.push_back(row("203.0.113.73", "mc-ssh-1d", 3, false, kT0 - 9 * kDay, kT0 - 8 * kDay));
  // A duplicate row (MailCleaner allowed them): merged, the latest ban wins.
  rows.push_back(row("203.0.113.70", "mc-ssh-1d", 1, true, kT0 - 2 * kHour, kT0 + 10));
  rows.push_back(row("192.0.2.1", "old-jail", 1, true, kT0, kT0 + 10));

  Decisions out;
  RestoreSummary s = controller.restore(rows, out);
  EXPECT_EQ(s.restored, 6u);
  EXPECT_EQ(s.merged, 1u);
  EXPECT_EQ(s.expired, 1u);
  EXPECT_EQ(s.unknown_jails, std::vector<std::string>{"old-jail"});
  ASSERT_EQ(out.unbans.size(), 1u); // ended while the daemon was down
  EXPECT_EQ(out.unbans[0].prefix, P("203.0.113.71"));
  EXPECT_EQ(out.unbans[0].reason, UnbanReason::expired);

  auto r = controller.record("mc-ssh-1d", P("203.0.113.70"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->active);
  EXPECT_EQ(r->count, 2);
  EXPECT_EQ(r->ban_end, kT0 + kHour);
  EXPECT_EQ(r->host, "node-b");
  EXPECT_EQ(controller.next_expiry(), kT0 + kHour);
  EXPECT_TRUE(controller.is_banned("mc-ssh-bl", P("203.0.113.72")));

  // The whitelist is in force again (in mc-exim-1d; the other tiers still count).
  Decisions w = fail_n("mc-exim", "198.51.100.5", 10);
  EXPECT_EQ(banned_jails(w), std::vector<std::string>{"mc-exim-1w"});
  // Counts carry on: with blacklisting at 3, this address's next ban (its 4th) blacklists.
  ok(controller.enable_blacklist(3));
  Decisions d = fail_n("mc-ssh", "203.0.113.73", 3);
  EXPECT_EQ(ban_in(d, "mc-ssh-1d")->count, 4);
  EXPECT_NE(ban_in(d, "mc-ssh-bl"), nullptr);
  // Restored bans expire like any other.
  clock.set(kT0 + kHour);
  Decisions t = controller.tick();
  ASSERT_EQ(t.unbans.size(), 1u);
  EXPECT_EQ(t.unbans[0].prefix, P("203.0.113.70"));
}

TEST_F(JailControllerTest, EnforcedBansAreWhatTheEnforcersMustHold) {
  std::vector<BanRecord> rows;
  rows.push_back(row("203.0.113.70", "mc-ssh-1d", 1, true, kT0 - kHour, kT0 + kHour));
  rows.push_back(row("203.0.113.71", "mc-ssh-1d", 1, true, kT0 - 2 * kDay, kT0 - kDay));
  rows.push_back(row("203.0.113.72", "mc-ssh-1d", 1, false, kT0 - 2 * kDay, kT0 - kDay));
  rows.push_back(row("2001:db8::/48", "mc-exim-bl", 1, true, kT0 - kDay, 0));
  Decisions out;
  controller.restore(rows, out);
  Decisions d = fail_n("mc-exim", "198.51.100.9", 5);
  ASSERT_EQ(banned_jails(d), std::vector<std::string>{"mc-exim-1d"});

  std::map<std::string, std::vector<std::pair<IpPrefix, Seconds>>> active;
  for (const auto &b : controller.enforced_bans())
    active[b.jail].emplace_back(b.prefix, b.expires);
  std::map<std::string, std::vector<std::pair<IpPrefix, Seconds>>> expected{
      {"mc-ssh-1d", {{P("203.0.113.70"), kT0 + kHour}}}, // the ended one was lifted
      {"mc-exim-bl", {{P("2001:db8::/48"), 0}}},
      {"mc-exim-1d", {{P("198.51.100.9"), d.bans[0].end}}}};
  EXPECT_EQ(active, expected);
}

TEST_F(JailControllerTest, ConfigureAddsMissingBlacklistJailsAndRejectsBadOnes) {
  ManualClock c(kT0);
  JailController fresh(c);
  JailConfig custom;
  custom.name = "dovecot";
  custom.port = "110,143,993,995";
  custom.maxretry = 3;
  custom.findtime = 600;
  custom.bantime = 3600;
  JailConfig bad = custom;
  bad.name = "broken";
  bad.maxretry = 0;
  std::vector<Error> rejected;
  Decisions d = fresh.configure({custom, bad}, &rejected);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_NE(rejected[0].what.find("broken"), std::string::npos);
  ASSERT_EQ(d.jails.size(), 1u);
  EXPECT_EQ(d.jails[0].name, "dovecot-bl");
  EXPECT_EQ(d.jails[0].port, "110,143,993,995");
  auto id = fresh.family("dovecot");
  ASSERT_TRUE(id.ok());
  Decisions b;
  for (int i = 0; i < 3; ++i)
    b.append(fresh.failure(*id, A("192.0.2.99"), c.now()));
  EXPECT_EQ(banned_jails(b), std::vector<std::string>{"dovecot"});
  ok(fresh.enable_blacklist(1));
  c.advance(2 * kHour);
  fresh.tick();
  Decisions again;
  for (int i = 0; i < 3; ++i)
    again.append(fresh.failure(*id, A("192.0.2.99"), c.now()));
  EXPECT_EQ(banned_jails(again), (std::vector<std::string>{"dovecot", "dovecot-bl"}));
}

} // namespace
} // namespace mcf2b

namespace mcf2b {
namespace {

// Another node's ban arrives with its own end: it ends here at the same moment, not a
// full bantime after it was received (MailCleaner restarts it on every node).
TEST_F(JailControllerTest, DurationsAndCountsOutOfRangeAreRefusedAndChangeNothing) {
  // A ban's length past the store's int columns would overflow its end.
  for (Seconds bantime : {Seconds{9223372036854775807}, kMaxDuration + 1, Seconds{-2}}) {
    auto b = controller.ban("mc-exim-1d", P("192.0.2.1"), lasting(bantime));
    ASSERT_FALSE(b.ok()) << bantime;
    EXPECT_NE(b.error().what.find(std::to_string(bantime)), std::string::npos) << b.error().what;
  }
  EXPECT_FALSE(controller.is_banned("mc-exim-1d", P("192.0.2.1")));
  auto longest = controller.ban("mc-exim-1d", P("192.0.2.2"), lasting(kMaxDuration));
  ASSERT_TRUE(longest.ok()) << longest.error().what;
  EXPECT_EQ(longest->bans.at(0).end, kT0 + kMaxDuration);

  const JailConfig before = *controller.jail("mc-exim-1d");
  for (auto [option, value] :
       {std::pair{"findtime", int64_t{9223372036854775807}}, std::pair{"bantime", kMaxDuration + 1},
        std::pair{"maxretry", int64_t{4294967301}}, std::pair{"max_count", int64_t{4294967301}}}) {
    auto c = controller.change_jail("mc-exim-1d", option, value);
    ASSERT_FALSE(c.ok()) << option;
    EXPECT_NE(c.error().what.find(std::to_string(value)), std::string::npos)
        << "the refused value is named as given: " << c.error().what;
  }
  EXPECT_EQ(*controller.jail("mc-exim-1d"), before) << "a refused change takes no effect";
}

TEST_F(JailControllerTest, ReplicatedBanKeepsItsEndAndLiftsOnTime) {
  BanRecord remote;
  remote.ip = P("203.0.113.9");
  remote.jail = "mc-exim-1d";
  remote.count = 1;
  remote.active = true;
  remote.host = "node-b";
  remote.ban_start = kT0 - 600;
  remote.ban_end = kT0 - 600 + kDay;
  Decisions d = controller.apply_replicated(remote);
  ASSERT_EQ(d.bans.size(), 1u);
  EXPECT_EQ(d.bans[0].end, remote.ban_end);
  EXPECT_EQ(d.bans[0].cause, BanCause::replicated);
  EXPECT_TRUE(d.records.empty()); // the store already has the row
  EXPECT_TRUE(controller.is_banned("mc-exim-1d", remote.ip));
  // The same row again changes nothing.
  EXPECT_TRUE(controller.apply_replicated(remote).empty());
  clock.set(remote.ban_end);
  Decisions expired = controller.tick();
  ASSERT_EQ(expired.unbans.size(), 1u);
  EXPECT_FALSE(controller.is_banned("mc-exim-1d", remote.ip));
}

TEST_F(JailControllerTest, ReplicatedUnbanAndWhitelistTakeEffect) {
  BanRecord remote;
  remote.ip = P("203.0.113.10");
  remote.jail = "mc-ssh-1d";
  remote.count = 1;
  remote.active = true;
  remote.ban_start = kT0;
  remote.ban_end = kT0 + kDay;
  ASSERT_EQ(controller.apply_replicated(remote).bans.size(), 1u);
  remote.active = false;
  Decisions lifted = controller.apply_replicated(remote);
  ASSERT_EQ(lifted.unbans.size(), 1u);
  EXPECT_EQ(lifted.unbans[0].reason, UnbanReason::replicated);
  remote.whitelisted = true;
  EXPECT_TRUE(controller.apply_replicated(remote).empty());
  // Whitelisted by the other node: failures here no longer ban it.
  Decisions d = fail_n("mc-ssh", "203.0.113.10", 3);
  EXPECT_EQ(ban_in(d, "mc-ssh-1d"), nullptr);
}

} // namespace
} // namespace mcf2b
