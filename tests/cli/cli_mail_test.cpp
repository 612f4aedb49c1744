// SPDX-License-Identifier: GPL-2.0-only
// The built mcf2b-ctl through MailCleaner's mail commands: `mail dest|src|name|show|
// modify` and `jail modify-mail`, with --json and the exit codes, against the store when
// no daemon runs (offline) and against a running daemon (over the in-memory enforcer:
// no root), where the same walk gives the same answers.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/cli/ctl_runner.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/daemon/daemon.h"
#include "userspace/enforce/memory_enforcer.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using nlohmann::json;

namespace {

class CtlMail : public ::testing::TestWithParam<bool> {
protected:
  void SetUp() override {
    auto d = TempDir::create("ctl-mail");
    ASSERT_TRUE(ok(d));
    dir.emplace(std::move(*d));
    state_url = "sqlite:" + dir->file("state.sqlite3");
    ASSERT_EQ(::mkdir(dir->file("jail.d").c_str(), 0755), 0);
    if (GetParam()) { // online: a daemon answers
      DaemonConfig c;
      c.state_url = state_url;
      c.socket_path = dir->file("mcf2bd.sock");
      c.jail_dir = dir->file("jail.d");
      c.filter_dirs = {MCF2B_FILTER_DIR};
      c.cache_dir = dir->file("cache");
      c.mail_queue_dir = dir->file("mail");
      c.interfaces = {"gw0"};
      c.node = "node-a";
      auto daemon = Daemon::start(c, [](const DaemonConfig &) {
        return Result<std::unique_ptr<Enforcer>>(
            std::make_unique<MemoryEnforcer>(std::make_shared<MemoryEnforcer::Kernel>()));
      });
      ASSERT_TRUE(ok(daemon));
      daemon_ = std::move(*daemon);
      loop_ = std::thread([this] { daemon_->run(); });
    } else { // offline: the store holds MailCleaner's jails, nobody listens
      auto store = open_store(state_url);
      ASSERT_TRUE(ok(store));
      ASSERT_TRUE(ok((*store)->seed_default_jails()));
    }
  }
  void TearDown() override {
    if (daemon_) {
      daemon_->request_stop();
      loop_.join();
    }
  }

  CtlRun ctl(std::vector<std::string> args) {
    std::vector<std::string> full = {"--socket", dir->file("mcf2bd.sock"), "--state", state_url};
    full.insert(full.end(), args.begin(), args.end());
    return run_ctl(full);
  }
  // Offline, mcf2b-ctl says on stderr that the store answered; online it says nothing.
  void expect_answered_by_the_right_side(const CtlRun &r) {
    if (GetParam())
      EXPECT_EQ(r.err, "") << r.err;
    else
      EXPECT_NE(r.err, "") << "offline: the store answered, and the command says so";
  }

  std::optional<TempDir> dir;
  std::string state_url;
  std::unique_ptr<Daemon> daemon_;
  std::thread loop_;
};

TEST_P(CtlMail, TheMailCommandsWalk) {
  auto r = ctl({"mail", "dest", "-e", "admin@example.com"});
  EXPECT_CTL(r, 0);
  expect_answered_by_the_right_side(r);
  EXPECT_CTL(ctl({"mail", "src", "-e", "fail2ban@mx1.example.com"}), 0);
  EXPECT_CTL(ctl({"-q", "mail", "name", "-n", "MailCleaner mx1"}), 0);

  r = ctl({"mail", "show", "--json"});
  EXPECT_CTL(r, 0);
  auto shown = json::parse(r.out);
  EXPECT_EQ(shown, (json{{"src_email", "fail2ban@mx1.example.com"},
                         {"src_name", "MailCleaner mx1"},
                         {"dest_email", "admin@example.com"}}));
  r = ctl({"mail", "show"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out, "sender:    fail2ban@mx1.example.com\nname:      MailCleaner mx1\n"
                   "recipient: admin@example.com\n");

  // The address is checked before anything is asked: a header injection, no @.
  for (const char *bad : {"admin@example.com\r\nBcc: x@evil.example", "admin", "a b@example.com"}) {
    r = ctl({"mail", "dest", "-e", bad});
    EXPECT_CTL(r, 1);
    EXPECT_TRUE(one_line(r.err)) << r.err;
  }
  EXPECT_CTL(ctl({"mail", "name", "-n", "x\nBcc: y@evil.example"}), 1);
  EXPECT_CTL(ctl({"mail", "dest"}), 2);           // -e is required
  EXPECT_CTL(ctl({"mail", "modify"}), 2);         // --send or --no-send
  EXPECT_CTL(ctl({"mail", "modify", "--send", "--no-send"}), 2);
  EXPECT_CTL(ctl({"mail", "bogus"}), 2);

  // send_mail_bl of every jail: on by default (MailCleaner's), so --send is "already".
  EXPECT_CTL(ctl({"mail", "modify", "--send"}), 3);
  r = ctl({"mail", "modify", "--no-send", "--json"});
  EXPECT_CTL(r, 0);
  auto jails = json::parse(r.out)["jails"];
  EXPECT_EQ(jails.size(), 15u);
  for (const auto &j : jails)
    EXPECT_EQ(j["send_mail_bl"], false) << j.dump();

  // send_mail of one jail, or of a family's tiers.
  r = ctl({"jail", "modify-mail", "-j", "mc-exim-1d", "--send"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out, "Ban mails on in jail mc-exim-1d\n");
  EXPECT_CTL(ctl({"jail", "modify-mail", "-j", "mc-exim-1d", "--send"}), 3);
  r = ctl({"jail", "modify-mail", "-j", "mc-ssh", "--send", "--json"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(json::parse(r.out)["jails"].size(), 4u); // its four tiers
  EXPECT_CTL(ctl({"jail", "modify-mail", "-j", "mc-nosuch-1d", "--send"}), 1);
  EXPECT_CTL(ctl({"jail", "modify-mail", "-j", "mc-exim-1d"}), 2);

  r = ctl({"jail", "list", "--json"});
  EXPECT_CTL(r, 0);
  const json listed = json::parse(r.out); // kept: a loop over a temporary's member dangles
  for (const auto &j : listed["jails"]) {
    std::string name = j["name"];
    bool mails = name == "mc-exim-1d" || (name.starts_with("mc-ssh-") && !name.ends_with("-bl"));
    EXPECT_EQ(j["send_mail"], mails) << j.dump();
  }
  // What the store keeps is what MailCleaner's tables say.
  if (daemon_) {
    daemon_->request_stop();
    loop_.join();
    daemon_.reset();
  }
  auto store = open_store(state_url);
  ASSERT_TRUE(ok(store));
  auto conf = (*store)->get_mail_conf();
  ASSERT_TRUE(ok(conf));
  EXPECT_EQ(conf->dest_email, "admin@example.com");
  auto exim = (*store)->get_jail("mc-exim-1d");
  ASSERT_TRUE(ok(exim));
  ASSERT_TRUE(exim->has_value());
  EXPECT_TRUE((*exim)->send_mail);
  EXPECT_FALSE((*exim)->send_mail_bl);
}

INSTANTIATE_TEST_SUITE_P(OfflineAndOnline, CtlMail, ::testing::Values(false, true),
                         [](const auto &p) { return p.param ? "online" : "offline"; });

} // namespace
