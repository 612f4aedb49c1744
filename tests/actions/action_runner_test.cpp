// SPDX-License-Identifier: GPL-2.0-only
// The invariant of actions (no byte of a log is ever shell text) shown by running real
// commands: hostile user names and matched lines reach an action through every tag in
// every quoting context; no file they try to create appears, and each value arrives
// whole. Then a command past its timeout and a failing command.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/fixtures/temp_dir_fixture.h"
#include "userspace/actions/action_service.h"
#include "userspace/actions/tag_substitution.h"

using namespace mcf2b;
using namespace mcf2b::actions;

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

void write_file(const std::string &path, const std::string &text) {
  std::ofstream(path) << text;
}

class ActionRunnerTest : public mcf2b::testing::TempDirTest {
protected:
  ActionServiceOptions options() {
    ActionServiceOptions o;
    o.search.dirs = {dir->path()};
    return o;
  }
  BanEvent ban(const std::string &jail, const char *address = "192.0.2.7") {
    BanEvent e;
    e.jail = jail;
    e.address = IpPrefix::host(*IpAddress::parse(address));
    e.time = 1700000000;
    e.bantime = 600;
    e.failures = 3;
    e.bancount = 1;
    return e;
  }
};

// Every way a command text can hold a tag: unquoted, in double quotes, in single
// quotes, in $(...) inside double quotes, in backticks, after an escaped quote.
std::string probe_commands(const std::vector<std::string> &tags) {
  std::string text = "actionban = ";
  bool first = true;
  for (const auto &tag : tags) {
    std::string f = "<out>/" + tag.substr(1, tag.size() - 2);
    std::string lines[] = {
        "printf '%%s' " + tag + " > " + f + ".unquoted",
        "printf '%%s' \"" + tag + "\" > " + f + ".double",
        "printf '%%s' '" + tag + "' > " + f + ".single",
        "printf '%%s' \"$(printf '%%s' " + tag + ")\" > " + f + ".subst",
        "printf '%%s' \"$(printf '%%s' '" + tag + "')\" > " + f + ".subst-single",
        "v=`printf '%%s' " + tag + "`; printf '%%s' \"$v\" > " + f + ".backticks",
        "v=x" + tag + "; printf '%%s' \"$v\" > " + f + ".assigned",
    };
    for (const auto &l : lines) {
      text += (first ? "" : "\n            ") + l;
      first = false;
    }
  }
  return text + "\n";
}

TEST_F(ActionRunnerTest, LogValuesNeverReachTheShellAndArriveWhole) {
  const std::string pwned = dir->file("pwned");
  const std::string user = "root$(touch " + pwned + "1)`touch " + pwned + "2`; touch " + pwned +
                           "3 | touch " + pwned + "4 && echo '\"\nsecond $(touch " + pwned +
                           "5) line' \\\\ \"*\" ";
  const std::vector<std::string> lines = {
      "Dec  7 10:00:01 host sshd[1]: Failed password for " + user + " from 192.0.2.7",
      "x'; touch " + pwned + "6; echo '", "y\"; touch " + pwned + "7; echo \"",
      "`touch " + pwned + "8` $(touch " + pwned + "9) ${IFS} <ip> <F-USER> %s \\n"};
  const std::vector<std::string> tags = {"<matches>", "<ipmatches>", "<ipjailmatches>",
                                         "<F-USER>",  "<F-ID>",      "<F-CUSTOM_1>"};
  write_file(dir->file("probe.conf"),
             "[Definition]\n" + probe_commands(tags) + "\n[Init]\nout = " + dir->path() + "\n");
  std::string joined;
  for (const auto &l : lines)
    joined += (joined.empty() ? "" : "\n") + l;
  std::map<std::string, std::string> expected = {
      {"matches", joined}, {"ipmatches", joined},  {"ipjailmatches", joined},
      {"F-USER", user},    {"F-ID", "id " + user}, {"F-CUSTOM_1", "custom|" + user}};

  ActionService service(options());
  auto errors = service.start_jail("sshd", {"probe"}, 600);
  ASSERT_TRUE(errors.empty()) << errors.front().message();
  BanEvent e = ban("sshd");
  e.matches = e.ipmatches = e.ipjailmatches = lines;
  e.fields = {{"user", user}, {"fid", "id " + user}, {"custom_1", "custom|" + user}};
  service.banned(e);
  service.drain();

  for (int i = 1; i <= 9; ++i)
    EXPECT_FALSE(exists(pwned + std::to_string(i))) << "a log value was run by the shell: " << i;
  EXPECT_EQ(service.counters().failures, 0u);
  for (const auto &tag : tags) {
    std::string name = tag.substr(1, tag.size() - 2);
    for (const char *context :
         {"unquoted", "double", "single", "subst", "subst-single", "backticks", "assigned"}) {
      std::string got = read_file(dir->file(name + "." + context));
      std::string want = expected.at(name);
      if (std::string(context) == "assigned")
        want = "x" + want;
      EXPECT_EQ(got, want) << tag << " in context " << context;
    }
  }
}

TEST_F(ActionRunnerTest, FamilyConditionalInit) {
  write_file(dir->file("fam.conf"),
             "[Definition]\nactionban = printf '%%s' '<blocktype> <family> <ip>' >> <out>/fam\n"
             "[Init]\nblocktype = REJECT\nout = " +
                 dir->path() + "\n[Init?family=inet6]\nblocktype = REJECT6\n");
  ActionService service(options());
  ASSERT_TRUE(service.start_jail("sshd", {"fam"}, 600).empty());
  service.banned(ban("sshd", "192.0.2.7"));
  service.banned(ban("sshd", "2001:db8::7"));
  service.drain();
  EXPECT_EQ(read_file(dir->file("fam")), "REJECT inet4 192.0.2.7REJECT6 inet6 2001:db8::7");
}

TEST_F(ActionRunnerTest, CommandPastItsTimeoutIsKilledWithItsGroupAndCounted) {
  write_file(dir->file("slow.conf"),
             "[Definition]\nactionban = sleep 300 & echo $! >> <out>/pids; wait; touch <out>/late\n"
             "[Init]\ntimeout = 1\nout = " +
                 dir->path() + "\n");
  ActionService service(options());
  ASSERT_TRUE(service.start_jail("sshd", {"slow"}, 600).empty());
  service.banned(ban("sshd"));
  service.drain();
  // fail2ban runs a failed actionban a second time when the action has no actioncheck.
  EXPECT_EQ(service.counters().timeouts, 2u);
  EXPECT_EQ(service.counters().failures, 2u);
  EXPECT_EQ(service.counters().failures_by_action["slow"], 2u);
  EXPECT_FALSE(exists(dir->file("late")));
  std::istringstream pids(read_file(dir->file("pids")));
  int n = 0;
  for (int pid; pids >> pid; ++n) {
    // The background sleep was in the command's process group: killed with it (a zombie
    // left to an init that does not reap counts as killed).
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    bool alive = !stat.empty() && stat.find(") Z") == std::string::npos;
    EXPECT_FALSE(alive) << "sleep " << pid << " survived the timeout: " << stat;
  }
  EXPECT_EQ(n, 2);
}

TEST_F(ActionRunnerTest, FailureIsLoggedWithStderrAndCounted) {
  write_file(dir->file("broken.conf"),
             "[Definition]\nactionban = echo \"relay refused <ip>\" >&2; exit 3\n");
  ActionService service(options());
  ASSERT_TRUE(service.start_jail("sshd", {"broken"}, 600).empty());
  ::testing::internal::CaptureStderr();
  service.banned(ban("sshd"));
  service.drain();
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("action sshd/broken actionban failed (exit 3): relay refused 192.0.2.7"),
            std::string::npos)
      << log;
  EXPECT_EQ(service.counters().failures, 2u);
  EXPECT_EQ(service.counters().timeouts, 0u);
}

TEST_F(ActionRunnerTest, CheckAndRepairAfterAFailedBan) {
  // fail2ban 1.0.2: a failed actionban runs actioncheck; a failed check runs
  // actionrepair, the check again, then actionban once more.
  write_file(dir->file("repairable.conf"),
             "[Definition]\n"
             "actionstart = echo start >> <out>/log\n"
             "actioncheck = echo check >> <out>/log; test -e <out>/repaired\n"
             "actionrepair = echo repair >> <out>/log; touch <out>/repaired\n"
             "actionban = echo ban >> <out>/log; test -e <out>/repaired\n"
             "actionstop = echo stop >> <out>/log\n"
             "[Init]\nout = " +
                 dir->path() + "\n");
  {
    ActionService service(options());
    ASSERT_TRUE(service.start_jail("sshd", {"repairable"}, 600).empty());
    service.banned(ban("sshd"));
    service.drain();
  }
  EXPECT_EQ(read_file(dir->file("log")), "start\nban\ncheck\nrepair\ncheck\nban\nstop\n");
}

TEST_F(ActionRunnerTest, AFullQueueDropsAndCountsInsteadOfGrowing) {
  write_file(dir->file("busy.conf"),
             "[Definition]\nactionban = sleep 1; echo <ip> >> <out>/ran\n[Init]\nout = " +
                 dir->path() + "\n");
  ActionServiceOptions o = options();
  o.workers = 1;
  o.queue_capacity = 1;
  ActionService service(o);
  ASSERT_TRUE(service.start_jail("sshd", {"busy"}, 600).empty());
  service.drain();
  for (int n = 1; n <= 6; ++n)
    service.banned(ban("sshd", ("192.0.2." + std::to_string(n)).c_str()));
  service.drain();
  // Each ban either ran or was dropped and counted; at most one ran and one waited.
  std::istringstream ran(read_file(dir->file("ran")));
  int ran_count = 0;
  for (std::string line; std::getline(ran, line);)
    ++ran_count;
  EXPECT_EQ(ran_count + static_cast<int>(service.counters().dropped), 6);
  EXPECT_GE(service.counters().dropped, 4u);
}

TEST_F(ActionRunnerTest, FirewallActionsAreReplacedUnlessAsked) {
  write_file(dir->file("iptables-multiport.conf"),
             "[Definition]\nactionban = touch <out>/ran\n[Init]\nout = " + dir->path() + "\n");
  {
    ActionService service(options());
    ASSERT_TRUE(service.start_jail("sshd", {"iptables-multiport[port=ssh]"}, 600).empty());
    auto states = service.status("sshd");
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].mode, ActionState::Mode::replaced_by_enforcement);
    service.banned(ban("sshd"));
    service.drain();
    EXPECT_FALSE(exists(dir->file("ran")));
  }
  ActionServiceOptions o = options();
  o.run_firewall_actions = true;
  ActionService service(o);
  ASSERT_TRUE(service.start_jail("sshd", {"iptables-multiport[port=ssh]"}, 600).empty());
  EXPECT_EQ(service.status("sshd")[0].mode, ActionState::Mode::runs);
  service.banned(ban("sshd"));
  service.drain();
  EXPECT_TRUE(exists(dir->file("ran")));
}

TEST_F(ActionRunnerTest, UnspliceablePortIsRefused) {
  write_file(dir->file("a.conf"), "[Definition]\nactionban = true <port>\n");
  ActionService service(options());
  auto errors = service.start_jail("sshd", {"a[port=\"22;reboot\"]"}, 600);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(service.status("sshd")[0].mode, ActionState::Mode::broken);
}

} // namespace

namespace {

// Every action file of the installed fail2ban loads and every operation of it expands,
// in both families: nothing of the loader or of the static stage refuses a stock file.
TEST(StockActions, EveryInstalledActionLoadsAndExpands) {
  const std::string dir = "/etc/fail2ban/action.d";
  ASSERT_TRUE(exists(dir + "/iptables.conf")) << "fail2ban's action.d is not installed";
  ActionSearchPath search{{dir}};
  int loaded = 0;
  for (const auto &entry : std::filesystem::directory_iterator(dir)) {
    std::string file = entry.path().filename().string();
    if (!file.ends_with(".conf"))
      continue;
    auto def = load_action(
        {file.substr(0, file.size() - 5), {{"port", "ssh"}, {"protocol", "tcp"}}}, "sshd", search);
    if (!def && def.error().message().find("no [Definition]") != std::string::npos)
      continue; // an include only (e.g. a *-common.conf without operations of its own)
    ASSERT_TRUE(def.ok()) << file << ": " << def.error().message();
    ++loaded;
    for (Operation op : {Operation::start, Operation::check, Operation::repair, Operation::ban,
                         Operation::unban, Operation::flush, Operation::stop})
      for (const char *family : {"", "inet4", "inet6"}) {
        auto cmd = expand_static(def->command(op), def->properties, family);
        EXPECT_TRUE(cmd.ok()) << file << " " << operation_key(op) << " " << family << ": "
                              << cmd.error().message();
      }
  }
  EXPECT_GT(loaded, 50);
}

} // namespace
