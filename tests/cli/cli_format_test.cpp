// SPDX-License-Identifier: GPL-2.0-only
// mcf2b-ctl's output formats against golden text: fail2ban-client's status layouts byte
// for byte (tree characters, one TAB after each colon), the ban, jail, whitelist and
// stats tables, and the client-side argument checks.
#include <gtest/gtest.h>

#include "control/arguments.h"
#include "control/format/ban_table_text.h"
#include "control/format/jail_table_text.h"
#include "control/format/stats_text.h"
#include "control/format/status_text.h"
#include "control/format/text_table.h"
#include "control/format/time_text.h"
#include "control/format/whitelist_text.h"
#include "control/request_router.h"
#include "protocol/result_shapes.h"

using namespace mcf2b;
using namespace mcf2b::control;
using nlohmann::json;

namespace {

JailStatus ssh_status() {
  return {"mc-ssh-1d", 0, 29682, {"/var/log/auth.log"}, 461, 461, {"192.0.2.1", "192.0.2.7"}};
}

TEST(StatusText, SummaryMatchesFail2banClient) {
  EXPECT_EQ(format_status_summary({"mc-exim-1d", "mc-ssh-1d"}),
            "Status\n"
            "|- Number of jail:\t2\n"
            "`- Jail list:\tmc-exim-1d, mc-ssh-1d\n");
}

TEST(StatusText, SummaryOfOneJail) {
  EXPECT_EQ(format_status_summary({"mc-ssh-1d"}),
            "Status\n|- Number of jail:\t1\n`- Jail list:\tmc-ssh-1d\n");
}

TEST(StatusText, SummaryWithoutJailsKeepsTheTabAndNothingAfterIt) {
  EXPECT_EQ(format_status_summary({}), "Status\n|- Number of jail:\t0\n`- Jail list:\t\n");
}

TEST(StatusText, JailMatchesFail2banClient) {
  EXPECT_EQ(format_jail_status(ssh_status()), "Status for the jail: mc-ssh-1d\n"
                                              "|- Filter\n"
                                              "|  |- Currently failed:\t0\n"
                                              "|  |- Total failed:\t29682\n"
                                              "|  `- File list:\t/var/log/auth.log\n"
                                              "`- Actions\n"
                                              "   |- Currently banned:\t461\n"
                                              "   |- Total banned:\t461\n"
                                              "   `- Banned IP list:\t192.0.2.1 192.0.2.7\n");
}

TEST(StatusText, JailWithEmptyListsEndsLinesRightAfterTheTab) {
  JailStatus s{"mc-exim-1w", 3, 3, {}, 0, 0, {}};
  EXPECT_EQ(format_jail_status(s), "Status for the jail: mc-exim-1w\n"
                                   "|- Filter\n"
                                   "|  |- Currently failed:\t3\n"
                                   "|  |- Total failed:\t3\n"
                                   "|  `- File list:\t\n"
                                   "`- Actions\n"
                                   "   |- Currently banned:\t0\n"
                                   "   |- Total banned:\t0\n"
                                   "   `- Banned IP list:\t\n");
}

TEST(StatusText, SeveralFilesAndIPv6AreSpaceSeparated) {
  JailStatus s{"custom",
               1,
               2,
               {"/var/log/a.log", "/var/log/b.log"},
               2,
               5,
               {"2001:db8::1", "198.51.100.0/24"}};
  std::string text = format_jail_status(s);
  EXPECT_NE(text.find("|  `- File list:\t/var/log/a.log /var/log/b.log\n"), std::string::npos);
  EXPECT_NE(text.find("   `- Banned IP list:\t2001:db8::1 198.51.100.0/24\n"), std::string::npos);
}

TEST(StatusText, ActionsAreListedOnlyForAJailThatHasThem) {
  JailStatus s{"sshd", 0, 0, {}, 0, 0, {}};
  EXPECT_EQ(format_jail_status(s).find("Action "), std::string::npos);
  s.actions = {{"sendmail-whois-lines", "runs"},
               {"iptables-multiport", "replaced"},
               {"nope", "broken", "action 'nope' not found"}};
  std::string text = format_jail_status(s);
  EXPECT_NE(text.find("|- Action sendmail-whois-lines: runs\n"
                      "|- Action iptables-multiport: replaced by mcf2b's enforcement\n"
                      "|- Action nope: broken (action 'nope' not found)\n"
                      "|- Filter\n"),
            std::string::npos)
      << text;
}

TEST(StatusText, AllMatchesFail2banClientStatusAll) {
  JailStatus exim{"mc-exim-1d", 2, 10, {"/var/log/exim.log"}, 1, 3, {"203.0.113.5"}};
  EXPECT_EQ(format_status_all({exim, ssh_status()}),
            "Status\n"
            "|- Number of jail:\t2\n"
            "|- Jail list:\tmc-exim-1d, mc-ssh-1d\n"
            "`- Status for the jails:\n"
            "   |- Jail: mc-exim-1d\n"
            "   |  |- Filter\n"
            "   |  |  |- Currently failed:\t2\n"
            "   |  |  |- Total failed:\t10\n"
            "   |  |  `- File list:\t/var/log/exim.log\n"
            "   |  `- Actions\n"
            "   |     |- Currently banned:\t1\n"
            "   |     |- Total banned:\t3\n"
            "   |     `- Banned IP list:\t203.0.113.5\n"
            "   `- Jail: mc-ssh-1d\n"
            "      |- Filter\n"
            "      |  |- Currently failed:\t0\n"
            "      |  |- Total failed:\t29682\n"
            "      |  `- File list:\t/var/log/auth.log\n"
            "      `- Actions\n"
            "         |- Currently banned:\t461\n"
            "         |- Total banned:\t461\n"
            "         `- Banned IP list:\t192.0.2.1 192.0.2.7\n");
}

TEST(StatusText, AllWithOneJail) {
  JailStatus s{"mc-ssh-1d", 0, 0, {"/var/log/auth.log"}, 0, 0, {}};
  EXPECT_EQ(format_status_all({s}), "Status\n"
                                    "|- Number of jail:\t1\n"
                                    "|- Jail list:\tmc-ssh-1d\n"
                                    "`- Status for the jails:\n"
                                    "   `- Jail: mc-ssh-1d\n"
                                    "      |- Filter\n"
                                    "      |  |- Currently failed:\t0\n"
                                    "      |  |- Total failed:\t0\n"
                                    "      |  `- File list:\t/var/log/auth.log\n"
                                    "      `- Actions\n"
                                    "         |- Currently banned:\t0\n"
                                    "         |- Total banned:\t0\n"
                                    "         `- Banned IP list:\t\n");
}

TEST(StatusText, AllWithoutJailsIsTheSummary) {
  // fail2ban-client: an empty jail map is falsy, so the summary closes with "`-".
  EXPECT_EQ(format_status_all({}), "Status\n|- Number of jail:\t0\n`- Jail list:\t\n");
}

TEST(StatusText, ReadsTheDaemonsStatusObject) {
  json j = {{"name", "mc-ssh-1d"},
            {"currently_failed", 0},
            {"total_failed", 29682},
            {"file_list", {"/var/log/auth.log"}},
            {"currently_banned", 461},
            {"total_banned", 461},
            {"banned", {"192.0.2.1", "192.0.2.7"}}};
  auto s = jail_status_from_json(j);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(format_jail_status(*s), format_jail_status(ssh_status()));
  EXPECT_FALSE(jail_status_from_json(json{{"name", 3}}).ok());
  EXPECT_FALSE(jail_status_from_json(json{{"name", "x"}, {"banned", "192.0.2.1"}}).ok());
  EXPECT_FALSE(jail_status_from_json(json{{"name", "x"}, {"total_failed", "many"}}).ok());
  EXPECT_FALSE(jail_statuses_from_json(json::object()).ok());
}

TEST(TextTable, AlignsColumnsWithoutTrailingBlanks) {
  TextTable t({{"NAME"}, {"N", TextTable::Align::right}, {"NOTE"}});
  t.add_row({"a", "1", "x"});
  t.add_row({"longer", "100"});
  EXPECT_EQ(t.render(), "NAME      N  NOTE\n"
                        "a         1  x\n"
                        "longer  100\n");
}

TEST(TimeText, FormatsDurationsInUnitsParseDurationReads) {
  EXPECT_EQ(format_duration(3600), "1h");
  EXPECT_EQ(format_duration(5400), "1h30m");
  EXPECT_EQ(format_duration(86400), "1d");
  EXPECT_EQ(format_duration(31536000), "365d");
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(-1), "permanent");
  for (Seconds s : {1, 59, 61, 3601, 90061, 5356800})
    EXPECT_EQ(parse_duration(format_duration(s)), s) << s;
}

TEST(TimeText, FormatsTimestampsLikeEximLogs) {
  EXPECT_EQ(format_timestamp(1741606078, Clock::utc), "2025-03-10 11:27:58");
}

BanRecord ban(const char *ip, const char *jail, bool active, Seconds start, Seconds end) {
  BanRecord b;
  b.ip = *IpPrefix::parse(ip);
  b.jail = jail;
  b.count = 1;
  b.active = active;
  b.host = "mx1";
  b.ban_start = start;
  b.ban_end = end;
  return b;
}

TEST(BanTableText, ShowsEveryColumnOfTheRows) {
  auto a = ban("203.0.113.5", "mc-exim-1d", true, 1741606078, 1741692478);
  auto b = ban("2001:db8::7", "mc-ssh-bl", true, 1741606078, 0);
  b.blacklisted = true;
  b.count = 4;
  auto c = ban("198.51.100.0/24", "mc-exim-1w", false, 0, 0);
  c.whitelisted = true;
  c.host = "";
  EXPECT_EQ(format_ban_table({a, b, c}, Clock::utc),
            "IP               JAIL        NODE  COUNT  FLAGS               START                "
            "END\n"
            "203.0.113.5      mc-exim-1d  mx1       1  active              2025-03-10 11:27:58  "
            "2025-03-11 11:27:58\n"
            "2001:db8::7      mc-ssh-bl   mx1       4  active,blacklisted  2025-03-10 11:27:58  "
            "permanent\n"
            "198.51.100.0/24  mc-exim-1w  -         1  whitelisted         -                    "
            "-\n");
}

TEST(BanTableText, SaysSoWhenEmpty) {
  EXPECT_EQ(format_ban_table({}, Clock::utc), "No bans.\n");
}

TEST(JailTableText, ShowsTheJailRows) {
  auto jails = mailcleaner_default_jails(false);
  jails.resize(2);
  jails[0].enabled = true;
  jails[1].max_count = 3;
  EXPECT_EQ(format_jail_table(jails),
            "NAME       ENABLED  MAXRETRY  FINDTIME  BANTIME  MAX_COUNT  PORT  FILTER  LOGPATH\n"
            "mc-ssh-1d  yes             3        1h       1d        off  22    sshd    "
            "/var/log/auth.log\n"
            "mc-ssh-1w  no              6        2d       7d          3  22    sshd    "
            "/var/log/auth.log\n");
  EXPECT_EQ(format_jail_table({}), "No jails.\n");
}

TEST(WhitelistText, ShowsEntries) {
  auto rows = whitelist_rows_from_json(
      json::array({{{"jail", "mc-exim"}, {"ip", "192.0.2.25"}},
                   {{"jail", "mc-ssh-1d"}, {"ip", "198.51.100.0/24"}, {"host", "mx2"}}}));
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(format_whitelist_table(*rows), "IP               JAIL       NODE\n"
                                           "192.0.2.25       mc-exim    -\n"
                                           "198.51.100.0/24  mc-ssh-1d  mx2\n");
  EXPECT_EQ(format_whitelist_table({}), "No whitelist entries.\n");
  EXPECT_FALSE(whitelist_rows_from_json(json::array({{{"jail", "x"}}})).ok());
}

TEST(StatsText, ShowsJailsXdpAndCounters) {
  json stats = {{"jails",
                 {{{"jail", "mc-exim-1d"},
                   {"failures", 12},
                   {"bans", 3},
                   {"active", 2},
                   {"dropped_packets", 1043},
                   {"dropped_bytes", 62580}},
                  {{"jail", "mc-ssh-1d"}, {"failures", 0}, {"bans", 0}, {"active", 0}}}},
                {"xdp", {{"passed", 99}, {"dropped", 1043}, {"unparsable", 0}}},
                {"controller", {{"failures", 12}, {"tracked", 4}}},
                {"daemon", {{"lines", 5000}}}};
  auto text = format_stats(stats);
  ASSERT_TRUE(text.ok()) << text.error().message();
  EXPECT_EQ(*text, "JAIL        FAILURES  BANS  ACTIVE  DROPPED_PACKETS  DROPPED_BYTES\n"
                   "mc-exim-1d        12     3       2             1043          62580\n"
                   "mc-ssh-1d          0     0       0                -              -\n"
                   "\n"
                   "XDP: passed 99, dropped 1043, unparsable 0\n"
                   "\n"
                   "COUNTER              VALUE\n"
                   "controller.failures     12\n"
                   "controller.tracked       4\n"
                   "daemon.lines          5000\n");
  EXPECT_FALSE(format_stats(json::array()).ok());
  EXPECT_FALSE(format_stats(json{{"jails", 3}}).ok());
}

TEST(Arguments, AddressesAndPrefixes) {
  EXPECT_EQ(parse_ip_argument("203.0.113.5")->to_string(), "203.0.113.5");
  EXPECT_EQ(parse_ip_argument("198.51.100.0/24")->to_string(), "198.51.100.0/24");
  EXPECT_EQ(parse_ip_argument("::ffff:192.0.2.1")->to_string(), "192.0.2.1");
  for (const char *bad : {"999.1.1.1", "203.0.113", "10.0.0.1/8", "192.0.2.0/33", "", "x",
                          "2001:db8::g", "192.0.2.1 ", "-1"}) {
    auto r = parse_ip_argument(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message().find("malformed address or prefix"), std::string::npos);
  }
}

TEST(Arguments, JailNames) {
  EXPECT_TRUE(check_jail_name("mc-exim-1d").ok());
  EXPECT_TRUE(check_jail_name("mc-exim").ok());
  EXPECT_TRUE(check_jail_name("custom_jail.v2").ok());
  for (const char *bad : {"", "-j", "a b", "a;rm", "jail/../x", "\xc3\xa9t\xc3\xa9"})
    EXPECT_FALSE(check_jail_name(bad).ok()) << bad;
  EXPECT_FALSE(check_jail_name(std::string(151, 'a')).ok());
}

TEST(Arguments, TimesAndCounts) {
  EXPECT_EQ(*parse_time_argument("bantime", "1d", true), 86400);
  EXPECT_EQ(*parse_time_argument("bantime", "-1", true), -1);
  EXPECT_EQ(*parse_time_argument("bantime", "permanent", true), -1);
  EXPECT_EQ(*parse_time_argument("findtime", "1h30m", false), 5400);
  EXPECT_FALSE(parse_time_argument("findtime", "-1", false).ok());
  EXPECT_FALSE(parse_time_argument("findtime", "0", false).ok());
  EXPECT_FALSE(parse_time_argument("findtime", "soon", false).ok());
  EXPECT_EQ(*parse_count_argument("value", "3", 1), 3);
  EXPECT_FALSE(parse_count_argument("value", "0", 1).ok());
  EXPECT_FALSE(parse_count_argument("value", "3x", 1).ok());
  EXPECT_FALSE(parse_count_argument("value", "", 1).ok());
  EXPECT_EQ(*parse_count_argument("max-count", "-1", -1), -1);
  EXPECT_TRUE(check_port_list("25,465,587").ok());
  EXPECT_FALSE(check_port_list("25,nonsense-port").ok());
}

TEST(ResultShapes, ReadsListsAndRejectsMalformedOnes) {
  json r = {{"bans", {{{"ip", "203.0.113.5"}, {"jail", "mc-exim-1d"}, {"end", 0}}}},
            {"unbanned", {{{"jail", "mc-exim-1d"}, {"ip", "203.0.113.5"}}}},
            {"max_count", 3}};
  EXPECT_EQ(bans_in(r)->size(), 1u);
  EXPECT_EQ(jail_addresses_in(r, "unbanned")->at(0).ip, "203.0.113.5");
  EXPECT_EQ(jails_in(r)->size(), 0u); // missing: empty
  EXPECT_EQ(integer_in(r, "max_count"), 3);
  EXPECT_EQ(integer_in(r, "missing"), std::nullopt);
  EXPECT_EQ(integer_in(json(nullptr), "max_count"), std::nullopt);
  EXPECT_FALSE(bans_in(json{{"bans", 1}}).ok());
  EXPECT_FALSE(bans_in(json{{"bans", {{{"ip", "999.0.0.1"}}}}}).ok());
  EXPECT_FALSE(jail_addresses_in(json{{"unbanned", {{{"ip", "x"}}}}}, "unbanned").ok());
}

TEST(RequestRouter, RedactsDatabasePasswordsInMessages) {
  EXPECT_EQ(redact_store_url("mariadb://mc:secret@db.example/mc_config"),
            "mariadb://mc:***@db.example/mc_config");
  EXPECT_EQ(redact_store_url("mariadb://mc@db.example/mc_config"),
            "mariadb://mc@db.example/mc_config");
  EXPECT_EQ(redact_store_url("sqlite:/var/lib/mcf2b/state.sqlite3"),
            "sqlite:/var/lib/mcf2b/state.sqlite3");
}

} // namespace
