// SPDX-License-Identifier: GPL-2.0-only
// Opening a MailCleaner mc_config database created with MailCleaner's original table
// definitions and rows (duplicates included), on every back end.
#include "tests/store/backend_under_test.h"

namespace mcf2b::testing {
namespace {

class MigrationSuite : public StoreTest {
protected:
  // MailCleaner's tables as shipped, and rows as a MailCleaner cluster leaves them:
  // three rows for one (ip, jail) written by two nodes, an IPv4-mapped duplicate, a
  // whitelist row, a blacklisted IPv6 row and a row whose ip is not an address.
  void create_mailcleaner_database() {
    for (const std::string &sql : backend_->mailcleaner_original_schema())
      ASSERT_TRUE(ok(backend_->raw_exec(sql))) << sql;
    const char *jails =
        "INSERT INTO fail2ban_jail (enabled, name, maxretry, findtime, bantime, port, filter,"
        " banaction, logpath, max_count, send_mail, send_mail_bl) VALUES"
        " (1, 'mc-exim-1d', 5, 3600, 86400, '25,465,587', 'mc-exim-filter', 'mc-ipset',"
        "  '/var/mailcleaner/log/exim_stage1/rejectlog', 3, 0, 1),"
        " (1, 'mc-exim-1y', 20, 5356800, 20586000, '25,465,587', 'mc-exim-filter', 'mc-ipset',"
        "  '/var/mailcleaner/log/exim_stage1/rejectlog', 3, 0, 1),"
        " (1, 'mc-exim-bl', 1, 1, -1, '25,465,587', 'mc-exim-filter', 'mc-ipset',"
        "  '/var/mailcleaner/log/exim_stage1/rejectlog', -1, 0, 1),"
        " (0, 'mc-ssh-1d', 3, 3600, 86400, '22', 'sshd', 'mc-custom', '/var/log/auth.log', 0,"
        "  0, 1)";
    ASSERT_TRUE(ok(backend_->raw_exec(jails)));
    const char *ips =
        "INSERT INTO fail2ban_ips (ip, count, active, blacklisted, whitelisted, jail, last_hit,"
        " host) VALUES"
        " ('203.0.113.5', 1, 1, 0, 0, 'mc-exim-1d', '2025-03-10 11:27:58', 'mc1'),"
        " ('203.0.113.5', 2, 0, 0, 0, 'mc-exim-1d', '2025-03-09 10:00:00', 'mc2'),"
        " ('203.0.113.5', 1, 0, 0, 0, 'mc-exim-1d', '2025-03-08 10:00:00', 'mc1'),"
        " ('198.51.100.7', 1, 1, 0, 0, 'mc-ssh-1d', '2025-03-10 08:00:00', 'mc2'),"
        " ('::ffff:198.51.100.7', 3, 0, 0, 0, 'mc-ssh-1d', '2025-03-10 09:00:00', 'mc3'),"
        " ('192.0.2.9', 0, 0, 0, 1, 'mc-exim-1d', '2025-03-01 00:00:00', 'mc1'),"
        " ('2001:db8::1', 4, 1, 1, 0, 'mc-exim-bl', '2025-03-10 12:00:00', 'mc1'),"
        " ('not-an-address', 1, 0, 0, 0, 'mc-exim-1d', '2025-03-10 12:00:00', 'mc1')";
    ASSERT_TRUE(ok(backend_->raw_exec(ips)));
    ASSERT_TRUE(ok(backend_->raw_exec(
        "INSERT INTO fail2ban_conf (src_email, src_name, dest_email) VALUES"
        " ('mc@example.com', 'MailCleaner', 'admin@example.com')")));
  }
};

IpPrefix ip(std::string_view text) { return IpPrefix::parse(text).value(); }

TEST_P(MigrationSuite, MergesDuplicateRowsAndKeepsEveryMailCleanerReaderWorking) {
  create_mailcleaner_database();
  auto store = open("gw1");
  ASSERT_TRUE(store);

  // One row per (ip, jail); the unreadable row is left as it was.
  EXPECT_EQ(raw_single("SELECT COUNT(*) FROM fail2ban_ips"), "5");
  auto exim = store->get_ban(ip("203.0.113.5"), "mc-exim-1d");
  ASSERT_TRUE(ok(exim));
  ASSERT_TRUE(exim->has_value());
  EXPECT_EQ((*exim)->count, 2);
  EXPECT_TRUE((*exim)->active);
  EXPECT_EQ((*exim)->host, "mc1"); // the row with the latest hit
  EXPECT_EQ((*exim)->last_hit, 1741606078);
  // MailCleaner's rows carry no end: it is last_hit + the jail's bantime.
  EXPECT_EQ((*exim)->ban_start, 1741606078);
  EXPECT_EQ((*exim)->ban_end, 1741606078 + 86400);

  auto ssh = store->get_ban(ip("198.51.100.7"), "mc-ssh-1d");
  ASSERT_TRUE(ok(ssh));
  ASSERT_TRUE(ssh->has_value());
  EXPECT_EQ((*ssh)->count, 3);
  EXPECT_TRUE((*ssh)->active);
  EXPECT_EQ((*ssh)->host, "mc3");
  EXPECT_EQ(raw_single("SELECT COUNT(*) FROM fail2ban_ips WHERE ip LIKE '::ffff:%'"), "0");

  auto bl = store->get_ban(ip("2001:db8::1"), "mc-exim-bl");
  ASSERT_TRUE(ok(bl));
  ASSERT_TRUE(bl->has_value());
  EXPECT_TRUE((*bl)->blacklisted);
  EXPECT_TRUE((*bl)->permanent());

  auto whitelist = store->list_whitelist("mc-exim-1d");
  ASSERT_TRUE(ok(whitelist));
  ASSERT_EQ(whitelist->size(), 1u);
  EXPECT_EQ((*whitelist)[0].ip, ip("192.0.2.9"));

  // MailCleaner's "show all banned IPs on all servers" still reads the same table.
  auto active = backend_->raw_query("SELECT * FROM fail2ban_ips WHERE active=true");
  ASSERT_TRUE(ok(active));
  EXPECT_EQ(active->size(), 3u);
  auto hosts = backend_->raw_query(
      "SELECT ip, host FROM fail2ban_ips WHERE active=true ORDER BY ip");
  ASSERT_TRUE(ok(hosts));
  ASSERT_EQ(hosts->size(), 3u);
  EXPECT_EQ((*hosts)[0], (std::vector<std::string>{"198.51.100.7", "mc3"}));

  // MailCleaner's jails and conf are untouched and the defaults are not seeded over them.
  auto seeded = store->seed_default_jails();
  ASSERT_TRUE(ok(seeded));
  EXPECT_FALSE(*seeded);
  auto jails = store->list_jails();
  ASSERT_TRUE(ok(jails));
  ASSERT_EQ(jails->size(), 4u);
  auto y = store->get_jail("mc-exim-1y");
  ASSERT_TRUE(ok(y));
  EXPECT_EQ((*y)->bantime, 20586000);
  auto ssh_jail = store->get_jail("mc-ssh-1d");
  ASSERT_TRUE(ok(ssh_jail));
  EXPECT_FALSE((*ssh_jail)->enabled);
  EXPECT_EQ((*ssh_jail)->banaction, "mc-custom");
  EXPECT_EQ(raw_single("SELECT src_name FROM fail2ban_conf"), "MailCleaner");

  // Uniqueness now holds for MailCleaner's own writers too.
  EXPECT_FALSE(backend_->raw_exec(
                          "INSERT INTO fail2ban_ips (ip, count, active, jail, host) VALUES"
                          " ('203.0.113.5', 1, 1, 'mc-exim-1d', 'mc2')")
                   .ok());
  // A MailCleaner-style insert of a new row (no mcf2b columns) still works.
  EXPECT_TRUE(ok(backend_->raw_exec(
      "INSERT INTO fail2ban_ips (ip, count, active, jail, host) VALUES"
      " ('203.0.113.77', 1, 1, 'mc-exim-1d', 'mc2')")));

  // And the store keeps writing the merged row.
  BanRecord again = **exim;
  again.count = 3;
  ASSERT_TRUE(ok(store->put_ban(again)));
  EXPECT_EQ(raw_single("SELECT count FROM fail2ban_ips WHERE ip = '203.0.113.5'"), "3");
}

TEST_P(MigrationSuite, RunsOnceAndIsIdempotentOnEveryLaterOpen) {
  create_mailcleaner_database();
  {
    auto store = open("gw1");
    ASSERT_TRUE(store);
    ASSERT_TRUE(ok(store->put_ban(BanRecord{ip("192.0.2.1"), "mc-exim-1d", 1, true, false,
                                            false, 100, "", 100, 200})));
  }
  auto before = backend_->raw_query("SELECT id, ip, jail, count, active, host, ban_start,"
                                    " ban_end FROM fail2ban_ips ORDER BY id");
  ASSERT_TRUE(ok(before));
  for (int i = 0; i < 2; ++i) {
    auto store = open("gw2");
    ASSERT_TRUE(store);
  }
  auto after = backend_->raw_query("SELECT id, ip, jail, count, active, host, ban_start,"
                                   " ban_end FROM fail2ban_ips ORDER BY id");
  ASSERT_TRUE(ok(after));
  EXPECT_EQ(*before, *after);
  EXPECT_EQ(raw_single("SELECT version FROM mcf2b_schema"), "3");
  EXPECT_EQ(raw_single("SELECT seq FROM mcf2b_change_seq"), "1");
}

TEST_P(MigrationSuite, CreatesTheWholeSchemaInAnEmptyDatabase) {
  auto store = open();
  ASSERT_TRUE(store);
  for (const char *table : {"fail2ban_jail", "fail2ban_ips", "fail2ban_conf", "mcf2b_settings",
                            "mcf2b_changes", "mcf2b_change_seq", "mcf2b_positions",
                            "mcf2b_node_ops", "mcf2b_schema"})
    EXPECT_TRUE(ok(backend_->raw_query(std::string("SELECT COUNT(*) FROM ") + table)))
        << table;
  EXPECT_EQ(raw_single("SELECT version FROM mcf2b_schema"), "3");
}

INSTANTIATE_TEST_SUITE_P(Store, MigrationSuite, ::testing::Values(store_backend()),
                         backend_name);

} // namespace
} // namespace mcf2b::testing
