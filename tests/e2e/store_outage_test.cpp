// SPDX-License-Identifier: GPL-2.0-only
// The store refuses writes while the daemon runs (its file system full) and the rule
// holds: what is enforced is what is stored, or waits and is retried until stored. The
// state file lives on a 2 MiB tmpfs mounted in this test's own mount namespace, filled
// by a filler file; bans keep being made and enforced meanwhile, nothing floods the log,
// and once space is back (without a restart, or across one) every ban is in the store.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/fixtures/gateway_testbed.h"
#include "tests/fixtures/private_tmpfs.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using nlohmann::json;

namespace {

// Polls for up to 90 s: the store is retried with back-off (up to 60 s between tries).
template <class F> bool eventually(F condition) {
  return mcf2b::testing::eventually(condition, std::chrono::seconds(90),
                                    std::chrono::milliseconds(50));
}

class StoreOutage : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(require_root());
    ASSERT_TRUE(require_program("ipset"));
    auto b = GatewayTestbed::create({kAttacker, kBystander});
    ASSERT_TRUE(ok(b));
    bed.emplace(std::move(*b));
    auto t = TempDir::create("store-outage");
    ASSERT_TRUE(ok(t));
    tmp.emplace(std::move(*t));
    // A mount namespace of our own: the small file system is gone with the test.
    ASSERT_TRUE(ok(mount_private_tmpfs(tmp->path(), "2m")));
  }

  Result<DaemonProcess> start_daemon() {
    DaemonOptions o = bed->daemon_options();
    o.jail_file = mailcleaner_jail_file({"mc-exim"});
    o.state_url = "sqlite:" + tmp->file("state.sqlite3");
    return DaemonProcess::start(o);
  }

  // Fills the small file system to the last byte.
  void fill() {
    int fd = ::open(tmp->file("filler").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    std::string block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    ASSERT_EQ(errno, ENOSPC);
    ::close(fd);
  }
  void free_space() { std::filesystem::remove(tmp->file("filler")); }

  static json daemon_stats(const DaemonProcess &d) {
    auto r = d.call("stats");
    return r && r->ok ? r->result["daemon"] : json::object();
  }

  static std::set<std::string> banned(const DaemonProcess &d) {
    std::set<std::string> out;
    auto r = d.call("status", {{"jail", "mc-exim-1d"}});
    if (r && r->ok)
      for (const auto &b : r->result["jails"][0]["banned"])
        out.insert(b.get<std::string>());
    return out;
  }

  // The active rows of mc-exim-1d as the store has them (read with the daemon stopped).
  std::set<std::string> stored() {
    std::set<std::string> out;
    auto store = open_store("sqlite:" + tmp->file("state.sqlite3"), {});
    EXPECT_TRUE(ok(store));
    if (!store)
      return out;
    auto rows = (*store)->list_bans({.active_only = true, .jail = "mc-exim-1d", .host = {}});
    EXPECT_TRUE(ok(rows));
    if (rows)
      for (const auto &b : *rows)
        out.insert(b.ip.to_string());
    return out;
  }

  static std::string attacker(int i) { return "198.51.100." + std::to_string(10 + i); }

  std::optional<GatewayTestbed> bed;
  std::optional<TempDir> tmp;
};

TEST_F(StoreOutage, BansMadeWhileTheDiskIsFullAreEnforcedAndStoredOnceThereIsRoom) {
  auto d = start_daemon();
  ASSERT_TRUE(ok(d));
  fill();
  // Failures from twenty addresses and the gateway's own attacker, and a manual ban.
  std::string lines;
  for (int n = 0; n < 5; ++n) {
    for (int i = 0; i < 20; ++i)
      lines += exim_reject_line(attacker(i), n);
    lines += exim_reject_line(kAttacker, n);
  }
  ASSERT_TRUE(ok(DaemonProcess::append(d->log_file("exim.log"), lines)));
  std::set<std::string> expected{kAttacker};
  for (int i = 0; i < 20; ++i)
    expected.insert(attacker(i));
  ASSERT_TRUE(eventually([&] { return banned(*d) == expected; })) << d->output();
  auto manual = d->call("ban", {{"jail", "mc-exim-1d"}, {"ip", "192.0.2.99"}});
  ASSERT_TRUE(ok(manual));
  EXPECT_TRUE(manual->ok) << manual->error.message;
  expected.insert("192.0.2.99");
  // Enforced now: the attacker's packets are dropped.
  auto probe = bed->connects(kAttacker, 25);
  ASSERT_TRUE(ok(probe));
  EXPECT_FALSE(*probe);
  json stats = daemon_stats(*d);
  EXPECT_GT(stats.value("store_pending", 0), 0) << stats.dump();

  // Room again: the daemon stores what waited, without a restart.
  free_space();
  ASSERT_TRUE(eventually([&] { return daemon_stats(*d).value("store_pending", -1) == 0; }))
      << daemon_stats(*d).dump();
  EXPECT_EQ(daemon_stats(*d).value("store_dropped", -1), 0);
  ASSERT_TRUE(ok(d->stop()));
  EXPECT_EQ(stored(), expected);
  // One line when writes began to fail and one when they worked again, not one per write.
  std::string out = d->output();
  EXPECT_EQ(d->occurrences("is retried until the store takes it"), 1u) << out;
  EXPECT_NE(out.find("writes succeed again"), std::string::npos) << out;
}

TEST_F(StoreOutage, WhatWaitsForTheStoreSurvivesARestart) {
  auto d = start_daemon();
  ASSERT_TRUE(ok(d));
  fill();
  std::string lines;
  for (int n = 0; n < 5; ++n)
    for (int i = 0; i < 10; ++i)
      lines += exim_reject_line(attacker(i), n);
  ASSERT_TRUE(ok(DaemonProcess::append(d->log_file("exim.log"), lines)));
  std::set<std::string> expected;
  for (int i = 0; i < 10; ++i)
    expected.insert(attacker(i));
  ASSERT_TRUE(eventually([&] { return banned(*d) == expected; })) << d->output();
  ASSERT_GT(daemon_stats(*d).value("store_pending", 0), 0);
  // Stopped while the store still refuses; the waiting writes are kept beside the
  // socket, off the full disk, and stored by the next daemon before it reads the store.
  ASSERT_TRUE(ok(d->stop()));
  free_space();
  ASSERT_TRUE(ok(d->restart()));
  EXPECT_EQ(banned(*d), expected);
  EXPECT_EQ(daemon_stats(*d).value("store_pending", -1), 0);
  ASSERT_TRUE(ok(d->stop()));
  EXPECT_EQ(stored(), expected);
  EXPECT_NE(d->output().find("changes the last daemon could not store"), std::string::npos)
      << d->output();
}

// The state file deleted under the running daemon (a careless cleanup): what is made
// afterwards, a whitelist entry and a manual ban, is still there after a restart.
TEST_F(StoreOutage, AStateFileDeletedWhileRunningIsWrittenBackAndLosesNothing) {
  auto d = start_daemon();
  ASSERT_TRUE(ok(d));
  auto before = d->call("ban", {{"jail", "mc-exim-1d"}, {"ip", "192.0.2.98"}});
  ASSERT_TRUE(ok(before));
  ASSERT_TRUE(before->ok) << before->error.message;
  ASSERT_TRUE(std::filesystem::remove(tmp->file("state.sqlite3")));

  auto allowed = d->call("whitelist.add", {{"jail", "mc-exim-1d"}, {"ip", "203.0.113.77"}});
  ASSERT_TRUE(ok(allowed));
  ASSERT_TRUE(allowed->ok) << allowed->error.message;
  auto after = d->call("ban", {{"jail", "mc-exim-1d"}, {"ip", "192.0.2.99"}});
  ASSERT_TRUE(ok(after));
  ASSERT_TRUE(after->ok) << after->error.message;
  EXPECT_TRUE(std::filesystem::exists(tmp->file("state.sqlite3")));
  EXPECT_EQ(daemon_stats(*d).value("store_pending", -1), 0) << daemon_stats(*d).dump();
  ASSERT_TRUE(ok(d->stop()));
  EXPECT_NE(d->output().find("was deleted while mcf2bd used it: written back"),
            std::string::npos)
      << d->output();

  EXPECT_EQ(stored(), (std::set<std::string>{"192.0.2.98", "192.0.2.99"}));
  auto store = open_store("sqlite:" + tmp->file("state.sqlite3"), {});
  ASSERT_TRUE(ok(store));
  auto rows = (*store)->list_whitelist("mc-exim-1d");
  ASSERT_TRUE(ok(rows));
  bool found = false;
  for (const auto &w : *rows)
    found = found || w.ip.to_string() == "203.0.113.77";
  EXPECT_TRUE(found) << "the whitelist entry made after the deletion is stored";
}

} // namespace
