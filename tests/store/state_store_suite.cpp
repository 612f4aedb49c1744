// SPDX-License-Identifier: GPL-2.0-only
// The StateStore contract, run against every back end (see the *_backend.cpp files).
#include <algorithm>
#include <set>
#include <thread>

#include "tests/store/backend_under_test.h"
#include "userspace/store/settings.h"
#include "userspace/store/sql_state_store.h"

namespace mcf2b::testing {
namespace {

class StateStoreSuite : public StoreTest {};

IpPrefix ip(std::string_view text) { return IpPrefix::parse(text).value(); }

BanRecord ban(std::string_view address, std::string jail, int count, Seconds start,
              Seconds end) {
  BanRecord b;
  b.ip = ip(address);
  b.jail = std::move(jail);
  b.count = count;
  b.active = true;
  b.last_hit = start;
  b.ban_start = start;
  b.ban_end = end;
  return b;
}

TEST_P(StateStoreSuite, SeedsMailCleanersFifteenDefaultJailsOnlyIntoAnEmptyTable) {
  auto store = open();
  ASSERT_TRUE(store);
  auto seeded = store->seed_default_jails();
  ASSERT_TRUE(ok(seeded));
  EXPECT_TRUE(*seeded);
  seeded = store->seed_default_jails();
  ASSERT_TRUE(ok(seeded));
  EXPECT_FALSE(*seeded);

  auto jails = store->list_jails();
  ASSERT_TRUE(ok(jails));
  ASSERT_EQ(jails->size(), 15u);
  auto y = store->get_jail("mc-exim-1y");
  ASSERT_TRUE(ok(y));
  ASSERT_TRUE(y->has_value());
  EXPECT_EQ((*y)->bantime, 31536000);
  EXPECT_EQ((*y)->maxretry, 20);
  EXPECT_EQ((*y)->port, "25,465,587");
  EXPECT_EQ((*y)->banaction, "mc-ipset");
  EXPECT_FALSE((*y)->enabled);
  // MailCleaner's own reader sees the rows.
  EXPECT_EQ(raw_single("SELECT COUNT(*) FROM fail2ban_jail WHERE name LIKE 'mc-%'"), "15");
  auto changes = store->changes_since(0, 100);
  ASSERT_TRUE(ok(changes));
  EXPECT_EQ(changes->size(), 15u);
}

TEST_P(StateStoreSuite, AddsUpdatesAndRemovesJailsWithEveryColumn) {
  auto store = open();
  ASSERT_TRUE(store);
  JailConfig j;
  j.name = "custom-postfix";
  j.enabled = true;
  j.maxretry = 7;
  j.findtime = 900;
  j.bantime = -1;
  j.port = "25,587";
  j.filter = "postfix";
  j.banaction = "mc-custom";
  j.logpath = "/var/log/mail.log";
  j.max_count = 3;
  j.send_mail = true;
  j.send_mail_bl = false;
  ASSERT_TRUE(ok(store->put_jail(j)));
  auto got = store->get_jail("custom-postfix");
  ASSERT_TRUE(ok(got));
  ASSERT_TRUE(got->has_value());
  const JailConfig &g = **got;
  EXPECT_EQ(g.name, j.name);
  EXPECT_TRUE(g.enabled);
  EXPECT_EQ(g.maxretry, 7);
  EXPECT_EQ(g.findtime, 900);
  EXPECT_EQ(g.bantime, -1);
  EXPECT_EQ(g.port, "25,587");
  EXPECT_EQ(g.filter, "postfix");
  EXPECT_EQ(g.banaction, "mc-custom");
  EXPECT_EQ(g.logpath, "/var/log/mail.log");
  EXPECT_EQ(g.max_count, 3);
  EXPECT_TRUE(g.send_mail);
  EXPECT_FALSE(g.send_mail_bl);

  j.maxretry = 9;
  j.enabled = false;
  ASSERT_TRUE(ok(store->put_jail(j)));
  got = store->get_jail("custom-postfix");
  ASSERT_TRUE(ok(got));
  EXPECT_EQ((*got)->maxretry, 9);
  EXPECT_FALSE((*got)->enabled);
  EXPECT_EQ(raw_single("SELECT COUNT(*) FROM fail2ban_jail"), "1");

  ASSERT_TRUE(ok(store->remove_jail("custom-postfix")));
  got = store->get_jail("custom-postfix");
  ASSERT_TRUE(ok(got));
  EXPECT_FALSE(got->has_value());
}

TEST_P(StateStoreSuite, KeepsOneRowPerAddressAndJailWithTheBansEndTime) {
  auto store = open("gw1");
  ASSERT_TRUE(store);
  ASSERT_TRUE(ok(store->put_ban(ban("203.0.113.5", "mc-exim-1d", 1, 1741606078, 1741692478))));
  BanRecord again = ban("203.0.113.5", "mc-exim-1d", 2, 1741700000, 1741786400);
  ASSERT_TRUE(ok(store->put_ban(again)));
  ASSERT_TRUE(ok(store->put_ban(ban("203.0.113.5", "mc-exim-1w", 1, 1741700000, 1742304800))));

  EXPECT_EQ(raw_single("SELECT COUNT(*) FROM fail2ban_ips WHERE ip = '203.0.113.5'"
                       " AND jail = 'mc-exim-1d'"),
            "1");
  auto got = store->get_ban(ip("203.0.113.5"), "mc-exim-1d");
  ASSERT_TRUE(ok(got));
  ASSERT_TRUE(got->has_value());
  const BanRecord &b = **got;
  EXPECT_EQ(b.count, 2);
  EXPECT_TRUE(b.active);
  EXPECT_FALSE(b.blacklisted);
  EXPECT_FALSE(b.whitelisted);
  EXPECT_EQ(b.last_hit, 1741700000);
  EXPECT_EQ(b.host, "gw1"); // the writing node, as MailCleaner's readers expect
  EXPECT_EQ(b.ban_start, 1741700000);
  EXPECT_EQ(b.ban_end, 1741786400);
  // MailCleaner's "show all banned IPs on all servers".
  auto rows = backend_->raw_query("SELECT ip, jail, host FROM fail2ban_ips WHERE active=true"
                                  " ORDER BY jail");
  ASSERT_TRUE(ok(rows));
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0], (std::vector<std::string>{"203.0.113.5", "mc-exim-1d", "gw1"}));
}

TEST_P(StateStoreSuite, StoresIpv6AddressesPrefixesAndPermanentBans) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(ok(store->put_ban(ban("2001:db8::1", "mc-ssh-1d", 1, 100, 200))));
  ASSERT_TRUE(ok(store->put_ban(ban("198.51.100.0/24", "mc-ssh-1d", 1, 100, 0))));
  ASSERT_TRUE(ok(store->put_ban(ban("2001:db8:18::/48", "mc-ssh-bl", 1, 100, 0))));
  auto v6 = store->get_ban(ip("2001:db8::1"), "mc-ssh-1d");
  ASSERT_TRUE(ok(v6));
  ASSERT_TRUE(v6->has_value());
  EXPECT_EQ((*v6)->ip, ip("2001:db8::1"));
  auto net = store->get_ban(ip("198.51.100.0/24"), "mc-ssh-1d");
  ASSERT_TRUE(ok(net));
  ASSERT_TRUE(net->has_value());
  EXPECT_TRUE((*net)->permanent());
  EXPECT_EQ((*net)->ip.length(), 24u);
  auto all = store->list_bans({});
  ASSERT_TRUE(ok(all));
  EXPECT_EQ(all->size(), 3u);
}

TEST_P(StateStoreSuite, UnbanKeepsTheCountAndListsFilterByStateJailAndNode) {
  auto a = open("gw1");
  auto b = open("gw2");
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(ok(a->put_ban(ban("203.0.113.5", "mc-exim-1d", 3, 100, 200))));
  ASSERT_TRUE(ok(a->put_ban(ban("203.0.113.6", "mc-exim-1d", 1, 100, 200))));
  ASSERT_TRUE(ok(b->put_ban(ban("203.0.113.7", "mc-ssh-1d", 1, 100, 200))));
  ASSERT_TRUE(ok(a->unban(ip("203.0.113.6"), "mc-exim-1d")));
  // Unbanning what is not banned is not an error.
  ASSERT_TRUE(ok(a->unban(ip("192.0.2.200"), "mc-exim-1d")));

  auto unbanned = a->get_ban(ip("203.0.113.6"), "mc-exim-1d");
  ASSERT_TRUE(ok(unbanned));
  ASSERT_TRUE(unbanned->has_value());
  EXPECT_FALSE((*unbanned)->active);
  EXPECT_EQ((*unbanned)->count, 1);

  // list_bans, scan_bans and count_bans agree on every filter.
  auto count = [&](const BanQuery &q) {
    auto r = a->list_bans(q);
    EXPECT_TRUE(ok(r));
    size_t scanned = 0;
    EXPECT_TRUE(ok(a->scan_bans(q, [&](const BanRecord &) { ++scanned; })));
    auto counted = a->count_bans(q);
    EXPECT_TRUE(ok(counted));
    if (!r || !counted || *counted != r->size() || scanned != r->size())
      return size_t{999};
    return r->size();
  };
  EXPECT_EQ(count({}), 3u);
  EXPECT_EQ(count({.active_only = true, .jail = {}, .host = {}}), 2u);
  EXPECT_EQ(count({.active_only = false, .jail = "mc-exim-1d", .host = {}}), 2u);
  EXPECT_EQ(count({.active_only = true, .jail = "mc-exim-1d", .host = {}}), 1u);
  EXPECT_EQ(count({.active_only = false, .jail = {}, .host = "gw2"}), 1u);
  EXPECT_EQ(count({.active_only = true, .jail = "mc-ssh-1d", .host = "gw1"}), 0u);
}

TEST_P(StateStoreSuite, WhitelistingLiftsTheBanAndAcceptsPrefixesAndFamilyRoots) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(ok(store->put_ban(ban("203.0.113.5", "mc-exim-1d", 2, 100, 200))));
  ASSERT_TRUE(ok(store->add_whitelist(ip("203.0.113.5"), "mc-exim-1d")));
  ASSERT_TRUE(ok(store->add_whitelist(ip("198.51.100.0/24"), "mc-exim")));
  ASSERT_TRUE(ok(store->add_whitelist(ip("2001:db8:18::/48"), "mc-ssh-1d")));

  auto row = store->get_ban(ip("203.0.113.5"), "mc-exim-1d");
  ASSERT_TRUE(ok(row));
  EXPECT_FALSE((*row)->active);
  EXPECT_TRUE((*row)->whitelisted);
  EXPECT_EQ((*row)->count, 2);

  auto all = store->list_whitelist("");
  ASSERT_TRUE(ok(all));
  EXPECT_EQ(all->size(), 3u);
  auto family = store->list_whitelist("mc-exim");
  ASSERT_TRUE(ok(family));
  ASSERT_EQ(family->size(), 1u);
  EXPECT_EQ((*family)[0].ip, ip("198.51.100.0/24"));
  EXPECT_EQ((*family)[0].host, "node-a");

  ASSERT_TRUE(ok(store->remove_whitelist(ip("198.51.100.0/24"), "mc-exim")));
  ASSERT_TRUE(ok(store->remove_whitelist(ip("203.0.113.5"), "mc-exim-1d")));
  all = store->list_whitelist("");
  ASSERT_TRUE(ok(all));
  EXPECT_EQ(all->size(), 1u);
  // The ban history of a formerly whitelisted address stays; a whitelist-only row goes.
  row = store->get_ban(ip("203.0.113.5"), "mc-exim-1d");
  ASSERT_TRUE(ok(row));
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ((*row)->count, 2);
  EXPECT_EQ(raw_single("SELECT COUNT(*) FROM fail2ban_ips WHERE ip = '198.51.100.0/24'"), "0");
}

TEST_P(StateStoreSuite, SettingsAreKeyValuePairs) {
  auto store = open();
  ASSERT_TRUE(store);
  auto missing = store->get_setting(settings::kBlacklistMaxCount);
  ASSERT_TRUE(ok(missing));
  EXPECT_FALSE(missing->has_value());
  ASSERT_TRUE(ok(store->set_setting(settings::kBlacklistEnabled, "1")));
  ASSERT_TRUE(ok(store->set_setting(settings::kBlacklistMaxCount, "3")));
  ASSERT_TRUE(ok(store->set_setting(settings::kBlacklistMaxCount, "5")));
  ASSERT_TRUE(ok(store->set_setting(settings::kIgnoreIp, "192.0.2.0/24 2001:db8::/32")));
  auto value = store->get_setting(settings::kBlacklistMaxCount);
  ASSERT_TRUE(ok(value));
  EXPECT_EQ(value->value_or(""), "5");
  auto all = store->list_settings();
  ASSERT_TRUE(ok(all));
  EXPECT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[std::string(settings::kIgnoreIp)], "192.0.2.0/24 2001:db8::/32");
}

TEST_P(StateStoreSuite, LogPositionsArePerNodeAndKeepFull64BitValues) {
  auto a = open("gw1");
  auto b = open("gw2");
  ASSERT_TRUE(a && b);
  LogPosition p{"/var/log/auth.log", 0xfedcba9876543210ULL, 123456789012ULL,
                0xffffffffffffffffULL};
  ASSERT_TRUE(ok(a->set_position(p)));
  ASSERT_TRUE(ok(b->set_position({"/var/log/auth.log", 7, 8, 9})));
  p.offset += 100;
  ASSERT_TRUE(ok(a->set_position(p)));
  auto got = a->get_position("/var/log/auth.log");
  ASSERT_TRUE(ok(got));
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->inode, 0xfedcba9876543210ULL);
  EXPECT_EQ((*got)->offset, 123456789112ULL);
  EXPECT_EQ((*got)->first_line_hash, 0xffffffffffffffffULL);
  auto other = b->get_position("/var/log/auth.log");
  ASSERT_TRUE(ok(other));
  EXPECT_EQ((*other)->offset, 8u);
  auto none = a->get_position("/var/log/other.log");
  ASSERT_TRUE(ok(none));
  EXPECT_FALSE(none->has_value());
  auto list = a->list_positions();
  ASSERT_TRUE(ok(list));
  EXPECT_EQ(list->size(), 1u);
}

TEST_P(StateStoreSuite, EveryWriteAppendsADenseChangeLogEntryWithItsNode) {
  auto a = open("gw1");
  auto b = open("gw2");
  ASSERT_TRUE(a && b);
  auto empty = a->max_seq();
  ASSERT_TRUE(ok(empty));
  EXPECT_EQ(*empty, 0);
  ASSERT_TRUE(ok(a->put_ban(ban("203.0.113.5", "mc-exim-1d", 1, 100, 200))));
  ASSERT_TRUE(ok(b->unban(ip("203.0.113.5"), "mc-exim-1d")));
  ASSERT_TRUE(ok(b->add_whitelist(ip("198.51.100.0/24"), "mc-exim")));
  ASSERT_TRUE(ok(a->remove_whitelist(ip("198.51.100.0/24"), "mc-exim")));
  BanRecord bl = ban("203.0.113.9", "mc-exim-bl", 4, 100, 0);
  bl.blacklisted = true;
  ASSERT_TRUE(ok(a->put_ban(bl)));
  ASSERT_TRUE(ok(a->put_jail(mailcleaner_default_jails()[0])));
  ASSERT_TRUE(ok(a->remove_jail(mailcleaner_default_jails()[0].name)));
  ASSERT_TRUE(ok(b->set_setting(settings::kBlacklistMaxCount, "3")));
  ASSERT_TRUE(ok(b->apply(ResetBanCounts{"mc-exim-1d"})));

  auto max = b->max_seq();
  ASSERT_TRUE(ok(max));
  EXPECT_EQ(*max, 9);
  auto changes = b->changes_since(0, 100);
  ASSERT_TRUE(ok(changes));
  ASSERT_EQ(changes->size(), 9u);
  for (size_t i = 0; i < changes->size(); ++i)
    EXPECT_EQ((*changes)[i].seq, static_cast<int64_t>(i + 1));
  const auto &c = *changes;
  EXPECT_EQ(c[0].kind, ChangeKind::ban);
  EXPECT_EQ(c[0].node, "gw1");
  EXPECT_EQ(c[0].row.ip, ip("203.0.113.5"));
  EXPECT_EQ(c[0].row.ban_end, 200); // the end travels with the ban
  EXPECT_EQ(c[1].kind, ChangeKind::unban);
  EXPECT_EQ(c[1].node, "gw2");
  EXPECT_FALSE(c[1].row.active);
  EXPECT_EQ(c[1].row.count, 1);
  EXPECT_EQ(c[2].kind, ChangeKind::whitelist_add);
  EXPECT_EQ(c[2].jail, "mc-exim");
  EXPECT_EQ(c[2].row.ip, ip("198.51.100.0/24"));
  EXPECT_EQ(c[3].kind, ChangeKind::whitelist_remove);
  EXPECT_EQ(c[4].kind, ChangeKind::ban);
  EXPECT_TRUE(c[4].row.blacklisted);
  EXPECT_TRUE(c[4].row.permanent());
  EXPECT_EQ(c[5].kind, ChangeKind::jail_put);
  EXPECT_EQ(c[5].jail, "mc-ssh-1d");
  EXPECT_EQ(c[6].kind, ChangeKind::jail_remove);
  EXPECT_EQ(c[7].kind, ChangeKind::setting_put);
  EXPECT_EQ(c[7].key, settings::kBlacklistMaxCount);
  EXPECT_EQ(c[7].value, "3");
  EXPECT_EQ(c[8].kind, ChangeKind::counts_reset);

  auto page = a->changes_since(3, 2);
  ASSERT_TRUE(ok(page));
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].seq, 4);
  EXPECT_EQ((*page)[1].seq, 5);
  auto tail = a->changes_since(9, 100);
  ASSERT_TRUE(ok(tail));
  EXPECT_TRUE(tail->empty());
}

TEST_P(StateStoreSuite, ABatchIsAppliedWhollyOrNotAtAll) {
  auto store = open();
  ASSERT_TRUE(store);
  std::vector<Mutation> batch{PutBan{ban("203.0.113.5", "mc-exim-1d", 1, 100, 200)},
                              PutBan{ban("203.0.113.5", "mc-exim-1w", 1, 100, 300)},
                              PutSetting{"x", "y"}};
  ASSERT_TRUE(ok(store->apply(batch)));
  EXPECT_EQ(raw_single("SELECT COUNT(*) FROM fail2ban_ips"), "2");

  // The database refuses the last write of the next batch (its table is gone): the
  // bans before it must not stay, nor their change-log entries.
  ASSERT_TRUE(ok(backend_->raw_exec("DROP TABLE mcf2b_settings")));
  std::vector<Mutation> doomed{PutBan{ban("198.51.100.1", "mc-exim-1d", 1, 100, 200)},
                               Unban{ip("203.0.113.5"), "mc-exim-1d"}, PutSetting{"a", "b"}};
  auto st = store->apply(doomed);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(raw_single("SELECT COUNT(*) FROM fail2ban_ips"), "2");
  EXPECT_EQ(raw_single("SELECT COUNT(*) FROM fail2ban_ips WHERE active = 1"), "2");
  auto max = store->max_seq();
  ASSERT_TRUE(ok(max));
  EXPECT_EQ(*max, 3);
  // The store is still usable afterwards.
  ASSERT_TRUE(ok(store->put_ban(ban("198.51.100.1", "mc-exim-1d", 1, 100, 200))));
  max = store->max_seq();
  ASSERT_TRUE(ok(max));
  EXPECT_EQ(*max, 4);
}

TEST_P(StateStoreSuite, RefusesValuesTheSchemaCannotHoldAndLosesNothing) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(ok(store->put_ban(ban("203.0.113.5", "mc-exim-1d", 1, 100, 200))));
  std::string long_jail(151, 'j');
  auto st = store->apply(std::vector<Mutation>{
      PutBan{ban("203.0.113.6", "mc-exim-1d", 1, 100, 200)},
      PutBan{ban("203.0.113.7", long_jail, 1, 100, 200)}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().what.find("longer than 150"), std::string::npos) << st.error().what;
  JailConfig j = mailcleaner_default_jails()[0];
  j.port = std::string(51, '1');
  st = store->put_jail(j);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().what.find("port"), std::string::npos) << st.error().what;
  st = store->set_setting("", "x");
  EXPECT_FALSE(st.ok());
  auto bans = store->list_bans({});
  ASSERT_TRUE(ok(bans));
  EXPECT_EQ(bans->size(), 1u);
  auto max = store->max_seq();
  ASSERT_TRUE(ok(max));
  EXPECT_EQ(*max, 1);
}

TEST_P(StateStoreSuite, WritesAreThereAfterReopening) {
  {
    auto store = open("gw1");
    ASSERT_TRUE(store);
    ASSERT_TRUE(ok(store->seed_default_jails()));
    ASSERT_TRUE(ok(store->put_ban(ban("203.0.113.5", "mc-exim-1d", 1, 100, 200))));
    ASSERT_TRUE(ok(store->set_position({"/var/log/auth.log", 1, 2, 3})));
  }
  auto store = open("gw1");
  ASSERT_TRUE(store);
  auto jails = store->list_jails();
  ASSERT_TRUE(ok(jails));
  EXPECT_EQ(jails->size(), 15u);
  auto b = store->get_ban(ip("203.0.113.5"), "mc-exim-1d");
  ASSERT_TRUE(ok(b));
  EXPECT_TRUE(b->has_value());
  auto p = store->get_position("/var/log/auth.log");
  ASSERT_TRUE(ok(p));
  EXPECT_EQ((*p)->offset, 2u);
  auto max = store->max_seq();
  ASSERT_TRUE(ok(max));
  EXPECT_EQ(*max, 16);
}

TEST_P(StateStoreSuite, ConcurrentWritersFromTwoNodesGetDistinctDenseSequenceNumbers) {
  auto a = open("gw1");
  auto b = open("gw2");
  ASSERT_TRUE(a && b);
  constexpr int kPerNode = 60;
  auto writer = [](StateStore *store, int base) {
    for (int i = 0; i < kPerNode; ++i) {
      std::string address = "198.51.100." + std::to_string(base + i);
      ASSERT_TRUE(ok(store->put_ban(ban(address, "mc-exim-1d", 1, 100, 200))));
    }
  };
  std::thread ta(writer, a.get(), 0);
  std::thread tb(writer, b.get(), 100);
  ta.join();
  tb.join();
  auto changes = a->changes_since(0, 1000);
  ASSERT_TRUE(ok(changes));
  ASSERT_EQ(changes->size(), 2u * kPerNode);
  std::set<std::string> addresses;
  for (size_t i = 0; i < changes->size(); ++i) {
    EXPECT_EQ((*changes)[i].seq, static_cast<int64_t>(i + 1));
    addresses.insert((*changes)[i].row.ip.to_string());
  }
  EXPECT_EQ(addresses.size(), 2u * kPerNode);
  EXPECT_EQ(raw_single("SELECT COUNT(*) FROM fail2ban_ips"), std::to_string(2 * kPerNode));
}

TEST_P(StateStoreSuite, SkipsABatchWhoseClientSequenceWasAppliedBefore) {
  auto store = open("gw1");
  ASSERT_TRUE(store);
  auto *sql = dynamic_cast<SqlStateStore *>(store.get());
  ASSERT_NE(sql, nullptr);
  std::vector<Mutation> batch{PutBan{ban("203.0.113.5", "mc-exim-1d", 1, 100, 200)}};
  auto first = sql->apply_once(batch, "gw1/abc", 5);
  ASSERT_TRUE(ok(first));
  EXPECT_TRUE(*first);
  auto again = sql->apply_once(batch, "gw1/abc", 5);
  ASSERT_TRUE(ok(again));
  EXPECT_FALSE(*again);
  auto older = sql->apply_once(batch, "gw1/abc", 4);
  ASSERT_TRUE(ok(older));
  EXPECT_FALSE(*older);
  auto other_writer = sql->apply_once(batch, "gw1/def", 1);
  ASSERT_TRUE(ok(other_writer));
  EXPECT_TRUE(*other_writer);
  auto last = sql->last_client_seq("gw1/abc");
  ASSERT_TRUE(ok(last));
  EXPECT_EQ(*last, 5);
  // Skipped batches leave no hole in the change log.
  auto changes = store->changes_since(0, 10);
  ASSERT_TRUE(ok(changes));
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[1].seq, 2);
}

TEST_P(StateStoreSuite, KeepsTheMailSettingsInMailCleanersOneFail2banConfRow) {
  auto store = open();
  ASSERT_TRUE(store);
  auto empty = store->get_mail_conf();
  ASSERT_TRUE(ok(empty));
  EXPECT_EQ(*empty, MailConf{});
  MailConf conf{"fail2ban@mx1.example.com", "MailCleaner mx1", "admin@example.com"};
  ASSERT_TRUE(ok(store->put_mail_conf(conf)));
  conf.dest_email = "security@example.com";
  ASSERT_TRUE(ok(store->put_mail_conf(conf)));
  auto got = store->get_mail_conf();
  ASSERT_TRUE(ok(got));
  EXPECT_EQ(*got, conf);
  EXPECT_EQ(raw_single("SELECT COUNT(*) FROM fail2ban_conf"), "1");
  EXPECT_EQ(raw_single("SELECT dest_email FROM fail2ban_conf"), "security@example.com");
  // Replicated like every setting: the change log says so.
  auto changes = store->changes_since(0, 10);
  ASSERT_TRUE(ok(changes));
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[1].kind, ChangeKind::mail_conf_put);
  // An address that could carry a header is refused by the store too.
  conf.dest_email = "admin@example.com\r\nBcc: x@evil.example";
  EXPECT_FALSE(store->put_mail_conf(conf).ok());
}

INSTANTIATE_TEST_SUITE_P(Store, StateStoreSuite, ::testing::Values(store_backend()),
                         backend_name);

} // namespace
} // namespace mcf2b::testing
