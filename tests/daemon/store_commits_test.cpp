// SPDX-License-Identifier: GPL-2.0-only
// The daemon's commit thread over a real SQLite store: what is handed over is stored in
// order, each batch's rows with the log positions past its lines, merged batches in one
// transaction; settle() returns once it is all stored; the loop learns which positions
// were saved and which batches (to mail) were stored.
#include <gtest/gtest.h>

#include "tests/fixtures/eventually.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir_fixture.h"
#include "userspace/daemon/after_commits_store.h"
#include "userspace/daemon/store_commits.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

constexpr const char *kJail = "mc-exim-1d";

IpPrefix P(const char *text) {
  return IpPrefix::parse(text).value();
}

Mutation ban(const char *ip) {
  BanRecord b;
  b.ip = P(ip);
  b.jail = kJail;
  b.count = 1;
  b.active = true;
  b.ban_start = 1000;
  b.ban_end = 0;
  return PutBan{b};
}

Decisions decided(const char *ip) {
  Decisions d;
  BanDecision b;
  b.jail = kJail;
  b.prefix = P(ip);
  d.bans.push_back(b);
  return d;
}

class StoreCommitsTest : public TempDirTest {
protected:
  StoreCommitsTest() : TempDirTest("store-commits") {}
  void SetUp() override {
    TempDirTest::SetUp();
    auto s = open_store("sqlite:" + dir->file("state.sqlite3"));
    ASSERT_TRUE(ok(s));
    store = std::move(*s);
    ASSERT_TRUE(ok(store->seed_default_jails()));
    writer.emplace(*store, StoreWriter::Options{});
  }

  std::unique_ptr<StateStore> store;
  std::optional<StoreWriter> writer;
};

TEST_F(StoreCommitsTest, BatchesAndPositionsAreStoredInOrderAndTogether) {
  // A delay far longer than the test: only settle() makes it commit.
  StoreCommits commits(
      *writer, *store, [] { return Seconds(1000); }, StoreCommits::Options{std::chrono::hours(1)});
  commits.commit(decided("198.51.100.1"), {ban("198.51.100.1")}, {{"/log/a", 7, 100, 1}});
  commits.commit({}, {Unban{P("198.51.100.1"), kJail}}, {{"/log/a", 7, 200, 1}});
  commits.commit(decided("198.51.100.2"), {ban("198.51.100.2")},
                 {{"/log/a", 7, 300, 1}, {"/log/b", 9, 50, 2}});
  commits.settle();

  auto done = commits.take_done();
  ASSERT_EQ(done.size(), 1u) << "merged into one commit";
  ASSERT_EQ(done[0].batches.size(), 2u);
  EXPECT_EQ(done[0].batches[0].bans[0].prefix, P("198.51.100.1"));
  EXPECT_EQ(done[0].batches[1].bans[0].prefix, P("198.51.100.2"));
  EXPECT_TRUE(done[0].errors.empty());
  EXPECT_TRUE(done[0].unsaved.empty());
  ASSERT_EQ(done[0].saved.size(), 2u) << "the last position of each file";
  EXPECT_EQ(done[0].saved[0].offset, 300u);
  EXPECT_EQ(done[0].saved[1].offset, 50u);

  // The unban after the ban it lifts; the later ban stored; the positions with them.
  auto a = store->get_ban(P("198.51.100.1"), kJail);
  ASSERT_TRUE(ok(a));
  ASSERT_TRUE(a->has_value());
  EXPECT_FALSE((*a)->active);
  auto b = store->get_ban(P("198.51.100.2"), kJail);
  ASSERT_TRUE(ok(b));
  ASSERT_TRUE(b->has_value());
  EXPECT_TRUE((*b)->active);
  auto pos = store->get_position("/log/a");
  ASSERT_TRUE(ok(pos));
  ASSERT_TRUE(pos->has_value());
  EXPECT_EQ((*pos)->offset, 300u);
  EXPECT_FALSE(commits.done());
}

TEST_F(StoreCommitsTest, TheLoopsOtherStoreUsersSeeWhatWasHandedOver) {
  StoreCommits commits(
      *writer, *store, [] { return Seconds(1000); }, StoreCommits::Options{std::chrono::hours(1)});
  AfterCommitsStore loop_store(*store, [&] { commits.settle(); });
  commits.commit(decided("198.51.100.3"), {ban("198.51.100.3")}, {{"/log/a", 7, 100, 1}});
  // A read through the loop's view waits for the commit handed over before it.
  auto row = loop_store.get_ban(P("198.51.100.3"), kJail);
  ASSERT_TRUE(ok(row));
  ASSERT_TRUE(row->has_value());
  EXPECT_TRUE((*row)->active);
  // A write through it lands after: an unban never before the ban it lifts.
  commits.commit({}, {ban("198.51.100.4")}, {});
  ASSERT_TRUE(ok(loop_store.unban(P("198.51.100.4"), kJail)));
  auto lifted = store->get_ban(P("198.51.100.4"), kJail);
  ASSERT_TRUE(ok(lifted));
  ASSERT_TRUE(lifted->has_value());
  EXPECT_FALSE((*lifted)->active);
}

TEST_F(StoreCommitsTest, WhatIsHandedOverBeforeTheEndIsStored) {
  {
    StoreCommits commits(
        *writer, *store, [] { return Seconds(1000); },
        StoreCommits::Options{std::chrono::hours(1)});
    commits.commit(decided("198.51.100.5"), {ban("198.51.100.5")}, {{"/log/a", 7, 100, 1}});
  }
  auto row = store->get_ban(P("198.51.100.5"), kJail);
  ASSERT_TRUE(ok(row));
  EXPECT_TRUE(row->has_value());
}

TEST_F(StoreCommitsTest, AFullTransactionIsCommittedWithoutWaitingForTheDelay) {
  // A delay far longer than the test: only the bound on rows makes it commit.
  StoreCommits commits(
      *writer, *store, [] { return Seconds(1000); },
      StoreCommits::Options{std::chrono::hours(1), 3});
  commits.commit(decided("198.51.100.6"), {ban("198.51.100.6")}, {});
  commits.commit(decided("198.51.100.7"), {ban("198.51.100.7")}, {});
  commits.commit(decided("198.51.100.8"), {ban("198.51.100.8")}, {{"/log/a", 7, 300, 1}});
  ASSERT_TRUE(eventually([&] { return commits.done(); })) << "three rows: full";
  auto done = commits.take_done();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].batches.size(), 3u);
  ASSERT_EQ(done[0].saved.size(), 1u);
  auto row = store->get_ban(P("198.51.100.8"), kJail);
  ASSERT_TRUE(ok(row));
  EXPECT_TRUE(row->has_value());
}

} // namespace
