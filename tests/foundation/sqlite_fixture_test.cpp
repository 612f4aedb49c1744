// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"

using mcf2b::testing::ok;
using mcf2b::testing::TempSqlite;

namespace {

TEST(TempSqlite, IsAPrivateWritableDatabaseRemovedAfterwards) {
  std::string path;
  {
    auto db = TempSqlite::create();
    ASSERT_TRUE(ok(db));
    path = db->path();
    char *err = nullptr;
    ASSERT_EQ(sqlite3_exec(db->db(),
                           "CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (41), (1);", nullptr,
                           nullptr, &err),
              SQLITE_OK)
        << (err ? err : "");
    sqlite3_stmt *stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db->db(), "SELECT sum(x) FROM t", -1, &stmt, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(stmt, 0), 42);
    sqlite3_finalize(stmt);
    EXPECT_EQ(::access(path.c_str(), F_OK), 0);
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

} // namespace
