// SPDX-License-Identifier: GPL-2.0-only
// The migration end to end: the real fail2ban 1.0.2 server, run privately, bans; it is
// stopped; `mcf2b-ctl import-fail2ban --bans` hands its database to a running mcf2bd in
// a network namespace, and exactly those bans, with fail2ban's ends, are in the XDP maps
// (probed with real TCP and read from the pinned maps), the ipsets and the store.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <thread>

#include "tests/cli/ctl_runner.h"
#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/fail2ban_server.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/fixtures/gateway_testbed.h"
#include "tests/fixtures/requirements.h"
#include "userspace/enforce/xdp_enforcer.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

constexpr const char *kTwice = kSpammer; // banned twice by fail2ban's increment
constexpr const char *kV6 = "2001:db8:77::9";

class ImportFail2banE2E : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(require_root());
    ASSERT_TRUE(require_program("ipset"));
    ASSERT_TRUE(require_program("fail2ban-server"));
    auto b = GatewayTestbed::create({kAttacker, kTwice, kBystander});
    ASSERT_TRUE(ok(b));
    bed.emplace(std::move(*b));
    DaemonOptions o = bed->daemon_options();
    o.jail_file = mailcleaner_jail_file({"mc-exim", "mc-ssh"});
    auto d = DaemonProcess::start(o);
    ASSERT_TRUE(ok(d));
    daemon.emplace(std::move(*d));
  }

  CtlRun ctl(std::vector<std::string> args) {
    std::vector<std::string> full = {"--socket", daemon->socket_path(), "--state",
                                     daemon->state_url()};
    full.insert(full.end(), args.begin(), args.end());
    return run_ctl(full);
  }

  std::optional<BanRecord> row(const std::string &ip, const std::string &jail) {
    auto s = open_store(daemon->state_url());
    EXPECT_TRUE(ok(s));
    if (!s)
      return std::nullopt;
    auto b = (*s)->get_ban(*IpPrefix::parse(ip), jail);
    EXPECT_TRUE(ok(b));
    return b ? *b : std::nullopt;
  }

  bool connects(const char *src, uint16_t port) {
    auto r = bed->connects(src, port);
    EXPECT_TRUE(ok(r));
    return r.ok() && *r;
  }

  // The mirror trails the maps by a few milliseconds.
  bool ipset_has(const std::string &set, const std::string &entry, bool wanted = true) {
    for (int i = 0; i < 200; ++i) {
      std::string text = bed->ipset_list(set);
      bool has = text.find("\n" + entry + "\n") != std::string::npos ||
                 text.find("\n" + entry + " ") != std::string::npos;
      if (has == wanted)
        return has;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return !wanted;
  }

  std::optional<GatewayTestbed> bed;
  std::optional<DaemonProcess> daemon;
};

TEST_F(ImportFail2banE2E, ExactlyFail2bansBansWithTheirEndsReachMapsIpsetsAndStore) {
  auto f2b = Fail2banServer::start(
      {{"mc-exim-1d", "bantime = 1d\n"},
       {"mc-ssh-1w", "bantime = 2\nbantime.increment = true\nbantime.multipliers = 1 5000\n"},
       {"mc-ssh-1y", "bantime = -1\n"},
       {"sshd", "bantime = 1h\n"}});
  ASSERT_TRUE(ok(f2b));
  ASSERT_TRUE(ok(f2b->ban("mc-ssh-1w", kTwice))) << f2b->log();
  ASSERT_TRUE(ok(f2b->wait_unbanned("mc-ssh-1w"))) << f2b->log();
  ASSERT_TRUE(ok(f2b->ban("mc-ssh-1w", kTwice)));
  ASSERT_TRUE(ok(f2b->ban("mc-exim-1d", kAttacker)));
  ASSERT_TRUE(ok(f2b->ban("mc-ssh-1y", kV6)));
  ASSERT_TRUE(ok(f2b->ban("sshd", kBystander))); // no such jail in mcf2b: skipped
  ASSERT_TRUE(ok(f2b->stop())) << f2b->log();
  auto reference = fail2ban_rows(f2b->database());
  ASSERT_EQ(reference.size(), 4u) << f2b->log();
  const Fail2banRow exim = reference[{"mc-exim-1d", kAttacker}];
  const Fail2banRow twice = reference[{"mc-ssh-1w", kTwice}];
  ASSERT_EQ(twice.count, 2);
  ASSERT_EQ(twice.bantime, 10000);

  EXPECT_TRUE(connects(kAttacker, 25));
  EXPECT_TRUE(connects(kTwice, 22));
  auto r = ctl({"import-fail2ban", "--bans", f2b->database()});
  EXPECT_CTL(r, 1); // sshd skipped
  EXPECT_TRUE(r.err.find("daemon is not running") == std::string::npos) << r.err;
  EXPECT_NE(r.out.find(std::string("skipped ") + kBystander + " in sshd: unknown jail 'sshd'"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("4 ban(s) in force, 3 imported, 1 skipped"), std::string::npos) << r.out;

  // The kernel: real connections from the other namespace.
  EXPECT_FALSE(connects(kAttacker, 25)) << "mc-exim-1d's ports must drop it";
  EXPECT_TRUE(connects(kAttacker, 22)) << "port 22 is not mc-exim's";
  EXPECT_FALSE(connects(kTwice, 22));
  EXPECT_TRUE(connects(kTwice, 25));
  EXPECT_TRUE(connects(kBystander, 22)) << "a skipped ban must not be enforced";
  EXPECT_TRUE(connects(kBystander, 25));
  // The ipsets.
  EXPECT_TRUE(ipset_has("mc-exim-1d", kAttacker));
  EXPECT_TRUE(ipset_has("mc-ssh-1w", kTwice));
  EXPECT_TRUE(ipset_has("mc-ssh-1y-v6", kV6));
  EXPECT_FALSE(ipset_has("mc-exim-1w", kAttacker, false));
  // The store: fail2ban's start, end and count.
  auto a = row(kAttacker, "mc-exim-1d");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->active);
  EXPECT_EQ(a->ban_start, exim.time);
  EXPECT_EQ(a->ban_end, exim.time + 86400);
  EXPECT_EQ(a->count, 1);
  auto t = row(kTwice, "mc-ssh-1w");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->ban_end, twice.time + 10000);
  EXPECT_EQ(t->count, 2);
  auto v6 = row(kV6, "mc-ssh-1y");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->active);
  EXPECT_TRUE(v6->permanent());
  EXPECT_FALSE(row(kBystander, "sshd"));

  // The pinned maps hold exactly those bans, with the same ends (read with the daemon
  // stopped: one process per pin root).
  ASSERT_TRUE(ok(daemon->stop()));
  auto enforcer = XdpEnforcer::open({bed->pin_root(), 1u << 20, [](auto) {}});
  ASSERT_TRUE(ok(enforcer));
  std::vector<std::string> held;
  for (const auto &[jail, ip, end] : std::vector<std::tuple<std::string, std::string, Seconds>>{
           {"mc-exim-1d", kAttacker, exim.time + 86400},
           {"mc-ssh-1w", kTwice, twice.time + 10000},
           {"mc-ssh-1y", kV6, 0}}) {
    auto bans = enforcer->list_bans(jail);
    ASSERT_TRUE(ok(bans));
    for (const auto &e : *bans) {
      held.push_back(jail + " " + e.prefix.to_string());
      if (e.prefix.to_string() == ip) {
        EXPECT_EQ(e.expires, end) << jail << " " << ip;
      }
    }
  }
  for (const char *other : {"mc-exim-1w", "mc-exim-1m", "mc-exim-1y", "mc-ssh-1d", "mc-ssh-1m"}) {
    auto bans = enforcer->list_bans(other);
    ASSERT_TRUE(ok(bans));
    for (const auto &e : *bans)
      held.push_back(std::string(other) + " " + e.prefix.to_string());
  }
  std::sort(held.begin(), held.end());
  EXPECT_EQ(held, (std::vector<std::string>{std::string("mc-exim-1d ") + kAttacker,
                                            std::string("mc-ssh-1w ") + kTwice,
                                            std::string("mc-ssh-1y ") + kV6}));
}

} // namespace
