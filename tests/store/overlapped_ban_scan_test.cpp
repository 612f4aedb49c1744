// SPDX-License-Identifier: GPL-2.0-only
// scan_bans_overlapped() hands over every row, in the store's order, across many batches,
// and reports a failed read.
#include "userspace/store/overlapped_ban_scan.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"

namespace mcf2b {
namespace {

using testing::ok;

IpPrefix address(uint32_t i) { return IpPrefix::host(IpAddress::v4((198u << 24 | 18u << 16) + i)); }

TEST(OverlappedBanScan, EveryRowInTheStoresOrderAcrossBatches) {
  auto dir = testing::TempDir::create("overlapped-scan");
  ASSERT_TRUE(ok(dir));
  auto store = open_store("sqlite:" + dir->file("state.sqlite3"), StoreOptions{"node-a"});
  ASSERT_TRUE(ok(store));
  constexpr uint32_t kRows = 20000; // several batches and a partial last one
  std::vector<Mutation> batch;
  for (uint32_t i = 0; i < kRows; ++i) {
    BanRecord r;
    r.ip = address(i);
    r.jail = i % 3 == 0 ? "mc-ssh-1d" : "mc-exim-1w-with-a-name-longer-than-sso";
    r.count = static_cast<int>(i % 7) + 1;
    r.active = i % 2 == 0;
    r.ban_start = 1000 + i;
    r.ban_end = 2000 + i;
    batch.emplace_back(PutBan{r});
  }
  ASSERT_TRUE(ok((*store)->apply(batch)));

  uint32_t seen = 0;
  bool in_order = true;
  auto st = scan_bans_overlapped(**store, BanQuery{}, [&](const BanRecord &r) {
    in_order = in_order && r.ip == address(seen) && r.ban_start == 1000 + seen &&
               r.ban_end == 2000 + seen && r.active == (seen % 2 == 0) &&
               r.jail == (seen % 3 == 0 ? "mc-ssh-1d" : "mc-exim-1w-with-a-name-longer-than-sso");
    ++seen;
  });
  ASSERT_TRUE(ok(st));
  EXPECT_EQ(seen, kRows);
  EXPECT_TRUE(in_order);

  seen = 0;
  BanQuery active;
  active.active_only = true;
  ASSERT_TRUE(ok(scan_bans_overlapped(**store, active, [&](const BanRecord &) { ++seen; })));
  EXPECT_EQ(seen, kRows / 2);
}

TEST(OverlappedBanScan, AFailedReadIsReported) {
  auto dir = testing::TempDir::create("overlapped-scan");
  ASSERT_TRUE(ok(dir));
  const std::string path = dir->file("state.sqlite3");
  auto store = open_store("sqlite:" + path, StoreOptions{"node-a"});
  ASSERT_TRUE(ok(store));
  BanRecord r;
  r.ip = address(1);
  r.jail = "mc-ssh-1d";
  r.active = true;
  ASSERT_TRUE(ok((*store)->put_ban(r)));
  // The table goes away under the store: its next read fails.
  sqlite3 *db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE fail2ban_ips", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  size_t seen = 0;
  auto st = scan_bans_overlapped(**store, BanQuery{}, [&](const BanRecord &) { ++seen; });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(seen, 0u);
}

} // namespace
} // namespace mcf2b
