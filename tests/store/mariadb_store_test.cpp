// SPDX-License-Identifier: GPL-2.0-only
// What only a server can do: be away, and come back.
#include <gtest/gtest.h>

#include "tests/fixtures/mariadb_server.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/store/state_store.h"

namespace mcf2b::testing {
namespace {

IpPrefix ip(std::string_view text) { return IpPrefix::parse(text).value(); }

TEST(MariadbStore, AnUnreachableServerIsAnErrorThatSaysSo) {
  auto dir = TempDir::create("nodb");
  ASSERT_TRUE(ok(dir));
  auto store = open_store("mariadb://root@localhost/mc_config?socket=" + dir->file("no.sock"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, kStoreUnreachable);
  EXPECT_NE(store.error().what.find("connect to MariaDB"), std::string::npos)
      << store.error().what;
}

TEST(MariadbStore, CreatesAMissingDatabase) {
  auto server = MariadbServer::create();
  ASSERT_TRUE(ok(server));
  auto store = open_store(server->url("brand_new"));
  ASSERT_TRUE(ok(store));
  auto jails = (*store)->list_jails();
  ASSERT_TRUE(ok(jails));
  EXPECT_TRUE(jails->empty());
}

TEST(MariadbStore, ReportsAnOutageAndReconnectsWhenTheServerIsBack) {
  auto server = MariadbServer::create();
  ASSERT_TRUE(ok(server));
  auto store = open_store(server->url("mc_config"), {.node = "gw1", .journal_path = {}});
  ASSERT_TRUE(ok(store));
  BanRecord b{ip("203.0.113.5"), "mc-exim-1d", 1, true, false, false, 100, "", 100, 200};
  ASSERT_TRUE(ok((*store)->put_ban(b)));

  server->kill();
  b.ip = ip("203.0.113.6");
  auto down = (*store)->put_ban(b);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, kStoreUnreachable) << down.error().what;
  auto read = (*store)->list_bans({});
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().code, kStoreUnreachable);

  ASSERT_TRUE(ok(server->start()));
  ASSERT_TRUE(ok((*store)->put_ban(b)));
  auto bans = (*store)->list_bans({});
  ASSERT_TRUE(ok(bans));
  EXPECT_EQ(bans->size(), 2u);
  auto changes = (*store)->changes_since(0, 10);
  ASSERT_TRUE(ok(changes));
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[1].seq, 2);
}

} // namespace
} // namespace mcf2b::testing
