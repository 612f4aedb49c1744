// SPDX-License-Identifier: GPL-2.0-only
// A node's read replica: reads go to it, writes and the change log to the master, and
// reads fall back to the master when the replica does not answer. Master and replica
// are two databases of one private server here; the replica's rows are put there as
// replication would.
#include <gtest/gtest.h>

#include "tests/fixtures/mariadb_server.h"
#include "tests/fixtures/requirements.h"
#include "userspace/store/replica_read_store.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

JailConfig jail(const std::string &name, int maxretry) {
  JailConfig j;
  j.name = name;
  j.maxretry = maxretry;
  j.filter = "sshd";
  j.logpath = "/var/log/auth.log";
  j.port = "22";
  return j;
}

TEST(ReplicaReadStore, ReadsTheReplicaWritesTheMasterFallsBackWhenTheReplicaIsGone) {
  auto server = MariadbServer::create();
  ASSERT_TRUE(ok(server));
  // The replica database gets its schema from a first open, as replication would bring
  // it, and a row the master does not have yet (replication lag, seen from the master).
  {
    auto replica = open_store(server->url("mc_replica"), {.node = "node-a"});
    ASSERT_TRUE(ok(replica));
    ASSERT_TRUE(ok((*replica)->put_jail(jail("seen-on-replica", 7))));
  }
  auto store = open_store(server->url("mc_config"),
                          {.node = "node-a", .replica_url = server->url("mc_replica")});
  ASSERT_TRUE(ok(store));
  ASSERT_TRUE(ok((*store)->put_jail(jail("written-by-node", 3))));

  auto jails = (*store)->list_jails();
  ASSERT_TRUE(ok(jails));
  ASSERT_EQ(jails->size(), 1u) << "reads come from the replica";
  EXPECT_EQ(jails->front().name, "seen-on-replica");

  auto master = open_store(server->url("mc_config"), {.node = "checker"});
  ASSERT_TRUE(ok(master));
  auto on_master = (*master)->get_jail("written-by-node");
  ASSERT_TRUE(ok(on_master));
  EXPECT_TRUE(on_master->has_value()) << "writes go to the master";
  auto changes = (*store)->changes_since(0, 100);
  ASSERT_TRUE(ok(changes));
  EXPECT_FALSE(changes->empty()) << "the change log is the master's";

  // The replica goes away: reads fall back to the master.
  auto conn = server->connect();
  ASSERT_TRUE(ok(conn));
  ASSERT_TRUE(ok(MariadbServer::query(conn->get(), "DROP DATABASE mc_replica")));
  auto after = (*store)->get_jail("written-by-node");
  ASSERT_TRUE(ok(after));
  EXPECT_TRUE(after->has_value());
  auto *rr = dynamic_cast<ReplicaReadStore *>(store->get());
  ASSERT_NE(rr, nullptr);
  EXPECT_GE(rr->fallback_reads(), 1u);
}

TEST(ReplicaReadStore, RefusesAReplicaThatIsNotAtTheMastersSchema) {
  auto server = MariadbServer::create();
  ASSERT_TRUE(ok(server));
  auto conn = server->connect("empty_replica");
  ASSERT_TRUE(ok(conn));
  auto store = open_store(server->url("mc_config"),
                          {.node = "node-a", .replica_url = server->url("empty_replica")});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message().find("is it replicating the master?"), std::string::npos)
      << store.error().message();
  auto sqlite = open_store("sqlite:/nonexistent-dir/x.sqlite3",
                           {.node = "n", .replica_url = server->url("mc_config")});
  EXPECT_FALSE(sqlite.ok());
}

} // namespace
