// SPDX-License-Identifier: GPL-2.0-only
// mcf2b-ctl import-fail2ban --bans without root: the rows of fail2ban's database that
// are in force, and the whole command against a database the real fail2ban 1.0.2 wrote,
// with no daemon running (the store takes the bans; the daemon enforces them when it
// starts).
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "control/fail2ban/ban_database.h"
#include "tests/cli/ctl_runner.h"
#include "tests/fixtures/fail2ban_server.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::control;
using namespace mcf2b::testing;
using nlohmann::json;

namespace {

TEST(Fail2banBansInForce, KeepsWhatFail2bansRestoreKeeps) {
  const Seconds now = 1'800'000'000;
  std::vector<Fail2banBanRow> rows = {
      {"sshd", "203.0.113.5", now - 100, 600, 1},       // in force
      {"sshd", "203.0.113.6", now - 600, 600, 1},       // ended right now
      {"sshd", "2001:db8::5", now - 99999, -1, 4},      // permanent
      {"recidive", "198.51.100.7", now - 10, -2, 1},    // length unknown
      {"custom", "user@example.org", now - 10, 600, 1}, // not an address
  };
  auto f = bans_in_force(rows, now);
  ASSERT_EQ(f.in_force.size(), 2u);
  EXPECT_EQ(f.in_force[0].ip.to_string(), "203.0.113.5");
  EXPECT_EQ(f.in_force[0].start, now - 100);
  EXPECT_EQ(f.in_force[0].end, now + 500);
  EXPECT_EQ(f.in_force[1].ip.to_string(), "2001:db8::5");
  EXPECT_EQ(f.in_force[1].end, 0);
  EXPECT_EQ(f.in_force[1].count, 4);
  EXPECT_EQ(f.ended, 1u);
  ASSERT_EQ(f.unusable.size(), 2u);
  EXPECT_NE(f.unusable[0].reason.find("unknown ban length"), std::string::npos);
  EXPECT_EQ(f.unusable[1].reason, "not an IP address");
}

class ImportFail2banOffline : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(require_program("fail2ban-server"));
    auto d = TempDir::create("import");
    ASSERT_TRUE(ok(d));
    dir.emplace(std::move(*d));
    state = "sqlite:" + dir->file("state.sqlite3");
  }

  CtlRun ctl(std::vector<std::string> args) {
    std::vector<std::string> full = {"--socket", dir->file("no-daemon.sock"), "--state", state};
    full.insert(full.end(), args.begin(), args.end());
    return run_ctl(full);
  }

  std::optional<BanRecord> row(const std::string &ip, const std::string &jail) {
    auto s = open_store(state);
    EXPECT_TRUE(ok(s));
    if (!s)
      return std::nullopt;
    auto b = (*s)->get_ban(*IpPrefix::parse(ip), jail);
    EXPECT_TRUE(ok(b));
    return b ? *b : std::nullopt;
  }

  std::optional<TempDir> dir;
  std::string state;
};

TEST_F(ImportFail2banOffline, BansInForceOfARealFail2banReachTheStoreWithTheirEndAndCount) {
  // fail2ban's own server bans: a day in mc-exim-1d, forever in sshd, twice in mc-ssh-1d
  // (bantime.increment: the second ban is 2 s * 3600 and counts 2), and in a jail mcf2b
  // does not have.
  auto f2b = Fail2banServer::start(
      {{"mc-exim-1d", "bantime = 1d\n"},
       {"mc-ssh-1d", "bantime = 2\nbantime.increment = true\nbantime.multipliers = 1 3600\n"},
       {"sshd", "bantime = -1\n"},
       {"recidive", "bantime = 1w\n"}});
  ASSERT_TRUE(ok(f2b));
  ASSERT_TRUE(ok(f2b->ban("mc-ssh-1d", "203.0.113.6"))) << f2b->log();
  ASSERT_TRUE(ok(f2b->wait_unbanned("mc-ssh-1d"))) << f2b->log();
  ASSERT_TRUE(ok(f2b->ban("mc-ssh-1d", "203.0.113.6")));
  ASSERT_TRUE(ok(f2b->ban("mc-exim-1d", "203.0.113.5")));
  ASSERT_TRUE(ok(f2b->ban("sshd", "2001:db8::5")));
  ASSERT_TRUE(ok(f2b->ban("recidive", "198.51.100.7")));
  ASSERT_TRUE(ok(f2b->stop())) << f2b->log();
  auto reference = fail2ban_rows(f2b->database());
  ASSERT_EQ(reference.size(), 4u) << f2b->log();
  const Fail2banRow twice = reference[{"mc-ssh-1d", "203.0.113.6"}];
  ASSERT_EQ(twice.count, 2) << "fail2ban's increment did not count the second ban";
  ASSERT_EQ(twice.bantime, 7200);

  // mcf2b's jails, set up with no daemon: MailCleaner's families and a jail sshd.
  EXPECT_CTL(ctl({"jail", "enable", "-j", "mc-exim"}), 0);
  EXPECT_CTL(ctl({"jail", "enable", "-j", "mc-ssh"}), 0);
  EXPECT_CTL(ctl({"jail", "add", "sshd", "--maxretry", "3", "--findtime", "10m", "--bantime", "1h",
                  "--port", "22", "--filter", "sshd", "--logpath", "/var/log/auth.log"}),
             0);

  auto r = ctl({"import-fail2ban", "--bans", f2b->database()});
  EXPECT_CTL(r, 1); // recidive is not an mcf2b jail
  EXPECT_NE(r.out.find("skipped 198.51.100.7 in recidive: unknown jail 'recidive'"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("4 ban(s) in force, 3 imported, 1 skipped"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("the daemon is not running; the change was written to the store"),
            std::string::npos)
      << r.err;

  auto exim = row("203.0.113.5", "mc-exim-1d");
  ASSERT_TRUE(exim);
  EXPECT_TRUE(exim->active);
  const Fail2banRow &exim_ref = reference[{"mc-exim-1d", "203.0.113.5"}];
  EXPECT_EQ(exim->ban_start, exim_ref.time);
  EXPECT_EQ(exim->ban_end, exim_ref.time + 86400);
  EXPECT_EQ(exim->count, 1);
  auto ssh = row("203.0.113.6", "mc-ssh-1d");
  ASSERT_TRUE(ssh);
  EXPECT_TRUE(ssh->active);
  EXPECT_EQ(ssh->ban_end, twice.time + 7200);
  EXPECT_EQ(ssh->count, 2);
  auto forever = row("2001:db8::5", "sshd");
  ASSERT_TRUE(forever);
  EXPECT_TRUE(forever->active);
  EXPECT_TRUE(forever->permanent());
  EXPECT_FALSE(row("198.51.100.7", "recidive"));
  // Nothing else was banned: the other tiers were not touched.
  EXPECT_FALSE(row("203.0.113.5", "mc-exim-1w"));

  // Again: every ban is there already; --json says so, ban by ban.
  r = ctl({"import-fail2ban", "--bans", f2b->database(), "--json"});
  EXPECT_CTL(r, 1);
  json j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["in_force"], 4);
  EXPECT_EQ(j["version"], 4);
  EXPECT_TRUE(j["bans"].empty());
  ASSERT_EQ(j["skipped"].size(), 4u);
  size_t already = 0;
  for (const auto &s : j["skipped"])
    already += s["reason"] == "already banned";
  EXPECT_EQ(already, 3u) << r.out;
}

TEST_F(ImportFail2banOffline, AnImportRunTwiceExitsThreeTheSecondTime) {
  auto f2b = Fail2banServer::start({{"mc-exim-1d", "bantime = 1d\n"}});
  ASSERT_TRUE(ok(f2b));
  ASSERT_TRUE(ok(f2b->ban("mc-exim-1d", "203.0.113.5")));
  ASSERT_TRUE(ok(f2b->stop()));
  EXPECT_CTL(ctl({"jail", "enable", "-j", "mc-exim"}), 0);
  auto r = ctl({"import-fail2ban", "--bans", f2b->database()});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out.rfind("imported 203.0.113.5 in mc-exim-1d until ", 0), 0u) << r.out;
  r = ctl({"import-fail2ban", "--bans", f2b->database()});
  EXPECT_CTL(r, 3);
  EXPECT_TRUE(one_line(r.err.substr(r.err.rfind("mcf2b-ctl:")))) << r.err;
}

TEST_F(ImportFail2banOffline, MissingAndForeignFilesAreClearErrors) {
  auto r = ctl({"import-fail2ban", "--bans", dir->file("nothing.sqlite3")});
  EXPECT_CTL(r, 1);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("cannot read fail2ban database"), std::string::npos) << r.err;
  // mcf2b's own store is SQLite, but not fail2ban's.
  EXPECT_CTL(ctl({"jail", "list"}), 0);
  r = ctl({"import-fail2ban", "--bans", dir->file("state.sqlite3")});
  EXPECT_CTL(r, 1);
  EXPECT_NE(r.err.find("is not a fail2ban database"), std::string::npos) << r.err;
  r = ctl({"import-fail2ban", "--bans", "/etc/hostname"});
  EXPECT_CTL(r, 1);
  EXPECT_NE(r.err.find("is not a fail2ban database"), std::string::npos) << r.err;
  EXPECT_CTL(ctl({"import-fail2ban", "--bans"}), 2);
  r = ctl({"import-fail2ban", dir->file("no-such-tree")});
  EXPECT_CTL(r, 1);
  EXPECT_TRUE(one_line(r.err)) << r.err;
}

// import-fail2ban DIR on a copy of the installed package's /etc/fail2ban with a
// jail.local: what the jails become, and --apply storing the one a row can hold.
TEST_F(ImportFail2banOffline, ATreeIsReportedJailByJailAndApplied) {
  const std::string tree = dir->file("fail2ban");
  std::filesystem::copy("/etc/fail2ban", tree, std::filesystem::copy_options::recursive);
  std::ofstream(tree + "/jail.local")
      << "[sshd]\nenabled = true\nbackend = systemd\nbantime.increment = true\n"
         "bantime.maxtime = 1w\n\n[postfix]\nenabled = true\nlogpath = /var/log/mail.log\n"
         "action = %(action_mw)s\n";
  auto r = ctl({"import-fail2ban", tree});
  EXPECT_CTL(r, 0);
  for (const char *expected :
       {"[sshd]\n", "reads:     journal matching _SYSTEMD_UNIT=sshd.service + _COMM=sshd",
        "escalates: bantime.increment: formula ban.Time * (1<<(ban.Count if ban.Count<20 else "
        "20)) * banFactor, factor 1, maxtime 7d",
        "[postfix]\n", "ports:     smtp,465,submission", "maxretry 5, findtime 10m, bantime 10m",
        "iptables-multiport carried out by mcf2b's enforcement"})
    EXPECT_NE(r.out.find(expected), std::string::npos) << expected << "\n" << r.out;
  auto j = json::parse(ctl({"import-fail2ban", tree, "--json"}).out, nullptr, false);
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["jails"].size(), 2u);
  EXPECT_EQ(j["jails"][0]["name"], "sshd");
  EXPECT_EQ(j["jails"][0]["backend"], "systemd");
  EXPECT_EQ(j["jails"][1]["logpaths"], json::array({"/var/log/mail.log"}));
  EXPECT_FALSE(row("203.0.113.5", "postfix")); // nothing stored without --apply
  r = ctl({"import-fail2ban", tree, "--apply"});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.out.find("stored postfix\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not stored sshd: it reads the journal"), std::string::npos) << r.out;
  auto s = open_store(state);
  ASSERT_TRUE(ok(s));
  auto postfix = (*s)->get_jail("postfix");
  ASSERT_TRUE(ok(postfix));
  ASSERT_TRUE(postfix->has_value());
  EXPECT_EQ((*postfix)->port, "smtp,465,submission");
  EXPECT_EQ((*postfix)->logpath, "/var/log/mail.log");
  EXPECT_EQ((*postfix)->bantime, 600);
  r = ctl({"import-fail2ban", tree, "--apply"});
  EXPECT_NE(r.out.find("kept postfix: mcf2b has this jail already"), std::string::npos) << r.out;
}

} // namespace
