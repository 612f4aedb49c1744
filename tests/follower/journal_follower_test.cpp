// SPDX-License-Identifier: GPL-2.0-only
// The journal as a log source, on real journal files written by systemd's own writer
// (systemd-journal-remote fed the export format; no journald runs on test machines):
// entries are formatted as fail2ban formats them, new ones are seen through the
// journal's own wake-up, a restart resumes after the saved cursor, and a new file
// (rotation) or a removed one (vacuum) loses and repeats nothing.
#include <gtest/gtest.h>
#include <poll.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "matcher/journal_entry.h"
#include "matcher/journal_follower.h"
#include "tests/fixtures/journal_writer.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir_fixture.h"

using namespace mcf2b;
using namespace mcf2b::matcher;
using mcf2b::testing::append_journal;
using mcf2b::testing::now_usec;
using mcf2b::testing::ok;
using mcf2b::testing::syslog_entry;

namespace {

constexpr uint64_t kMinute = 60'000'000;

// The lines a read hands out, without their leading time.
std::vector<std::string> read_lines(JournalFollower &f) {
  std::vector<std::string> lines;
  auto n = f.read_available([&](std::string_view chunk) {
    std::istringstream in{std::string(chunk)};
    std::string line;
    while (std::getline(in, line))
      lines.push_back(line.substr(line.find(' ') + 1));
  });
  EXPECT_TRUE(ok(n));
  return lines;
}

// Waits (up to 10 s, not a timing assertion) for the journal's wake-up descriptor.
bool woken(const JournalFollower &f) {
  pollfd p{f.fd(), POLLIN, 0};
  return ::poll(&p, 1, 10000) == 1;
}

class JournalFollowing : public mcf2b::testing::TempDirTest {
protected:
  JournalFollowing() : TempDirTest("journal") {}
  void SetUp() override {
    TempDirTest::SetUp();
    ASSERT_TRUE(mcf2b::testing::require_program(mcf2b::testing::journal_remote_path()));
    std::filesystem::create_directory(dir->file("j"));
    base = now_usec() - 5 * kMinute;
  }
  std::string journal(const std::string &name) { return dir->file("j/" + name); }
  JournalSelection in_folder(std::string match = "") {
    auto s = JournalSelection::from(std::move(match), {{"journalpath", dir->file("j")}});
    EXPECT_TRUE(ok(s));
    return *s;
  }
  // Entry i: "attempt i", a second apart.
  mcf2b::testing::JournalTestEntry attempt(int i, const std::string &comm = "sshd") {
    return syslog_entry(base + static_cast<uint64_t>(i) * 1000000, comm, 100 + i,
                        "attempt " + std::to_string(i));
  }
  std::vector<mcf2b::testing::JournalTestEntry> attempts(int from, int to) {
    std::vector<mcf2b::testing::JournalTestEntry> v;
    for (int i = from; i < to; ++i)
      v.push_back(attempt(i));
    return v;
  }
  static std::vector<std::string> expected(int from, int to) {
    std::vector<std::string> v;
    for (int i = from; i < to; ++i)
      v.push_back("gw1 sshd[" + std::to_string(100 + i) + "]: attempt " + std::to_string(i));
    return v;
  }
  uint64_t start() const { return base - 10 * kMinute; } // now - findtime, before every entry
  uint64_t base = 0;
};

TEST(JournalEntryFormat, IsFail2bansFormatJournalEntry) {
  JournalEntry e;
  e.hostname = "srv";
  e.syslog_identifier = "sshd";
  e.comm = "sshd-session";
  e.pid = "13709";
  e.messages = {"Failed password for root from 192.0.2.1 port 22 ssh2"};
  EXPECT_EQ(format_journal_entry(e),
            "srv sshd[13709]: Failed password for root from 192.0.2.1 port 22 ssh2");
  // No SYSLOG_IDENTIFIER: _COMM; SYSLOG_PID before _PID; no host.
  e.syslog_identifier = {};
  e.syslog_pid = "42";
  e.hostname = {};
  EXPECT_EQ(format_journal_entry(e),
            "sshd-session[42]: Failed password for root from 192.0.2.1 port 22 ssh2");
  // A process id int() refuses is printed as Python prints the bytes; 0 is false.
  e.syslog_pid = "x1";
  EXPECT_EQ(format_journal_entry(e).substr(0, 22), "sshd-session[b'x1']: F");
  e.syslog_pid = "0";
  e.pid = "0";
  EXPECT_EQ(format_journal_entry(e).substr(0, 14), "sshd-session: ");
  // Repeated MESSAGE fields joined, newlines escaped, bytes that are not UTF-8 replaced.
  e.messages = {"one\ntwo", "thr\xff"
                            "ee"};
  EXPECT_EQ(format_journal_entry(e), "sshd-session: one\\ntwo thr\xef\xbf\xbd"
                                     "ee");
  // No identifier at all: the message alone (after the host).
  JournalEntry bare;
  bare.hostname = "h";
  bare.messages = {"m"};
  EXPECT_EQ(format_journal_entry(bare), "h m");
  // The kernel's monotonic time.
  JournalEntry kernel;
  kernel.syslog_identifier = "kernel";
  kernel.monotonic_usec = 12345678;
  kernel.messages = {"oops"};
  EXPECT_EQ(format_journal_entry(kernel), "kernel: [   12.345678] oops");
  // The time: _SOURCE_REALTIME_TIMESTAMP first.
  kernel.realtime_usec = 1700000000000001;
  std::string line;
  append_journal_line(kernel, line);
  EXPECT_EQ(line, "1700000000.000001 kernel: [   12.345678] oops\n");
  kernel.source_realtime = "1600000000500000";
  EXPECT_EQ(journal_entry_time_usec(kernel), 1600000000500000u);
}

TEST(JournalMatch, ParsesFail2bansSyntax) {
  auto m = parse_journal_match("_SYSTEMD_UNIT=sshd.service + _COMM=sshd _PID=1\n"
                               "SYSLOG_IDENTIFIER='a b'");
  ASSERT_TRUE(ok(m));
  EXPECT_EQ(*m, (std::vector<std::vector<std::string>>{{"_SYSTEMD_UNIT=sshd.service"},
                                                       {"_COMM=sshd", "_PID=1"},
                                                       {"SYSLOG_IDENTIFIER=a b"}}));
  EXPECT_FALSE(parse_journal_match("_COMM"));
  EXPECT_FALSE(ok(JournalSelection::from("", {{"journalwhat", "1"}})));
}

TEST_F(JournalFollowing, SeesEntriesAppendedLaterThroughItsWakeUp) {
  ASSERT_TRUE(ok(append_journal(journal("a.journal"), attempts(0, 2))));
  auto f = JournalFollower::open(in_folder(), std::nullopt, start());
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read_lines(*f), expected(0, 2));
  EXPECT_TRUE(read_lines(*f).empty());
  ASSERT_TRUE(ok(append_journal(journal("a.journal"), attempts(2, 5))));
  ASSERT_TRUE(woken(*f)) << "no wake-up from the journal's descriptor";
  EXPECT_EQ(read_lines(*f), expected(2, 5));
  EXPECT_EQ(f->counters().lines, 5u);
}

TEST_F(JournalFollowing, ReadsOnlyWhatTheMatchSelects) {
  ASSERT_TRUE(ok(
      append_journal(journal("a.journal"), {attempt(0, "sshd"), attempt(1, "cron"),
                                            attempt(2, "sshd-session"), attempt(3, "postfix")})));
  auto f =
      JournalFollower::open(in_folder("_COMM=sshd + _COMM=sshd-session"), std::nullopt, start());
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read_lines(*f), (std::vector<std::string>{"gw1 sshd[100]: attempt 0",
                                                      "gw1 sshd-session[102]: attempt 2"}));
}

TEST_F(JournalFollowing, AFirstStartBeginsAtItsStartTime) {
  ASSERT_TRUE(ok(append_journal(journal("a.journal"), attempts(0, 4))));
  auto f = JournalFollower::open(in_folder(), std::nullopt, base + 2 * 1000000);
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read_lines(*f), expected(2, 4));
}

TEST_F(JournalFollowing, ARestartResumesAfterTheSavedCursor) {
  ASSERT_TRUE(ok(append_journal(journal("a.journal"), attempts(0, 3))));
  std::string cursor;
  {
    auto f = JournalFollower::open(in_folder(), std::nullopt, start());
    ASSERT_TRUE(ok(f));
    EXPECT_EQ(read_lines(*f), expected(0, 3));
    cursor = f->cursor();
  }
  ASSERT_FALSE(cursor.empty());
  ASSERT_TRUE(ok(append_journal(journal("a.journal"), attempts(3, 5))));
  auto f = JournalFollower::open(in_folder(), cursor, start());
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read_lines(*f), expected(3, 5)); // nothing twice, nothing skipped
  // Nothing new: the same cursor again reads nothing.
  auto again = JournalFollower::open(in_folder(), f->cursor(), start());
  ASSERT_TRUE(ok(again));
  EXPECT_TRUE(read_lines(*again).empty());
}

TEST_F(JournalFollowing, ANewJournalFileInTheFolderIsFollowed) {
  ASSERT_TRUE(ok(append_journal(journal("a.journal"), attempts(0, 2))));
  auto f = JournalFollower::open(in_folder(), std::nullopt, start());
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read_lines(*f), expected(0, 2));
  // Rotation: journald archives the file and writes on in a new one.
  std::filesystem::rename(journal("a.journal"), journal("a@0001-0002.journal"));
  ASSERT_TRUE(ok(append_journal(journal("a.journal"), attempts(2, 4))));
  ASSERT_TRUE(woken(*f));
  EXPECT_EQ(read_lines(*f), expected(2, 4));
  EXPECT_GE(f->counters().rotations, 1u);
}

TEST_F(JournalFollowing, AVacuumedFileLosesAndRepeatsNothing) {
  ASSERT_TRUE(ok(append_journal(journal("old.journal"), attempts(0, 3))));
  std::string cursor;
  {
    auto f = JournalFollower::open(in_folder(), std::nullopt, start());
    ASSERT_TRUE(ok(f));
    EXPECT_EQ(read_lines(*f), expected(0, 3));
    cursor = f->cursor();
    // Entries in a newer file, then the old one vacuumed while we follow.
    ASSERT_TRUE(ok(append_journal(journal("new.journal"), attempts(3, 5))));
    ASSERT_TRUE(woken(*f));
    EXPECT_EQ(read_lines(*f), expected(3, 5));
    std::filesystem::remove(journal("old.journal"));
    ASSERT_TRUE(ok(append_journal(journal("new.journal"), attempts(5, 6))));
    ASSERT_TRUE(woken(*f));
    EXPECT_EQ(read_lines(*f), expected(5, 6));
  }
  // A restart whose cursor names an entry of the vacuumed file: the entries after it.
  auto f = JournalFollower::open(in_folder(), cursor, start());
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read_lines(*f), expected(3, 6));
}

TEST_F(JournalFollowing, ReadsNamedFiles) {
  ASSERT_TRUE(ok(append_journal(journal("a.journal"), attempts(0, 2))));
  ASSERT_TRUE(ok(append_journal(journal("b.journal"), attempts(2, 3))));
  auto s = JournalSelection::from("", {{"journalfiles", journal("a.journal")}});
  ASSERT_TRUE(ok(s));
  auto f = JournalFollower::open(*s, std::nullopt, start());
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read_lines(*f), expected(0, 2));
  EXPECT_FALSE(ok(JournalSelection::from("", {{"journalfiles", journal("none*.journal")}})));
}

} // namespace
