// SPDX-License-Identifier: GPL-2.0-only
// LogFollower: exact line accounting through every kind of rotation and restart: every
// line written is handed out exactly once, whole, in order.
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "matcher/log_follower.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir_fixture.h"

using namespace mcf2b;
using namespace mcf2b::matcher;
using mcf2b::testing::ok;
using mcf2b::testing::TempDir;
using mcf2b::testing::TempDirTest;

namespace {

void append(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::app | std::ios::binary) << text;
}

// "tag from" .. "tag to-1", one per line.
std::string numbered(int from, int to, const std::string &tag = "line") {
  std::string s;
  for (int i = from; i < to; ++i)
    s += tag + " " + std::to_string(i) + "\n";
  return s;
}

using Lines = std::vector<std::string>;

// The lines numbered() wrote for the ranges, without their newlines.
Lines expected(std::initializer_list<std::pair<int, int>> ranges, const std::string &tag = "line") {
  Lines out;
  for (auto [from, to] : ranges)
    for (int i = from; i < to; ++i)
      out.push_back(tag + " " + std::to_string(i));
  return out;
}

// The parts one after the other: what a follower hands out across files or restarts.
Lines concat(std::initializer_list<Lines> parts) {
  Lines out;
  for (const Lines &part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

// Collects every complete line handed out, in order, across reads.
struct Collector {
  Lines lines;
  LogFollower::Sink sink() {
    return [this](std::string_view chunk) {
      ASSERT_FALSE(chunk.empty());
      EXPECT_EQ(chunk.back(), '\n') << "only complete lines are handed out";
      size_t start = 0;
      for (size_t nl; (nl = chunk.find('\n', start)) != std::string_view::npos; start = nl + 1)
        lines.emplace_back(chunk.substr(start, nl - start));
    };
  }
  Status drain(LogFollower &f) {
    auto stats = f.read_available(sink());
    if (!stats)
      return stats.error();
    return {};
  }
};

class LogFollowerTest : public TempDirTest {
protected:
  LogFollowerTest() : TempDirTest("follow") {}
  void SetUp() override {
    TempDirTest::SetUp();
    path = dir->file("exim.log");
  }
  Lines read(LogFollower &f) {
    Collector c;
    auto n = f.read_available(c.sink());
    EXPECT_TRUE(ok(n));
    return c.lines;
  }
  std::string path;
};

TEST_F(LogFollowerTest, APartialLastLineWaitsForItsNewline) {
  append(path, "one\ntw");
  auto f = LogFollower::create(path);
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read(*f), Lines{"one"});
  EXPECT_EQ(f->position().offset, 4u) << "the resume point is never inside a line";
  append(path, "o\nthree\n");
  EXPECT_EQ(read(*f), (Lines{"two", "three"}));
  EXPECT_EQ(f->position().offset, 14u);
}

// A backlog read in budgeted slices (the daemon answers between two): each slice stops
// at about its budget, says more is waiting, and the slices together hand out every line
// once, in order, across a rotation met halfway.
TEST_F(LogFollowerTest, ABudgetedReadStopsAndResumesWithoutLosingALine) {
  append(path, numbered(0, 20000));
  auto f = LogFollower::create(path, std::nullopt, {.start_at_end = false, .read_size = 4096});
  ASSERT_TRUE(ok(f));
  EXPECT_GT(f->bytes_behind(), 0u);
  Collector c;
  auto first = f->read_available(8192, c.sink());
  ASSERT_TRUE(ok(first));
  EXPECT_TRUE(first->more);
  EXPECT_LE(first->bytes, 8192u);
  // Rotated while behind: the rest of the old file comes before the new one.
  ASSERT_EQ(::rename(path.c_str(), (path + ".1").c_str()), 0);
  append(path, numbered(20000, 20100));
  int slices = 1;
  for (;; ++slices) {
    auto st = f->read_available(8192, c.sink());
    ASSERT_TRUE(ok(st));
    if (!st->more)
      break;
    ASSERT_LT(slices, 100000);
  }
  EXPECT_GT(slices, 10);
  EXPECT_EQ(f->bytes_behind(), 0u);
  (void)c.drain(*f);
  EXPECT_EQ(c.lines, expected({{0, 20100}}));
}

TEST_F(LogFollowerTest, InotifyWakesThePollerOnAppend) {
  append(path, "");
  auto f = LogFollower::create(path);
  ASSERT_TRUE(ok(f));
  (void)read(*f);
  append(path, "line\n");
  pollfd p{f->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 2000), 1);
  EXPECT_EQ(read(*f), Lines{"line"});
}

TEST_F(LogFollowerTest, RenameAndCreateReadsTheOldFilesTailThenTheNewFile) {
  append(path, "1\n2\n");
  auto f = LogFollower::create(path);
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read(*f), (Lines{"1", "2"}));
  std::filesystem::rename(path, path + ".1");
  append(path + ".1", "3\n"); // the writer has not reopened yet
  append(path, "4\n5\n");
  EXPECT_EQ(read(*f), (Lines{"3", "4", "5"}));
  EXPECT_EQ(f->counters().rotations, 1u);
}

TEST_F(LogFollowerTest, CopytruncateStartsOverInTheSameFile) {
  append(path, "1\n2\n3\n");
  auto f = LogFollower::create(path);
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read(*f).size(), 3u);
  std::filesystem::resize_file(path, 0);
  append(path, "4\n");
  EXPECT_EQ(read(*f), Lines{"4"});
  EXPECT_EQ(f->counters().truncations, 1u);
}

TEST_F(LogFollowerTest, DeletionAndRecreationAndAFileThatDoesNotExistYet) {
  auto f = LogFollower::create(path);
  ASSERT_TRUE(ok(f)) << "a missing file is not an error";
  EXPECT_TRUE(read(*f).empty());
  append(path, "1\n");
  EXPECT_EQ(read(*f), Lines{"1"});
  std::filesystem::remove(path);
  EXPECT_TRUE(read(*f).empty());
  append(path, "2\n");
  EXPECT_EQ(read(*f), Lines{"2"});
}

TEST_F(LogFollowerTest, ResumesExactlyAfterARestartInTheMiddleOfAFile) {
  append(path, "1\n2\n3");
  FilePosition saved;
  {
    auto f = LogFollower::create(path);
    ASSERT_TRUE(ok(f));
    EXPECT_EQ(read(*f), (Lines{"1", "2"}));
    saved = f->position();
  }
  append(path, "\n4\n");
  auto f = LogFollower::create(path, saved);
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read(*f), (Lines{"3", "4"})) << "nothing lost, nothing repeated, line 3 whole";
}

TEST_F(LogFollowerTest, ResumeAfterARotationWhileAwayReadsTheRotatedTailFirst) {
  append(path, "1\n2\n");
  FilePosition saved;
  {
    auto f = LogFollower::create(path);
    ASSERT_TRUE(ok(f));
    EXPECT_EQ(read(*f).size(), 2u);
    saved = f->position();
  }
  append(path, "3\n");
  std::filesystem::rename(path, path + ".1");
  append(path, "4\n");
  auto f = LogFollower::create(path, saved);
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read(*f), (Lines{"3", "4"}));
}

TEST_F(LogFollowerTest, ARecycledInodeWithAnotherFirstLineIsANewFile) {
  append(path, "first\n2\n3\n");
  FilePosition saved;
  {
    auto f = LogFollower::create(path);
    ASSERT_TRUE(ok(f));
    (void)read(*f);
    saved = f->position();
  }
  saved.first_line_hash ^= 1; // as if the inode now held another file
  auto f = LogFollower::create(path, saved);
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read(*f).size(), 3u);
}

TEST_F(LogFollowerTest, OversizedLinesAreSkippedWholeAndCounted) {
  std::string huge(LogFollower::kMaxLine + 100, 'x');
  append(path, "before\n" + huge + " 203.0.113.9\nafter\n");
  auto f = LogFollower::create(path);
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read(*f), (Lines{"before", "after"}));
  EXPECT_EQ(f->counters().oversized_lines, 1u);
}

TEST_F(LogFollowerTest, ResumeNeverStartsInsideAnOversizedLine) {
  std::string huge(LogFollower::kMaxLine + 100, 'x');
  append(path, "before\n" + huge);
  FilePosition saved;
  {
    auto f = LogFollower::create(path);
    ASSERT_TRUE(ok(f));
    EXPECT_EQ(read(*f), Lines{"before"});
    saved = f->position();
    EXPECT_EQ(saved.offset, 7u);
  }
  append(path, " 203.0.113.9\nafter\n");
  auto f = LogFollower::create(path, saved);
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read(*f), Lines{"after"}) << "the tail of a skipped line never becomes a line";
}

TEST_F(LogFollowerTest, PartialLineWaitsForItsNewline) {
  append(path, "one\ntw");
  auto f = LogFollower::create(path, std::nullopt);
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, Lines{"one"});
  EXPECT_EQ(f->position().offset, 4u);
  append(path, "o\nthree");
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, (Lines{"one", "two"}));
  EXPECT_EQ(f->position().offset, 8u);
}

TEST_F(LogFollowerTest, FdBecomesReadableWhenTheLogGrows) {
  append(path, numbered(0, 3));
  auto f = LogFollower::create(path, std::nullopt);
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  pollfd p{f->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0); // nothing new
  append(path, numbered(3, 5));
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, expected({{0, 5}}));
}

TEST_F(LogFollowerTest, RenameAndCreateReadsTheRestOfTheOldFileFirst) {
  append(path, numbered(0, 100));
  auto f = LogFollower::create(path, std::nullopt);
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  append(path, numbered(100, 150) + "tail without newline");
  ASSERT_EQ(::rename(path.c_str(), (path + ".1").c_str()), 0);
  append(path, numbered(150, 180));
  auto stats = f->read_available(c.sink());
  ASSERT_TRUE(ok(stats));
  EXPECT_EQ(stats->rotations, 1u);
  EXPECT_EQ(c.lines, concat({expected({{0, 150}}),
                             // the old file is finished: nothing completes its last line
                             {"tail without newline"},
                             expected({{150, 180}})}));
}

TEST_F(LogFollowerTest, CopyTruncateStartsOver) {
  append(path, numbered(0, 100));
  auto f = LogFollower::create(path, std::nullopt);
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  append(path, numbered(0, 20, "new"));
  auto stats = f->read_available(c.sink());
  ASSERT_TRUE(ok(stats));
  EXPECT_EQ(stats->truncations, 1u);
  EXPECT_EQ(c.lines, concat({expected({{0, 100}}), expected({{0, 20}}, "new")}));
}

TEST_F(LogFollowerTest, CopyTruncateRegrownPastTheOldOffsetIsSeenByTheFirstLine) {
  append(path, numbered(0, 10));
  auto f = LogFollower::create(path, std::nullopt);
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  ASSERT_EQ(::truncate(path.c_str(), 0), 0);
  append(path, numbered(0, 50, "after")); // longer than before: size alone would not tell
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, concat({expected({{0, 10}}), expected({{0, 50}}, "after")}));
}

TEST_F(LogFollowerTest, DeleteAndRecreate) {
  append(path, numbered(0, 10));
  auto f = LogFollower::create(path, std::nullopt);
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  append(path, numbered(10, 12));
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_TRUE(ok(c.drain(*f))); // the deleted file's last lines still come (fd held)
  append(path, numbered(12, 17));
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, expected({{0, 17}}));
}

TEST_F(LogFollowerTest, FileThatDoesNotExistYet) {
  auto f = LogFollower::create(path, std::nullopt, {.start_at_end = true});
  ASSERT_TRUE(ok(f));
  EXPECT_FALSE(f->file_open());
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_TRUE(c.lines.empty());
  append(path, numbered(0, 7));
  pollfd p{f->fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, expected({{0, 7}})); // a new file is read from its start
}

TEST_F(LogFollowerTest, RestartInTheMiddleResumesExactly) {
  std::string state = dir->file("auth.pos");
  append(path, numbered(0, 50) + "half of 50");
  Collector c;
  {
    auto f = LogFollower::create(path, std::nullopt);
    ASSERT_TRUE(ok(f));
    ASSERT_TRUE(ok(c.drain(*f)));
    ASSERT_TRUE(ok(FilePositionFile::save(state, f->position())));
  } // the daemon stops
  append(path, " done\n" + numbered(51, 80));
  auto saved = FilePositionFile::load(state);
  ASSERT_TRUE(ok(saved));
  ASSERT_TRUE(saved->has_value());
  auto f = LogFollower::create(path, *saved, {.start_at_end = true});
  ASSERT_TRUE(ok(f));
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, concat({expected({{0, 50}}), {"half of 50 done"}, expected({{51, 80}})}));
}

TEST_F(LogFollowerTest, RestartAfterTheFileWasReplacedStartsTheNewFileAtZero) {
  append(path, numbered(0, 30));
  FilePosition saved;
  {
    auto f = LogFollower::create(path, std::nullopt);
    ASSERT_TRUE(ok(f));
    Collector c;
    ASSERT_TRUE(ok(c.drain(*f)));
    saved = f->position();
  }
  ASSERT_EQ(::rename(path.c_str(), (path + ".1").c_str()), 0);
  append(path, numbered(0, 40, "rotated"));
  auto f = LogFollower::create(path, saved, {.start_at_end = true});
  ASSERT_TRUE(ok(f));
  Collector c;
  ASSERT_TRUE(ok(c.drain(*f)));
  EXPECT_EQ(c.lines, expected({{0, 40}}, "rotated"));
}

TEST(FilePosition, RoundTripsThroughText) {
  FilePosition p{64769, 1234567, 987654321, 0xdeadbeefcafef00dull};
  auto back = FilePosition::parse(p.to_string());
  ASSERT_TRUE(ok(back));
  EXPECT_EQ(*back, p);
  EXPECT_FALSE(FilePosition::parse("garbage").ok());
}

// Many lines written in random pieces through random rotations of every kind (logrotate's
// rename with generations, several rotations between two reads, copytruncate): every
// line is handed out exactly once, whole, in order.
class RandomRotations : public LogFollowerTest, public ::testing::WithParamInterface<unsigned> {};

TEST_P(RandomRotations, ExactAccounting) {
  std::mt19937 rng(GetParam());
  auto f = LogFollower::create(path);
  ASSERT_TRUE(ok(f));
  Collector got;
  std::string pending; // written, not yet ended by a newline
  int next = 0, rotations = 0;
  for (int round = 0; round < 400; ++round) {
    std::string text;
    int lines = static_cast<int>(rng() % 20);
    for (int i = 0; i < lines; ++i)
      text += "line " + std::to_string(next++) + " 198.51.100." + std::to_string(i) + "\n";
    // Cut at a random point: the rest goes in the next round.
    size_t cut = text.empty() ? 0 : rng() % text.size();
    append(path, pending + text.substr(0, cut));
    pending = text.substr(cut);
    if (rng() % 3 == 0) {
      ASSERT_TRUE(ok(f->read_available(got.sink())));
    }
    // Rotate only at line boundaries, as loggers do: what is pending is written first.
    {
      switch (rng() % 8) {
      case 0:
        append(path, pending);
        pending.clear();
        // As logrotate does: older generations move up before the current one moves.
        for (int g = 4; g >= 1; --g)
          if (std::filesystem::exists(path + "." + std::to_string(g)))
            std::filesystem::rename(path + "." + std::to_string(g),
                                    path + "." + std::to_string(g + 1));
        std::filesystem::rename(path, path + ".1");
        ++rotations;
        break;
      case 1: // copytruncate: logrotate copies, then truncates; read first to be exact
        append(path, pending);
        pending.clear();
        ASSERT_TRUE(ok(f->read_available(got.sink())));
        std::filesystem::resize_file(path, 0);
        ++rotations;
        break;
      default:
        break;
      }
    }
  }
  append(path, pending);
  ASSERT_TRUE(ok(f->read_available(got.sink())));
  ASSERT_EQ(got.lines.size(), static_cast<size_t>(next));
  for (int i = 0; i < next; ++i) {
    ASSERT_EQ(got.lines[static_cast<size_t>(i)].rfind("line " + std::to_string(i) + " ", 0), 0u)
        << "line " << i << " is " << got.lines[static_cast<size_t>(i)];
  }
  EXPECT_GT(rotations, 10);
}

INSTANTIATE_TEST_SUITE_P(Seeds, RandomRotations, ::testing::Values(1u, 42u, 2026u, 31337u));

} // namespace

namespace {

// The path replaced by something that is not a log: one error for each such object, then
// quiet waiting (no error at every wake-up), and the log followed again once it is back.
class UnreadablePath : public LogFollowerTest,
                       public ::testing::WithParamInterface<const char *> {
protected:
  void replace_path(const std::string &kind) {
    std::filesystem::remove(path);
    if (kind == "directory")
      std::filesystem::create_directory(path);
    else if (kind == "fifo")
      ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
    else
      std::filesystem::create_symlink("/dev/zero", path);
  }
};

TEST_P(UnreadablePath, IsReportedOnceThenWaitedForQuietly) {
  append(path, "1\n");
  auto f = LogFollower::create(path);
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read(*f), Lines{"1"});
  replace_path(GetParam());
  Collector c;
  auto first = f->read_available(c.sink());
  ASSERT_FALSE(first.ok()) << "the first look reports what the path names now";
  EXPECT_NE(first.error().message().find("not a regular file"), std::string::npos)
      << first.error().message();
  for (int i = 0; i < 100; ++i)
    EXPECT_TRUE(ok(f->read_available(c.sink()))) << "reported once, not at every look";
  EXPECT_TRUE(c.lines.empty());
  EXPECT_EQ(f->counters().unreadable, 1u);
  std::filesystem::remove(path);
  append(path, "2\n3\n");
  EXPECT_EQ(read(*f), (Lines{"2", "3"})) << "followed again once a log is back";
}

INSTANTIATE_TEST_SUITE_P(Kinds, UnreadablePath,
                         ::testing::Values("directory", "fifo", "symlink_to_dev_zero"));

TEST_F(LogFollowerTest, AFolderRemovedAndCreatedAgainIsFollowedAgain) {
  const std::string folder = dir->file("log");
  std::filesystem::create_directory(folder);
  path = folder + "/exim.log";
  append(path, "1\n");
  auto f = LogFollower::create(path);
  ASSERT_TRUE(ok(f));
  EXPECT_EQ(read(*f), Lines{"1"});
  EXPECT_TRUE(f->watching());
  std::filesystem::remove_all(folder);
  (void)read(*f);
  EXPECT_FALSE(f->watching()) << "the caller must poll: inotify will say nothing more";
  std::filesystem::create_directory(folder);
  append(path, "2\n");
  EXPECT_EQ(read(*f), Lines{"2"});
  EXPECT_TRUE(f->watching());
  append(path, "3\n");
  pollfd p{f->fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 2000), 1) << "inotify wakes the poller again";
  EXPECT_EQ(read(*f), Lines{"3"});
}

} // namespace
