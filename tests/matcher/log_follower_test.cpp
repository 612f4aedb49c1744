// SPDX-License-Identifier: GPL-2.0-only
// LogFollower through every kind of rotation, with exact line accounting: every line
// written is handed out exactly once, in order.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "matcher/log_follower.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"

namespace mcf2b::matcher {
namespace {

using mcf2b::testing::ok;
using mcf2b::testing::TempDir;

void append(const std::string &path, const std::string &text) {
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << text;
}

std::string numbered(int from, int to, const std::string &tag = "line") {
  std::string s;
  for (int i = from; i < to; ++i)
    s += tag + " " + std::to_string(i) + "\n";
  return s;
}

// Collects the lines a follower hands out and checks every batch is whole lines.
struct Collector {
  std::vector<std::string> lines;
  LogFollower::Sink sink() {
    return [this](std::string_view batch) {
      ASSERT_FALSE(batch.empty());
      ASSERT_EQ(batch.back(), '\n');
      size_t start = 0;
      while (start < batch.size()) {
        size_t nl = batch.find('\n', start);
        lines.emplace_back(batch.substr(start, nl - start));
        start = nl + 1;
      }
    };
  }
  Status drain(LogFollower &f) {
    auto stats = f.read_available(sink());
    if (!stats)
      return stats.error();
    return {};
  }
};

std::vector<std::string> expected(std::initializer_list<std::pair<int, int>> ranges,
                                  const std::string &tag = "line") {
  std::vector<std::string> out;
  for (auto [from, to] : ranges)
    for (int i = from; i < to; ++i)
      out.push_back(tag + " " + std::to_string(i));
  return out;
}

TEST(LogFollower, PartialLineWaitsForItsNewline) {
  auto dir = TempDir::create("follow");
  ASSERT_TRUE(ok(dir));
  std::string log = dir->file("auth.log");
  append(log, "one\ntw");
  auto f = LogFollower::create(log, std::nullopt);
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, std::vector<std::string>{"one"});
  EXPECT_EQ(f->position().offset, 4u);
  append(log, "o\nthree");
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(f->position().offset, 8u);
}

TEST(LogFollower, FdBecomesReadableWhenTheLogGrows) {
  auto dir = TempDir::create("follow");
  ASSERT_TRUE(ok(dir));
  std::string log = dir->file("auth.log");
  append(log, numbered(0, 3));
  auto f = LogFollower::create(log, std::nullopt);
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  pollfd p{f->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0); // nothing new
  append(log, numbered(3, 5));
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, expected({{0, 5}}));
}

TEST(LogFollower, RenameAndCreateReadsTheRestOfTheOldFileFirst) {
  auto dir = TempDir::create("follow");
  ASSERT_TRUE(ok(dir));
  std::string log = dir->file("auth.log");
  append(log, numbered(0, 100));
  auto f = LogFollower::create(log, std::nullopt);
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  append(log, numbered(100, 150) + "tail without newline");
  ASSERT_EQ(::rename(log.c_str(), (log + ".1").c_str()), 0);
  append(log, numbered(150, 180));
  auto stats = f->read_available(c.sink());
  ASSERT_TRUE(ok(stats));
  EXPECT_EQ(stats->rotations, 1u);
  auto want = expected({{0, 150}});
  want.push_back("tail without newline"); // the old file is finished: nothing completes it
  auto rest = expected({{150, 180}});
  want.insert(want.end(), rest.begin(), rest.end());
  EXPECT_EQ(c.lines, want);
}

TEST(LogFollower, CopyTruncateStartsOver) {
  auto dir = TempDir::create("follow");
  ASSERT_TRUE(ok(dir));
  std::string log = dir->file("auth.log");
  append(log, numbered(0, 100));
  auto f = LogFollower::create(log, std::nullopt);
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  ASSERT_EQ(::truncate(log.c_str(), 0), 0);
  append(log, numbered(0, 20, "new"));
  auto stats = f->read_available(c.sink());
  ASSERT_TRUE(ok(stats));
  EXPECT_EQ(stats->truncations, 1u);
  auto want = expected({{0, 100}});
  auto fresh = expected({{0, 20}}, "new");
  want.insert(want.end(), fresh.begin(), fresh.end());
  EXPECT_EQ(c.lines, want);
}

TEST(LogFollower, CopyTruncateRegrownPastTheOldOffsetIsSeenByTheFirstLine) {
  auto dir = TempDir::create("follow");
  ASSERT_TRUE(ok(dir));
  std::string log = dir->file("auth.log");
  append(log, numbered(0, 10));
  auto f = LogFollower::create(log, std::nullopt);
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  ASSERT_EQ(::truncate(log.c_str(), 0), 0);
  append(log, numbered(0, 50, "after")); // longer than before: size alone would not tell
  ASSERT_TRUE(ok(c.drain(*f)));
  auto want = expected({{0, 10}});
  auto fresh = expected({{0, 50}}, "after");
  want.insert(want.end(), fresh.begin(), fresh.end());
  EXPECT_EQ(c.lines, want);
}

TEST(LogFollower, DeleteAndRecreate) {
  auto dir = TempDir::create("follow");
  ASSERT_TRUE(ok(dir));
  std::string log = dir->file("mc_auth.log");
  append(log, numbered(0, 10));
  auto f = LogFollower::create(log, std::nullopt);
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  append(log, numbered(10, 12));
  ASSERT_EQ(::unlink(log.c_str()), 0);
  ASSERT_TRUE(ok(c.drain(*f))); // the deleted file's last lines still come (fd held)
  append(log, numbered(12, 17));
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, expected({{0, 17}}));
}

TEST(LogFollower, FileThatDoesNotExistYet) {
  auto dir = TempDir::create("follow");
  ASSERT_TRUE(ok(dir));
  std::string log = dir->file("rejectlog");
  auto f = LogFollower::create(log, std::nullopt, {.start_at_end = true});
  ASSERT_TRUE(ok(f));
  EXPECT_FALSE(f->file_open());
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_TRUE(c.lines.empty());
  append(log, numbered(0, 7));
  pollfd p{f->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, expected({{0, 7}})); // a new file is read from its start
}

TEST(LogFollower, RestartInTheMiddleResumesExactly) {
  auto dir = TempDir::create("follow");
  ASSERT_TRUE(ok(dir));
  std::string log = dir->file("auth.log");
  std::string state = dir->file("auth.pos");
  append(log, numbered(0, 50) + "half of 50");
  Collector c;
  {
    auto f = LogFollower::create(log, std::nullopt);
    ASSERT_TRUE(ok(f));
    ASSERT_TRUE(ok(c.drain(*f)));
    ASSERT_TRUE(ok(FilePositionFile::save(state, f->position())));
  } // the daemon stops
  append(log, " done\n" + numbered(51, 80));
  auto saved = FilePositionFile::load(state);
  ASSERT_TRUE(ok(saved));
  ASSERT_TRUE(saved->has_value());
  auto f = LogFollower::create(log, *saved, {.start_at_end = true});
  ASSERT_TRUE(ok(f));
  ASSERT_TRUE(ok(c.drain(*f)));
  auto want = expected({{0, 50}});
  want.push_back("half of 50 done");
  auto rest = expected({{51, 80}});
  want.insert(want.end(), rest.begin(), rest.end());
  EXPECT_EQ(c.lines, want);
}

TEST(LogFollower, RestartAfterTheFileWasReplacedStartsTheNewFileAtZero) {
  auto dir = TempDir::create("follow");
  ASSERT_TRUE(ok(dir));
  std::string log = dir->file("auth.log");
  append(log, numbered(0, 30));
  FilePosition saved;
  {
    auto f = LogFollower::create(log, std::nullopt);
    ASSERT_TRUE(ok(f));
    Collector c;
    ASSERT_TRUE(ok(c.drain(*f)));
    saved = f->position();
  }
  ASSERT_EQ(::rename(log.c_str(), (log + ".1").c_str()), 0);
  append(log, numbered(0, 40, "rotated"));
  auto f = LogFollower::create(log, saved, {.start_at_end = true});
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, expected({{0, 40}}, "rotated"));
}

TEST(LogFollower, PositionRoundTripsThroughText) {
  FilePosition p{64769, 1234567, 987654321, 0xdeadbeefcafef00dull};
  auto back = FilePosition::parse(p.to_string());
  ASSERT_TRUE(ok(back));
  EXPECT_EQ(*back, p);
  EXPECT_FALSE(FilePosition::parse("garbage").ok());
}

} // namespace
} // namespace mcf2b::matcher
