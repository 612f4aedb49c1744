// SPDX-License-Identifier: GPL-2.0-only
// mcf2b-ctl end to end: every command against a real mcf2bd in a network namespace,
// each checked where it takes effect (the store, the XDP maps through real TCP from the
// other namespace and through the pinned maps, the ipset mirror), not only by its exit
// code; and every error path with its exit code.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "tests/cli/ctl_runner.h"
#include "tests/fixtures/daemon_process.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/fixtures/gateway_testbed.h"
#include "tests/fixtures/requirements.h"
#include "userspace/enforce/xdp_enforcer.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using nlohmann::json;

namespace {

// A second attacker, besides the scenario's kAttacker.
constexpr const char *kOther = kSpammer;
constexpr const char *kClusterNode = "192.0.2.200";

const std::string kJails = mailcleaner_jail_file({"mc-exim", "mc-ssh"});

class CliE2E : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(require_root());
    ASSERT_TRUE(require_program("ipset"));
    auto b = GatewayTestbed::create({kAttacker, kOther, kBystander});
    ASSERT_TRUE(ok(b));
    bed.emplace(std::move(*b));
    DaemonOptions o = bed->daemon_options();
    o.jail_file = kJails;
    o.config_lines = std::string("cluster_nodes = ") + kClusterNode + "\n";
    auto d = DaemonProcess::start(o);
    ASSERT_TRUE(ok(d));
    daemon.emplace(std::move(*d));
  }

  CtlRun ctl(std::vector<std::string> args) {
    std::vector<std::string> full = {"--socket", daemon->socket_path(), "--state",
                                     daemon->state_url()};
    full.insert(full.end(), args.begin(), args.end());
    return run_ctl(full);
  }

  json ctl_json(std::vector<std::string> args) {
    args.push_back("--json");
    auto r = ctl(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  std::unique_ptr<StateStore> store() {
    auto s = open_store(daemon->state_url());
    EXPECT_TRUE(ok(s));
    return s ? std::move(*s) : nullptr;
  }

  std::optional<BanRecord> row(const std::string &ip, const std::string &jail) {
    auto s = store();
    auto b = s->get_ban(*IpPrefix::parse(ip), jail);
    EXPECT_TRUE(ok(b));
    return b ? *b : std::nullopt;
  }

  // The jails whose whitelist holds `ip` in the store, sorted.
  std::vector<std::string> whitelisted_in(const std::string &ip) {
    auto s = store();
    auto wl = s->list_whitelist("");
    EXPECT_TRUE(ok(wl));
    std::vector<std::string> jails;
    if (wl)
      for (const auto &e : *wl)
        if (e.ip.to_string() == ip)
          jails.push_back(e.jail);
    std::sort(jails.begin(), jails.end());
    return jails;
  }

  std::optional<JailConfig> jail_row(const std::string &name) {
    auto s = store();
    auto j = s->get_jail(name);
    EXPECT_TRUE(ok(j));
    return j ? *j : std::nullopt;
  }

  // A probe that cannot run fails the test instead of passing for a dropped connection.
  bool connects(const char *src, uint16_t port) {
    auto r = bed->connects(src, port);
    EXPECT_TRUE(ok(r));
    return r.ok() && *r;
  }
  std::string ipset_list(const std::string &set) { return bed->ipset_list(set); }

  // The mirror trails the maps by a few milliseconds: waits until `set` shows (or no
  // longer shows) `entry`, then reports what it saw.
  bool ipset_has(const std::string &set, const std::string &entry, bool wanted = true) {
    for (int i = 0; i < 200; ++i) {
      std::string text = ipset_list(set);
      bool has = text.find("\n" + entry + "\n") != std::string::npos ||
                 text.find("\n" + entry + " ") != std::string::npos;
      if (has == wanted)
        return has;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return !wanted;
  }

  std::optional<GatewayTestbed> bed; // outlives the daemon that runs in it
  std::optional<DaemonProcess> daemon;
};

TEST_F(CliE2E, StatusPrintsFail2banClientsLayoutOfTheDaemonsState) {
  auto r = ctl({"status"});
  EXPECT_CTL(r, 0);
  // Two families enabled: four tiers and the -bl jail each.
  EXPECT_EQ(r.out.rfind("Status\n|- Number of jail:\t10\n`- Jail list:\t", 0), 0u) << r.out;
  for (const char *j : {"mc-exim-1d", "mc-exim-1y", "mc-exim-bl", "mc-ssh-1d", "mc-ssh-1y"})
    EXPECT_NE(r.out.find(j), std::string::npos) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err; // the daemon answered, no store notice

  ASSERT_EQ(ctl({"-q", "ban", "-j", "mc-exim-1d", "-i", kAttacker}).code, 0);
  ASSERT_EQ(ctl({"-q", "ban", "-j", "mc-exim-1d", "-i", kOther}).code, 0);
  r = ctl({"status", "mc-exim-1d"});
  EXPECT_CTL(r, 0);
  std::string banned = r.out.substr(r.out.rfind('\t') + 1);
  EXPECT_TRUE(banned == std::string(kAttacker) + " " + kOther + "\n" ||
              banned == std::string(kOther) + " " + kAttacker + "\n")
      << banned;
  EXPECT_EQ(r.out.substr(0, r.out.rfind('\t') + 1), "Status for the jail: mc-exim-1d\n"
                                                    "|- Filter\n"
                                                    "|  |- Currently failed:\t0\n"
                                                    "|  |- Total failed:\t0\n"
                                                    "|  `- File list:\t" +
                                                        daemon->log_file("exim.log") +
                                                        "\n"
                                                        "`- Actions\n"
                                                        "   |- Currently banned:\t2\n"
                                                        "   |- Total banned:\t2\n"
                                                        "   `- Banned IP list:\t");

  // A family root: one fail2ban block per tier.
  r = ctl({"status", "mc-ssh"});
  EXPECT_CTL(r, 0);
  for (const char *tier : {"mc-ssh-1d", "mc-ssh-1w", "mc-ssh-1m", "mc-ssh-1y"})
    EXPECT_NE(r.out.find(std::string("Status for the jail: ") + tier + "\n"), std::string::npos);

  r = ctl({"status", "--all"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out.rfind("Status\n|- Number of jail:\t10\n|- Jail list:\t", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("`- Status for the jails:\n   |- Jail: "), std::string::npos);
  EXPECT_NE(r.out.find("   |  `- Actions\n   |     |- Currently banned:\t"), std::string::npos);

  auto j = ctl_json({"status", "mc-exim-1d"});
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["jails"][0]["currently_banned"], 2);

  r = ctl({"status", "mc-exm-1d"});
  EXPECT_CTL(r, 1);
  EXPECT_NE(r.err.find("mc-exim-1d"), std::string::npos) << "closest name missing: " << r.err;
}

TEST_F(CliE2E, BanAndUnbanReachTheStoreTheMapsAndTheIpset) {
  EXPECT_TRUE(connects(kAttacker, 25));
  auto r = ctl({"ban", "-j", "mc-exim-1d", "-i", kAttacker});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out.rfind(std::string("Banned ") + kAttacker + " in mc-exim-1d until ", 0), 0u)
      << r.out;
  auto b = row(kAttacker, "mc-exim-1d");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->active);
  EXPECT_EQ(b->host, "node-a");
  EXPECT_EQ(b->ban_end - b->ban_start, 86400);
  EXPECT_FALSE(connects(kAttacker, 25)) << "the maps must drop the banned address";
  EXPECT_TRUE(connects(kAttacker, 22)) << "port 22 is not mc-exim's";
  EXPECT_TRUE(connects(kBystander, 25));
  EXPECT_TRUE(ipset_has("mc-exim-1d", kAttacker));

  r = ctl({"ban", "-j", "mc-exim-1d", "-i", kAttacker});
  EXPECT_CTL(r, 3);
  EXPECT_NE(r.err.find("already banned"), std::string::npos) << r.err;

  // A family root bans in every tier; --bantime overrides the jail's.
  r = ctl({"ban", "-j", "mc-ssh", "-i", kOther, "--bantime", "2h"});
  EXPECT_CTL(r, 0);
  for (const char *tier : {"mc-ssh-1d", "mc-ssh-1w", "mc-ssh-1m", "mc-ssh-1y"}) {
    auto t = row(kOther, tier);
    ASSERT_TRUE(t) << tier;
    EXPECT_TRUE(t->active) << tier;
    EXPECT_EQ(t->ban_end - t->ban_start, 7200) << tier;
    EXPECT_TRUE(ipset_has(tier, kOther)) << tier;
  }
  EXPECT_FALSE(connects(kOther, 22));

  // IPv6 and a confirmed range.
  r = ctl({"ban", "-j", "mc-exim-1d", "-i", "2001:db8:99::7"});
  EXPECT_CTL(r, 0);
  EXPECT_TRUE(ipset_has("mc-exim-1d-v6", "2001:db8:99::7"));
  r = ctl({"ban", "-j", "mc-exim-1d", "-i", "198.51.0.0/16", "--yes"});
  EXPECT_CTL(r, 0);
  EXPECT_TRUE(ipset_has("mc-exim-1d", "198.51.0.0/16"));

  // unban -j FAMILY -i IP: the store, the maps and the set all let it go.
  r = ctl({"unban", "-j", "mc-exim", "-i", kAttacker, "--f2b-call"});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.out.find(std::string("Unbanned ") + kAttacker + " from mc-exim-1d"),
            std::string::npos)
      << r.out;
  b = row(kAttacker, "mc-exim-1d");
  ASSERT_TRUE(b);
  EXPECT_FALSE(b->active);
  EXPECT_TRUE(connects(kAttacker, 25));
  EXPECT_FALSE(ipset_has("mc-exim-1d", kAttacker, false));

  r = ctl({"unban", "-j", "mc-exim-1d", "-i", kAttacker});
  EXPECT_CTL(r, 1);
  EXPECT_NE(r.err.find("not banned"), std::string::npos) << r.err;

  // unban -i IP: every jail.
  r = ctl({"unban", "-i", kOther});
  EXPECT_CTL(r, 0);
  for (const char *tier : {"mc-ssh-1d", "mc-ssh-1w", "mc-ssh-1m", "mc-ssh-1y"}) {
    EXPECT_FALSE(row(kOther, tier)->active) << tier;
    EXPECT_FALSE(ipset_has(tier, kOther, false)) << tier;
  }
  EXPECT_TRUE(connects(kOther, 22));
  r = ctl({"unban", "-i", kOther});
  EXPECT_CTL(r, 1);

  // The pinned maps hold exactly what is still banned (read with the daemon stopped:
  // one process per pin root).
  ASSERT_TRUE(ok(daemon->stop()));
  auto enforcer = XdpEnforcer::open({bed->pin_root(), 1u << 20, [](auto) {}});
  ASSERT_TRUE(ok(enforcer));
  auto bans = enforcer->list_bans("mc-exim-1d");
  ASSERT_TRUE(ok(bans));
  std::vector<std::string> in_map;
  for (const auto &e : *bans)
    in_map.push_back(e.prefix.to_string());
  std::sort(in_map.begin(), in_map.end());
  EXPECT_EQ(in_map, (std::vector<std::string>{"198.51.0.0/16", "2001:db8:99::7"}));
}

TEST_F(CliE2E, RefusalsAndUnknownNamesExitOneAndChangeNothing) {
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"ban", "-j", "mc-exim-1d", "-i", "198.51.0.0/16"}, 1, "wider than"},
      {{"ban", "-j", "mc-exim-1d", "-i", "2001:db8::/32"}, 1, "wider than"},
      {{"ban", "-j", "mc-exim-1d", "-i", bed->pair().b().addr4}, 1, ""}, // the host's own
      {{"ban", "-j", "mc-exim-1d", "-i", "127.0.0.1"}, 1, ""},           // loopback
      {{"ban", "-j", "mc-exim-1d", "-i", kClusterNode}, 1, ""},          // a cluster node
      {{"ban", "-j", "mc-exim-1d", "-i", "192.0.2.0/24"}, 1, ""},        // a range holding one
      {{"ban", "-j", "mc-exm-1d", "-i", kAttacker}, 1, "mc-exim-1d"},    // closest names
      {{"ban", "-j", "mc-exim-1d", "-i", "999.0.0.1"}, 1, "malformed address or prefix"},
      {{"unban", "-j", "nosuch", "-i", kAttacker}, 1, ""},
      {{"jail", "enable", "-j", "mc-exim-1d"}, 3, "already enabled"},
      {{"jail", "change", "-j", "mc-exim", "--option", "bantime", "-v", "1d"}, 1, "family"},
      {{"jail", "remove", "nosuch"}, 1, ""},
      {{"whitelist", "remove", "-j", "mc-exim", "-i", kAttacker}, 1, ""},
      {{"blacklist", "remove", "-j", "mc-exim", "-i", kAttacker}, 1, ""},
      {{"ban", "--nonsense", "-j", "mc-exim-1d", "-i", kAttacker}, 2, ""},
      {{"jail", "change", "-j", "mc-exim-1d", "--option", "colour", "-v", "1"}, 2, ""},
  };
  for (const auto &c : cases) {
    auto r = ctl(c.args);
    std::string shown;
    for (const auto &a : c.args)
      shown += a + " ";
    EXPECT_EQ(r.code, c.code) << shown << "\nstderr: " << r.err;
    EXPECT_TRUE(one_line(r.err)) << shown << "\nstderr: " << r.err;
    EXPECT_EQ(r.err.rfind("mcf2b-ctl: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << shown << "\nstderr: " << r.err;
  }
  auto s = store();
  auto rows = s->list_bans(BanQuery{true, "", ""});
  ASSERT_TRUE(ok(rows));
  EXPECT_TRUE(rows->empty()) << rows->size() << " bans after refused commands";
  EXPECT_TRUE(connects(kAttacker, 25));
  EXPECT_EQ(jail_row("mc-exim-1d")->bantime, 86400);
}

TEST_F(CliE2E, WhitelistLiftsBansAndKeepsTheAddressFromBeingBanned) {
  ASSERT_EQ(ctl({"-q", "ban", "-j", "mc-exim-1d", "-i", kAttacker}).code, 0);
  ASSERT_FALSE(connects(kAttacker, 25));

  auto r = ctl({"whitelist", "add", "-j", "mc-exim", "-i", kAttacker});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.out.find(std::string("Whitelisted ") + kAttacker + " in mc-exim"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(std::string("Lifted the ban of ") + kAttacker + " in mc-exim-1d"),
            std::string::npos)
      << r.out;
  EXPECT_FALSE(row(kAttacker, "mc-exim-1d")->active);
  EXPECT_TRUE(connects(kAttacker, 25));
  EXPECT_FALSE(ipset_has("mc-exim-1d", kAttacker, false));
  EXPECT_EQ(whitelisted_in(kAttacker),
            (std::vector<std::string>{"mc-exim-1d", "mc-exim-1m", "mc-exim-1w", "mc-exim-1y",
                                      "mc-exim-bl"}));

  r = ctl({"whitelist", "add", "-j", "mc-exim", "-i", kAttacker});
  EXPECT_CTL(r, 3);
  r = ctl({"ban", "-j", "mc-exim-1d", "-i", kAttacker});
  EXPECT_CTL(r, 1);
  EXPECT_TRUE(connects(kAttacker, 25));

  // A range, and the list in both forms.
  EXPECT_CTL(ctl({"-q", "whitelist", "add", "-j", "mc-ssh-1d", "-i", "198.51.100.0/24"}), 0);
  r = ctl({"whitelist", "list"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out.rfind("IP", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(std::string(kAttacker) + "      mc-exim"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("198.51.100.0/24  mc-ssh-1d"), std::string::npos) << r.out;
  auto j = ctl_json({"whitelist", "list", "-j", "mc-ssh-1d"});
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["whitelist"].size(), 1u);
  EXPECT_EQ(j["whitelist"][0]["ip"], "198.51.100.0/24");

  r = ctl({"whitelist", "remove", "-j", "mc-exim", "-i", kAttacker});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.out.find(std::string("Removed ") + kAttacker + " from the whitelist of mc-exim"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(whitelisted_in(kAttacker).empty());
  r = ctl({"whitelist", "remove", "-j", "mc-exim", "-i", kAttacker});
  EXPECT_CTL(r, 1);
  EXPECT_CTL(ctl({"-q", "ban", "-j", "mc-exim-1d", "-i", kAttacker}), 0);
  EXPECT_FALSE(connects(kAttacker, 25));
}

TEST_F(CliE2E, BlacklistCommandsDriveTheBlJailsAndTheCounts) {
  auto r = ctl({"general", "enable-bl", "-v", "2"});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.out.find("more than 2 times"), std::string::npos) << r.out;
  EXPECT_EQ(jail_row("mc-exim-1d")->max_count, 2);
  EXPECT_EQ(jail_row("mc-ssh-1w")->max_count, 2);

  r = ctl({"blacklist", "add", "-j", "mc-exim", "-i", kOther});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.out.find(std::string("Blacklisted ") + kOther + " in mc-exim-bl"), std::string::npos)
      << r.out;
  auto bl = row(kOther, "mc-exim-bl");
  ASSERT_TRUE(bl);
  EXPECT_TRUE(bl->active);
  EXPECT_TRUE(bl->blacklisted);
  EXPECT_TRUE(bl->permanent());
  EXPECT_TRUE(ipset_has("mc-exim-bl", kOther));
  EXPECT_FALSE(connects(kOther, 25));
  r = ctl({"blacklist", "add", "-j", "mc-exim", "-i", kOther});
  EXPECT_CTL(r, 3);

  r = ctl({"blacklist", "list"});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.out.find(kOther), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("active,blacklisted"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("permanent"), std::string::npos) << r.out;
  auto j = ctl_json({"blacklist", "list", "-j", "mc-ssh"});
  ASSERT_TRUE(j.is_object());
  EXPECT_TRUE(j["bans"].empty());

  r = ctl({"blacklist", "remove", "-j", "mc-exim", "-i", kOther});
  EXPECT_CTL(r, 0);
  EXPECT_FALSE(row(kOther, "mc-exim-bl")->active);
  EXPECT_FALSE(ipset_has("mc-exim-bl", kOther, false));
  EXPECT_TRUE(connects(kOther, 25));

  r = ctl({"blacklist", "disable", "-j", "mc-exim"});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.out.find("mc-exim-1d: blacklisting off"), std::string::npos) << r.out;
  EXPECT_FALSE(jail_row("mc-exim-1d")->blacklisting());
  EXPECT_EQ(jail_row("mc-ssh-1d")->max_count, 2);

  r = ctl({"blacklist", "enable", "-j", "mc-exim-1d", "-v", "4"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(jail_row("mc-exim-1d")->max_count, 4);
  EXPECT_FALSE(jail_row("mc-exim-1w")->blacklisting());

  r = ctl({"general", "disable-bl"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out, "Blacklisting off in every jail\n");
  auto s = store();
  auto on = s->get_setting("blacklist_enabled");
  ASSERT_TRUE(ok(on));
}

TEST_F(CliE2E, JailCommandsEditTheJailRows) {
  // change: one jail, time units; new bans use it.
  auto r = ctl({"jail", "change", "-j", "mc-exim-1d", "--option", "bantime", "-v", "2d"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out, "mc-exim-1d: bantime = 2d\n");
  EXPECT_EQ(jail_row("mc-exim-1d")->bantime, 172800);
  EXPECT_CTL(ctl({"-q", "jail", "change", "-j", "mc-exim-1d", "--option", "findtime", "-v", "30m"}),
             0);
  EXPECT_EQ(jail_row("mc-exim-1d")->findtime, 1800);
  EXPECT_CTL(ctl({"-q", "jail", "change", "-j", "mc-exim-1d", "--option", "maxretry", "-v", "7"}),
             0);
  EXPECT_EQ(jail_row("mc-exim-1d")->maxretry, 7);
  EXPECT_CTL(ctl({"-q", "ban", "-j", "mc-exim-1d", "-i", kAttacker}), 0);
  auto b = row(kAttacker, "mc-exim-1d");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->ban_end - b->ban_start, 172800);

  // disable lifts the jail's bans; enable brings it back; both say "already".
  r = ctl({"jail", "disable", "-j", "mc-exim-1d"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out, "Disabled jail mc-exim-1d\n");
  EXPECT_FALSE(jail_row("mc-exim-1d")->enabled);
  EXPECT_FALSE(row(kAttacker, "mc-exim-1d")->active);
  EXPECT_TRUE(connects(kAttacker, 25));
  EXPECT_CTL(ctl({"jail", "disable", "-j", "mc-exim-1d"}), 3);
  r = ctl({"status"});
  EXPECT_EQ(r.out.find("mc-exim-1d"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Number of jail:\t9\n"), std::string::npos) << r.out;
  EXPECT_CTL(ctl({"jail", "enable", "-j", "mc-exim-1d"}), 0);
  EXPECT_TRUE(jail_row("mc-exim-1d")->enabled);

  // add / list / remove a custom jail (MailCleaner's SQL INSERT).
  r = ctl({"jail", "add", "custom-1d", "--maxretry", "3", "--findtime", "10m", "--bantime", "1h",
           "--port", "25,2525", "--filter", "mc-exim-filter", "--logpath",
           daemon->log_file("exim.log"), "--max-count", "2"});
  EXPECT_CTL(r, 0);
  // The new family gets its -bl jail, as MailCleaner creates one for every jail.
  EXPECT_NE(r.out.find("Added jail custom-1d (enabled)\n"), std::string::npos) << r.out;
  auto custom = jail_row("custom-1d");
  ASSERT_TRUE(custom);
  EXPECT_EQ(custom->maxretry, 3);
  EXPECT_EQ(custom->findtime, 600);
  EXPECT_EQ(custom->bantime, 3600);
  EXPECT_EQ(custom->port, "25,2525");
  EXPECT_EQ(custom->filter, "mc-exim-filter");
  EXPECT_EQ(custom->max_count, 2);
  EXPECT_TRUE(custom->enabled);
  r = ctl({"jail", "add", "custom-1d", "--maxretry", "3", "--findtime", "10m", "--bantime", "1h",
           "--port", "25", "--filter", "mc-exim-filter", "--logpath",
           daemon->log_file("exim.log")});
  EXPECT_CTL(r, 3);
  EXPECT_CTL(ctl({"-q", "ban", "-j", "custom-1d", "-i", kBystander}), 0);
  EXPECT_TRUE(ipset_has("custom-1d", kBystander));
  EXPECT_FALSE(connects(kBystander, 25));

  r = ctl({"jail", "list"});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.out.find("custom-1d"), std::string::npos) << r.out;
  auto list = ctl_json({"jail", "list"});
  ASSERT_TRUE(list.is_object());
  bool found = false;
  for (const auto &j : list["jails"])
    if (j["name"] == "custom-1d")
      found = j["port"] == "25,2525" && j["bantime"] == 3600;
  EXPECT_TRUE(found) << list.dump();

  r = ctl({"jail", "remove", "custom-1d"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out, "Removed jail custom-1d\n");
  EXPECT_FALSE(jail_row("custom-1d").has_value());
  EXPECT_TRUE(connects(kBystander, 25)) << "removing a jail lifts its bans";
  EXPECT_CTL(ctl({"jail", "remove", "-j", "custom-1d"}), 1);

  // general disable / enable: every jail.
  r = ctl({"general", "disable"});
  EXPECT_CTL(r, 0);
  for (const char *j : {"mc-exim-1d", "mc-ssh-1y", "mc-webauth-1d"})
    EXPECT_FALSE(jail_row(j)->enabled) << j;
  EXPECT_EQ(ctl({"status"}).out, "Status\n|- Number of jail:\t0\n`- Jail list:\t\n");
  r = ctl({"general", "enable"});
  EXPECT_CTL(r, 0);
  for (const char *j : {"mc-exim-1d", "mc-ssh-1y", "mc-webauth-1d"})
    EXPECT_TRUE(jail_row(j)->enabled) << j;
}

TEST_F(CliE2E, ListAndStatsShowTheBansAndTheDrops) {
  EXPECT_EQ(ctl({"list"}).out, "No bans.\n");
  EXPECT_CTL(ctl({"-q", "ban", "-j", "mc-exim-1d", "-i", kAttacker}), 0);
  EXPECT_CTL(ctl({"-q", "ban", "-j", "mc-ssh-1d", "-i", kOther}), 0);
  EXPECT_CTL(ctl({"-q", "ban", "-j", "mc-ssh-1d", "-i", kBystander}), 0);
  EXPECT_CTL(ctl({"-q", "unban", "-i", kBystander}), 0);

  auto r = ctl({"list", "--utc"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out.rfind("IP           JAIL        NODE    COUNT  FLAGS   START", 0), 0u) << r.out;
  EXPECT_NE(r.out.find(std::string(kAttacker) + "  mc-exim-1d  node-a      1  active  "),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(std::string(kBystander) + "  mc-ssh-1d   node-a      1  -"),
            std::string::npos)
      << r.out;

  auto j = ctl_json({"list", "--active"});
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["bans"].size(), 2u);
  j = ctl_json({"list", "-j", "mc-ssh"});
  EXPECT_EQ(j["bans"].size(), 2u); // active and lifted
  j = ctl_json({"list", "--active", "-j", "mc-ssh-1d"});
  ASSERT_EQ(j["bans"].size(), 1u);
  EXPECT_EQ(j["bans"][0]["ip"], kOther);
  j = ctl_json({"list", "--node", "node-a"});
  EXPECT_EQ(j["bans"].size(), 3u);
  EXPECT_EQ(ctl({"list", "--node", "node-z"}).out, "No bans.\n");

  // Packets dropped by XDP show per jail.
  EXPECT_FALSE(connects(kAttacker, 25));
  r = ctl({"stats"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out.rfind("JAIL ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("XDP: passed "), std::string::npos) << r.out;
  auto stats = ctl_json({"stats"});
  ASSERT_TRUE(stats.is_object());
  uint64_t dropped = 0;
  for (const auto &row : stats["jails"])
    if (row["jail"] == "mc-exim-1d")
      dropped = row.value("dropped_packets", uint64_t{0});
  EXPECT_GT(dropped, 0u) << stats.dump();
  EXPECT_GT(stats["xdp"].value("dropped", uint64_t{0}), 0u);
}

TEST_F(CliE2E, ChangesWhileTheDaemonIsDownAreAppliedWhenItStarts) {
  ASSERT_TRUE(ok(daemon->stop()));
  auto r = ctl({"ban", "-j", "mc-exim-1d", "-i", kAttacker});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.err.find("the daemon is not running; the change was written to the store"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(row(kAttacker, "mc-exim-1d")->active);
  r = ctl({"status", "mc-exim-1d"});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.out.find(std::string("Banned IP list:\t") + kAttacker + "\n"), std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("this answer comes from the store"), std::string::npos) << r.err;
  EXPECT_CTL(ctl({"ban", "-j", "mc-exim-1d", "-i", kAttacker}), 3);

  ASSERT_TRUE(ok(daemon->restart())) << daemon->output();
  EXPECT_TRUE(ipset_has("mc-exim-1d", kAttacker)) << daemon->output();
  EXPECT_FALSE(connects(kAttacker, 25));
  r = ctl({"status", "mc-exim-1d"});
  EXPECT_CTL(r, 0);
  EXPECT_TRUE(r.err.empty()) << r.err;
  EXPECT_NE(r.out.find(std::string("Banned IP list:\t") + kAttacker + "\n"), std::string::npos);
}

} // namespace
