// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/store/state_store.h"
#include "userspace/store/store_url.h"

namespace mcf2b::testing {
namespace {

TEST(StoreUrl, ParsesSqlitePaths) {
  for (const char *text : {"sqlite:/var/lib/mcf2b/state.db", "sqlite:///var/lib/mcf2b/state.db"}) {
    auto url = parse_store_url(text);
    ASSERT_TRUE(ok(url)) << text;
    ASSERT_TRUE(std::holds_alternative<SqliteUrl>(*url));
    EXPECT_EQ(std::get<SqliteUrl>(*url).path, "/var/lib/mcf2b/state.db");
  }
  auto relative = parse_store_url("sqlite:state.db");
  ASSERT_TRUE(ok(relative));
  EXPECT_EQ(std::get<SqliteUrl>(*relative).path, "state.db");
}

TEST(StoreUrl, ParsesTheFixturesMariadbUrl) {
  auto url = parse_store_url("mariadb://root@localhost/mc_config?socket=/tmp/x/sock");
  ASSERT_TRUE(ok(url));
  const auto &m = std::get<MariadbUrl>(*url);
  EXPECT_EQ(m.user, "root");
  EXPECT_EQ(m.password, "");
  EXPECT_EQ(m.host, "localhost");
  EXPECT_EQ(m.port, 0u);
  EXPECT_EQ(m.database, "mc_config");
  EXPECT_EQ(m.socket, "/tmp/x/sock");
}

TEST(StoreUrl, ParsesPasswordsPortsIpv6HostsAndTheJournal) {
  auto url = parse_store_url("mariadb://mailcleaner:p%40ss%3Aw@[2001:db8::5]:3307/"
                             "mc_config?journal=/var/lib/mcf2b/journal.db");
  ASSERT_TRUE(ok(url));
  const auto &m = std::get<MariadbUrl>(*url);
  EXPECT_EQ(m.user, "mailcleaner");
  EXPECT_EQ(m.password, "p@ss:w");
  EXPECT_EQ(m.host, "2001:db8::5");
  EXPECT_EQ(m.port, 3307u);
  EXPECT_EQ(m.journal, "/var/lib/mcf2b/journal.db");
  EXPECT_EQ(m.display().find("p@ss"), std::string::npos); // no password in messages
  auto mysql = parse_store_url("mysql://u:pw@db.example:3306/mc_config");
  ASSERT_TRUE(ok(mysql));
  EXPECT_EQ(std::get<MariadbUrl>(*mysql).host, "db.example");
}

TEST(StoreUrl, RejectsMalformedUrlsWithAClearMessage) {
  for (const char *text :
       {"", "sqlite:", "postgres://x/y", "mariadb://root@localhost", "mariadb://root@host/",
        "mariadb://root@host:99999/db", "mariadb://root@host:abc/db",
        "mariadb://root@host/db?socket", "mariadb://root@host/db?colour=blue",
        "mariadb://ro%zzt@host/db", "mariadb://root@[::1/db"}) {
    auto url = parse_store_url(text);
    ASSERT_FALSE(url.ok()) << text;
    EXPECT_NE(url.error().what.find("state URL"), std::string::npos) << url.error().what;
  }
}

TEST(OpenStore, ReportsAnUnusableSqlitePathAsAnError) {
  auto dir = TempDir::create("store-url");
  ASSERT_TRUE(ok(dir));
  // A regular file where the folder should be.
  std::string file = dir->file("plain-file");
  {
    auto made = open_store("sqlite:" + file);
    ASSERT_TRUE(ok(made));
  }
  auto store = open_store("sqlite:" + file + "/state.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message().find("state.db"), std::string::npos)
      << store.error().message();
  auto bad = open_store("nonsense");
  EXPECT_FALSE(bad.ok());
}

} // namespace
} // namespace mcf2b::testing
