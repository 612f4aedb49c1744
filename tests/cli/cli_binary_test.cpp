// SPDX-License-Identifier: GPL-2.0-only
// The built mcf2b-ctl binary: help and version, usage errors (exit 2) and value errors
// (exit 1) reported in one line before anything is contacted, the daemon-unreachable
// path answered by a SQLite store in a temp folder (changes there, "already" as exit 3),
// and a real control server refusing the caller (permission denied, exit 1).
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <poll.h>
#include <thread>

#include "base/fd.h"
#include "protocol/control_server.h"
#include "tests/cli/ctl_runner.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

// A Unix socket bound to `path` (not listening), or none. Closing it leaves the file, as
// a dead daemon does.
Fd bound_socket(const std::string &path) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
    return Fd();
  return fd;
}

// A store and a socket path nobody listens on, in a fresh folder.
class OfflineCtl : public ::testing::Test {
protected:
  void SetUp() override {
    auto d = TempDir::create("ctl");
    ASSERT_TRUE(ok(d));
    dir.emplace(std::move(*d));
    socket = dir->file("mcf2bd.sock");
    state_path = dir->file("state.sqlite3");
    state_url = "sqlite:" + state_path;
  }

  CtlRun ctl(std::vector<std::string> args) {
    std::vector<std::string> full = {"--socket", socket, "--state", state_url};
    full.insert(full.end(), args.begin(), args.end());
    return run_ctl(full);
  }

  std::unique_ptr<StateStore> store() {
    auto s = open_store(state_url);
    EXPECT_TRUE(ok(s));
    return s ? std::move(*s) : nullptr;
  }

  std::optional<TempDir> dir;
  std::string socket, state_path, state_url;
};

TEST(CtlBinary, PrintsItsVersion) {
  auto r = run_ctl({"--version"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out, "mcf2b-ctl 0.1.0\n");
}

TEST(CtlBinary, HelpListsCommandsAndExitCodes) {
  auto r = run_ctl({"--help"});
  EXPECT_CTL(r, 0);
  for (const char *word : {"status", "ban", "unban", "jail", "general", "blacklist", "whitelist",
                           "list", "stats", "test-filter", "--socket", "--state", "--json",
                           "Exit codes: 0 success, 1 error", "3 already in that state"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
}

TEST(CtlBinary, EverySubcommandsHelpHasExamples) {
  const std::vector<std::vector<std::string>> commands = {{"status"},
                                                          {"ban"},
                                                          {"unban"},
                                                          {"jail"},
                                                          {"jail", "enable"},
                                                          {"jail", "disable"},
                                                          {"jail", "change"},
                                                          {"jail", "add"},
                                                          {"jail", "remove"},
                                                          {"jail", "list"},
                                                          {"general"},
                                                          {"general", "enable"},
                                                          {"general", "disable"},
                                                          {"general", "enable-bl"},
                                                          {"general", "disable-bl"},
                                                          {"blacklist"},
                                                          {"blacklist", "enable"},
                                                          {"blacklist", "disable"},
                                                          {"blacklist", "add"},
                                                          {"blacklist", "remove"},
                                                          {"blacklist", "list"},
                                                          {"whitelist"},
                                                          {"whitelist", "add"},
                                                          {"whitelist", "remove"},
                                                          {"whitelist", "list"},
                                                          {"list"},
                                                          {"stats"}};
  for (auto args : commands) {
    std::string name = args.back();
    args.push_back("--help");
    auto r = run_ctl(args);
    EXPECT_CTL(r, 0);
    EXPECT_NE(r.out.find("Example"), std::string::npos) << "no examples in " << name << "'s help";
    EXPECT_NE(r.out.find("mcf2b-ctl " + std::string(args[0])), std::string::npos) << name;
  }
}

TEST(CtlBinary, UsageErrorsExitTwoInOneLine) {
  const std::vector<std::vector<std::string>> usage_errors = {
      {},                                                             // no subcommand
      {"frobnicate"},                                                 // unknown subcommand
      {"ban", "--frobnicate", "-j", "mc-exim-1d", "-i", "192.0.2.1"}, // unknown option
      {"ban", "-i", "192.0.2.1"},                                     // missing -j
      {"ban", "-j", "mc-exim-1d"},                                    // missing -i
      {"unban", "-j", "mc-exim"},                                     // missing -i
      {"jail"},                                                       // missing jail subcommand
      {"jail", "frob", "-j", "mc-exim"},
      {"jail", "enable"}, // missing -j
      {"jail", "change", "-j", "mc-exim-1d", "--option", "colour", "-v", "3"},
      {"jail", "change", "-j", "mc-exim-1d", "-v", "3"}, // missing --option
      {"jail", "add", "custom", "--maxretry", "3"},      // missing the rest
      {"jail", "remove"},                                // no name
      {"status", "mc-exim", "--all"},                    // both
      {"status", "a", "b"},                              // extra positional
      {"general", "enable-bl", "-v"},                    // -v without value
      {"whitelist", "add", "-i", "192.0.2.1"},
      {"list", "--active=maybe"},
      {"test-filter", "--use-dns", "maybe", "/dev/null", "sshd"}, // not a usedns value
      {"--timeout", "0", "list"}};
  for (const auto &args : usage_errors) {
    auto r = run_ctl(args);
    std::string shown;
    for (const auto &a : args)
      shown += a + " ";
    EXPECT_EQ(r.code, 2) << shown << "\nstderr: " << r.err;
    EXPECT_TRUE(one_line(r.err)) << shown << "\nstderr: " << r.err;
    EXPECT_EQ(r.err.rfind("mcf2b-ctl: ", 0), 0u) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST_F(OfflineCtl, MalformedValuesExitOneBeforeAnythingIsContacted) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> errors = {
      {{"ban", "-j", "mc-exim-1d", "-i", "999.1.1.1"}, "malformed address or prefix '999.1.1.1'"},
      {{"ban", "-j", "mc-exim-1d", "-i", "203.0.113"}, "malformed address or prefix"},
      {{"ban", "-j", "mc-exim-1d", "-i", "10.0.0.1/8"}, "malformed address or prefix"},
      {{"ban", "-j", "mc-exim-1d", "-i", "2001:db8::/129"}, "malformed address or prefix"},
      {{"ban", "-j", "mc exim", "-i", "192.0.2.1"}, "invalid jail name"},
      {{"ban", "-j", "mc-exim-1d", "-i", "192.0.2.1", "--bantime", "soon"}, "invalid bantime"},
      {{"unban", "-i", "example.org"}, "malformed address or prefix"},
      {{"whitelist", "add", "-j", "mc-exim", "-i", "192.0.2.0/33"}, "malformed address"},
      {{"blacklist", "add", "-j", "mc-exim", "-i", "1.2.3.4.5"}, "malformed address"},
      {{"general", "enable-bl", "-v", "0"}, "at least 1"},
      {{"general", "enable-bl", "-v", "three"}, "whole number"},
      {{"blacklist", "enable", "-j", "mc-exim", "-v", "0"}, "at least 1"},
      {{"jail", "change", "-j", "mc-ssh-1d", "--option", "bantime", "-v", "soon"},
       "invalid bantime"},
      {{"jail", "change", "-j", "mc-ssh-1d", "--option", "findtime", "-v", "-1"},
       "invalid findtime"},
      {{"jail", "change", "-j", "mc-ssh-1d", "--option", "maxretry", "-v", "0"}, "at least 1"},
      {{"jail", "change", "-j", "mc-ssh-1d", "--option", "maxretry", "-v", "4294967301"},
       "at most 2147483647"},
      {{"jail", "add", "custom-1d", "--maxretry", "3", "--findtime", "1h", "--bantime", "1d",
        "--port", "25,nonsense", "--filter", "f", "--logpath", "/var/log/x"},
       "invalid port list"},
      {{"jail", "add", "custom-1d", "--maxretry", "3", "--findtime", "often", "--bantime", "1d",
        "--port", "25", "--filter", "f", "--logpath", "/var/log/x"},
       "invalid findtime"},
  };
  for (const auto &[args, message] : errors) {
    auto r = ctl(args);
    EXPECT_EQ(r.code, 1) << args[0] << " " << args.back() << "\nstderr: " << r.err;
    EXPECT_TRUE(one_line(r.err)) << r.err;
    EXPECT_EQ(r.err.rfind("mcf2b-ctl: ", 0), 0u) << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
  // Neither the daemon nor the store was asked: the store was never created.
  EXPECT_FALSE(std::filesystem::exists(state_path));
}

TEST_F(OfflineCtl, ReadsComeFromTheStoreAndSaySo) {
  auto r = ctl({"jail", "list", "--json"});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.err.find("the daemon is not running; this answer comes from the store sqlite:"),
            std::string::npos)
      << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["jails"].size(), 15u); // MailCleaner's defaults, seeded

  r = ctl({"status"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out, "Status\n|- Number of jail:\t0\n`- Jail list:\t\n"); // all disabled

  r = ctl({"jail", "list"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out.rfind("NAME", 0), 0u);
  EXPECT_NE(r.out.find("\nmc-exim-1d     no "), std::string::npos) << r.out;
}

TEST_F(OfflineCtl, ChangesGoToTheStoreAndAlreadyExitsThree) {
  auto r = ctl({"jail", "enable", "-j", "mc-exim"});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.err.find("the daemon is not running; the change was written to the store"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("will be applied when the daemon starts"), std::string::npos);
  EXPECT_NE(r.out.find("Enabled jail mc-exim-1d"), std::string::npos) << r.out;
  {
    auto s = store();
    ASSERT_TRUE(s);
    for (const char *tier : {"mc-exim-1d", "mc-exim-1w", "mc-exim-1m", "mc-exim-1y"}) {
      auto jail = s->get_jail(tier);
      ASSERT_TRUE(ok(jail));
      ASSERT_TRUE(jail->has_value());
      EXPECT_TRUE((*jail)->enabled) << tier;
    }
    EXPECT_FALSE((*s->get_jail("mc-ssh-1d"))->enabled);
  }

  r = ctl({"jail", "enable", "-j", "mc-exim-1d"});
  EXPECT_CTL(r, 3);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("already enabled"), std::string::npos) << r.err;

  r = ctl({"status"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out, "Status\n|- Number of jail:\t4\n`- Jail list:\tmc-exim-1d, mc-exim-1w, "
                   "mc-exim-1m, mc-exim-1y\n");

  r = ctl({"-q", "ban", "-j", "mc-exim-1d", "-i", "203.0.113.5"});
  EXPECT_CTL(r, 0);
  EXPECT_TRUE(r.out.empty()) << r.out; // -q
  {
    auto s = store();
    auto ban = s->get_ban(*IpPrefix::parse("203.0.113.5"), "mc-exim-1d");
    ASSERT_TRUE(ok(ban));
    ASSERT_TRUE(ban->has_value());
    EXPECT_TRUE((*ban)->active);
    EXPECT_EQ((*ban)->count, 1);
  }

  r = ctl({"status", "mc-exim-1d"});
  EXPECT_CTL(r, 0);
  // Total banned is the daemon's count since it started: the store does not keep it.
  size_t total = r.out.find("   |- Total banned:\t");
  ASSERT_NE(total, std::string::npos) << r.out;
  EXPECT_EQ(r.out.substr(0, total), "Status for the jail: mc-exim-1d\n"
                                    "|- Filter\n"
                                    "|  |- Currently failed:\t0\n"
                                    "|  |- Total failed:\t0\n"
                                    "|  `- File list:\t/var/mailcleaner/log/exim_stage1/rejectlog\n"
                                    "`- Actions\n"
                                    "   |- Currently banned:\t1\n");
  EXPECT_NE(r.out.find("\n   `- Banned IP list:\t203.0.113.5\n", total), std::string::npos);

  r = ctl({"ban", "-j", "mc-exim-1d", "-i", "203.0.113.5"});
  EXPECT_CTL(r, 3);

  r = ctl({"list", "--active", "--json"});
  EXPECT_CTL(r, 0);
  auto list = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(list.is_object()) << r.out;
  ASSERT_EQ(list["bans"].size(), 1u);
  EXPECT_EQ(list["bans"][0]["ip"], "203.0.113.5");

  r = ctl({"unban", "-i", "203.0.113.5", "--f2b-call"});
  EXPECT_CTL(r, 0);
  EXPECT_NE(r.out.find("Unbanned 203.0.113.5 from mc-exim-1d"), std::string::npos) << r.out;
  {
    auto s = store();
    auto ban = s->get_ban(*IpPrefix::parse("203.0.113.5"), "mc-exim-1d");
    ASSERT_TRUE(ok(ban));
    ASSERT_TRUE(ban->has_value());
    EXPECT_FALSE((*ban)->active);
  }
  r = ctl({"unban", "-i", "203.0.113.5"});
  EXPECT_CTL(r, 1);
  EXPECT_NE(r.err.find("not banned"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("the daemon is not running"), std::string::npos) << r.err;
}

TEST_F(OfflineCtl, UnknownJailsAndRefusedBansExitOneWithAReason) {
  auto r = ctl({"ban", "-j", "mc-exm-1d", "-i", "203.0.113.5"});
  EXPECT_CTL(r, 1);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("mc-exim-1d"), std::string::npos) << "no closest name in: " << r.err;

  r = ctl({"jail", "enable", "-j", "mc-exim-1d"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = ctl({"ban", "-j", "mc-exim-1d", "-i", "198.51.0.0/16"});
  EXPECT_CTL(r, 1);
  EXPECT_NE(r.err.find("wider than"), std::string::npos) << r.err;
  r = ctl({"ban", "-j", "mc-exim-1d", "-i", "198.51.0.0/16", "--yes"});
  EXPECT_CTL(r, 0);
  r = ctl({"ban", "-j", "mc-exim-1d", "-i", "127.0.0.1"});
  EXPECT_CTL(r, 1);
}

TEST_F(OfflineCtl, WhitelistingAWideRangeNeedsConfirmationAsABanDoes) {
  // A whitelisted range lifts every ban inside it: 0.0.0.0/0 would lift them all.
  auto r = ctl({"jail", "enable", "-j", "mc-exim-1d"});
  ASSERT_EQ(r.code, 0) << r.err;
  r = ctl({"ban", "-j", "mc-exim-1d", "-i", "203.0.113.5"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char *range : {"0.0.0.0/0", "203.0.0.0/16", "::/0"}) {
    r = ctl({"whitelist", "add", "-j", "mc-exim", "-i", range});
    EXPECT_CTL(r, 1);
    EXPECT_NE(r.err.find("wider than"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--yes"), std::string::npos) << r.err;
  }
  r = ctl({"list", "--active"});
  EXPECT_NE(r.out.find("203.0.113.5"), std::string::npos) << "the ban was lifted: " << r.out;
  r = ctl({"blacklist", "add", "-j", "mc-exim", "-i", "198.51.0.0/16"});
  EXPECT_CTL(r, 1);
  r = ctl({"whitelist", "add", "-j", "mc-exim", "-i", "203.0.113.0/24"});
  EXPECT_CTL(r, 0);
  r = ctl({"whitelist", "add", "-j", "mc-exim", "-i", "0.0.0.0/0", "--yes"});
  EXPECT_CTL(r, 0);
}

TEST_F(OfflineCtl, AStaleSocketCountsAsNoDaemon) {
  // A socket file left by a dead daemon: connect() is refused.
  {
    Fd stale = bound_socket(socket);
    ASSERT_TRUE(stale);
  }
  auto r = ctl({"list"});
  EXPECT_CTL(r, 0);
  EXPECT_EQ(r.out, "No bans.\n");
  EXPECT_NE(r.err.find("this answer comes from the store"), std::string::npos) << r.err;
}

TEST_F(OfflineCtl, AnUnopenableStoreIsOneLineExitOne) {
  // A file that is no database.
  ASSERT_TRUE(ok(run_program({"cp", "/proc/self/status", dir->file("garbage.db")})));
  auto r = run_ctl({"--socket", socket, "--state", "sqlite:" + dir->file("garbage.db"), "list"});
  EXPECT_CTL(r, 1);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("the daemon is not running"), std::string::npos) << r.err;
  r = run_ctl({"--socket", socket, "--state", "postgres://x/y", "list"});
  EXPECT_CTL(r, 1);
  EXPECT_TRUE(one_line(r.err)) << r.err;
}

TEST_F(OfflineCtl, TheSocketComesFromTheEnvironmentToo) {
  // MCF2B_SOCKET is read by mcf2b-ctl; run it through env(1) to set it for the child only.
  auto r = run_program(
      {"env", "MCF2B_SOCKET=" + socket, "MCF2B_STATE=" + state_url, MCF2B_CTL_PATH, "list"});
  ASSERT_TRUE(ok(r));
  EXPECT_EQ(r->exit_code, 0) << r->err;
  EXPECT_NE(r->err.find(state_path), std::string::npos) << r->err;
}

TEST_F(OfflineCtl, ADaemonThatDoesNotAnswerIsAnErrorNotAFallback) {
  // Listening but never accepting: the connection completes into the backlog, and the
  // answer never comes.
  Fd fd = bound_socket(socket);
  ASSERT_TRUE(fd);
  ASSERT_EQ(::listen(fd.get(), 8), 0);
  auto r = ctl({"--timeout", "1", "ban", "-j", "mc-exim-1d", "-i", "203.0.113.5"});
  EXPECT_CTL(r, 1);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("did not answer"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(state_path)); // a busy daemon is no reason to bypass it
}

TEST_F(OfflineCtl, APeerTheServerRefusesGetsPermissionDenied) {
  // The real control server, serving only a uid that is not ours.
  auto server = control::ControlServer::listen(socket, ::getuid() + 4242);
  ASSERT_TRUE(ok(server));
  std::atomic<bool> stop{false};
  std::thread loop([&] {
    while (!stop) {
      pollfd p{server->fd(), POLLIN, 0};
      if (::poll(&p, 1, 50) > 0)
        server->process([](const control::Request &, const control::PeerCredentials &) {
          return control::Response::success();
        });
    }
  });
  auto r = ctl({"list"});
  stop = true;
  loop.join();
  EXPECT_CTL(r, 1);
  EXPECT_TRUE(one_line(r.err)) << r.err;
  EXPECT_NE(r.err.find("permission denied"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(state_path)); // no fallback to the store
}

} // namespace
