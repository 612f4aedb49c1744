// SPDX-License-Identifier: GPL-2.0-only
// Stock action.d files run by mcf2b and by the real fail2ban 1.0.2 server for the same
// bans, with the same recording stubs first on PATH (sendmail, whois, curl and a
// MailCleaner-style mc-send-rbl script): each stub records its argument vector and its
// standard input, and both sides' records must be the same.
//
// fail2ban runs privately: fail2ban-server in the foreground with its own socket,
// pidfile, log and configuration folder (a copy of the installed action.d, a test
// filter, a jail.conf naming the same actions). Two bans: `fail2ban-client set test
// banip ADDR` (no matched lines, 0 failures), then a ban fail2ban makes itself from two
// log lines whose user name holds shell syntax (matched lines, failures, <F-USER>).
//
// Differences that are on purpose, and how the comparison treats them:
//  - The mails' Date: header is the time the command ran (`date` in the action): it is
//    replaced by "Date: (when sent)" on both sides before comparing.
//  - Log values reach mcf2b's commands through the environment (MCF2B_MATCHES,
//    MCF2B_F_USER), fail2ban's through shell variables ($f2bV_matches) when they hold a
//    shell character, spliced otherwise. Inside double quotes, where these actions use
//    them, both give the program the same bytes: the records agree. (Unquoted, mcf2b
//    passes one word where fail2ban word-splits; the unit test of tag_substitution
//    shows that case.)
//  - The sendmail-common.local written next to the copied action files points mailcmd
//    at "sendmail" on PATH instead of /usr/sbin/sendmail, for both sides.
#include <gtest/gtest.h>

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "base/subprocess.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir_fixture.h"
#include "userspace/actions/action_service.h"

using namespace mcf2b;
using namespace mcf2b::actions;

namespace {

std::string read_file(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string &path, const std::string &text, mode_t mode = 0644) {
  std::ofstream(path) << text;
  ::chmod(path.c_str(), mode);
}

bool exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// Every record of a folder: file name -> content (argv NUL-separated, or stdin).
std::map<std::string, std::string> records(const std::string &dir) {
  std::map<std::string, std::string> out;
  DIR *d = ::opendir(dir.c_str());
  if (!d)
    return out;
  while (dirent *e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..")
      continue;
    std::string text = read_file(dir + "/" + name);
    // The Date: header is when the mail was made (see the file's comment).
    for (size_t p = text.find("Date: "); p != std::string::npos; p = text.find("Date: ", p + 1))
      if (p == 0 || text[p - 1] == '\n')
        text.replace(p, text.find('\n', p) - p, "Date: (when sent)");
    out[name] = text;
  }
  ::closedir(d);
  return out;
}

std::string printable(const std::string &s) {
  std::string out;
  for (char c : s)
    out += c == '\0' ? std::string("|") : std::string(1, c);
  return out;
}

// Waits (bounded) until a record exists; the stubs write argv last.
bool wait_for(const std::string &path) {
  for (int i = 0; i < 600; ++i) {
    if (exists(path))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

const char *kStub = R"(#!/bin/sh
# Records its arguments (NUL-separated) and its standard input, numbered per program.
name=$(basename "$0")
n=$(ls "$REC" | grep -c "^$name\..*\.argv$")
cat > "$REC/$name.$n.stdin"
[ "$name" = whois ] && echo "whois data for $1"
for a in "$@"; do printf '%s\0' "$a"; done > "$REC/$name.$n.argv"
exit 0
)";

// The user name the second ban's log lines carry: shell syntax that must stay data.
const std::string kUser = "x$(touch${IFS}pwned)`id`;|'\"y";
const std::string kAddress = "192.0.2.7", kLogAddress = "192.0.2.9";

class Fail2banAgreementTest : public mcf2b::testing::TempDirTest {
protected:
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_TRUE(mcf2b::testing::require_program("fail2ban-server"));
    ASSERT_TRUE(mcf2b::testing::require_program("fail2ban-client"));
    ASSERT_TRUE(exists("/etc/fail2ban/action.d/sendmail-whois-lines.conf"))
        << "fail2ban's action.d is not installed (apt-get install fail2ban)";
    for (const char *d : {"conf", "conf/action.d", "conf/filter.d", "bin", "rec-f2b", "rec-mcf2b"})
      ::mkdir(dir->file(d).c_str(), 0755);
    auto copied =
        run_program({"sh", "-c", "cp /etc/fail2ban/action.d/* \"$0\"", dir->file("conf/action.d")});
    ASSERT_TRUE(copied && copied->exit_code == 0);
    write_file(dir->file("conf/action.d/sendmail-common.local"),
               "[Init]\nmailcmd = sendmail -f \"<sender>\" \"<dest>\"\n");
    // MailCleaner's style: a script of its own called with the address and the jail.
    write_file(dir->file("conf/action.d/mc-send-rbl.conf"),
               "[Definition]\nactionban = mc-send-rbl <ip> <name> <bantime>\n");
    write_file(dir->file("conf/action.d/mc-send-rbl-user.conf"),
               "[Definition]\nactionban = mc-send-rbl <ip> <name> <failures> \"<F-USER>\" "
               "\"<matches>\"\n");
    write_file(dir->file("conf/filter.d/mcf2b-test.conf"),
               "[Definition]\nfailregex = ^auth failure for <F-USER>\\S+</F-USER> from <HOST>$\n"
               "datepattern = {NONE}\n");
    for (const char *stub : {"sendmail", "whois", "curl", "mc-send-rbl"})
      write_file(dir->file(std::string("bin/") + stub), kStub, 0755);
    write_file(dir->file("empty.log"), "");
    write_file(dir->file("lines.log"), "Dec  7 10:00:01 gw exim: rejected " + kAddress +
                                           " x\nDec  7 10:00:02 gw exim: other 192.0.2.70\n");
    write_file(dir->file("conf/fail2ban.conf"),
               "[Definition]\nloglevel = INFO\nlogtarget = " + dir->file("f2b.log") +
                   "\nsyslogsocket = auto\nsocket = " + dir->file("f2b.sock") +
                   "\npidfile = " + dir->file("f2b.pid") +
                   "\ndbfile = :memory:\ndbpurgeage = 1d\ndbmaxmatches = 10\n[Thread]\n");
    std::string jails = "[DEFAULT]\nbackend = polling\nusedns = no\n"
                        "[test]\nenabled = true\nfilter = mcf2b-test\nlogpath = " +
                        dir->file("empty.log") +
                        "\nport = smtp,465\nprotocol = tcp\nbantime = 600\n"
                        "action = " +
                        test_actions()[0] + "\n         " + test_actions()[1] + "\n         " +
                        test_actions()[2] +
                        "\n"
                        "[logs]\nenabled = true\nfilter = mcf2b-test\nlogpath = " +
                        dir->file("auth.log") +
                        "\nmaxretry = 2\nfindtime = 600\nbantime = 600\n"
                        "action = " +
                        log_actions()[0] + "\n         " + log_actions()[1] + "\n";
    write_file(dir->file("auth.log"), "");
    write_file(dir->file("conf/jail.conf"), jails);
  }

  std::vector<std::string> test_actions() const {
    return {"sendmail-whois-lines[name=test, dest=\"admin@example.org\", "
            "sender=\"f2b@example.org\", logpath=\"" +
                dir->file("lines.log") + "\"]",
            "abuseipdb[abuseipdb_apikey=\"k3y\", abuseipdb_category=\"18,22\"]", "mc-send-rbl"};
  }
  std::vector<std::string> log_actions() const {
    return {"abuseipdb[abuseipdb_apikey=\"k3y\", abuseipdb_category=\"18\"]", "mc-send-rbl-user"};
  }
  std::vector<std::string> log_lines() const {
    return {"auth failure for " + kUser + " from " + kLogAddress,
            "auth failure for " + kUser + " from " + kLogAddress};
  }

  std::string path_with_stubs() const {
    const char *path = std::getenv("PATH");
    return dir->file("bin") + ":" + (path ? path : "/usr/bin:/bin");
  }
};

TEST_F(Fail2banAgreementTest, StockActionsRunTheSameCommandsAsFail2ban) {
  // Both sides run their commands here: a `touch pwned` that ran would leave its file.
  ASSERT_EQ(::chdir(dir->path().c_str()), 0);
  // --- fail2ban 1.0.2 ---
  ::setenv("PATH", path_with_stubs().c_str(), 1);
  ::setenv("REC", dir->file("rec-f2b").c_str(), 1);
  auto server = ChildProcess::spawn({"fail2ban-server", "-f", "-x", "-c", dir->file("conf"), "-s",
                                     dir->file("f2b.sock"), "-p", dir->file("f2b.pid")},
                                    dir->file("server.out"));
  ASSERT_TRUE(server.ok()) << server.error().message();
  ASSERT_TRUE(wait_for(dir->file("rec-f2b/sendmail.0.argv")))
      << "fail2ban did not start the jail: " << read_file(dir->file("f2b.log"));
  auto banned = run_program(
      {"fail2ban-client", "-s", dir->file("f2b.sock"), "set", "test", "banip", kAddress});
  ASSERT_TRUE(banned && banned->exit_code == 0) << read_file(dir->file("f2b.log"));
  ASSERT_TRUE(wait_for(dir->file("rec-f2b/mc-send-rbl.0.argv")));
  ASSERT_TRUE(wait_for(dir->file("rec-f2b/sendmail.1.argv")));
  ASSERT_TRUE(wait_for(dir->file("rec-f2b/curl.0.argv")));
  {
    std::ofstream log(dir->file("auth.log"), std::ios::app);
    for (const auto &line : log_lines())
      log << line << "\n";
  }
  ASSERT_TRUE(wait_for(dir->file("rec-f2b/mc-send-rbl.1.argv")))
      << "fail2ban did not ban from the log: " << read_file(dir->file("f2b.log"));
  ASSERT_TRUE(wait_for(dir->file("rec-f2b/curl.1.argv")));
  auto stopped = run_program({"fail2ban-client", "-s", dir->file("f2b.sock"), "stop"});
  ASSERT_TRUE(stopped && stopped->exit_code == 0);
  ASSERT_TRUE(wait_for(dir->file("rec-f2b/sendmail.2.argv")));
  ASSERT_TRUE(server->wait(60000).ok());

  // --- mcf2b, the same bans ---
  ::setenv("REC", dir->file("rec-mcf2b").c_str(), 1);
  {
    ActionServiceOptions options;
    options.search.dirs = {dir->file("conf/action.d")};
    ActionService service(options);
    auto errors = service.start_jail("test", test_actions(), 600);
    ASSERT_TRUE(errors.empty()) << errors.front().message();
    errors = service.start_jail("logs", log_actions(), 600);
    ASSERT_TRUE(errors.empty()) << errors.front().message();
    service.drain();
    BanEvent manual; // fail2ban's banip: no lines, 0 failures
    manual.jail = "test";
    manual.address = IpPrefix::host(*IpAddress::parse(kAddress));
    manual.time = ::time(nullptr);
    manual.bantime = 600;
    service.banned(manual);
    service.drain();
    BanEvent from_log;
    from_log.jail = "logs";
    from_log.address = IpPrefix::host(*IpAddress::parse(kLogAddress));
    from_log.time = ::time(nullptr);
    from_log.bantime = 600;
    from_log.failures = 2;
    from_log.matches = from_log.ipjailmatches = from_log.ipmatches = log_lines();
    from_log.fields = {{"user", kUser}};
    service.banned(from_log);
    service.drain();
    service.stop();
    EXPECT_EQ(service.counters().failures, 0u);
  }

  auto theirs = records(dir->file("rec-f2b"));
  auto ours = records(dir->file("rec-mcf2b"));
  EXPECT_EQ(theirs.size(), 16u) << "fail2ban's records: 3 sendmail, 1 whois, 2 curl, 2 mc-send-rbl";
  for (const auto &[name, text] : theirs) {
    auto it = ours.find(name);
    ASSERT_NE(it, ours.end()) << "mcf2b did not run what fail2ban recorded as " << name << ": "
                              << printable(text);
    EXPECT_EQ(printable(it->second), printable(text)) << name;
  }
  for (const auto &[name, text] : ours)
    EXPECT_TRUE(theirs.count(name))
        << "mcf2b ran more than fail2ban: " << name << ": " << printable(text);
  EXPECT_FALSE(exists(dir->file("pwned"))) << "a log value reached a shell";
  // What the log ban carried, as both sides passed it.
  EXPECT_EQ(printable(ours["mc-send-rbl.1.argv"]),
            printable(kLogAddress + '\0' + "logs" + '\0' + "2" + '\0' + kUser + '\0' +
                      log_lines()[0] + "\n" + log_lines()[1] + '\0'));
}

} // namespace
