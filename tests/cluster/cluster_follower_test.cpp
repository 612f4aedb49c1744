// SPDX-License-Identifier: GPL-2.0-only
// The daemon's cluster logic on its own: ClusterFollower over a shared store's change
// log (two SQLite handles on one file stand in for two nodes on one master), and which
// node records a ban's expiry.
#include <gtest/gtest.h>

#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir_fixture.h"
#include "userspace/controller/clock.h"
#include "userspace/daemon/cluster_follower.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

constexpr Seconds kNow = 1'700'000'000;

IpPrefix ip(const char *text) {
  return *IpPrefix::parse(text);
}

BanRecord ban_row(const char *address, const char *jail, const char *host, Seconds end) {
  BanRecord r;
  r.ip = ip(address);
  r.jail = jail;
  r.count = 1;
  r.active = true;
  r.host = host;
  r.last_hit = kNow;
  r.ban_start = kNow;
  r.ban_end = end;
  return r;
}

// One node's side: its handle on the shared store, its controller, its follower.
struct Node {
  Node(const std::string &path, const std::string &name) : clock(kNow) {
    auto s = open_store("sqlite:" + path, StoreOptions{name, {}});
    EXPECT_TRUE(ok(s));
    store = std::move(*s);
    JailControllerOptions o;
    o.node = name;
    controller = std::make_unique<JailController>(clock, o);
    auto jails = mailcleaner_default_jails(true);
    for (auto &j : jails)
      j.logpath = "/var/log/" + name + "/" + std::string(jail_family(j.name)) + ".log";
    controller->configure(jails);
    follower = std::make_unique<ClusterFollower>(*store, *controller);
  }
  ManualClock clock;
  std::unique_ptr<StateStore> store;
  std::unique_ptr<JailController> controller;
  std::unique_ptr<ClusterFollower> follower;
};

class Follower : public TempDirTest {
protected:
  Follower() : TempDirTest("follower") {}
  void SetUp() override {
    TempDirTest::SetUp();
    a = std::make_unique<Node>(dir->file("master.sqlite3"), "node-a");
    b = std::make_unique<Node>(dir->file("master.sqlite3"), "node-b");
    a->follower->start();
    b->follower->start();
  }
  ClusterPoll poll(Node &n) {
    auto p = n.follower->poll();
    EXPECT_TRUE(ok(p));
    return p ? std::move(*p) : ClusterPoll{};
  }
  std::unique_ptr<Node> a, b;
};

TEST_F(Follower, TakesOtherNodesBansWithTheirEndAndSkipsItsOwn) {
  ASSERT_TRUE(ok(a->store->put_ban(ban_row("203.0.113.5", "mc-exim-1d", "node-a", kNow + 600))));
  ClusterPoll on_b = poll(*b);
  ASSERT_EQ(on_b.enforce.bans.size(), 1u);
  EXPECT_EQ(on_b.enforce.bans[0].end, kNow + 600) << "the end travels with the row";
  EXPECT_EQ(on_b.enforce.bans[0].cause, BanCause::replicated);
  EXPECT_TRUE(on_b.enforce.records.empty()) << "the store has the row already";
  EXPECT_TRUE(b->controller->is_banned("mc-exim-1d", ip("203.0.113.5")));
  EXPECT_EQ(on_b.applied, 1u);

  ClusterPoll on_a = poll(*a);
  EXPECT_TRUE(on_a.enforce.empty()) << "a node never re-applies its own change";
  EXPECT_EQ(on_a.applied, 0u);
  EXPECT_TRUE(poll(*b).enforce.empty()) << "nothing new";
}

TEST_F(Follower, OnlyTheLastChangeOfARowInABatchCounts) {
  BanRecord r = ban_row("203.0.113.5", "mc-exim-1d", "node-a", kNow + 600);
  ASSERT_TRUE(ok(a->store->put_ban(r)));
  ASSERT_TRUE(ok(a->store->unban(r.ip, r.jail)));
  ClusterPoll on_b = poll(*b);
  EXPECT_TRUE(on_b.enforce.empty()) << "banned then unbanned: nothing to flap";
  EXPECT_FALSE(b->controller->is_banned("mc-exim-1d", r.ip));

  // B's own later unban wins over A's earlier ban read in the same batch.
  BanRecord s = ban_row("203.0.113.6", "mc-exim-1d", "node-a", kNow + 600);
  ASSERT_TRUE(ok(a->store->put_ban(s)));
  ASSERT_TRUE(ok(b->store->unban(s.ip, s.jail)));
  EXPECT_TRUE(poll(*b).enforce.empty());
  EXPECT_FALSE(b->controller->is_banned("mc-exim-1d", s.ip));
}

TEST_F(Follower, WhitelistRowsMoveTheKernelWhitelist) {
  BanRecord w;
  w.ip = ip("198.51.100.0/24");
  w.jail = "mc-exim-1d";
  w.whitelisted = true;
  w.host = "node-a";
  ASSERT_TRUE(ok(a->store->put_ban(w)));
  ClusterPoll on_b = poll(*b);
  EXPECT_TRUE(on_b.whitelist_changed);
  auto wl = b->controller->whitelist("mc-exim-1d");
  ASSERT_EQ(wl.size(), 1u);
  EXPECT_EQ(wl[0], w.ip);
  EXPECT_FALSE(ok(b->controller->ban("mc-exim-1d", ip("198.51.100.9"))));

  w.whitelisted = false;
  ASSERT_TRUE(ok(a->store->put_ban(w)));
  on_b = poll(*b);
  EXPECT_TRUE(on_b.whitelist_changed);
  EXPECT_TRUE(b->controller->whitelist("mc-exim-1d").empty());
}

TEST_F(Follower, JailChangesKeepTheNodesOwnLogPath) {
  JailConfig changed = *a->controller->jail("mc-exim-1d");
  changed.maxretry = 9;
  ASSERT_TRUE(ok(a->store->put_jail(changed)));
  ClusterPoll on_b = poll(*b);
  EXPECT_TRUE(on_b.jails_changed);
  const JailConfig *mine = b->controller->jail("mc-exim-1d");
  ASSERT_NE(mine, nullptr);
  EXPECT_EQ(mine->maxretry, 9);
  EXPECT_EQ(mine->logpath, "/var/log/node-b/mc-exim.log");

  // The same settings again (another node's jail file import): nothing to redo.
  changed.logpath = "/elsewhere/exim.log";
  ASSERT_TRUE(ok(a->store->put_jail(changed)));
  EXPECT_FALSE(poll(*b).jails_changed);
}

TEST_F(Follower, ANodeStartedWithoutItsPositionTakesTheWholeStateOnce) {
  ASSERT_TRUE(ok(a->store->put_ban(ban_row("203.0.113.5", "mc-exim-1d", "node-a", kNow + 600))));
  ASSERT_TRUE(ok(a->store->put_ban(ban_row("203.0.113.6", "mc-ssh-1d", "node-a", kNow - 1))));
  Node late(dir->file("master.sqlite3"), "node-c"); // start() not called: position unknown
  ClusterPoll first = poll(late);
  EXPECT_TRUE(first.caught_up);
  EXPECT_TRUE(late.controller->is_banned("mc-exim-1d", ip("203.0.113.5")));
  EXPECT_FALSE(late.controller->is_banned("mc-ssh-1d", ip("203.0.113.6"))) << "ended already";
  ASSERT_TRUE(late.follower->position());
  ASSERT_TRUE(ok(a->store->unban(ip("203.0.113.5"), "mc-exim-1d")));
  ClusterPoll next = poll(late);
  EXPECT_FALSE(next.caught_up);
  ASSERT_EQ(next.enforce.unbans.size(), 1u);
}

TEST(ExpiryRecords, OnlyTheNodeThatWroteABanRecordsItsExpiry) {
  ManualClock clock(kNow);
  JailControllerOptions o;
  o.node = "node-b";
  JailController c(clock, o);
  c.configure(mailcleaner_default_jails(true));
  c.apply_replicated(ban_row("203.0.113.5", "mc-exim-1d", "node-a", kNow + 60));
  ASSERT_TRUE(ok(c.ban("mc-exim-1d", ip("203.0.113.6"), BanRequest{false, 60})));
  clock.advance(61);
  Decisions d = c.tick();
  ASSERT_EQ(d.unbans.size(), 2u) << "both end on this node on time";
  drop_expiry_records_of_other_nodes(d, "node-b");
  EXPECT_EQ(d.unbans.size(), 2u);
  ASSERT_EQ(d.records.size(), 1u) << "node-a records its own ban's expiry";
  EXPECT_EQ(d.records[0].ip, ip("203.0.113.6"));
  EXPECT_FALSE(d.records[0].active);

  // A manual unban of another node's ban is this node's change: it is recorded.
  c.apply_replicated(ban_row("203.0.113.7", "mc-exim-1d", "node-a", kNow + 600));
  auto manual = c.unban("mc-exim-1d", ip("203.0.113.7"));
  ASSERT_TRUE(ok(manual));
  drop_expiry_records_of_other_nodes(*manual, "node-b");
  EXPECT_EQ(manual->records.size(), 1u);
}

} // namespace
