// SPDX-License-Identifier: GPL-2.0-only
// Read pacing over a real epoll set, timerfd and a descriptor that stays readable (an
// eventfd standing for a log's inotify descriptor): a few events in a row are read at
// once, a steady stream is muted and read on the timer, and the first timer read that
// brings nothing hears the events again. A zero interval reads at every event.
#include <gtest/gtest.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "base/fd.h"
#include "userspace/daemon/read_pacing.h"

using namespace mcf2b;
using namespace std::chrono_literals;

namespace {

constexpr uint64_t kSource = 1000, kTimer = 7;

class ReadPacingTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(epoll_) << "epoll_create1";
    ASSERT_TRUE(source_) << "eventfd";
    uint64_t one = 1; // readable from now on: nobody drains it
    ASSERT_EQ(::write(source_.get(), &one, sizeof one), 8);
    add(source_.get(), kSource);
  }
  void add(int fd, uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    ASSERT_EQ(::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev), 0);
  }
  // The tags epoll reports within `timeout`.
  std::vector<uint64_t> wait(std::chrono::milliseconds timeout) {
    epoll_event events[8];
    int n = ::epoll_wait(epoll_.get(), events, 8, static_cast<int>(timeout.count()));
    std::vector<uint64_t> tags;
    for (int i = 0; i < n; ++i)
      tags.push_back(events[i].data.u64);
    return tags;
  }
  static bool has(const std::vector<uint64_t> &tags, uint64_t tag) {
    return std::find(tags.begin(), tags.end(), tag) != tags.end();
  }

  Fd epoll_{::epoll_create1(EPOLL_CLOEXEC)};
  Fd source_{::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
};

TEST_F(ReadPacingTest, ZeroIntervalReadsAtEveryEvent) {
  ReadPacing pacing(epoll_.get(), 0ms);
  ASSERT_TRUE(pacing.valid());
  pacing.track(0, source_.get(), kSource);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(has(wait(1000ms), kSource));
    EXPECT_TRUE(pacing.on_event(0, ReadPacing::Clock::now()));
    pacing.read_done(0, 100, ReadPacing::Clock::now());
  }
  EXPECT_FALSE(pacing.muted(0));
  EXPECT_EQ(pacing.paced_reads(), 0u);
}

TEST_F(ReadPacingTest, AStreamIsMutedReadOnTheTimerAndHeardAgainOnceQuiet) {
  ReadPacing pacing(epoll_.get(), 50ms);
  ASSERT_TRUE(pacing.valid());
  add(pacing.timer_fd(), kTimer);
  pacing.track(0, source_.get(), kSource);

  // The burst: read at once.
  int immediate = 0;
  while (immediate < 10) {
    ASSERT_TRUE(has(wait(1000ms), kSource));
    if (!pacing.on_event(0, ReadPacing::Clock::now()))
      break;
    ++immediate;
    pacing.read_done(0, 100, ReadPacing::Clock::now());
  }
  EXPECT_EQ(immediate, static_cast<int>(ReadPacing::kBurst));
  ASSERT_TRUE(pacing.muted(0));

  // Muted: the descriptor is still readable but no longer reported; the timer comes.
  auto tags = wait(5000ms);
  ASSERT_FALSE(tags.empty()) << "the pacing timer never fired";
  EXPECT_FALSE(has(tags, kSource)) << "a muted source was reported";
  ASSERT_TRUE(has(tags, kTimer));
  auto due = pacing.due(ReadPacing::Clock::now());
  ASSERT_EQ(due, std::vector<size_t>{0});

  // It brought lines: muted for another interval, read on the timer again.
  pacing.read_done(0, 4096, ReadPacing::Clock::now());
  EXPECT_TRUE(pacing.muted(0));
  tags = wait(5000ms);
  EXPECT_FALSE(has(tags, kSource));
  ASSERT_TRUE(has(tags, kTimer));
  due = pacing.due(ReadPacing::Clock::now());
  ASSERT_EQ(due, std::vector<size_t>{0});
  EXPECT_EQ(pacing.paced_reads(), 2u);

  // It brought nothing: its events are heard again, and the timer stays quiet.
  pacing.read_done(0, 0, ReadPacing::Clock::now());
  EXPECT_FALSE(pacing.muted(0));
  tags = wait(1000ms);
  EXPECT_TRUE(has(tags, kSource));
  EXPECT_FALSE(has(tags, kTimer));
}

TEST_F(ReadPacingTest, TheBurstComesBackAfterAQuietInterval) {
  ReadPacing pacing(epoll_.get(), 20ms);
  pacing.track(0, source_.get(), kSource);
  auto t = ReadPacing::Clock::now();
  for (int i = 0; i < static_cast<int>(ReadPacing::kBurst); ++i)
    EXPECT_TRUE(pacing.on_event(0, t));
  // Three intervals later the bucket is full again: a new attack's lines are read at once.
  t += 60ms;
  for (int i = 0; i < static_cast<int>(ReadPacing::kBurst); ++i)
    EXPECT_TRUE(pacing.on_event(0, t)) << i;
  EXPECT_FALSE(pacing.on_event(0, t));
  EXPECT_TRUE(pacing.muted(0));
}

TEST_F(ReadPacingTest, ResetForgetsMutedSources) {
  ReadPacing pacing(epoll_.get(), 1000ms);
  pacing.track(0, source_.get(), kSource);
  auto t = ReadPacing::Clock::now();
  while (pacing.on_event(0, t)) {
  }
  ASSERT_TRUE(pacing.muted(0));
  pacing.reset();
  EXPECT_FALSE(pacing.muted(0));
  EXPECT_TRUE(pacing.due(t + 5000ms).empty());
}

} // namespace
