// SPDX-License-Identifier: GPL-2.0-only
// fail2ban's bantime.increment: the expected lengths below are what fail2ban 1.0.2's own
// code gives (Jail.setBanTimeExtra's evformula applied to ObserverThread.BanTimeIncr,
// run with the package's Python), truncated to whole seconds.
#include "userspace/controller/ban_escalation.h"

#include <gtest/gtest.h>

#include "userspace/controller/jail_controller.h"

namespace mcf2b {
namespace {

constexpr Seconds kT0 = 1'700'000'000;
using Settings = JailLocalOptions::BantimeIncrement;

Settings increment() {
  return Settings{};
}

std::vector<Seconds> lengths(const Settings &s, Seconds bantime, std::vector<int> previous,
                             double random_fraction = 0) {
  auto e = BanEscalation::from(s);
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message());
  std::vector<Seconds> out;
  if (e)
    for (int p : previous)
      out.push_back(e->bantime(bantime, p, random_fraction));
  return out;
}

TEST(BanEscalation, DefaultFormulaDoublesPerEarlierBanUpTo20) {
  EXPECT_EQ(lengths(increment(), 600, {0, 1, 2, 3, 4, 5, 6, 7}),
            (std::vector<Seconds>{600, 1200, 2400, 4800, 9600, 19200, 38400, 76800}));
  EXPECT_EQ(lengths(increment(), 600, {19, 20, 21, 25}),
            (std::vector<Seconds>{314572800, 629145600, 629145600, 629145600}));
}

TEST(BanEscalation, FactorMultipliesTheDefaultFormula) {
  Settings s = increment();
  s.factor = 2;
  EXPECT_EQ(lengths(s, 600, {1, 2, 3}), (std::vector<Seconds>{2400, 4800, 9600}));
  s.factor = 1.5;
  EXPECT_EQ(lengths(s, 600, {1, 2, 3}), (std::vector<Seconds>{1800, 3600, 7200}));
}

TEST(BanEscalation, MaxtimeCaps) {
  Settings s = increment();
  s.maxtime = 86400;
  EXPECT_EQ(lengths(s, 3600, {1, 2, 3, 4, 5, 6}),
            (std::vector<Seconds>{7200, 14400, 28800, 57600, 86400, 86400}));
}

TEST(BanEscalation, MultipliersIndexByCountAndStayAtTheLast) {
  Settings s = increment();
  s.multipliers = {1, 5, 30, 60, 300, 720, 1440, 2880};
  EXPECT_EQ(lengths(s, 60, {1, 2, 3, 4, 5, 6, 7, 8, 11}),
            (std::vector<Seconds>{300, 1800, 3600, 18000, 43200, 86400, 172800, 172800, 172800}));
  s.multipliers = {1, 2, 4};
  s.factor = 2;
  EXPECT_EQ(lengths(s, 600, {1, 2, 3, 4}), (std::vector<Seconds>{2400, 4800, 4800, 4800}));
}

TEST(BanEscalation, DocumentedExponentialFormula) {
  Settings s = increment();
  s.formula = "ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)";
  // fail2ban: 1630.969..., 4433.433..., 12051.322..., 32758.890...
  EXPECT_EQ(lengths(s, 600, {1, 2, 3, 4}), (std::vector<Seconds>{1630, 4433, 12051, 32758}));
  s.factor = 2;
  // 4433.433..., 32758.890..., 242057.276...
  EXPECT_EQ(lengths(s, 600, {1, 2, 3}), (std::vector<Seconds>{4433, 32758, 242057}));
}

TEST(BanEscalation, OtherFormsOfPythonExpressions) {
  Settings s = increment();
  s.formula = "ban.Time + ban.Count * 3600";
  EXPECT_EQ(lengths(s, 600, {1, 2, 3}), (std::vector<Seconds>{4200, 7800, 11400}));
  // Never shorter than the jail's bantime: fail2ban takes max(ban.Time, formula).
  s.formula = "ban.Time / 2";
  EXPECT_EQ(lengths(s, 600, {1, 2}), (std::vector<Seconds>{600, 600}));
  s.formula = "ban.Time * 2 ** ban.Count // 3 - -1 if not ban.Count > 2 and True else "
              "min(ban.Time*100, 86400)";
  EXPECT_EQ(lengths(s, 600, {1, 2, 3, 4}), (std::vector<Seconds>{600, 801, 60000, 60000}));
}

TEST(BanEscalation, RndtimeAddsAFractionOfItself) {
  Settings s = increment();
  s.rndtime = 1000;
  EXPECT_EQ(lengths(s, 600, {0, 1, 2}, 0.25), (std::vector<Seconds>{600, 1450, 2650}));
}

TEST(BanEscalation, PermanentStaysPermanent) {
  EXPECT_EQ(lengths(increment(), -1, {0, 3}), (std::vector<Seconds>{-1, -1}));
}

TEST(BanEscalation, FormulasItCannotEvaluateAreRefusedWithTheReason) {
  for (const char *bad : {"__import__('os').system('touch /tmp/x')", "ban.Time * os.getpid()",
                          "lambda: 1", "ban.Time *", "ban.Ip", "math.exp(1, 2)", "ban.Time; 1",
                          "(lambda x: x)(ban.Time)", "ban.Time[0]"}) {
    Settings s = increment();
    s.formula = bad;
    auto e = BanEscalation::from(s);
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_NE(e.error().message().find("bantime.formula"), std::string::npos)
        << e.error().message();
  }
  // A shift of a fraction raises in Python: fail2ban keeps the jail's bantime, so does mcf2b.
  Settings s = increment();
  s.formula = "ban.Time * (1 << (ban.Count / 2))";
  auto e = BanEscalation::from(s);
  ASSERT_FALSE(e.ok()); // not even ban.Count=1 gives a number
}

// ---- in the controller ---------------------------------------------------------------

JailConfig sshd(const char *name = "sshd") {
  JailConfig j;
  j.name = name;
  j.maxretry = 2;
  j.findtime = 600;
  j.bantime = 600;
  j.port = "22";
  j.filter = "sshd";
  j.logpath = "/var/log/auth.log";
  return j;
}

JailLocalOptions with_increment(Settings s) {
  JailLocalOptions o;
  o.increment = s;
  return o;
}

class EscalatingController : public ::testing::Test {
protected:
  EscalatingController() : clock(kT0), controller(clock, JailControllerOptions{1000, "node-a"}) {
    controller.set_random_source([] { return 0.5; });
    controller.configure({sshd(), sshd("postfix"), sshd("dovecot")});
  }

  // Two failures of `address` in `jail`: its ban's length (0 when none was decided).
  Seconds ban_length(const char *jail, const char *address) {
    Decisions all;
    for (int i = 0; i < 2; ++i) {
      auto d = controller.failure(jail, *IpAddress::parse(address), clock.now());
      EXPECT_TRUE(d.ok());
      if (d)
        all.append(std::move(*d));
    }
    if (all.bans.size() != 1)
      return 0;
    return all.bans[0].end - all.bans[0].start;
  }
  // Lets every ban run out.
  void expire() {
    clock.advance(400 * 86400);
    controller.tick();
  }

  ManualClock clock;
  JailController controller;
};

TEST_F(EscalatingController, NthBanOfAnAddressLastsAsFail2banComputesIt) {
  ASSERT_TRUE(controller.set_local_options("sshd", with_increment(increment())).ok());
  std::vector<Seconds> seen;
  for (int n = 0; n < 5; ++n) {
    seen.push_back(ban_length("sshd", "203.0.113.9"));
    expire();
  }
  EXPECT_EQ(seen, (std::vector<Seconds>{600, 1200, 2400, 4800, 9600}));
  // Another address starts at the jail's bantime; a jail without increment never grows.
  EXPECT_EQ(ban_length("sshd", "198.51.100.4"), 600);
  for (int n = 0; n < 3; ++n) {
    EXPECT_EQ(ban_length("postfix", "203.0.113.9"), 600);
    expire();
  }
}

TEST_F(EscalatingController, ManualBansEscalateUnlessGivenALength) {
  ASSERT_TRUE(controller.set_local_options("sshd", with_increment(increment())).ok());
  auto ip = *IpPrefix::parse("203.0.113.9");
  auto first = controller.ban("sshd", ip);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->bans.at(0).end - first->bans.at(0).start, 600);
  expire();
  auto second = controller.ban("sshd", ip);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->bans.at(0).end - second->bans.at(0).start, 1200);
  expire();
  BanRequest fixed;
  fixed.bantime = 300;
  auto third = controller.ban("sshd", ip, fixed);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->bans.at(0).end - third->bans.at(0).start, 300);
}

TEST_F(EscalatingController, OverallJailsCountsTheBansOfEveryJail) {
  Settings s = increment();
  s.overall_jails = true;
  ASSERT_TRUE(controller.set_local_options("sshd", with_increment(s)).ok());
  EXPECT_EQ(ban_length("postfix", "203.0.113.9"), 600);
  EXPECT_EQ(ban_length("dovecot", "203.0.113.9"), 600);
  // Two earlier bans elsewhere: 600 * 2^2.
  EXPECT_EQ(ban_length("sshd", "203.0.113.9"), 2400);
}

TEST_F(EscalatingController, MultipliersMaxtimeAndRndtime) {
  Settings s = increment();
  s.multipliers = {1, 5, 30};
  s.maxtime = 12000;
  s.rndtime = 100; // the injected random gives 0.5: +50
  ASSERT_TRUE(controller.set_local_options("sshd", with_increment(s)).ok());
  std::vector<Seconds> seen;
  for (int n = 0; n < 4; ++n) {
    seen.push_back(ban_length("sshd", "203.0.113.9"));
    expire();
  }
  EXPECT_EQ(seen, (std::vector<Seconds>{600, 3050, 12050, 12050}));
}

TEST_F(EscalatingController, ImportedCountsCarryTheEscalationOn) {
  ASSERT_TRUE(controller.set_local_options("sshd", with_increment(increment())).ok());
  auto ip = *IpPrefix::parse("203.0.113.9");
  ASSERT_TRUE(controller.import_ban("sshd", ip, kT0 - 60, kT0 + 60, 3).ok());
  expire();
  EXPECT_EQ(ban_length("sshd", "203.0.113.9"), 600 * 8);
}

TEST_F(EscalatingController, RefusedForTieredFamiliesAndBadFormulas) {
  controller.configure(mailcleaner_default_jails(true));
  auto tier = controller.set_local_options("mc-exim-1d", with_increment(increment()));
  ASSERT_FALSE(tier.ok());
  EXPECT_NE(tier.error().message().find("tiered family mc-exim"), std::string::npos)
      << tier.error().message();
  EXPECT_FALSE(controller.set_local_options("mc-exim-bl", with_increment(increment())).ok());
  EXPECT_FALSE(controller.set_local_options("no-such-jail", with_increment(increment())).ok());
  Settings bad = increment();
  bad.formula = "__import__('os').system('id')";
  auto refused = controller.set_local_options("sshd", with_increment(bad));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("bantime.formula"), std::string::npos);
  // The refused jail keeps its bantime.
  for (int n = 0; n < 2; ++n) {
    EXPECT_EQ(ban_length("sshd", "203.0.113.9"), 600);
    expire();
  }
  // The tiers keep theirs too.
  for (int n = 0; n < 2; ++n) {
    Decisions all;
    for (int i = 0; i < 10; ++i) {
      auto d = controller.failure("mc-exim", *IpAddress::parse("198.51.100.7"), clock.now());
      ASSERT_TRUE(d.ok());
      all.append(std::move(*d));
    }
    for (const auto &b : all.bans) {
      if (b.jail == "mc-exim-1d") {
        EXPECT_EQ(b.end - b.start, controller.jail("mc-exim-1d")->bantime);
      }
    }
    expire();
  }
}

} // namespace
} // namespace mcf2b
