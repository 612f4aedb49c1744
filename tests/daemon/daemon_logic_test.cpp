// SPDX-License-Identifier: GPL-2.0-only
// The daemon's own logic without root: the real mcf2bd code (store, controller, log
// sources, control socket, timers) over an in-memory enforcer. Start-up reconcile and
// the adoption of bans only the kernel knew, restarts over kept and lost kernel state,
// commands, log failures and the deferred mirror. The kernel paths have their own tests.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include "protocol/control_client.h"
#include "tests/daemon/in_memory_daemon.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/fixtures/temp_dir_fixture.h"
#include "userspace/daemon/daemon.h"
#include "userspace/enforce/memory_enforcer.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using nlohmann::json;

namespace {

constexpr const char *kJail = "mc-exim-1d";

IpPrefix P(const char *text) {
  return IpPrefix::parse(text).value();
}

class DaemonLogic : public TempDirTest {
protected:
  DaemonLogic() : TempDirTest("daemon-logic") {}
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_EQ(::mkdir(dir->file("jail.d").c_str(), 0755), 0);
    std::ofstream(dir->file("jail.d/mc.conf"))
        << "[mc-exim]\nenabled = true\nlogpath = " << dir->file("rejectlog") << "\n";
    std::ofstream(dir->file("rejectlog")).flush();
  }
  void TearDown() override { stop(); }

  DaemonConfig config() const {
    DaemonConfig c;
    c.state_url = "sqlite:" + dir->file("state.sqlite3");
    c.socket_path = dir->file("mcf2bd.sock");
    c.jail_dir = dir->file("jail.d");
    c.filter_dirs = {MCF2B_FILTER_DIR};
    c.cache_dir = dir->file("cache");
    c.mail_queue_dir = dir->file("mail");
    c.interfaces = {"gw0"};
    c.node = "node-a";
    if (slice_bytes_)
      c.catchup_slice_bytes = slice_bytes_;
    c.read_interval_ms = read_interval_ms_;
    return c;
  }

  // Starts a daemon over `kernel_` (what the last daemon left, as pinned maps are).
  void start() {
    daemon_.kernel = kernel_;
    ASSERT_TRUE(daemon_.start(config()));
  }
  void stop() { EXPECT_EQ(daemon_.stop(), 0); }
  control::Response call(const std::string &command, json args = json::object()) {
    return daemon_.call(command, std::move(args));
  }

  // The (jail, ip) row as `list` shows it, if any.
  std::optional<json> row(const std::string &jail, const std::string &ip) {
    auto r = call("list", {{"jail", jail}});
    EXPECT_TRUE(r.ok) << r.error.message;
    for (const auto &b : r.result["bans"])
      if (b["jail"] == jail && b["ip"] == ip)
        return b;
    return std::nullopt;
  }

  void append_log(const std::string &text) {
    std::ofstream(dir->file("rejectlog"), std::ios::app) << text;
  }

  uint64_t slice_bytes_ = 0; // 0: the daemon's default
  int read_interval_ms_ = 0; // the daemon's default: every write read at once
  std::shared_ptr<MemoryEnforcer::Kernel> kernel_ = std::make_shared<MemoryEnforcer::Kernel>();
  InMemoryDaemon daemon_;
  const Seconds now_ = std::time(nullptr);
};

TEST_F(DaemonLogic, StartsGivesEveryJailASlotAttachesAndAnswers) {
  start();
  auto pong = call("ping");
  ASSERT_TRUE(pong.ok) << pong.error.message;
  EXPECT_EQ(pong.result["node"], "node-a");
  EXPECT_EQ(kernel_->attached(), std::vector<std::string>{"gw0"});
  // MailCleaner's 15 default jails, seeded into the empty store, each with its slot.
  EXPECT_EQ(kernel_->jails().size(), 15u);
  EXPECT_TRUE(kernel_->jails().count(kJail));
  auto status = call("status");
  ASSERT_TRUE(status.ok);
  EXPECT_NE(status.result["jails"].dump().find(kJail), std::string::npos);
}

TEST_F(DaemonLogic, LogFailuresBanThroughTheEnforcerAndTheMirrorFollows) {
  start();
  std::string lines;
  for (int n = 0; n < 5; ++n) // mc-exim-1d: maxretry 5
    lines += exim_reject_line(kAttacker, n);
  append_log(lines);
  ASSERT_TRUE(eventually([&] { return kernel_->bans(kJail).count(P(kAttacker)) == 1; }));
  // The deferred part (the ipset mirror) is flushed on the daemon's timer.
  ASSERT_TRUE(eventually([&] { return kernel_->mirrored(kJail).count(P(kAttacker)) == 1; }));
  auto r = row(kJail, kAttacker);
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["active"], true);
  EXPECT_EQ((*r)["count"], 1);
}

// read_interval set: a stream of small writes is read on the pacing timer, muted in
// between, and not one line is lost or read twice; once the stream stops, the next
// attack's lines are heard at once again.
TEST_F(DaemonLogic, AStreamOfSmallWritesReadAtTheReadIntervalLosesNoLine) {
  read_interval_ms_ = 40;
  start();
  constexpr int kAttackers = 12;
  auto address = [](int i) { return "192.0.2." + std::to_string(10 + i); };
  for (int n = 0; n < 5; ++n) // mc-exim-1d: maxretry 5, one line per write
    for (int i = 0; i < kAttackers; ++i) {
      append_log(exim_reject_line(address(i), n));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  for (int i = 0; i < kAttackers; ++i)
    ASSERT_TRUE(eventually([&] { return kernel_->bans(kJail).count(P(address(i).c_str())) == 1; }))
        << address(i);
  EXPECT_EQ(kernel_->bans(kJail).size(), static_cast<size_t>(kAttackers));
  for (int i = 0; i < kAttackers; ++i) {
    auto r = row(kJail, address(i));
    ASSERT_TRUE(r) << address(i);
    EXPECT_EQ((*r)["count"], 1) << "counted once: no line read twice";
  }
  // Quiet, then one more attacker.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::string lines;
  for (int n = 0; n < 5; ++n)
    lines += exim_reject_line(kAttacker, n);
  append_log(lines);
  ASSERT_TRUE(eventually([&] { return kernel_->bans(kJail).count(P(kAttacker)) == 1; }));
}

TEST_F(DaemonLogic, CommandsAreEnforcedStoredAndLifted) {
  start();
  auto ban = call("ban", {{"jail", kJail}, {"ip", "198.51.100.7"}});
  ASSERT_TRUE(ban.ok) << ban.error.message;
  EXPECT_EQ(kernel_->bans(kJail).count(P("198.51.100.7")), 1u);
  ASSERT_TRUE(eventually([&] { return kernel_->mirrored(kJail).count(P("198.51.100.7")) == 1; }));
  auto unban = call("unban", {{"jail", kJail}, {"ip", "198.51.100.7"}});
  ASSERT_TRUE(unban.ok) << unban.error.message;
  EXPECT_EQ(kernel_->bans(kJail).count(P("198.51.100.7")), 0u);
  ASSERT_TRUE(eventually([&] { return kernel_->mirrored(kJail).count(P("198.51.100.7")) == 0; }));

  auto wl = call("whitelist.add", {{"jail", kJail}, {"ip", "192.0.2.0/24"}});
  ASSERT_TRUE(wl.ok) << wl.error.message;
  EXPECT_EQ(kernel_->whitelist().count({kJail, P("192.0.2.0/24")}), 1u);
  auto refused = call("ban", {{"jail", kJail}, {"ip", "192.0.2.9"}});
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(kernel_->bans(kJail).count(P("192.0.2.9")), 0u);
}

TEST_F(DaemonLogic, TheStoreWinsAtRestartAndABootLosesNothing) {
  start();
  ASSERT_TRUE(call("ban", {{"jail", kJail}, {"ip", "198.51.100.8"}}).ok);
  stop();
  // A reboot: the kernel's maps are gone; the store still has the ban.
  kernel_ = std::make_shared<MemoryEnforcer::Kernel>();
  start();
  EXPECT_EQ(kernel_->bans(kJail).count(P("198.51.100.8")), 1u);
  EXPECT_EQ(kernel_->mirrored(kJail).count(P("198.51.100.8")), 1u);
  // An unban while running, then a restart over the same kernel: nothing comes back.
  ASSERT_TRUE(call("unban", {{"jail", kJail}, {"ip", "198.51.100.8"}}).ok);
  stop();
  start();
  EXPECT_EQ(kernel_->bans(kJail).count(P("198.51.100.8")), 0u);
}

TEST_F(DaemonLogic, BansOnlyTheKernelKnewAreAdoptedAndExpiredOnesDropped) {
  // Left by a daemon that died between enforcing and storing.
  kernel_->hold(kJail, P("198.51.100.9"), now_ + 3600);
  kernel_->hold(kJail, P("198.51.100.10"), now_ - 5); // already ended
  start();
  auto r = row(kJail, "198.51.100.9");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["active"], true);
  EXPECT_EQ((*r)["count"], 1);
  EXPECT_EQ((*r)["end"], now_ + 3600);
  EXPECT_EQ(kernel_->bans(kJail).count(P("198.51.100.9")), 1u);
  EXPECT_EQ(kernel_->mirrored(kJail).count(P("198.51.100.9")), 1u);
  EXPECT_EQ(kernel_->bans(kJail).count(P("198.51.100.10")), 0u);
  EXPECT_FALSE(row(kJail, "198.51.100.10"));
}

TEST_F(DaemonLogic, AnAdoptedKernelBanIsNotCountedAndNeverPromotes) {
  start();
  // Blacklisting after one ban: a second ban of the address would promote it.
  ASSERT_TRUE(call("general.enable-bl", {{"value", 1}}).ok);
  ASSERT_TRUE(call("ban", {{"jail", kJail}, {"ip", "198.51.100.11"}}).ok);
  ASSERT_TRUE(call("unban", {{"jail", kJail}, {"ip", "198.51.100.11"}}).ok);
  stop();
  kernel_->hold(kJail, P("198.51.100.11"), now_ + 600);
  start();
  auto r = row(kJail, "198.51.100.11");
  ASSERT_TRUE(r);
  EXPECT_EQ((*r)["active"], true);
  EXPECT_EQ((*r)["count"], 1);
  EXPECT_FALSE(row("mc-exim-bl", "198.51.100.11"));
  EXPECT_EQ(kernel_->bans("mc-exim-bl").count(P("198.51.100.11")), 0u);
}

TEST_F(DaemonLogic, AJailWhoseFilterCannotBeFoundIsShownBrokenNotSilent) {
  std::ofstream(dir->file("jail.d/custom.conf"))
      << "[custom-smtp]\nenabled = true\nfilter = no-such-filter\nlogpath = "
      << dir->file("custom.log") << "\n";
  start();
  auto stats = call("stats");
  ASSERT_TRUE(stats.ok) << stats.error.message;
  bool seen = false;
  for (const auto &j : stats.result["jails"]) {
    if (j["jail"] == "custom-smtp") {
      seen = true;
      ASSERT_TRUE(j.contains("broken"));
      EXPECT_NE(j["broken"].get<std::string>().find("no-such-filter"), std::string::npos)
          << j.dump();
    } else {
      EXPECT_FALSE(j.contains("broken")) << j.dump();
    }
  }
  EXPECT_TRUE(seen);
  auto status = call("status", {{"jail", "custom-smtp"}});
  ASSERT_TRUE(status.ok) << status.error.message;
  ASSERT_EQ(status.result["jails"].size(), 1u);
  EXPECT_NE(status.result["jails"][0].value("broken", "").find("no-such-filter"), std::string::npos)
      << status.result.dump();
  auto healthy = call("status", {{"jail", kJail}});
  ASSERT_TRUE(healthy.ok);
  EXPECT_FALSE(healthy.result["jails"][0].contains("broken")) << healthy.result.dump();
}

// A backlog at start is read in slices: ping and status answer while it is read, say
// how far along it is, and every ban it holds is still made. (No timing claim: that the
// answers came before the end is read from the progress they report.)
TEST_F(DaemonLogic, ABacklogIsReadInSlicesWhileCommandsAreAnswered) {
  constexpr int kAttackers = 500;
  std::string backlog;
  for (int a = 0; a < kAttackers; ++a) {
    std::string ip = std::string(a < 250 ? "198.51.100." : "198.51.101.") + std::to_string(a % 250);
    for (int n = 0; n < 5; ++n) { // mc-exim-1d: maxretry 5
      backlog += exim_reject_line(ip, n);
      // Between failures, the lines a gateway mostly logs, matched by nothing.
      for (int k = 0; k < 40; ++k)
        backlog += "2026-01-01 00:00:00 1tXyZa-000" + std::to_string(k) +
                   "-Ab => user@example.com R=dnslookup T=remote_smtp H=mx.example.com "
                   "[192.0.2.1] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes C=\"250 OK\"\n";
    }
  }
  append_log(backlog);
  const uint64_t total = backlog.size();
  slice_bytes_ = 16 << 10; // many slices, so many answers fall inside the backlog
  start();

  uint64_t answered_while_behind = 0, last_read = 0;
  bool status_showed_progress = false;
  for (int round = 0; round < 100000; ++round) {
    auto pong = call(round % 2 ? "status" : "ping");
    ASSERT_TRUE(pong.ok) << pong.error.message;
    if (!pong.result.contains("catching_up"))
      break;
    const auto &logs = pong.result["catching_up"];
    ASSERT_EQ(logs.size(), 1u) << pong.result.dump();
    EXPECT_EQ(logs[0]["log"], dir->file("rejectlog"));
    uint64_t read = logs[0]["bytes_read"].get<uint64_t>();
    uint64_t left = logs[0]["bytes_behind"].get<uint64_t>();
    EXPECT_GT(left, 0u);
    EXPECT_LE(read + left, total);
    EXPECT_GE(read, last_read) << "progress never goes back";
    last_read = read;
    ++answered_while_behind;
    if (round % 2)
      status_showed_progress = true;
  }
  EXPECT_GT(answered_while_behind, 0u) << "no answer came before the backlog was read";
  EXPECT_TRUE(status_showed_progress);
  EXPECT_LT(last_read, total);

  // Every ban the backlog holds, made.
  ASSERT_TRUE(eventually([&] { return kernel_->bans(kJail).size() == size_t(kAttackers); }))
      << kernel_->bans(kJail).size() << " of " << kAttackers << " banned";
  auto stats = call("stats");
  ASSERT_TRUE(stats.ok);
  EXPECT_EQ(stats.result["daemon"]["bytes"].get<uint64_t>(), total);
  EXPECT_EQ(stats.result["daemon"]["bytes_behind"].get<uint64_t>(), 0u);
  auto pong = call("ping");
  EXPECT_FALSE(pong.result.contains("catching_up")) << pong.result.dump();
}

} // namespace

namespace {

// A second daemon started by mistake on the same socket, with its own store and
// enforcement: it stops before writing anything anywhere (no store created, no jail
// written, its enforcer never opened) and the first one keeps answering.
TEST_F(DaemonLogic, ASecondDaemonOnTheSameSocketChangesNothing) {
  start();
  DaemonConfig second = config();
  second.state_url = "sqlite:" + dir->file("second.sqlite3");
  second.jail_dir = dir->file("jail.d");
  bool enforcer_opened = false;
  auto d = Daemon::start(second, [&](const DaemonConfig &) {
    enforcer_opened = true;
    return Result<std::unique_ptr<Enforcer>>(
        std::make_unique<MemoryEnforcer>(std::make_shared<MemoryEnforcer::Kernel>()));
  });
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message().find("another daemon"), std::string::npos) << d.error().message();
  EXPECT_FALSE(enforcer_opened);
  EXPECT_FALSE(std::filesystem::exists(dir->file("second.sqlite3")));
  auto pong = call("ping");
  EXPECT_TRUE(pong.ok) << pong.error.message;
}

} // namespace
