// SPDX-License-Identifier: GPL-2.0-only
// Cluster mode across a real MariaDB outage: the server is killed (SIGKILL) and started
// again on the same data.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>

#include "tests/fixtures/mariadb_server.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/store/journaling_store.h"
#include "userspace/store/mutation_codec.h"
#include "userspace/store/settings.h"

namespace mcf2b::testing {
namespace {

constexpr const char *kDb = "mc_config";

IpPrefix ip(std::string_view text) { return IpPrefix::parse(text).value(); }

BanRecord ban(std::string_view address, std::string jail, int count = 1) {
  return BanRecord{ip(address), std::move(jail), count, true, false, false,
                   1741606078,  "",              1741606078, 1741692478};
}

class JournalingStoreTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto s = MariadbServer::create();
    ASSERT_TRUE(ok(s));
    server_.emplace(std::move(*s));
    auto d = TempDir::create("journal");
    ASSERT_TRUE(ok(d));
    dir_.emplace(std::move(*d));
  }

  // retry_interval 0: every call tries the master, so the test needs no clock.
  std::unique_ptr<JournalingStore> open(const std::string &node) {
    auto s = JournalingStore::open(JournalOptions{.master_url = server_->url(kDb),
                                                  .journal_path = dir_->file(node + ".db"),
                                                  .node = node,
                                                  .retry_interval = std::chrono::milliseconds(0)});
    EXPECT_TRUE(ok(s));
    return s ? std::move(*s) : nullptr;
  }

  // The master itself, as another reader sees it.
  std::unique_ptr<StateStore> master() {
    auto s = open_store(server_->url(kDb), {.node = "reader", .journal_path = {}});
    EXPECT_TRUE(ok(s));
    return s ? std::move(*s) : nullptr;
  }

  long long master_count(const std::string &sql) {
    auto conn = server_->connect(kDb);
    EXPECT_TRUE(ok(conn));
    if (!conn || mysql_query(conn->get(), sql.c_str()) != 0)
      return -1;
    MYSQL_RES *res = mysql_store_result(conn->get());
    MYSQL_ROW row = res ? mysql_fetch_row(res) : nullptr;
    long long n = row && row[0] ? std::stoll(row[0]) : -1;
    if (res)
      mysql_free_result(res);
    return n;
  }

  std::optional<MariadbServer> server_;
  std::optional<TempDir> dir_;
};

TEST_F(JournalingStoreTest, AnOutageLosesNoWriteAndTheReplayAppliesEachOnce) {
  auto store = open("gw1");
  ASSERT_TRUE(store);
  ASSERT_TRUE(ok(store->seed_default_jails()));
  ASSERT_TRUE(ok(store->put_ban(ban("203.0.113.1", "mc-exim-1d"))));
  EXPECT_TRUE(store->state().master_connected);

  server_->kill();
  ASSERT_TRUE(ok(store->put_ban(ban("203.0.113.2", "mc-exim-1d"))));
  ASSERT_TRUE(ok(store->unban(ip("203.0.113.1"), "mc-exim-1d")));
  ASSERT_TRUE(ok(store->add_whitelist(ip("198.51.100.0/24"), "mc-exim")));
  ASSERT_TRUE(ok(store->set_setting(settings::kBlacklistMaxCount, "3")));
  ASSERT_TRUE(ok(store->apply(std::vector<Mutation>{PutBan{ban("203.0.113.3", "mc-ssh-1d")},
                                                    PutBan{ban("203.0.113.3", "mc-ssh-1w")}})));
  auto st = store->state();
  EXPECT_FALSE(st.master_connected);
  EXPECT_EQ(st.journaled, 5u);
  EXPECT_FALSE(st.last_error.empty());

  // Detection and enforcement go on: reads come from the local snapshot, with this
  // node's own writes in it.
  auto jails = store->list_jails();
  ASSERT_TRUE(ok(jails));
  EXPECT_EQ(jails->size(), 15u);
  auto active = store->list_bans({.active_only = true, .jail = {}, .host = {}});
  ASSERT_TRUE(ok(active));
  EXPECT_EQ(active->size(), 3u);
  auto setting = store->get_setting(settings::kBlacklistMaxCount);
  ASSERT_TRUE(ok(setting));
  EXPECT_EQ(setting->value_or(""), "3");
  auto changes = store->changes_since(0, 100);
  ASSERT_FALSE(changes.ok());
  EXPECT_EQ(changes.error().code, kStoreUnreachable);

  ASSERT_TRUE(ok(server_->start()));
  auto left = store->flush();
  ASSERT_TRUE(ok(left));
  EXPECT_EQ(*left, 0u);
  EXPECT_TRUE(store->state().master_connected);
  left = store->flush();
  ASSERT_TRUE(ok(left));
  EXPECT_EQ(*left, 0u);

  // Every write is in the master exactly once, in order.
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM fail2ban_ips"), 5);
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM fail2ban_ips WHERE active = true"), 3);
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM fail2ban_ips WHERE ip = '203.0.113.1'"
                         " AND active = false"),
            1);
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM fail2ban_ips WHERE whitelisted = true"), 1);
  auto m = master();
  ASSERT_TRUE(m);
  auto log = m->changes_since(15, 100); // after the 15 seeded jails
  ASSERT_TRUE(ok(log));
  ASSERT_EQ(log->size(), 7u);
  std::vector<ChangeKind> kinds;
  for (const Change &c : *log) {
    kinds.push_back(c.kind);
    EXPECT_EQ(c.node, "gw1");
  }
  EXPECT_EQ(kinds, (std::vector<ChangeKind>{ChangeKind::ban, ChangeKind::ban, ChangeKind::unban,
                                            ChangeKind::whitelist_add, ChangeKind::setting_put,
                                            ChangeKind::ban, ChangeKind::ban}));
  auto value = m->get_setting(settings::kBlacklistMaxCount);
  ASSERT_TRUE(ok(value));
  EXPECT_EQ(value->value_or(""), "3");
}

TEST_F(JournalingStoreTest, ANodeStartingWhileTheDatabaseIsDownHasItsJailsAndItsJournal) {
  {
    auto store = open("gw1");
    ASSERT_TRUE(store);
    ASSERT_TRUE(ok(store->seed_default_jails()));
  }
  server_->kill();
  {
    auto store = open("gw1"); // a reboot while the database is not ready
    ASSERT_TRUE(store);
    EXPECT_FALSE(store->state().master_connected);
    auto jails = store->list_jails();
    ASSERT_TRUE(ok(jails));
    EXPECT_EQ(jails->size(), 15u);
    ASSERT_TRUE(ok(store->put_ban(ban("203.0.113.9", "mc-webauth-1d"))));
    EXPECT_EQ(store->state().journaled, 1u);
  }
  {
    auto store = open("gw1"); // and another, still down: the journal is on disk
    ASSERT_TRUE(store);
    EXPECT_EQ(store->state().journaled, 1u);
    ASSERT_TRUE(ok(store->put_ban(ban("203.0.113.10", "mc-webauth-1d"))));
    ASSERT_TRUE(ok(server_->start()));
    auto left = store->flush();
    ASSERT_TRUE(ok(left));
    EXPECT_EQ(*left, 0u);
  }
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM fail2ban_ips WHERE jail = 'mc-webauth-1d'"
                         " AND active = true"),
            2);
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM mcf2b_changes WHERE kind = 1"), 2);
}

TEST_F(JournalingStoreTest, ANodeFirstStartedDuringAnOutageSeedsTheMasterWhenItReturns) {
  server_->kill();
  auto store = open("gw1");
  ASSERT_TRUE(store);
  auto seeded = store->seed_default_jails();
  ASSERT_TRUE(ok(seeded));
  EXPECT_TRUE(*seeded);
  auto jails = store->list_jails();
  ASSERT_TRUE(ok(jails));
  EXPECT_EQ(jails->size(), 15u);
  ASSERT_TRUE(ok(server_->start()));
  ASSERT_TRUE(ok(store->flush()));
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM fail2ban_jail"), 15);
}

TEST_F(JournalingStoreTest, AReplayedWriteTheMasterAlreadyCommittedIsSkipped) {
  auto store = open("gw1");
  ASSERT_TRUE(store);
  server_->kill();
  ASSERT_TRUE(ok(store->put_ban(ban("203.0.113.5", "mc-exim-1d", 1))));
  ASSERT_TRUE(ok(server_->start()));

  // The first attempt had reached the master, whose answer was lost with the
  // connection: the master already holds the batch under this node's number.
  sqlite3 *db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_->file("gw1.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt *stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT client_seq, batch FROM mcf2b_journal", -1, &stmt,
                               nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  int64_t seq = sqlite3_column_int64(stmt, 0);
  std::string text = reinterpret_cast<const char *>(sqlite3_column_text(stmt, 1));
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  auto batch = decode_batch(text);
  ASSERT_TRUE(ok(batch));
  auto direct = MariadbStore::open(server_->url(kDb), "gw1");
  ASSERT_TRUE(ok(direct));
  auto applied = (*direct)->apply_once(*batch, store->writer(), seq);
  ASSERT_TRUE(ok(applied));
  EXPECT_TRUE(*applied);

  auto left = store->flush();
  ASSERT_TRUE(ok(left));
  EXPECT_EQ(*left, 0u);
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM mcf2b_changes"), 1);
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM fail2ban_ips"), 1);
  EXPECT_EQ(store->state().rejected, 0u);
}

TEST_F(JournalingStoreTest, AnUnreadableJournalEntryIsSetAsideAndTheRestReplays) {
  auto store = open("gw1");
  ASSERT_TRUE(store);
  server_->kill();
  ASSERT_TRUE(ok(store->put_ban(ban("203.0.113.5", "mc-exim-1d"))));
  ASSERT_TRUE(ok(store->put_ban(ban("203.0.113.6", "mc-exim-1d"))));
  sqlite3 *db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_->file("gw1.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE mcf2b_journal SET batch = 'garbage' WHERE client_seq ="
                         " (SELECT MIN(client_seq) FROM mcf2b_journal)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  ASSERT_TRUE(ok(server_->start()));
  auto left = store->flush();
  ASSERT_TRUE(ok(left));
  EXPECT_EQ(*left, 0u);
  auto st = store->state();
  EXPECT_EQ(st.rejected, 1u);
  EXPECT_NE(st.last_error.find("journal line"), std::string::npos) << st.last_error;
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM fail2ban_ips WHERE ip = '203.0.113.6'"), 1);
}

TEST_F(JournalingStoreTest, TwoNodesBanThroughAnOutageAndSeeEachOthersBansOnce) {
  auto a = open("gw1");
  auto b = open("gw2");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(ok(a->seed_default_jails()));
  server_->kill();
  // Both nodes ban, some of the same addresses (one row per (ip, jail) either way).
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(ok(a->put_ban(ban("198.51.100." + std::to_string(i), "mc-exim-1d"))));
    ASSERT_TRUE(ok(b->put_ban(ban("198.51.100." + std::to_string(i + 10), "mc-exim-1d"))));
  }
  ASSERT_TRUE(ok(server_->start()));
  ASSERT_TRUE(ok(a->flush()));
  ASSERT_TRUE(ok(b->flush()));
  EXPECT_EQ(a->state().journaled + b->state().journaled, 0u);
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM fail2ban_ips"), 30);
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM mcf2b_changes WHERE kind = 1"), 40);
  EXPECT_EQ(master_count("SELECT COUNT(*) FROM mcf2b_changes WHERE node = 'gw1'"), 35);

  // gw2 applies the cluster's changes; they land in its snapshot too, so its next
  // outage still shows gw1's bans.
  auto changes = b->changes_since(15, 1000);
  ASSERT_TRUE(ok(changes));
  ASSERT_EQ(changes->size(), 40u);
  std::set<std::string> from_a;
  for (const Change &c : *changes)
    if (c.node == "gw1")
      from_a.insert(c.row.ip.to_string());
  EXPECT_EQ(from_a.size(), 20u);
  server_->kill();
  auto local = b->list_bans({.active_only = true, .jail = "mc-exim-1d", .host = {}});
  ASSERT_TRUE(ok(local));
  EXPECT_EQ(local->size(), 30u);
  ASSERT_TRUE(ok(server_->start()));
}


TEST_F(JournalingStoreTest, TheMailSettingsReachEveryNodeAndSurviveAnOutage) {
  auto gw1 = open("gw1");
  auto gw2 = open("gw2");
  ASSERT_TRUE(gw1 && gw2);
  MailConf conf{"fail2ban@gw1.example.com", "MailCleaner", "admin@example.com"};
  ASSERT_TRUE(ok(gw1->put_mail_conf(conf)));
  // gw2 follows the change log, as its daemon does; its snapshot takes the row.
  auto changes = gw2->changes_since(0, 100);
  ASSERT_TRUE(ok(changes));
  ASSERT_FALSE(changes->empty());
  EXPECT_EQ(changes->back().kind, ChangeKind::mail_conf_put);
  server_->kill();
  auto seen = gw2->get_mail_conf(); // from its snapshot now
  ASSERT_TRUE(ok(seen));
  EXPECT_EQ(*seen, conf);
  // A change during the outage is journaled and reaches the master when it is back.
  conf.dest_email = "security@example.com";
  ASSERT_TRUE(ok(gw2->put_mail_conf(conf)));
  ASSERT_TRUE(ok(server_->start()));
  auto left = gw2->flush();
  ASSERT_TRUE(ok(left));
  EXPECT_EQ(*left, 0u);
  auto m = master();
  ASSERT_TRUE(m);
  auto on_master = m->get_mail_conf();
  ASSERT_TRUE(ok(on_master));
  EXPECT_EQ(on_master->dest_email, "security@example.com");
}

} // namespace

} // namespace mcf2b::testing
