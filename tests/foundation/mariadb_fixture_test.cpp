// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include "tests/fixtures/mariadb_server.h"
#include "tests/fixtures/requirements.h"

using namespace mcf2b::testing;

namespace {

long long count_rows(MYSQL *conn) {
  if (mysql_query(conn, "SELECT COUNT(*) FROM t") != 0)
    return -1;
  MYSQL_RES *res = mysql_store_result(conn);
  MYSQL_ROW row = mysql_fetch_row(res);
  long long n = row && row[0] ? std::stoll(row[0]) : -1;
  mysql_free_result(res);
  return n;
}

TEST(MariadbServer, StartsPrivatelyKeepsDataAcrossAKillAndStops) {
  auto server = MariadbServer::create();
  ASSERT_TRUE(ok(server));
  {
    auto conn = server->connect("mc_config");
    ASSERT_TRUE(ok(conn));
    ASSERT_TRUE(ok(MariadbServer::query(conn->get(), "CREATE TABLE t (x INT) ENGINE=InnoDB")));
    ASSERT_TRUE(ok(MariadbServer::query(conn->get(), "INSERT INTO t VALUES (1), (2)")));
    EXPECT_EQ(count_rows(conn->get()), 2);
  }
  server->kill();
  EXPECT_FALSE(server->running());
  EXPECT_FALSE(server->connect().ok());
  ASSERT_TRUE(ok(server->start()));
  auto conn = server->connect("mc_config");
  ASSERT_TRUE(ok(conn));
  EXPECT_EQ(count_rows(conn->get()), 2);
  EXPECT_NE(server->url("mc_config").find(server->socket_path()), std::string::npos);
  ASSERT_TRUE(ok(server->stop()));
}

} // namespace
