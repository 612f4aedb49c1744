// SPDX-License-Identifier: GPL-2.0-only
// mcf2bd's ban mails end to end without root: the real daemon (store, controller, log
// sources, control socket) over the in-memory enforcer, configured by the mail commands,
// mailing a real SMTP server (aiosmtpd on a free loopback port); and a daemon killed
// with -9 while its mails wait for a relay that is down.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "protocol/control_client.h"
#include "tests/fixtures/gateway_scenario.h"
#include "tests/daemon/in_memory_daemon.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/temp_dir_fixture.h"
#include "tests/notify/smtp_sink.h"
#include "userspace/daemon/daemon.h"
#include "userspace/enforce/memory_enforcer.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

class DaemonMail : public TempDirTest {
protected:
  DaemonMail() : TempDirTest("daemon-mail") {}
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_EQ(::mkdir(dir->file("jail.d").c_str(), 0755), 0);
    std::ofstream(dir->file("jail.d/mc.conf"))
        << "[mc-exim]\nenabled = true\nlogpath = " << dir->file("rejectlog") << "\n";
    std::ofstream(dir->file("rejectlog")).flush();
    auto p = free_loopback_port();
    ASSERT_TRUE(ok(p));
    port_ = *p;
  }
  void TearDown() override { stop(); }

  DaemonConfig config() const {
    DaemonConfig c;
    c.state_url = "sqlite:" + dir->file("state.sqlite3");
    c.socket_path = dir->file("mcf2bd.sock");
    c.jail_dir = dir->file("jail.d");
    c.filter_dirs = {MCF2B_FILTER_DIR};
    c.cache_dir = dir->file("cache");
    c.interfaces = {"gw0"};
    c.node = "node-a";
    c.mail_relay = "127.0.0.1:" + std::to_string(port_);
    c.mail_queue_dir = dir->file("mail");
    c.mail_interval_s = 2;
    c.mail_retry_s = 1;
    c.mail_retry_max_s = 2;
    return c;
  }
  std::unique_ptr<Daemon> start_daemon() {
    auto d = Daemon::start(config(), [](const DaemonConfig &) {
      return Result<std::unique_ptr<Enforcer>>(
          std::make_unique<MemoryEnforcer>(std::make_shared<MemoryEnforcer::Kernel>()));
    });
    EXPECT_TRUE(ok(d));
    return d ? std::move(*d) : nullptr;
  }
  // Every daemon of these tests starts over an empty kernel.
  void start() {
    daemon_.kernel = std::make_shared<MemoryEnforcer::Kernel>();
    ASSERT_TRUE(daemon_.start(config()));
  }
  void stop() { (void)daemon_.stop(); }
  // Also reaches a daemon run by a child process on the same socket.
  control::Response call(const std::string &command, json args = json::object()) {
    return call_daemon(dir->file("mcf2bd.sock"), command, std::move(args));
  }
  void configure_mails() {
    for (auto [cmd, args] :
         {std::pair{"mail.dest", json{{"email", "admin@example.com"}}},
          std::pair{"mail.src", json{{"email", "fail2ban@node-a.example.com"}}},
          std::pair{"mail.name", json{{"name", "MailCleaner node-a"}}},
          std::pair{"jail.modify-mail", json{{"jail", "mc-exim-1d"}, {"send", true}}}}) {
      auto r = call(cmd, args);
      ASSERT_TRUE(r.ok) << cmd << ": " << r.error.message;
    }
  }
  void ban_by_log(const std::string &ip) {
    std::string lines;
    for (int n = 0; n < 5; ++n) // mc-exim-1d: maxretry 5
      lines += exim_reject_line(ip, n);
    std::ofstream(dir->file("rejectlog"), std::ios::app) << lines;
  }
  size_t spooled() const {
    size_t n = 0;
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator(dir->file("mail"), ec))
      n += e.path().extension() == ".notice";
    return n;
  }

  uint16_t port_ = 0;
  InMemoryDaemon daemon_;
};

TEST_F(DaemonMail, ALogBanInAJailWithSendMailIsMailedWithItsMatchedLines) {
  auto sink = SmtpSink::start(port_, dir->file("received"));
  ASSERT_TRUE(ok(sink));
  start();
  configure_mails();
  ban_by_log("203.0.113.5");
  auto mails = sink->wait_for(1, 30s);
  ASSERT_EQ(mails.size(), 1u);
  const auto &m = mails[0];
  EXPECT_EQ(m.at("mail_from"), "fail2ban@node-a.example.com");
  EXPECT_EQ(m.at("rcpt_tos"), json::array({"admin@example.com"}));
  EXPECT_EQ(header_values(m, "Subject"),
            std::vector<std::string>{"[mcf2b] banned 203.0.113.5 in mc-exim-1d"});
  EXPECT_EQ(header_values(m, "From"),
            std::vector<std::string>{"\"MailCleaner node-a\" <fail2ban@node-a.example.com>"});
  std::string body = m.at("body");
  EXPECT_NE(body.find("Failures: 5\n"), std::string::npos) << body;
  // The log's own lines, as they were written.
  EXPECT_NE(body.find(" H=(attacker4) [203.0.113.5] F=<spam@example.org> rejected RCPT "
                      "<user4@example.com>: relay not permitted\n"),
            std::string::npos)
      << body;
  EXPECT_TRUE(eventually([&] {
    auto s = call("stats");
    return s.ok && s.result["daemon"]["mail_sent"] == 1;
  }));
}

TEST_F(DaemonMail, MailsQueuedWhenTheDaemonIsKilledArriveAfterItsRestart) {
  // The relay is down. A child process runs the daemon, bans three addresses from the
  // log and spools their mails; it is killed with -9.
  {
    start();
    configure_mails();
    stop();
  }
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto d = start_daemon();
    if (!d)
      ::_exit(2);
    d->run();
    ::_exit(0);
  }
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(dir->file("mcf2bd.sock")); }));
  for (const char *ip : {"198.51.100.1", "198.51.100.2", "198.51.100.3"})
    ban_by_log(ip);
  bool all_spooled = eventually([&] { return spooled() == 3; });
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(all_spooled) << spooled() << " notice(s) spooled";
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

  // Restarted with the relay up: every mail arrives, each address once.
  auto sink = SmtpSink::start(port_, dir->file("received"));
  ASSERT_TRUE(ok(sink));
  start();
  std::multiset<std::string> addresses;
  ASSERT_TRUE(eventually([&] {
    addresses.clear();
    for (const auto &m : sink->messages()) {
      std::string body = m.at("body");
      for (size_t at = 0; (at = body.find("Address:  ", at)) != std::string::npos;) {
        at += 10;
        addresses.insert(body.substr(at, body.find('\n', at) - at));
      }
    }
    return addresses.size() >= 3;
  }));
  std::this_thread::sleep_for(3s); // past the interval: a duplicate would show
  addresses.clear();
  for (const auto &m : sink->messages()) {
    std::string body = m.at("body");
    for (size_t at = 0; (at = body.find("Address:  ", at)) != std::string::npos;) {
      at += 10;
      addresses.insert(body.substr(at, body.find('\n', at) - at));
    }
  }
  EXPECT_EQ(addresses,
            (std::multiset<std::string>{"198.51.100.1", "198.51.100.2", "198.51.100.3"}));
  EXPECT_EQ(spooled(), 0u);
}

} // namespace
