// SPDX-License-Identifier: GPL-2.0-only
// The SQLite state file changed under a running store: deleted, replaced by another file,
// its WAL index (`-shm`) made immutable. Nothing written meanwhile may be lost, and no
// write may turn into a SIGBUS through SQLite's mapping of the index.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"
#include "userspace/store/state_store.h"

using namespace mcf2b;
using namespace mcf2b::testing;

namespace {

IpPrefix ip(const char *text) { return *IpPrefix::parse(text); }

class SqliteStateFile : public ::testing::Test {
protected:
  void SetUp() override {
    auto d = TempDir::create("state-file");
    ASSERT_TRUE(ok(d));
    dir.emplace(std::move(*d));
    path = dir->file("state.sqlite3");
  }

  std::unique_ptr<StateStore> open(const std::string &at) {
    auto store = open_store("sqlite:" + at, StoreOptions{.node = "node-a"});
    EXPECT_TRUE(ok(store));
    return store ? std::move(*store) : nullptr;
  }

  bool whitelisted(StateStore &store, const char *address, const char *jail) {
    auto row = store.get_ban(ip(address), jail);
    return row && *row && (*row)->whitelisted;
  }

  // Files of the temp folder whose name starts with `prefix`.
  std::vector<std::string> files_starting(const std::string &prefix) {
    std::vector<std::string> out;
    for (const auto &e : std::filesystem::directory_iterator(dir->path()))
      if (e.path().filename().string().rfind(prefix, 0) == 0)
        out.push_back(e.path().string());
    return out;
  }

  std::optional<TempDir> dir;
  std::string path;
};

TEST_F(SqliteStateFile, DeletedWhileOpenIsWrittenBackWithEverythingMadeMeanwhile) {
  auto store = open(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE(ok(store->add_whitelist(ip("203.0.113.5"), "mc-exim-1d")));
  ASSERT_EQ(::unlink(path.c_str()), 0);

  // The next write finds the path empty and puts the open copy back before writing.
  ASSERT_TRUE(ok(store->add_whitelist(ip("203.0.113.6"), "mc-exim-1d")));
  ASSERT_TRUE(std::filesystem::exists(path));
  ASSERT_TRUE(ok(store->add_whitelist(ip("203.0.113.7"), "mc-exim-1d")));
  store.reset();

  // What a restart reads: both entries, the one from before and those from after.
  auto reopened = open(path);
  ASSERT_TRUE(reopened);
  EXPECT_TRUE(whitelisted(*reopened, "203.0.113.5", "mc-exim-1d"));
  EXPECT_TRUE(whitelisted(*reopened, "203.0.113.6", "mc-exim-1d"));
  EXPECT_TRUE(whitelisted(*reopened, "203.0.113.7", "mc-exim-1d"));
  EXPECT_TRUE(files_starting("state.sqlite3.").empty()) << "no copy or aside file is left";
}

TEST_F(SqliteStateFile, ReplacedWhileOpenKeepsTheNewcomerAsideAndTheRunningStateInPlace) {
  auto store = open(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE(ok(store->add_whitelist(ip("203.0.113.5"), "mc-exim-1d")));
  {
    // Another state file (a backup, say), moved over the path while the store runs.
    const std::string other = dir->file("other.sqlite3");
    auto foreign = open(other);
    ASSERT_TRUE(foreign);
    ASSERT_TRUE(ok(foreign->add_whitelist(ip("198.51.100.9"), "mc-ssh-1d")));
    foreign.reset();
    ASSERT_EQ(::rename(other.c_str(), path.c_str()), 0);
  }
  ASSERT_TRUE(ok(store->add_whitelist(ip("203.0.113.6"), "mc-exim-1d")));
  store.reset();

  auto reopened = open(path);
  ASSERT_TRUE(reopened);
  EXPECT_TRUE(whitelisted(*reopened, "203.0.113.5", "mc-exim-1d"));
  EXPECT_TRUE(whitelisted(*reopened, "203.0.113.6", "mc-exim-1d"));
  EXPECT_FALSE(whitelisted(*reopened, "198.51.100.9", "mc-ssh-1d"));

  auto aside = files_starting("state.sqlite3.replaced-");
  ASSERT_EQ(aside.size(), 1u) << "the file that replaced the state file is kept";
  auto newcomer = open(aside[0]);
  ASSERT_TRUE(newcomer);
  EXPECT_TRUE(whitelisted(*newcomer, "198.51.100.9", "mc-ssh-1d"));
}

// Sets or clears the immutable attribute (root and a file system that has it).
bool set_immutable(const std::string &file, bool on) {
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  int flags = 0;
  bool done = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
  flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
  done = done && ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
  ::close(fd);
  return done;
}

TEST_F(SqliteStateFile, ImmutableWalIndexRefusesWritesInsteadOfSigbus) {
  auto store = open(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE(ok(store->add_whitelist(ip("203.0.113.5"), "mc-exim-1d")));
  const std::string index = path + "-shm";
  ASSERT_TRUE(std::filesystem::exists(index));
  ASSERT_TRUE(set_immutable(index, true))
      << "this test needs root and a file system with the immutable attribute for "
      << index << ": " << std::strerror(errno);

  // Without the check, SQLite's next write to its mapping of the index is a SIGBUS that
  // kills the process: this test would not get past the next line.
  auto refused = store->add_whitelist(ip("203.0.113.6"), "mc-exim-1d");
  bool cleared = set_immutable(index, false);
  ASSERT_TRUE(cleared) << "could not clear the immutable attribute of " << index;
  ASSERT_FALSE(ok(refused));
  EXPECT_NE(refused.error().message().find("immutable"), std::string::npos)
      << refused.error().message();

  // Writable again: the same write goes through.
  ASSERT_TRUE(ok(store->add_whitelist(ip("203.0.113.6"), "mc-exim-1d")));
  EXPECT_TRUE(whitelisted(*store, "203.0.113.6", "mc-exim-1d"));
}

} // namespace
