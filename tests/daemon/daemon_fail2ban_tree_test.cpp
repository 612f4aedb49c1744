// SPDX-License-Identifier: GPL-2.0-only
// mcf2bd started with --fail2ban-dir over a copy of the installed package's /etc/fail2ban:
// the tree's enabled jails are the daemon's (kernel slots, status, whitelist), their logs
// ban, mcf2b's own jail folder wins where both name a jail, and a restart keeps it so.
// The real daemon code over the in-memory enforcer: no root.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "protocol/control_client.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/daemon/in_memory_daemon.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/temp_dir_fixture.h"
#include "userspace/daemon/daemon.h"
#include "userspace/daemon/daemon_config.h"
#include "userspace/daemon/fail2ban_jail.h"
#include "userspace/enforce/memory_enforcer.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using nlohmann::json;

namespace {

class DaemonFail2banTree : public TempDirTest {
protected:
  DaemonFail2banTree() : TempDirTest("daemon-f2b-tree") {}
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_TRUE(std::filesystem::is_regular_file("/etc/fail2ban/jail.conf"))
        << "this test needs Debian's fail2ban package installed (/etc/fail2ban)";
    std::filesystem::copy("/etc/fail2ban", dir->file("fail2ban"),
                          std::filesystem::copy_options::recursive);
    std::ofstream(dir->file("mail.log")).flush();
    // sshd reads the journal; postfix its log, with a whitelist.
    std::ofstream(dir->file("fail2ban/jail.local"))
        << "[sshd]\nbackend = systemd\n\n"
        << "[postfix]\nenabled = true\nlogpath = " << dir->file("mail.log") << "\n"
        << "ignoreip = 198.51.100.0/24\n";
    std::filesystem::create_directory(dir->file("jail.d"));
  }
  void TearDown() override { stop(); }

  DaemonConfig config() const {
    DaemonConfig c;
    c.state_url = "sqlite:" + dir->file("state.sqlite3");
    c.socket_path = dir->file("mcf2bd.sock");
    c.jail_dir = dir->file("jail.d");
    c.fail2ban_dir = dir->file("fail2ban");
    c.filter_dirs = {MCF2B_FILTER_DIR};
    c.cache_dir = dir->file("cache");
    c.interfaces = {"gw0"};
    c.node = "node-a";
    return c;
  }
  void start() {
    daemon_.kernel = kernel_;
    ASSERT_TRUE(daemon_.start(config()));
  }
  void stop() { EXPECT_EQ(daemon_.stop(), 0); }
  control::Response call(const std::string &command, json args = json::object()) {
    return daemon_.call(command, std::move(args));
  }
  // A postfix rejection of `ip` as the stock postfix filter knows it, stamped now.
  static std::string postfix_reject(const std::string &ip, int n) {
    char stamp[32];
    std::time_t now = std::time(nullptr);
    std::strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", std::localtime(&now));
    return std::string(stamp) + " gw postfix/smtpd[" + std::to_string(1000 + n) +
           "]: NOQUEUE: reject: RCPT from unknown[" + ip +
           "]: 554 5.7.1 <spam@example.org>: Relay access denied; from=<a@example.com> "
           "to=<spam@example.org> proto=ESMTP helo=<x>\n";
  }
  void append_mail_log(const std::string &ip, int count) {
    std::ofstream log(dir->file("mail.log"), std::ios::app);
    for (int n = 0; n < count; ++n)
      log << postfix_reject(ip, n);
  }

  std::shared_ptr<MemoryEnforcer::Kernel> kernel_ = std::make_shared<MemoryEnforcer::Kernel>();
  InMemoryDaemon daemon_;
};

TEST_F(DaemonFail2banTree, TheTreesEnabledJailsAreTheDaemonsAndBan) {
  start();
  // MailCleaner's 15 seeded jails and the tree's two enabled ones, each with its slot.
  EXPECT_TRUE(kernel_->jails().count("sshd"));
  EXPECT_TRUE(kernel_->jails().count("postfix"));
  EXPECT_FALSE(kernel_->jails().count("dovecot")); // disabled in the tree
  auto status = call("status");
  ASSERT_TRUE(status.ok) << status.error.message;
  EXPECT_NE(status.result["jails"].dump().find("postfix"), std::string::npos);
  EXPECT_TRUE(kernel_->whitelist().count({"postfix", IpPrefix::parse("198.51.100.0/24").value()}));

  // postfix (maxretry 5 from jail.conf's [DEFAULT]) bans from its log.
  append_mail_log(kAttacker, 5);
  ASSERT_TRUE(eventually(
      [&] { return kernel_->bans("postfix").count(IpPrefix::parse(kAttacker).value()) == 1; }));
  // A whitelisted address is never banned.
  append_mail_log("198.51.100.9", 6);
  append_mail_log("192.0.2.77", 5);
  ASSERT_TRUE(eventually(
      [&] { return kernel_->bans("postfix").count(IpPrefix::parse("192.0.2.77").value()) == 1; }));
  EXPECT_EQ(kernel_->bans("postfix").count(IpPrefix::parse("198.51.100.9").value()), 0u);
}

TEST_F(DaemonFail2banTree, AJailsOwnIgnoreregexReachesTheFilterTheDaemonRuns) {
  // fail2ban adds a jail section's ignoreregex to the filter's rules: the daemon's log
  // pipeline must apply it, not only the tree's reading.
  std::ofstream(dir->file("fail2ban/jail.local"), std::ios::app)
      << "ignoreregex = ^RCPT from unknown\\[192\\.0\\.2\\.66\\]\n";
  start();
  append_mail_log("192.0.2.66", 6);
  append_mail_log("192.0.2.77", 5);
  ASSERT_TRUE(eventually(
      [&] { return kernel_->bans("postfix").count(IpPrefix::parse("192.0.2.77").value()) == 1; }));
  // 192.0.2.66's six lines came first in the same log: read, and ignored.
  EXPECT_EQ(kernel_->bans("postfix").count(IpPrefix::parse("192.0.2.66").value()), 0u);
}

TEST_F(DaemonFail2banTree, McfTwoBsOwnJailFolderWinsAndARestartKeepsIt) {
  // The tree says maxretry 5 for postfix; mcf2b's own jail folder says 2.
  std::ofstream(dir->file("jail.d/postfix.local")) << "[postfix]\nmaxretry = 2\n";
  start();
  stop();
  start(); // the second start reads the same files over its own stored rows
  append_mail_log(kAttacker, 2);
  ASSERT_TRUE(eventually(
      [&] { return kernel_->bans("postfix").count(IpPrefix::parse(kAttacker).value()) == 1; }));
}

TEST_F(DaemonFail2banTree, TheSettingIsAConfigKeyAndAFlagAndItsFiltersComeAfterMcfTwoBs) {
  std::ofstream(dir->file("mcf2bd.conf")) << "[mcf2bd]\nfail2ban_dir = /etc/fail2ban\n";
  DaemonConfig c;
  ASSERT_TRUE(ok(read_daemon_config(dir->file("mcf2bd.conf"), c)));
  EXPECT_EQ(c.fail2ban_dir, "/etc/fail2ban");
  EXPECT_TRUE(DaemonConfig{}.fail2ban_dir.empty()) << "no fail2ban tree unless asked";
  const auto &options = daemon_options();
  auto option = std::find_if(options.begin(), options.end(),
                             [](const DaemonOption &o) { return o.key == "fail2ban_dir"; });
  ASSERT_NE(option, options.end());
  EXPECT_EQ(option->flag, "--fail2ban-dir");
  // The tree's filter.d: after mcf2b's own, before the stock one; not twice.
  const std::vector<std::string> dirs = {"/etc/mcf2b/filter.d", "/usr/share/mcf2b/filter.d",
                                         "/etc/fail2ban/filter.d"};
  EXPECT_EQ(filter_dirs_with_tree(dirs, "/srv/f2b/"),
            (std::vector<std::string>{"/etc/mcf2b/filter.d", "/usr/share/mcf2b/filter.d",
                                      "/srv/f2b/filter.d", "/etc/fail2ban/filter.d"}));
  EXPECT_EQ(filter_dirs_with_tree(dirs, "/etc/fail2ban"), dirs);
}

} // namespace
