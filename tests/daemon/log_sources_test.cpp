// SPDX-License-Identifier: GPL-2.0-only
// A followed log's failures as the daemon receives them: with usedns off a host name is
// counted and dropped; with usedns yes the names of a scanned chunk are resolved after
// its scan and every address is a failure, which the controller then judges like any
// other (a name resolving to loopback bans nothing). A jail's own usedns holds for its
// family alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>

#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir_fixture.h"
#include "userspace/controller/clock.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/daemon/log_sources.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using mcf2b::testing::ok;
using mcf2b::testing::TempDir;
using mcf2b::testing::TempDirTest;

namespace {

constexpr Seconds kNow = 1'795'255'300; // 2026-11-21 10:01:40 UTC

class LogSourceFailures : public TempDirTest {
protected:
  LogSourceFailures() : TempDirTest("sources") {}
  void SetUp() override {
    TempDirTest::SetUp();
    std::ofstream(dir->file("auth.conf"))
        << "[Definition]\nfailregex = auth failure from <HOST>$\n";
    std::ofstream(dir->file("auth.log")).flush();
    JailConfig jail;
    jail.name = "custom";
    jail.filter = dir->file("auth.conf");
    jail.logpath = dir->file("auth.log");
    jail.maxretry = 2;
    jail.findtime = 3600;
    jail.bantime = 600;
    controller.configure({jail});
    auto s = open_store("sqlite:" + dir->file("state.sqlite3"));
    ASSERT_TRUE(ok(s));
    store = std::move(*s);
  }

  // Builds the sources, appends `lines` to the log and processes them.
  std::vector<std::pair<IpAddress, Seconds>>
  process(matcher::UseDns use_dns, const std::string &lines,
          std::map<std::string, matcher::UseDns> jail_use_dns = {}) {
    LogSourceOptions options;
    options.timezone = "UTC";
    options.use_dns = use_dns;
    options.jail_use_dns = std::move(jail_use_dns);
    options.lookup = [this](const std::string &name) -> std::optional<std::vector<IpAddress>> {
      asked.push_back(name);
      if (name == "mail.example")
        return std::vector<IpAddress>{*IpAddress::parse("198.51.100.7"),
                                      *IpAddress::parse("2001:db8::7")};
      if (name == "sneaky.example")
        return std::vector<IpAddress>{*IpAddress::parse("127.0.0.1")};
      return std::nullopt;
    };
    build_errors.clear();
    auto built = LogSources::build(controller, *store, options, build_errors);
    EXPECT_TRUE(ok(built));
    if (!expect_build_errors) {
      EXPECT_TRUE(build_errors.empty()) << build_errors.front().message();
    }
    std::vector<std::pair<IpAddress, Seconds>> failures;
    if (!built)
      return failures;
    sources = std::move(*built);
    std::ofstream(dir->file("auth.log"), std::ios::app) << lines;
    auto n = sources.process(0, [&](JailFamilyId family, const IpPrefix &prefix, Seconds time) {
      failures.emplace_back(prefix.address(), time); // the network address for a prefix
      families.push_back(family);
      decisions.append(controller.failure(family, prefix, time));
    });
    EXPECT_TRUE(ok(n));
    return failures;
  }

  static constexpr const char *kLines = "2026-11-21 10:00:00 auth failure from mail.example\n"
                                        "2026-11-21 10:00:01 auth failure from nowhere.invalid\n"
                                        "2026-11-21 10:00:02 auth failure from sneaky.example\n"
                                        "2026-11-21 10:00:03 auth failure from sneaky.example\n"
                                        "2026-11-21 10:00:04 auth failure from mail.example\n";

  // Jails named `names`, each like SetUp's, reading the same log with the same filter.
  void configure_jails(const std::vector<std::string> &names) {
    std::vector<JailConfig> jails;
    for (const auto &name : names) {
      JailConfig jail = *controller.jail("custom");
      jail.name = name;
      jails.push_back(jail);
    }
    controller.configure(jails);
  }
  JailFamilyId family_of(const std::string &name) { return controller.family(name).value(); }

  ManualClock clock{kNow};
  JailController controller{clock};
  std::unique_ptr<StateStore> store;
  LogSources sources;
  Decisions decisions;
  std::vector<std::string> asked;
  std::vector<JailFamilyId> families; // of each failure, in order
  std::vector<Error> build_errors;
  bool expect_build_errors = false;
};

TEST_F(LogSourceFailures, WithoutUseDnsHostNamesAreCountedAndNeverResolved) {
  auto failures = process(matcher::UseDns::no, kLines);
  EXPECT_TRUE(failures.empty());
  EXPECT_TRUE(asked.empty());
  EXPECT_EQ(sources.counters().host_names, 5u);
  EXPECT_EQ(sources.resolver_counters().lookups, 0u);
}

TEST_F(LogSourceFailures, WithUseDnsYesEachAddressOfANameIsAFailureJudgedLikeAnyOther) {
  auto failures = process(matcher::UseDns::yes, kLines);
  // One lookup per distinct name, the rest from the cache.
  EXPECT_EQ(asked, (std::vector<std::string>{"mail.example", "nowhere.invalid", "sneaky.example"}));
  const auto mail4 = *IpAddress::parse("198.51.100.7"), mail6 = *IpAddress::parse("2001:db8::7");
  const std::vector<std::pair<IpAddress, Seconds>> expected = {
      {mail4, kNow - 100},
      {mail6, kNow - 100},
      {*IpAddress::parse("127.0.0.1"), kNow - 98},
      {*IpAddress::parse("127.0.0.1"), kNow - 97},
      {mail4, kNow - 96},
      {mail6, kNow - 96}};
  EXPECT_EQ(failures, expected);
  EXPECT_EQ(sources.resolver_counters().resolved, 4u);
  EXPECT_EQ(sources.resolver_counters().failures, 1u);
  // maxretry 2: both addresses of mail.example are banned; the name that resolved to
  // loopback is never banned.
  EXPECT_TRUE(controller.is_banned("custom", IpPrefix::host(mail4)));
  EXPECT_TRUE(controller.is_banned("custom", IpPrefix::host(mail6)));
  EXPECT_FALSE(controller.is_banned("custom", IpPrefix::host(*IpAddress::parse("127.0.0.1"))));
  EXPECT_EQ(controller.stats().ignored, 2u);
}

TEST_F(LogSourceFailures, ASubnetLineIsAFailureOfItsPrefix) {
  std::ofstream(dir->file("auth.conf")) << "[Definition]\nfailregex = spam source <SUBNET>$\n";
  auto failures = process(matcher::UseDns::no, "2026-11-21 10:00:00 spam source 192.0.2.77/24\n"
                                               "2026-11-21 10:00:01 spam source 10.9.8.7/16\n"
                                               "2026-11-21 10:00:02 spam source 192.0.2.1/24\n"
                                               "2026-11-21 10:00:03 spam source 10.9.0.0/16\n");
  EXPECT_EQ(failures.size(), 4u);
  // maxretry 2: the /24 is banned as a whole; the /16 is too wide for an automatic ban.
  EXPECT_TRUE(controller.is_banned("custom", IpPrefix::parse("192.0.2.0/24").value()));
  EXPECT_FALSE(controller.is_banned("custom", IpPrefix::parse("10.9.0.0/16").value()));
  EXPECT_EQ(controller.stats().wide_prefixes, 2u);
  ASSERT_EQ(decisions.bans.size(), 1u);
}

TEST_F(LogSourceFailures, AJailsOwnUseDnsResolvesNamesForItsFamilyAlone) {
  configure_jails({"custom", "other"});
  const std::string lines = "2026-11-21 10:00:00 auth failure from 192.0.2.9\n"
                            "2026-11-21 10:00:01 auth failure from mail.example\n";
  auto failures = process(matcher::UseDns::no, lines, {{"custom", matcher::UseDns::yes}});
  const auto custom = family_of("custom"), other = family_of("other");
  // The address goes to both families; the name's two addresses only to the one whose
  // jail resolves names.
  std::vector<std::pair<JailFamilyId, std::string>> got;
  for (size_t i = 0; i < failures.size(); ++i)
    got.emplace_back(families[i], failures[i].first.to_string());
  std::sort(got.begin(), got.end());
  std::vector<std::pair<JailFamilyId, std::string>> expected = {{custom, "192.0.2.9"},
                                                                {custom, "198.51.100.7"},
                                                                {custom, "2001:db8::7"},
                                                                {other, "192.0.2.9"}};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(asked, (std::vector<std::string>{"mail.example"}));
}

TEST_F(LogSourceFailures, TiersThatDisagreeOnUseDnsAreReportedAndKeepTheDaemonsSetting) {
  configure_jails({"svc-1d", "svc-1w"});
  expect_build_errors = true;
  auto failures = process(matcher::UseDns::no, kLines, {{"svc-1w", matcher::UseDns::yes}});
  ASSERT_EQ(build_errors.size(), 1u);
  const std::string why = build_errors[0].message();
  EXPECT_NE(why.find("jail svc-1w: usedns = yes, but jail svc-1d of the same family has no"),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("keeps [mcf2bd] usedns = no"), std::string::npos) << why;
  EXPECT_TRUE(failures.empty());
  EXPECT_TRUE(asked.empty());
}

} // namespace

// A multi-line filter (maxlines > 1) through the daemon's line pipeline: the line that
// completes a match across lines is the failure, and the buffer lives on between two
// reads of the log.
TEST_F(LogSourceFailures, AMultiLineFilterBansThroughTheLinePipeline) {
  std::ofstream(dir->file("auth.conf"))
      << "[Definition]\nfailregex = ^ login from <HOST>\\n auth failed$\nmaxlines = 2\n";
  const auto attacker = *IpAddress::parse("192.0.2.44");
  auto failures = process(matcher::UseDns::no, "2026-11-21 10:00:00 login from 192.0.2.44\n"
                                               "2026-11-21 10:00:01 auth failed\n"
                                               "2026-11-21 10:00:02 login from 192.0.2.44\n");
  EXPECT_EQ(failures, (std::vector<std::pair<IpAddress, Seconds>>{{attacker, kNow - 99}}));
  EXPECT_FALSE(controller.is_banned("custom", IpPrefix::host(attacker)));
  // The next read completes the second attempt with the line the buffer kept.
  std::ofstream(dir->file("auth.log"), std::ios::app) << "2026-11-21 10:00:03 auth failed\n";
  auto n = sources.process(0, [&](JailFamilyId family, const IpPrefix &prefix, Seconds time) {
    failures.emplace_back(prefix.address(), time);
    decisions.append(controller.failure(family, prefix, time));
  });
  ASSERT_TRUE(ok(n));
  EXPECT_EQ(failures, (std::vector<std::pair<IpAddress, Seconds>>{{attacker, kNow - 99},
                                                                  {attacker, kNow - 97}}));
  EXPECT_TRUE(controller.is_banned("custom", IpPrefix::host(attacker))); // maxretry 2
}
