// SPDX-License-Identifier: GPL-2.0-only
// mcf2bd end to end: failure lines appended to a jail's log get the attacker's packets
// dropped by XDP on the jail's ports and the address into the jail's ipset; a kill -9
// in the middle of a stream loses no ban and counts no line twice; log rotation in the
// middle of a stream loses nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/fixtures/gateway_testbed.h"
#include "tests/fixtures/requirements.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using nlohmann::json;

namespace {

const std::string kJails = mailcleaner_jail_file({"mc-exim", "mc-ssh", "mc-webauth"});

class DaemonE2E : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(require_root());
    ASSERT_TRUE(require_program("ipset"));
    auto b = GatewayTestbed::create({kAttacker, kBystander});
    ASSERT_TRUE(ok(b));
    bed.emplace(std::move(*b));
  }

  Result<DaemonProcess> start_daemon(std::string extra_config = {}) {
    DaemonOptions o = bed->daemon_options();
    o.jail_file = kJails;
    o.config_lines = std::move(extra_config);
    return DaemonProcess::start(o);
  }

  // A probe that cannot run fails the test instead of passing for a dropped connection.
  bool connects(const char *src, uint16_t port) {
    auto r = bed->connects(src, port);
    EXPECT_TRUE(ok(r));
    return r.ok() && *r;
  }

  // Polls until the daemon reports `ip` actively banned in `jail` (or gives up).
  static bool wait_banned(const DaemonProcess &d, const std::string &jail, const std::string &ip,
                          int timeout_ms = 10000) {
    for (int waited = 0; waited < timeout_ms; waited += 20) {
      auto r = d.call("status", {{"jail", jail}});
      if (r && r->ok)
        for (const auto &j : r->result["jails"])
          for (const auto &b : j["banned"])
            if (b == ip)
              return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  std::string ipset_list(const std::string &set) { return bed->ipset_list(set); }

  uint64_t dropped(const DaemonProcess &d, const std::string &jail) {
    auto r = d.call("stats");
    if (!r || !r->ok)
      return 0;
    for (const auto &j : r->result["jails"])
      if (j["jail"] == jail)
        return j["dropped_packets"].get<uint64_t>();
    return 0;
  }

  std::optional<GatewayTestbed> bed;
};

TEST_F(DaemonE2E, FailureLinesGetTheAttackerDroppedOnTheJailsPortsOnly) {
  auto d = start_daemon();
  ASSERT_TRUE(ok(d));
  EXPECT_TRUE(connects(kAttacker, 25));
  std::string lines;
  for (int i = 0; i < 5; ++i)
    lines += exim_reject_line(kAttacker, i);
  ASSERT_TRUE(ok(DaemonProcess::append(d->log_file("exim.log"), lines)));
  ASSERT_TRUE(wait_banned(*d, "mc-exim-1d", kAttacker)) << d->output();

  EXPECT_FALSE(connects(kAttacker, 25)) << "port 25 is the jail's: must be dropped";
  EXPECT_TRUE(connects(kAttacker, 22)) << "port 22 is not mc-exim's: must pass";
  EXPECT_TRUE(connects(kBystander, 25)) << "an unbanned address passes";
  EXPECT_GT(dropped(*d, "mc-exim-1d"), 0u);
  // The mirror trails the maps by a few milliseconds at most.
  std::string set;
  for (int i = 0; i < 100 && set.find(kAttacker) == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    set = ipset_list("mc-exim-1d");
  }
  EXPECT_NE(set.find(kAttacker), std::string::npos) << set;
  // The four tiers read one file: 5 lines make the 1d ban only.
  auto status = d->call("status", {{"jail", "mc-exim-1w"}});
  ASSERT_TRUE(ok(status));
  EXPECT_EQ(status->result["jails"][0]["currently_banned"], 0);

  // The store has it, as MailCleaner's readers expect.
  auto store = open_store(d->state_url());
  ASSERT_TRUE(ok(store));
  auto rows = (*store)->list_bans(BanQuery{true, "mc-exim-1d", ""});
  ASSERT_TRUE(ok(rows));
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].ip.to_string(), kAttacker);
  EXPECT_EQ((*rows)[0].host, "node-a");

  // Unban restores access at once.
  auto unban = d->call("unban", {{"jail", "mc-exim"}, {"ip", kAttacker}});
  ASSERT_TRUE(ok(unban));
  ASSERT_TRUE(unban->ok) << unban->error.message;
  EXPECT_TRUE(connects(kAttacker, 25));
}

TEST_F(DaemonE2E, Kill9MidStreamLosesNoBanCountsNoLineTwiceAndKeepsEnforcing) {
  auto d = start_daemon();
  ASSERT_TRUE(ok(d));
  // Attacker A crosses the 1d threshold before the kill; attacker B has 3 of 5 lines.
  std::string lines;
  for (int i = 0; i < 5; ++i)
    lines += exim_reject_line(kAttacker, i);
  for (int i = 0; i < 3; ++i)
    lines += exim_reject_line("198.51.100.7", i);
  ASSERT_TRUE(ok(DaemonProcess::append(d->log_file("exim.log"), lines)));
  ASSERT_TRUE(wait_banned(*d, "mc-exim-1d", kAttacker)) << d->output();
  d->kill();
  // The pinned program still enforces while no daemon runs.
  EXPECT_FALSE(connects(kAttacker, 25));
  // Lines written while the daemon is down are read at restart, once.
  ASSERT_TRUE(ok(DaemonProcess::append(d->log_file("exim.log"), exim_reject_line("198.51.100.7", 3))));
  ASSERT_TRUE(ok(d->restart()));
  EXPECT_TRUE(wait_banned(*d, "mc-exim-1d", kAttacker, 2000));
  EXPECT_FALSE(connects(kAttacker, 25));
  auto status = d->call("status", {{"jail", "mc-exim-1d"}});
  ASSERT_TRUE(ok(status));
  // B's 4th line alone must not ban (the first three are before the restart point and
  // their window died with the process, like fail2ban's); re-reading would have banned.
  for (const auto &b : status->result["jails"][0]["banned"])
    EXPECT_NE(b, "198.51.100.7") << "a line was counted twice";
  auto stats = d->call("stats");
  ASSERT_TRUE(ok(stats));
  EXPECT_EQ(stats->result["daemon"]["lines"], 1) << "only the line written while down is read";
}

TEST_F(DaemonE2E, RotationInTheMiddleOfAStreamLosesNothing) {
  auto d = start_daemon();
  ASSERT_TRUE(ok(d));
  const std::string log = d->log_file("exim.log");
  ASSERT_TRUE(ok(DaemonProcess::append(log, exim_reject_line(kAttacker, 0) + exim_reject_line(kAttacker, 1))));
  // Wait until the daemon has read the first lines, then rotate as logrotate does.
  for (int i = 0; i < 200; ++i) {
    auto s = d->call("stats");
    if (s && s->ok && s->result["daemon"]["lines"] == 2)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::filesystem::rename(log, log + ".1");
  ASSERT_TRUE(ok(DaemonProcess::append(log + ".1", exim_reject_line(kAttacker, 2))));
  ASSERT_TRUE(ok(DaemonProcess::append(log, exim_reject_line(kAttacker, 3) + exim_reject_line(kAttacker, 4))));
  ASSERT_TRUE(wait_banned(*d, "mc-exim-1d", kAttacker)) << d->output();
  EXPECT_FALSE(connects(kAttacker, 25));
}

} // namespace
