// SPDX-License-Identifier: GPL-2.0-only
// Two mcf2bd nodes on one MariaDB (issue 7): a ban made on node A, from log lines or
// from a ban command, drops the attacker's packets in node B's namespace within 2 s;
// unban, whitelist and blacklist changes travel the same way; no node re-applies or
// writes back its own or replicated changes.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/cluster/two_node_cluster.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/fixtures/requirements.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using nlohmann::json;

namespace {

constexpr auto *banned = &TwoNodeCluster::banned;
// The bound for a change made on one node to be enforced on the others.
constexpr double kPropagationBoundMs = 2000;
constexpr const char *kTiers[] = {"mc-exim-1d", "mc-exim-1w", "mc-exim-1m", "mc-exim-1y"};

bool whitelisted(const DaemonProcess &d, const std::string &jail, const std::string &ip) {
  auto r = d.call("whitelist.list", {{"jail", jail}});
  if (!r || !r->ok)
    return false;
  for (const auto &w : r->result["whitelist"])
    if (w["jail"] == jail && w["ip"] == ip)
      return true;
  return false;
}

json stats(const DaemonProcess &d) {
  auto r = d.call("stats");
  return r && r->ok ? r->result : json::object();
}

uint64_t dropped(const DaemonProcess &d, const std::string &jail) {
  const json all = stats(d);
  for (const auto &j : all["jails"])
    if (j["jail"] == jail)
      return j["dropped_packets"].get<uint64_t>();
  return 0;
}

class TwoNodes : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(require_root()) << "two daemons in network namespaces need root";
    ASSERT_TRUE(require_program("ipset"));
    ASSERT_TRUE(require_program("mariadbd"));
    TwoNodeCluster::Options o;
    o.attackers = {kAttacker, kSpammer};
    auto c = TwoNodeCluster::create(o);
    ASSERT_TRUE(ok(c));
    cluster = std::move(*c);
  }

  DaemonProcess &a() { return cluster->node(0); }
  DaemonProcess &b() { return cluster->node(1); }

  // Waits until node B shows `done`, and checks it took at most the bound.
  template <class Fn> void expect_on_b_in_time(Fn done, const std::string &what) {
    auto took = wait_for(done, 15000);
    ASSERT_TRUE(took) << what << " never reached node B: " << b().output();
    EXPECT_LE(*took, kPropagationBoundMs) << what;
    std::printf("%s: on node B after %.0f ms\n", what.c_str(), *took);
  }

  // Change-log entries about bans and whitelists written by `node`.
  size_t row_changes_by(const std::string &node) {
    auto rows = cluster->select("SELECT COUNT(*) FROM mcf2b_changes WHERE node = '" + node +
                                "' AND kind IN (1, 2, 3, 4)");
    return rows && !rows->empty() ? std::stoul((*rows)[0][0]) : ~size_t{0};
  }

  std::unique_ptr<TwoNodeCluster> cluster;
};

TEST_F(TwoNodes, LogLinesOnNodeAGetTheAttackerDroppedOnNodeB) {
  EXPECT_TRUE(cluster->connects(1, kAttacker, 25));
  // Nodes started together may each write jail rows at start (B may read the jails before
  // A's jail files are stored); two sync rounds later each has taken the other's.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const uint64_t replicated_on_a = stats(a())["daemon"]["replicated_changes"].get<uint64_t>();
  std::string lines;
  for (int i = 0; i < 5; ++i)
    lines += exim_reject_line(kAttacker, i);
  ASSERT_TRUE(ok(DaemonProcess::append(a().log_file("exim.log"), lines)));
  ASSERT_TRUE(wait_for([&] { return banned(a(), "mc-exim-1d", kAttacker); }, 10000))
      << a().output();
  expect_on_b_in_time([&] { return banned(b(), "mc-exim-1d", kAttacker); }, "a ban from log lines");

  // B enforces it: its XDP program drops the SYNs on the jail's ports only, its ipset
  // mirror has the address.
  EXPECT_FALSE(cluster->connects(1, kAttacker, 25));
  EXPECT_TRUE(cluster->connects(1, kAttacker, 22)) << "port 22 is not mc-exim's";
  EXPECT_GT(dropped(b(), "mc-exim-1d"), 0u);
  EXPECT_TRUE(wait_for(
      [&] { return cluster->ipset_list(1, "mc-exim-1d").find(kAttacker) != std::string::npos; },
      5000))
      << cluster->ipset_list(1, "mc-exim-1d");
  // Only the 1d tier: B took the row, it did not run the failures itself.
  EXPECT_FALSE(banned(b(), "mc-exim-1w", kAttacker));

  // The master has one row, written by A, as MailCleaner's readers expect it.
  auto rows = cluster->select("SELECT host, active, count FROM fail2ban_ips WHERE ip = '" +
                              std::string(kAttacker) + "' AND jail = 'mc-exim-1d'");
  ASSERT_TRUE(ok(rows));
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0], (std::vector<std::string>{"node-a", "1", "1"}));
  // B applied the row without writing it back, and A did not take its own change again.
  EXPECT_EQ(row_changes_by("node-b"), 0u);
  auto b_replicated = stats(b())["daemon"]["replicated_changes"].get<uint64_t>();
  EXPECT_GE(b_replicated, 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200)); // two more sync rounds
  EXPECT_EQ(stats(a())["daemon"]["replicated_changes"].get<uint64_t>(), replicated_on_a);
  // B's own view of the cluster's store (the list command) shows A's row.
  auto list = b().call("list", {{"jail", "mc-exim-1d"}, {"active", true}});
  ASSERT_TRUE(ok(list));
  ASSERT_EQ(list->result["bans"].size(), 1u) << list->result.dump();
  EXPECT_EQ(list->result["bans"][0]["host"], "node-a");
}

TEST_F(TwoNodes, BanAndUnbanCommandsOnNodeAReachNodeB) {
  auto ban = a().call("ban", {{"jail", "mc-exim"}, {"ip", kAttacker}});
  ASSERT_TRUE(ok(ban));
  ASSERT_TRUE(ban->ok) << ban->error.message;
  expect_on_b_in_time(
      [&] {
        return std::all_of(std::begin(kTiers), std::end(kTiers),
                           [&](const char *t) { return banned(b(), t, kAttacker); });
      },
      "a ban command (four tiers)");
  EXPECT_FALSE(cluster->connects(1, kAttacker, 25));

  auto unban = a().call("unban", {{"jail", "mc-exim"}, {"ip", kAttacker}});
  ASSERT_TRUE(ok(unban));
  ASSERT_TRUE(unban->ok) << unban->error.message;
  expect_on_b_in_time(
      [&] {
        return std::none_of(std::begin(kTiers), std::end(kTiers),
                            [&](const char *t) { return banned(b(), t, kAttacker); });
      },
      "an unban command");
  EXPECT_TRUE(cluster->connects(1, kAttacker, 25));
  EXPECT_TRUE(wait_for(
      [&] { return cluster->ipset_list(1, "mc-exim-1d").find(kAttacker) == std::string::npos; },
      5000));
  auto rows = cluster->select("SELECT COUNT(*) FROM fail2ban_ips WHERE ip = '" +
                              std::string(kAttacker) + "' AND active = 1");
  ASSERT_TRUE(ok(rows));
  EXPECT_EQ((*rows)[0][0], "0");
  EXPECT_EQ(row_changes_by("node-b"), 0u);
}

TEST_F(TwoNodes, WhitelistAndBlacklistChangesOnNodeAReachNodeB) {
  // A ban on A, then A whitelists the address: B lifts its ban and keeps it whitelisted.
  auto ban = a().call("ban", {{"jail", "mc-exim-1d"}, {"ip", kAttacker}});
  ASSERT_TRUE(ok(ban));
  ASSERT_TRUE(ban->ok) << ban->error.message;
  ASSERT_TRUE(wait_for([&] { return banned(b(), "mc-exim-1d", kAttacker); }, 15000));
  auto wl = a().call("whitelist.add", {{"jail", "mc-exim"}, {"ip", kAttacker}});
  ASSERT_TRUE(ok(wl));
  ASSERT_TRUE(wl->ok) << wl->error.message;
  expect_on_b_in_time(
      [&] {
        return !banned(b(), "mc-exim-1d", kAttacker) &&
               std::all_of(std::begin(kTiers), std::end(kTiers),
                           [&](const char *t) { return whitelisted(b(), t, kAttacker); });
      },
      "a whitelist add");
  EXPECT_TRUE(cluster->connects(1, kAttacker, 25));
  // B's own failures of that address no longer ban it there, nor may an admin on B.
  std::string lines;
  for (int i = 0; i < 6; ++i)
    lines += exim_reject_line(kAttacker, i);
  ASSERT_TRUE(ok(DaemonProcess::append(b().log_file("exim.log"), lines)));
  ASSERT_TRUE(wait_for([&] { return stats(b())["daemon"]["lines"] == 6; }, 10000));
  EXPECT_FALSE(banned(b(), "mc-exim-1d", kAttacker));
  auto refused = b().call("ban", {{"jail", "mc-exim-1d"}, {"ip", kAttacker}});
  ASSERT_TRUE(ok(refused));
  EXPECT_FALSE(refused->ok) << "a whitelisted address must not be banned on B";

  auto unwl = a().call("whitelist.remove", {{"jail", "mc-exim"}, {"ip", kAttacker}});
  ASSERT_TRUE(ok(unwl));
  ASSERT_TRUE(unwl->ok) << unwl->error.message;
  expect_on_b_in_time(
      [&] {
        return std::none_of(std::begin(kTiers), std::end(kTiers),
                            [&](const char *t) { return whitelisted(b(), t, kAttacker); });
      },
      "a whitelist remove");

  // Blacklist add on A: permanent in mc-exim-bl on B; remove lifts it on B.
  auto bl = a().call("blacklist.add", {{"jail", "mc-exim"}, {"ip", kSpammer}});
  ASSERT_TRUE(ok(bl));
  ASSERT_TRUE(bl->ok) << bl->error.message;
  expect_on_b_in_time([&] { return banned(b(), "mc-exim-bl", kSpammer); }, "a blacklist add");
  EXPECT_FALSE(cluster->connects(1, kSpammer, 25));
  EXPECT_TRUE(wait_for(
      [&] { return cluster->ipset_list(1, "mc-exim-bl").find(kSpammer) != std::string::npos; },
      5000));
  auto unbl = a().call("blacklist.remove", {{"jail", "mc-exim"}, {"ip", kSpammer}});
  ASSERT_TRUE(ok(unbl));
  ASSERT_TRUE(unbl->ok) << unbl->error.message;
  expect_on_b_in_time([&] { return !banned(b(), "mc-exim-bl", kSpammer); }, "a blacklist remove");
  EXPECT_TRUE(cluster->connects(1, kSpammer, 25));
  EXPECT_EQ(row_changes_by("node-b"), 0u) << "B only applied A's changes";
}

TEST_F(TwoNodes, ABanEndsOnBothNodesAtItsEndAndOnlyItsWriterRecordsTheEnd) {
  auto ban = a().call("ban", {{"jail", "mc-exim-1d"}, {"ip", kAttacker}, {"bantime", 3}});
  ASSERT_TRUE(ok(ban));
  ASSERT_TRUE(ban->ok) << ban->error.message;
  ASSERT_TRUE(wait_for([&] { return banned(b(), "mc-exim-1d", kAttacker); }, 15000));
  // Both lift it on their own clock (the end came with the row), within a tick.
  ASSERT_TRUE(wait_for([&] { return !banned(a(), "mc-exim-1d", kAttacker); }, 10000));
  ASSERT_TRUE(wait_for([&] { return !banned(b(), "mc-exim-1d", kAttacker); }, 10000));
  EXPECT_TRUE(cluster->connects(1, kAttacker, 25));
  ASSERT_TRUE(wait_for(
      [&] {
        auto rows = cluster->select("SELECT active FROM fail2ban_ips WHERE ip = '" +
                                    std::string(kAttacker) + "'");
        return rows && rows->size() == 1 && (*rows)[0][0] == "0";
      },
      10000));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500)); // B's tick and sync pass
  // One write for the end, by A; B wrote nothing.
  auto ends = cluster->select("SELECT node FROM mcf2b_changes WHERE ip = '" +
                              std::string(kAttacker) + "' AND kind = 1 AND active = 0");
  ASSERT_TRUE(ok(ends));
  ASSERT_EQ(ends->size(), 1u);
  EXPECT_EQ((*ends)[0][0], "node-a");
  EXPECT_EQ(row_changes_by("node-b"), 0u);
}

} // namespace
