// SPDX-License-Identifier: GPL-2.0-only
// Where jails read beyond their row's single logpath: several files and globs (a file
// that appears later is picked up), and the systemd journal (real journal files written
// by systemd-journal-remote): failures reach the right family with the right address,
// a restart resumes after the saved cursor with nothing counted twice, and a journal
// that cannot be opened makes a broken jail with its reason.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "tests/fixtures/journal_writer.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir_fixture.h"
#include "userspace/controller/clock.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/daemon/jail_files.h"
#include "userspace/daemon/log_sources.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using mcf2b::testing::ok;

namespace {

class JailLogPaths : public mcf2b::testing::TempDirTest {
protected:
  JailLogPaths() : TempDirTest("logpaths") {}
  void SetUp() override {
    TempDirTest::SetUp();
    std::ofstream(dir->file("auth.conf")) << "[Definition]\nfailregex = auth failure from <HOST>$\n"
                                          << "[Init]\njournalmatch = _COMM=authd\n";
    auto s = open_store("sqlite:" + dir->file("state.sqlite3"));
    ASSERT_TRUE(ok(s));
    store = std::move(*s);
  }
  void configure(const std::string &name, const std::string &filter, int maxretry,
                 JailLocalOptions local) {
    JailConfig jail;
    jail.name = name;
    jail.filter = filter;
    jail.maxretry = maxretry;
    jail.findtime = 3600;
    jail.bantime = 600;
    controller.configure({jail});
    options.jail_local_options[name] = std::move(local);
  }
  void build() {
    errors.clear();
    options.timezone = "UTC";
    options.filter_dirs = {"/etc/fail2ban/filter.d"};
    auto built = LogSources::build(controller, *store, options, errors);
    ASSERT_TRUE(ok(built));
    sources = std::move(*built);
  }
  // Processes every source; returns the failures by address.
  std::map<std::string, int> process_all() {
    std::map<std::string, int> failures;
    for (size_t i = 0; i < sources.size(); ++i) {
      auto n = sources.process(i, [&](JailFamilyId family, const IpPrefix &prefix, Seconds t) {
        ++failures[prefix.address().to_string()];
        decisions.append(controller.failure(family, prefix, t));
      });
      EXPECT_TRUE(ok(n)) << sources.path(i);
    }
    return failures;
  }
  static std::string line(const std::string &ip) {
    return "2026-01-01 00:00:00 auth failure from " + ip + "\n";
  }
  void append(const std::string &file, const std::string &text) {
    std::ofstream(dir->file(file), std::ios::app) << text;
  }

  ManualClock clock{static_cast<Seconds>(::time(nullptr))};
  JailController controller{clock};
  std::unique_ptr<StateStore> store;
  LogSourceOptions options;
  LogSources sources;
  Decisions decisions;
  std::vector<Error> errors;
};

TEST_F(JailLogPaths, AJailReadsSeveralFilesAndAGlobAndPicksUpFilesThatAppearLater) {
  std::filesystem::create_directory(dir->file("vhosts"));
  for (const char *f : {"a.log", "b.log", "vhosts/one.log"})
    std::ofstream(dir->file(f)).flush();
  JailLocalOptions local;
  local.logpaths = {dir->file("a.log"), dir->file("b.log"), dir->file("vhosts/*.log")};
  configure("web", dir->file("auth.conf"), 10, local);
  build();
  EXPECT_TRUE(errors.empty()) << errors.front().message();
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_TRUE(sources.broken_jails().empty());

  append("a.log", line("192.0.2.1"));
  append("b.log", line("192.0.2.2") + line("192.0.2.2"));
  append("vhosts/one.log", line("192.0.2.3"));
  EXPECT_EQ(process_all(),
            (std::map<std::string, int>{{"192.0.2.1", 1}, {"192.0.2.2", 2}, {"192.0.2.3", 1}}));
  EXPECT_TRUE(sources.pick_up_new_files().empty());

  // A file created after start: picked up, read from its start.
  append("vhosts/two.log", line("192.0.2.4") + line("192.0.2.4"));
  append("vhosts/skipped.txt", line("192.0.2.99")); // not named by the glob
  auto added = sources.pick_up_new_files();
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(sources.path(added[0]), dir->file("vhosts/two.log"));
  EXPECT_GE(sources.fd(added[0]), 0);
  EXPECT_EQ(process_all(), (std::map<std::string, int>{{"192.0.2.4", 2}}));
  EXPECT_TRUE(sources.pick_up_new_files().empty()); // once
  append("vhosts/two.log", line("192.0.2.5"));
  EXPECT_EQ(process_all(), (std::map<std::string, int>{{"192.0.2.5", 1}}));
}

TEST_F(JailLogPaths, AGlobNamingNothingYetIsBrokenUntilAFileAppears) {
  JailLocalOptions local;
  local.logpaths = {dir->file("later/*.log")};
  configure("web", dir->file("auth.conf"), 10, local);
  build();
  EXPECT_EQ(sources.size(), 0u);
  ASSERT_EQ(sources.broken_jails().count("web"), 1u);
  EXPECT_NE(sources.broken_jails().at("web").find("no file matches"), std::string::npos);
  std::filesystem::create_directory(dir->file("later"));
  append("later/x.log", line("192.0.2.8"));
  ASSERT_EQ(sources.pick_up_new_files().size(), 1u);
  EXPECT_TRUE(sources.broken_jails().empty());
  EXPECT_EQ(process_all(), (std::map<std::string, int>{{"192.0.2.8", 1}}));
}

class JournalJail : public JailLogPaths {
protected:
  void SetUp() override {
    JailLogPaths::SetUp();
    ASSERT_TRUE(mcf2b::testing::require_program(mcf2b::testing::journal_remote_path()));
    std::filesystem::create_directory(dir->file("journal"));
    now = mcf2b::testing::now_usec();
  }
  JailLocalOptions
  journal_options(JailLocalOptions::Backend backend = JailLocalOptions::Backend::systemd) {
    JailLocalOptions local;
    local.backend = backend;
    local.journal_options = {{"journalpath", dir->file("journal")}};
    return local;
  }
  // sshd's failures as journald stores them; a second apart, before now.
  void write(const std::vector<std::pair<std::string, std::string>> &comm_and_ip) {
    std::vector<mcf2b::testing::JournalTestEntry> entries;
    for (const auto &[comm, ip] : comm_and_ip)
      entries.push_back(
          mcf2b::testing::syslog_entry(now - 100'000'000 + (written++) * 1'000'000, comm, 4242,
                                       "Failed password for root from " + ip + " port 4711 ssh2"));
    ASSERT_TRUE(ok(mcf2b::testing::append_journal(dir->file("journal/system.journal"), entries)));
  }
  uint64_t now = 0;
  uint64_t written = 0;
};

TEST_F(JournalJail, FailuresBanTheRightAddressAndARestartCountsNothingTwice) {
  configure("sshd", "sshd", 3, journal_options()); // the stock filter's journalmatch
  write({{"sshd", "192.0.2.10"},
         {"cron", "192.0.2.66"}, // not sshd: the journalmatch leaves it out
         {"sshd", "192.0.2.10"},
         {"sshd", "192.0.2.20"},
         {"sshd-session", "192.0.2.77"}, // _COMM=sshd-session: not in 1.0.2's match
         {"sshd", "192.0.2.10"}});
  build();
  EXPECT_TRUE(errors.empty()) << errors.front().message();
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources.path(0).rfind("journal:_SYSTEMD_UNIT=sshd.service + _COMM=sshd [", 0), 0u)
      << sources.path(0);
  EXPECT_EQ(process_all(), (std::map<std::string, int>{{"192.0.2.10", 3}, {"192.0.2.20", 1}}));
  ASSERT_EQ(decisions.bans.size(), 1u);
  EXPECT_EQ(decisions.bans[0].prefix, IpPrefix::host(*IpAddress::parse("192.0.2.10")));
  auto per = sources.per_file();
  ASSERT_EQ(per.size(), 1u);
  EXPECT_EQ(per[0].follower.lines, 4u);
  EXPECT_EQ(per[0].counters.matched, 4u);

  // Restart: a new LogSources over the same store resumes after the last entry saved
  // (the daemon saves positions after storing the bans of the lines before them).
  sources.save_positions();
  write({{"sshd", "192.0.2.20"}, {"sshd", "192.0.2.20"}});
  sources = LogSources();
  build();
  EXPECT_EQ(process_all(), (std::map<std::string, int>{{"192.0.2.20", 2}}));
  sources.save_positions();
  sources = LogSources();
  build();
  EXPECT_TRUE(process_all().empty());
}

TEST_F(JournalJail, AutoReadsTheJournalWhenNoFileExistsAndTheFilesOtherwise) {
  JailLocalOptions local = journal_options(JailLocalOptions::Backend::auto_detect);
  local.logpaths = {dir->file("missing.log")};
  configure("auth", dir->file("auth.conf"), 10, local);
  build();
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources.path(0).rfind("journal:_COMM=authd", 0), 0u) << sources.path(0);

  append("missing.log", "");
  build();
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources.path(0), dir->file("missing.log"));
}

TEST_F(JournalJail, AJournalThatCannotBeOpenedIsABrokenJailWithItsReason) {
  JailLocalOptions local = journal_options();
  local.journal_options = {{"journalfiles", dir->file("nothing-*.journal")}};
  configure("sshd", "sshd", 3, local);
  build();
  EXPECT_EQ(sources.size(), 0u);
  ASSERT_EQ(sources.broken_jails().count("sshd"), 1u);
  EXPECT_NE(sources.broken_jails().at("sshd").find("names no file"), std::string::npos)
      << sources.broken_jails().at("sshd");
  ASSERT_EQ(errors.size(), 1u);

  local.journal_options = {{"journalpath", dir->file("no-such-folder")}};
  configure("sshd", "sshd", 3, local);
  build();
  EXPECT_EQ(sources.size(), 0u);
  EXPECT_EQ(sources.broken_jails().count("sshd"), 1u);
}

TEST_F(JailLogPaths, AVersion3DatabaseWithoutTheCursorColumnGetsItAtOpen) {
  store.reset();
  sqlite3 *db = nullptr;
  ASSERT_EQ(sqlite3_open(dir->file("state.sqlite3").c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "ALTER TABLE mcf2b_positions DROP COLUMN journal_cursor", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = open_store("sqlite:" + dir->file("state.sqlite3"));
  ASSERT_TRUE(ok(s));
  ASSERT_TRUE(ok((*s)->set_position({"journal:_COMM=sshd", 0, 0, 0, "s=1;i=2;t=3"})));
  auto back = (*s)->get_position("journal:_COMM=sshd");
  ASSERT_TRUE(ok(back));
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->journal_cursor, "s=1;i=2;t=3");
}

TEST_F(JailLogPaths, AJailFileSaysWhereItsJailReads) {
  std::filesystem::create_directory(dir->file("jail.d"));
  std::ofstream(dir->file("jail.d/web.conf"))
      << "[web]\nenabled = true\nfilter = auth\nlogpath = /var/log/a.log\n"
         "          /var/log/vhosts/*.log\n\n"
         "[ssh]\nenabled = true\nfilter = sshd\n"
         "backend = systemd[journalpath=/run/log/journal, journalflags=1]\n"
         "journalmatch = _SYSTEMD_UNIT=ssh.service + _COMM=sshd\n";
  JailImport imported = import_jail_files(dir->file("jail.d"), {});
  ASSERT_TRUE(imported.errors.empty()) << imported.errors.front().message();
  ASSERT_EQ(imported.local_options.count("web"), 1u);
  EXPECT_EQ(imported.local_options["web"].logpaths,
            (std::vector<std::string>{"/var/log/a.log", "/var/log/vhosts/*.log"}));
  ASSERT_EQ(imported.local_options.count("ssh"), 1u);
  const JailLocalOptions &ssh = imported.local_options["ssh"];
  EXPECT_EQ(ssh.backend, JailLocalOptions::Backend::systemd);
  EXPECT_EQ(ssh.journal_match, "_SYSTEMD_UNIT=ssh.service + _COMM=sshd");
  EXPECT_EQ(ssh.journal_options, (std::map<std::string, std::string>{
                                     {"journalpath", "/run/log/journal"}, {"journalflags", "1"}}));
}

} // namespace
