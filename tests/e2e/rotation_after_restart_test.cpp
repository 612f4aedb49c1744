// SPDX-License-Identifier: GPL-2.0-only
// Found by the soak (tests/e2e/soak_test.cpp): a log follower that is new (a restarted
// daemon, or one that re-read its log sources on SIGHUP) must not read again, at the next
// rename rotation, the older generations (PATH.2 ... PATH.5) an earlier follower read
// already. Reading them again counts old failures twice: an address unbanned by hand is
// banned again from lines it was banned for before, and ban counts grow towards the
// longer tiers.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/fixtures/gateway_testbed.h"
#include "tests/fixtures/requirements.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

// Addresses of the shared space, never the test bed's own.
constexpr const char *kUnbanned = "100.64.9.1";
constexpr const char *kBeforeRestart = "100.64.9.2";
constexpr const char *kAfterRotation = "100.64.9.3";

class RotationAfterRestart : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(require_root());
    ASSERT_TRUE(require_program("ipset"));
    auto b = GatewayTestbed::create({kAttacker});
    ASSERT_TRUE(ok(b));
    bed.emplace(std::move(*b));
    DaemonOptions o = bed->daemon_options();
    o.jail_file = mailcleaner_jail_file({"mc-exim"});
    auto d = DaemonProcess::start(o);
    ASSERT_TRUE(ok(d));
    daemon.emplace(std::move(*d));
  }

  // mc-exim-1d's maxretry of failures, in one write.
  void fail(const std::string &ip) {
    std::string lines;
    for (int n = 0; n < 5; ++n)
      lines += exim_reject_line(ip, n);
    ASSERT_TRUE(ok(DaemonProcess::append(daemon->log_file("exim.log"), lines)));
  }

  bool banned(const std::string &ip) {
    auto r = daemon->call("status", {{"jail", "mc-exim-1d"}});
    if (r && r->ok)
      for (const auto &b : r->result["jails"][0]["banned"])
        if (b == ip)
          return true;
    return false;
  }

  // Polls until `ip` is banned (bounded: a bound, not a timing claim).
  bool wait_banned(const std::string &ip) {
    for (int i = 0; i < 1500; ++i) {
      if (banned(ip))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // logrotate's rename + create: PATH.N -> PATH.N+1, PATH -> PATH.1, a new PATH.
  void rotate() {
    const std::string log = daemon->log_file("exim.log");
    for (int g = 4; g >= 1; --g)
      if (std::filesystem::exists(log + "." + std::to_string(g)))
        std::filesystem::rename(log + "." + std::to_string(g), log + "." + std::to_string(g + 1));
    std::filesystem::rename(log, log + ".1");
    ASSERT_TRUE(ok(DaemonProcess::append(log, "")));
  }

  // A ban from the log, a rotation, the daemon on the new file, then the ban lifted by
  // hand: the old file (now PATH.1) was read whole by this follower.
  void ban_rotate_unban() {
    fail(kUnbanned);
    ASSERT_TRUE(wait_banned(kUnbanned)) << daemon->output();
    rotate();
    fail(kBeforeRestart);
    ASSERT_TRUE(wait_banned(kBeforeRestart)) << daemon->output();
    auto unban = daemon->call("unban", {{"jail", "mc-exim"}, {"ip", kUnbanned}});
    ASSERT_TRUE(ok(unban));
    ASSERT_TRUE(unban->ok) << unban->error.message;
  }

  // The next rotation, and a ban from the new file: every older generation the follower
  // meant to read comes before it.
  void rotate_and_read_the_new_file() {
    rotate();
    fail(kAfterRotation);
    ASSERT_TRUE(wait_banned(kAfterRotation)) << daemon->output();
  }

  std::optional<GatewayTestbed> bed;
  std::optional<DaemonProcess> daemon;
};

TEST_F(RotationAfterRestart, ARestartedDaemonReadsNoRotatedFileTwice) {
  ban_rotate_unban();
  ASSERT_TRUE(ok(daemon->stop()));
  ASSERT_TRUE(ok(daemon->restart()));
  rotate_and_read_the_new_file();
  EXPECT_FALSE(banned(kUnbanned)) << "PATH.2 was read again after the restart: "
                                  << daemon->output();
}

TEST_F(RotationAfterRestart, ADaemonThatReReadItsSourcesReadsNoRotatedFileTwice) {
  ban_rotate_unban();
  // SIGHUP: the log sources are built again, with followers resumed from the store.
  auto followed = [&] { return daemon->occurrences("following "); };
  size_t before = followed();
  ASSERT_TRUE(ok(daemon->signal(SIGHUP)));
  for (int i = 0; i < 1500 && followed() == before; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_GT(followed(), before) << daemon->output();
  rotate_and_read_the_new_file();
  EXPECT_FALSE(banned(kUnbanned)) << "PATH.2 was read again after SIGHUP: " << daemon->output();
}

} // namespace
