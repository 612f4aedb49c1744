// SPDX-License-Identifier: GPL-2.0-only
// mcf2bd runs a jail's action.d actions: a jail file's action lines, a ban made from log
// lines whose user name holds shell syntax (the action gets the matched lines, the
// failures, <F-USER> and the filter's own <F-GATE> as data), a firewall action replaced by the
// enforcement and shown so by status, the unban and the stop. The real daemon over the in-memory
// enforcer.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include "protocol/control_client.h"
#include "tests/daemon/in_memory_daemon.h"
#include "tests/fixtures/eventually.h"
#include "tests/fixtures/temp_dir_fixture.h"
#include "userspace/daemon/daemon.h"
#include "userspace/enforce/memory_enforcer.h"

using namespace mcf2b;
using namespace mcf2b::testing;
using nlohmann::json;

namespace {

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

class DaemonActions : public TempDirTest {
protected:
  DaemonActions() : TempDirTest("daemon-actions") {}
  void SetUp() override {
    TempDirTest::SetUp();
    for (const char *d : {"jail.d", "action.d", "filter.d", "out"})
      ASSERT_EQ(::mkdir(dir->file(d).c_str(), 0755), 0);
    std::ofstream(dir->file("auth.log")).flush();
    std::ofstream(dir->file("jail.d/probe.conf"))
        << "[probe]\nenabled = true\nfilter = probe-filter\nlogpath = " << dir->file("auth.log")
        << "\nmaxretry = 2\nfindtime = 600\nbantime = 600\n"
        << "action = probe-action[out=\"" << dir->file("out") << "\"]\n"
        << "         iptables-multiport[port=ssh]\n";
    std::ofstream(dir->file("action.d/probe-action.conf"))
        << "[Definition]\n"
           "actionstart = touch <out>/started\n"
           "actionban = printf '%%s' \"<F-USER>\" > <out>/user\n"
           "            printf '%%s' '<matches>' > <out>/matches\n"
           "            printf '%%s' <ip> <failures> <bantime> > <out>/ban\n"
           "            printf '%%s' <F-GATE> > <out>/gate\n"
           "            touch <out>/ban-done\n"
           "actionunban = touch <out>/unbanned\n"
           "actionstop = touch <out>/stopped\n";
    // sshd's failure line with one more capture of the filter's own, <F-GATE>.
    std::ofstream(dir->file("filter.d/probe-filter.conf"))
        << "[Definition]\nfailregex = ^\\s*gw sshd\\[\\d+\\]: Failed password for invalid user "
           "<F-USER>\\S+</F-USER> from <HOST> port <F-GATE>\\d+</F-GATE> ssh2$\n";
    std::ofstream(dir->file("action.d/iptables-multiport.conf"))
        << "[Definition]\nactionban = touch " << dir->file("out/firewall") << "\n";
  }

  void TearDown() override { stop(); }
  void stop() { exit_status_ = daemon_.stop(); }

  InMemoryDaemon daemon_;
  int exit_status_ = -1;

  DaemonConfig config() const {
    DaemonConfig c;
    c.state_url = "sqlite:" + dir->file("state.sqlite3");
    c.socket_path = dir->file("mcf2bd.sock");
    c.jail_dir = dir->file("jail.d");
    c.filter_dirs = {dir->file("filter.d"), MCF2B_FILTER_DIR};
    c.action_dirs = {dir->file("action.d")};
    c.cache_dir = dir->file("cache");
    c.interfaces = {"gw0"};
    c.node = "node-a";
    c.log_timezone = "UTC";
    return c;
  }

  control::Response call(const std::string &command, json args = json::object()) {
    return daemon_.call(command, std::move(args));
  }

  std::string sshd_line(const std::string &user, const std::string &ip, int age = 0) const {
    char stamp[32];
    std::time_t now = std::time(nullptr) - age;
    std::tm tm{};
    ::gmtime_r(&now, &tm);
    std::strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
    return std::string(stamp) + " gw sshd[4242]: Failed password for invalid user " + user +
           " from " + ip + " port 2222 ssh2";
  }
};

TEST_F(DaemonActions, ABanFromLogsRunsTheJailsActionsWithItsLinesAsData) {
  ASSERT_TRUE(daemon_.start(config()));

  ASSERT_TRUE(eventually([&] { return exists(dir->file("out/started")); }));
  auto status = call("status", {{"jail", "probe"}});
  ASSERT_TRUE(status.ok) << status.error.message;
  EXPECT_EQ(status.result["jails"][0]["actions"],
            json::parse(R"([{"action":"probe-action","mode":"runs"},
                            {"action":"iptables-multiport","mode":"replaced"}])"))
      << status.result.dump();

  const std::string pwned = dir->file("out/pwned");
  const std::string user = "x$(touch${IFS}" + pwned + ")`touch${IFS}" + pwned + "`;'";
  const std::string lines = sshd_line(user, "203.0.113.9") + "\n" + sshd_line(user, "203.0.113.9");
  std::ofstream(dir->file("auth.log"), std::ios::app) << lines << "\n";
  // The action's commands run in order; its last one says they all ran.
  ASSERT_TRUE(eventually([&] { return exists(dir->file("out/ban-done")); }));
  EXPECT_EQ(read_file(dir->file("out/ban")), "203.0.113.92600");
  EXPECT_EQ(read_file(dir->file("out/matches")), lines);
  EXPECT_EQ(read_file(dir->file("out/user")), user);
  EXPECT_EQ(read_file(dir->file("out/gate")), "2222");
  EXPECT_FALSE(exists(pwned)) << "a log value reached a shell";
  EXPECT_FALSE(exists(dir->file("out/firewall"))) << "a replaced firewall action ran";

  ASSERT_TRUE(call("unban", {{"jail", "probe"}, {"ip", "203.0.113.9"}}).ok);
  ASSERT_TRUE(eventually([&] { return exists(dir->file("out/unbanned")); }));
  stop();
  EXPECT_EQ(exit_status_, 0);
  EXPECT_TRUE(exists(dir->file("out/stopped")));
}

// A matched line too old for the jail's findtime counts for nothing: it is not among the
// <matches> the ban hands its actions (fail2ban drops it before its ticket too).
TEST_F(DaemonActions, ALineTooOldToCountIsNotAmongTheBansMatches) {
  ASSERT_TRUE(daemon_.start(config()));
  ASSERT_TRUE(eventually([&] { return exists(dir->file("out/started")); }));
  const std::string old = sshd_line("old", "203.0.113.7", 3600); // findtime is 600
  const std::string fresh = sshd_line("a", "203.0.113.7") + "\n" + sshd_line("b", "203.0.113.7");
  std::ofstream(dir->file("auth.log"), std::ios::app) << old << "\n" << fresh << "\n";
  ASSERT_TRUE(eventually([&] { return exists(dir->file("out/ban-done")); }));
  EXPECT_EQ(read_file(dir->file("out/matches")), fresh);
  EXPECT_EQ(read_file(dir->file("out/ban")), "203.0.113.72600");
}

} // namespace
