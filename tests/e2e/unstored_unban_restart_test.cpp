// SPDX-License-Identifier: GPL-2.0-only
// Found by the soak (tests/e2e/soak_test.cpp): an unban answered while the store's disk
// is full waits in the spill file; a daemon killed then and started while the disk is
// still full must not read the store without it. Before the fix it did: the store's row
// still said banned, the start-up reconcile put the ban back into the maps, and once the
// store took the unban the maps kept the ban for good (adopted as "banned in the kernel
// but missing from the store" at the next start): an unban undone.
// Also found by it: log sources built again (SIGHUP, a jail change) resumed from the
// store's position, which lags while the store refuses writes, and counted the lines
// since then twice: an address unbanned meanwhile was banned again.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/fixtures/gateway_testbed.h"
#include "tests/fixtures/private_tmpfs.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

constexpr const char *kUnbanned = "100.64.8.1";
constexpr const char *kLater = "100.64.8.2";

template <class F> bool eventually(F condition) {
  // A bound, not a timing claim.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

class UnstoredUnbanRestart : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(require_root());
    ASSERT_TRUE(require_program("ipset"));
    auto b = GatewayTestbed::create({kAttacker});
    ASSERT_TRUE(ok(b));
    bed.emplace(std::move(*b));
    auto t = TempDir::create("unstored-unban");
    ASSERT_TRUE(ok(t));
    tmp.emplace(std::move(*t));
    ASSERT_TRUE(ok(mount_private_tmpfs(tmp->path(), "4m")));
  }

  std::string state_file() const { return tmp->file("state.sqlite3"); }

  // The WAL checkpointed to nothing by another process, then the disk filled: the
  // daemon's next write must grow the WAL and cannot.
  void fill() {
    sqlite3 *db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(state_file().c_str(), &db, SQLITE_OPEN_READWRITE, nullptr),
              SQLITE_OK);
    sqlite3_busy_timeout(db, 30000);
    EXPECT_EQ(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close_v2(db);
    int fd = ::open(tmp->file("filler").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    std::string block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    ASSERT_EQ(errno, ENOSPC);
    ::close(fd);
  }

  static bool banned(const DaemonProcess &d, const std::string &ip = kUnbanned) {
    auto r = d.call("status", {{"jail", "mc-exim-1d"}});
    if (r && r->ok)
      for (const auto &b : r->result["jails"][0]["banned"])
        if (b == ip)
          return true;
    return false;
  }

  // mc-exim-1d's maxretry of failures, in one write.
  static void fail(const DaemonProcess &d, const std::string &ip) {
    std::string lines;
    for (int n = 0; n < 5; ++n)
      lines += exim_reject_line(ip, n);
    ASSERT_TRUE(ok(DaemonProcess::append(d.log_file("exim.log"), lines)));
  }

  std::optional<GatewayTestbed> bed;
  std::optional<TempDir> tmp;
};

TEST_F(UnstoredUnbanRestart, AStartOnAFullDiskDoesNotUndoAnUnbanThatWaitsForTheStore) {
  DaemonOptions o = bed->daemon_options();
  o.jail_file = mailcleaner_jail_file({"mc-exim"});
  o.state_url = "sqlite:" + state_file();
  auto d = DaemonProcess::start(o);
  ASSERT_TRUE(ok(d));
  auto ban = d->call("ban", {{"jail", "mc-exim-1d"}, {"ip", kUnbanned}});
  ASSERT_TRUE(ok(ban));
  ASSERT_TRUE(ban->ok) << ban->error.message;

  fill();
  auto unban = d->call("unban", {{"jail", "mc-exim"}, {"ip", kUnbanned}});
  ASSERT_TRUE(ok(unban));
  ASSERT_TRUE(unban->ok) << unban->error.message;
  auto stats = d->call("stats");
  ASSERT_TRUE(ok(stats));
  ASSERT_GT(stats->result["daemon"].value("store_pending", 0), 0)
      << "the unban was stored: the disk did not refuse it";
  d->kill();

  // Started while the disk is still full; space comes back once it waits for it (or,
  // as before the fix, once it answers, having read the store without the unban).
  Status restarted;
  std::thread start([&] { restarted = d->restart(); });
  bool waited = eventually([&] {
    if (d->output().find("the store is read once it has taken") != std::string::npos)
      return true;
    auto ping = d->call("ping");
    return ping && ping->ok;
  });
  std::filesystem::remove(tmp->file("filler"));
  start.join();
  ASSERT_TRUE(waited) << d->output();
  ASSERT_TRUE(ok(restarted));
  ASSERT_TRUE(eventually([&] {
    auto s = d->call("stats");
    return s && s->ok && s->result["daemon"].value("store_pending", -1) == 0;
  }));
  EXPECT_FALSE(banned(*d)) << "the unban was undone: " << d->output();
  // The mirror trails the maps (a kill -9 can leave it a change behind until the start).
  EXPECT_TRUE(eventually([&] {
    return bed->ipset_list("mc-exim-1d").find(kUnbanned) == std::string::npos;
  })) << bed->ipset_list("mc-exim-1d");
  ASSERT_TRUE(ok(d->stop()));
  auto store = open_store(o.state_url, {});
  ASSERT_TRUE(ok(store));
  auto rows = (*store)->list_bans({.active_only = true, .jail = "mc-exim-1d", .host = {}});
  ASSERT_TRUE(ok(rows));
  EXPECT_TRUE(rows->empty());
}

TEST_F(UnstoredUnbanRestart, SourcesBuiltAgainWhileTheStoreRefusesReadNoLineTwice) {
  DaemonOptions o = bed->daemon_options();
  o.jail_file = mailcleaner_jail_file({"mc-exim"});
  o.state_url = "sqlite:" + state_file();
  auto d = DaemonProcess::start(o);
  ASSERT_TRUE(ok(d));
  fill();
  // Read and banned while the store refuses the position, then lifted by hand.
  fail(*d, kUnbanned);
  ASSERT_TRUE(eventually([&] { return banned(*d); })) << d->output();
  auto unban = d->call("unban", {{"jail", "mc-exim"}, {"ip", kUnbanned}});
  ASSERT_TRUE(ok(unban));
  ASSERT_TRUE(unban->ok) << unban->error.message;
  auto followed = [&] { return d->occurrences("following "); };
  size_t before = followed();
  ASSERT_TRUE(ok(d->signal(SIGHUP)));
  ASSERT_TRUE(eventually([&] { return followed() > before; })) << d->output();
  // A later ban from the same file: whatever the new source reads again comes first.
  fail(*d, kLater);
  ASSERT_TRUE(eventually([&] { return banned(*d, kLater); })) << d->output();
  EXPECT_FALSE(banned(*d)) << "lines read before SIGHUP were read again: " << d->output();
  std::filesystem::remove(tmp->file("filler"));
}

} // namespace
