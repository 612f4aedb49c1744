// SPDX-License-Identifier: GPL-2.0-only
// The cluster through a master outage (issue 7): bans made on both nodes while the
// MariaDB server is dead for 30 s are enforced locally at once, and once it is back
// every one of them is in the database exactly once and enforced on both nodes. A node
// that starts (after a reboot) while the database is down enforces from its local
// snapshot and catches up when it returns.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/cluster/two_node_cluster.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/fixtures/requirements.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

constexpr auto *banned = &TwoNodeCluster::banned;
constexpr const char *kOnA = "203.0.113.11";    // failures on node A only
constexpr const char *kOnB = "203.0.113.12";    // failures on node B only
constexpr const char *kOnBoth = "203.0.113.13"; // failures on both nodes
constexpr const char *kByHand = "203.0.113.14"; // a ban command on B
// Once the server is back: the journal is retried every 2 s, then one sync interval.
constexpr int kCatchUpMs = 30000;

std::string five_lines(const std::string &ip) {
  std::string lines;
  for (int i = 0; i < 5; ++i)
    lines += exim_reject_line(ip, i);
  return lines;
}

class ClusterOutage : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(require_root()) << "two daemons in network namespaces need root";
    ASSERT_TRUE(require_program("ipset"));
    ASSERT_TRUE(require_program("mariadbd"));
    TwoNodeCluster::Options o;
    o.attackers = {kOnA, kOnB, kOnBoth, kByHand};
    auto c = TwoNodeCluster::create(o);
    ASSERT_TRUE(ok(c));
    cluster = std::move(*c);
  }

  size_t count(const std::string &sql) {
    auto rows = cluster->select(sql);
    return rows && !rows->empty() ? std::stoul((*rows)[0][0]) : ~size_t{0};
  }

  std::unique_ptr<TwoNodeCluster> cluster;
};

TEST_F(ClusterOutage, BansDuringA30SecondOutageReachTheDatabaseOnceAndBothNodes) {
  DaemonProcess &a = cluster->node(0), &b = cluster->node(1);
  cluster->server().kill();
  const auto killed = std::chrono::steady_clock::now();

  ASSERT_TRUE(
      ok(DaemonProcess::append(a.log_file("exim.log"), five_lines(kOnA) + five_lines(kOnBoth))));
  ASSERT_TRUE(
      ok(DaemonProcess::append(b.log_file("exim.log"), five_lines(kOnB) + five_lines(kOnBoth))));
  auto manual = b.call("ban", {{"jail", "mc-ssh-1d"}, {"ip", kByHand}});
  ASSERT_TRUE(ok(manual));
  ASSERT_TRUE(manual->ok) << "a ban command must be acknowledged from the journal: "
                          << manual->error.message;
  // Detection and enforcement go on locally.
  ASSERT_TRUE(wait_for([&] { return banned(a, "mc-exim-1d", kOnA); }, 10000)) << a.output();
  ASSERT_TRUE(wait_for([&] { return banned(a, "mc-exim-1d", kOnBoth); }, 10000));
  ASSERT_TRUE(wait_for([&] { return banned(b, "mc-exim-1d", kOnB); }, 10000)) << b.output();
  ASSERT_TRUE(wait_for([&] { return banned(b, "mc-exim-1d", kOnBoth); }, 10000));
  EXPECT_FALSE(cluster->connects(0, kOnA, 25));
  EXPECT_FALSE(cluster->connects(1, kOnB, 25));
  EXPECT_FALSE(cluster->connects(1, kByHand, 22));
  // Nothing crossed while the master was away.
  EXPECT_FALSE(banned(b, "mc-exim-1d", kOnA));
  EXPECT_FALSE(banned(a, "mc-exim-1d", kOnB));

  std::this_thread::sleep_until(killed + std::chrono::seconds(30));
  ASSERT_TRUE(ok(cluster->server().start()));
  auto everywhere = [&] {
    for (int i = 0; i < TwoNodeCluster::kNodes; ++i) {
      const DaemonProcess &d = cluster->node(i);
      for (const char *ip : {kOnA, kOnB, kOnBoth})
        if (!banned(d, "mc-exim-1d", ip))
          return false;
      if (!banned(d, "mc-ssh-1d", kByHand))
        return false;
    }
    return true;
  };
  auto took = wait_for(everywhere, kCatchUpMs);
  ASSERT_TRUE(took) << "node A: " << a.output() << "\nnode B: " << b.output();
  std::printf("every ban on both nodes %.0f ms after the server came back\n", *took);
  // The journals were replayed before the nodes read the change log, so the master has
  // every row by now; wait for the rows anyway, replay and sync are separate steps.
  ASSERT_TRUE(wait_for(
      [&] {
        return count("SELECT COUNT(*) FROM fail2ban_ips WHERE active = 1 AND ip IN"
                     " ('203.0.113.11', '203.0.113.12', '203.0.113.13', '203.0.113.14')") == 4;
      },
      kCatchUpMs));

  // Exactly once: one row per (ip, jail), and each journaled ban replayed once.
  auto duplicates = cluster->select(
      "SELECT ip, jail, COUNT(*) FROM fail2ban_ips GROUP BY ip, jail HAVING COUNT(*) > 1");
  ASSERT_TRUE(ok(duplicates));
  EXPECT_TRUE(duplicates->empty());
  auto replayed_twice =
      cluster->select("SELECT ip, jail, node, COUNT(*) FROM mcf2b_changes WHERE kind = 1"
                      " GROUP BY ip, jail, node HAVING COUNT(*) > 1");
  ASSERT_TRUE(ok(replayed_twice));
  EXPECT_TRUE(replayed_twice->empty()) << (*replayed_twice)[0][0] << " " << (*replayed_twice)[0][1];
  // Each row names the node that banned it (for kOnBoth, whichever replayed last).
  auto hosts = cluster->select("SELECT ip, host FROM fail2ban_ips WHERE active = 1 ORDER BY ip");
  ASSERT_TRUE(ok(hosts));
  ASSERT_EQ(hosts->size(), 4u);
  EXPECT_EQ((*hosts)[0], (std::vector<std::string>{kOnA, "node-a"}));
  EXPECT_EQ((*hosts)[1], (std::vector<std::string>{kOnB, "node-b"}));
  EXPECT_EQ((*hosts)[3], (std::vector<std::string>{kByHand, "node-b"}));

  // Enforced on both nodes: the other node's bans drop packets too.
  EXPECT_FALSE(cluster->connects(1, kOnA, 25));
  EXPECT_FALSE(cluster->connects(0, kOnB, 25));
  EXPECT_FALSE(cluster->connects(0, kOnBoth, 25));
  EXPECT_FALSE(cluster->connects(0, kByHand, 22));
  EXPECT_TRUE(cluster->connects(0, kByHand, 25)) << "mc-ssh covers port 22 only";
}

TEST_F(ClusterOutage, ANodeRebootingWhileTheDatabaseIsDownStartsFromItsSnapshotAndCatchesUp) {
  DaemonProcess &a = cluster->node(0);
  auto first = a.call("ban", {{"jail", "mc-exim-1d"}, {"ip", kOnA}});
  ASSERT_TRUE(ok(first));
  ASSERT_TRUE(first->ok) << first->error.message;
  ASSERT_TRUE(wait_for([&] { return banned(cluster->node(1), "mc-exim-1d", kOnA); }, 15000));

  // B goes down, then the database; B comes back after a reboot (empty bpffs, so the
  // kernel holds nothing for it) while the database is still away.
  ASSERT_TRUE(ok(cluster->stop_node(1)));
  cluster->server().kill();
  ASSERT_TRUE(ok(cluster->start_node(1, /*fresh_pins=*/true)))
      << "a node must start without its database";
  DaemonProcess &b = cluster->node(1);
  auto jails = b.call("status");
  ASSERT_TRUE(ok(jails));
  EXPECT_NE(jails->result["jails"].dump().find("mc-exim-1d"), std::string::npos)
      << "the jails come from the local snapshot: " << jails->result.dump();
  EXPECT_TRUE(banned(b, "mc-exim-1d", kOnA));
  EXPECT_FALSE(cluster->connects(1, kOnA, 25)) << "B enforces A's ban from its snapshot";
  // Its own detection works too.
  ASSERT_TRUE(ok(DaemonProcess::append(b.log_file("exim.log"), five_lines(kOnB))));
  ASSERT_TRUE(wait_for([&] { return banned(b, "mc-exim-1d", kOnB); }, 10000)) << b.output();

  // Meanwhile A bans and unbans (both journaled on A).
  auto second = a.call("ban", {{"jail", "mc-exim-1d"}, {"ip", kOnBoth}});
  ASSERT_TRUE(ok(second));
  ASSERT_TRUE(second->ok) << second->error.message;
  auto lifted = a.call("unban", {{"jail", "mc-exim-1d"}, {"ip", kOnA}});
  ASSERT_TRUE(ok(lifted));
  ASSERT_TRUE(lifted->ok) << lifted->error.message;

  ASSERT_TRUE(ok(cluster->server().start()));
  auto took = wait_for(
      [&] {
        return banned(b, "mc-exim-1d", kOnBoth) && !banned(b, "mc-exim-1d", kOnA) &&
               banned(a, "mc-exim-1d", kOnB);
      },
      kCatchUpMs);
  ASSERT_TRUE(took) << "node A: " << a.output() << "\nnode B: " << b.output();
  std::printf("caught up %.0f ms after the server came back\n", *took);
  EXPECT_FALSE(cluster->connects(1, kOnBoth, 25));
  EXPECT_TRUE(cluster->connects(1, kOnA, 25));
  EXPECT_FALSE(cluster->connects(0, kOnB, 25));
  EXPECT_TRUE(wait_for(
      [&] {
        return count("SELECT COUNT(*) FROM fail2ban_ips WHERE active = 1 AND ip IN"
                     " ('203.0.113.12', '203.0.113.13')") == 2 &&
               count("SELECT COUNT(*) FROM fail2ban_ips WHERE active = 1 AND ip ="
                     " '203.0.113.11'") == 0;
      },
      kCatchUpMs));
}

} // namespace
