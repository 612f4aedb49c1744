// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/controller/failure_windows.h"

#include <gtest/gtest.h>

namespace mcf2b {
namespace {

constexpr Seconds kT0 = 1'700'000'000;

IpAddress v4(uint32_t n) {
  return IpAddress::v4(0xC6120000u + n);
} // 198.18.0.0/15

TEST(FailureWindows, KeepsTheNewestTimesInOrder) {
  FailureWindows w(100);
  w.configure_family(0, 3, 1000);
  for (Seconds t : {kT0 + 5, kT0 + 1, kT0 + 9, kT0 + 7}) // out of order, one too many
    w.record(0, v4(1), t, 0b1, kT0 + 10);
  auto view = w.find(0, v4(1));
  ASSERT_TRUE(view);
  EXPECT_EQ(view->times, (std::vector<Seconds>{kT0 + 5, kT0 + 7, kT0 + 9}));
  EXPECT_EQ(view->since[0], 4);
  EXPECT_EQ(view->since[1], 0);
}

TEST(FailureWindows, ReachedIsAnExactSlidingWindow) {
  FailureWindows w(100);
  w.configure_family(0, 3, 3600);
  auto ref = w.record(0, v4(1), kT0, 0b1, kT0);
  ref = w.record(0, v4(1), kT0 + 1800, 0b1, kT0 + 1800);
  ref = w.record(0, v4(1), kT0 + 3600, 0b1, kT0 + 3600);
  // At kT0 + 3600 the first failure is exactly findtime old: out of (now - 3600, now].
  EXPECT_FALSE(w.reached(ref, 0, 3, kT0 + 3600 - 3600));
  EXPECT_TRUE(w.reached(ref, 0, 2, kT0 + 3600 - 3600));
  ref = w.record(0, v4(1), kT0 + 3700, 0b1, kT0 + 3700);
  EXPECT_TRUE(w.reached(ref, 0, 3, kT0 + 3700 - 3600));
  w.reset_tier(ref, 0);
  EXPECT_FALSE(w.reached(ref, 0, 1, kT0));
}

TEST(FailureWindows, SlotsCountSeparately) {
  FailureWindows w(100);
  w.configure_family(0, 6, 172800);
  FailureWindows::Ref ref = 0;
  for (int i = 0; i < 3; ++i)
    ref = w.record(0, v4(1), kT0 + i, 0b11, kT0 + i);
  EXPECT_TRUE(w.reached(ref, 0, 3, kT0 - 3600));
  w.reset_tier(ref, 0); // slot 0 banned; slot 1 keeps counting from the same times
  for (int i = 3; i < 6; ++i)
    ref = w.record(0, v4(1), kT0 + i, 0b11, kT0 + i);
  EXPECT_TRUE(w.reached(ref, 0, 3, kT0 - 3600));
  EXPECT_TRUE(w.reached(ref, 1, 6, kT0 - 172800));
  EXPECT_FALSE(w.reached(ref, 0, 4, kT0 - 3600));
}

TEST(FailureWindows, FamiliesAndAddressFamiliesAreDistinctKeys) {
  FailureWindows w(100);
  w.configure_family(0, 2, 100);
  w.configure_family(1, 2, 100);
  w.record(0, v4(1), kT0, 1, kT0);
  w.record(1, v4(1), kT0, 1, kT0);
  uint8_t bytes[16] = {198, 18, 0, 1};
  w.record(0, IpAddress::v6_bytes(bytes), kT0, 1, kT0);
  EXPECT_EQ(w.tracked(), 3u);
  EXPECT_EQ(w.find(0, v4(1))->times.size(), 1u);
}

TEST(FailureWindows, BoundEvictsTheLeastRecentlyFailingAndCountsIt) {
  FailureWindows w(100);
  w.configure_family(0, 5, 3600);
  for (uint32_t i = 0; i < 100; ++i)
    w.record(0, v4(i), kT0 + i, 1, kT0 + i);
  w.record(0, v4(0), kT0 + 100, 1, kT0 + 100); // 0 is recent again; 1 is now the oldest
  for (uint32_t i = 100; i < 150; ++i)
    w.record(0, v4(i), kT0 + i, 1, kT0 + i);
  EXPECT_EQ(w.tracked(), 100u);
  EXPECT_EQ(w.evictions(), 50u);
  EXPECT_TRUE(w.find(0, v4(0)));
  for (uint32_t i = 1; i <= 50; ++i)
    EXPECT_FALSE(w.find(0, v4(i))) << i;
  for (uint32_t i = 51; i < 150; ++i)
    EXPECT_TRUE(w.find(0, v4(i))) << i;
}

TEST(FailureWindows, IndexSurvivesHeavyChurn) {
  // Evictions delete from the open-addressing index; every survivor must stay findable.
  FailureWindows w(1000);
  w.configure_family(0, 4, 1'000'000);
  for (uint32_t i = 0; i < 20000; ++i)
    w.record(0, v4(i * 7919u % 65536u), kT0 + i, 1, kT0 + i);
  EXPECT_EQ(w.tracked(), 1000u);
  size_t found = 0;
  for (uint32_t i = 0; i < 65536; ++i)
    found += w.find(0, v4(i)).has_value();
  EXPECT_EQ(found, 1000u);
}

TEST(FailureWindows, PruneDropsAgedOutWindows) {
  FailureWindows w(100);
  w.configure_family(0, 3, 3600);
  w.record(0, v4(1), kT0, 1, kT0);
  w.record(0, v4(2), kT0 + 1000, 1, kT0 + 1000);
  EXPECT_EQ(w.prune(kT0 + 3599), 0u);
  EXPECT_EQ(w.prune(kT0 + 3600), 1u);
  EXPECT_FALSE(w.find(0, v4(1)));
  EXPECT_EQ(w.prune(kT0 + 4600), 1u);
  EXPECT_EQ(w.tracked(), 0u);
  EXPECT_EQ(w.expirations(), 2u);
  EXPECT_EQ(w.evictions(), 0u);
  // Freed entries and their timestamp arrays are reused.
  w.record(0, v4(3), kT0 + 5000, 1, kT0 + 5000);
  EXPECT_EQ(w.find(0, v4(3))->times, std::vector<Seconds>{kT0 + 5000});
}

TEST(FailureWindows, ShrinkingCapacityKeepsTheNewest) {
  FailureWindows w(10);
  w.configure_family(0, 8, 10000);
  for (int i = 0; i < 8; ++i)
    w.record(0, v4(1), kT0 + i, 1, kT0 + i);
  w.configure_family(0, 3, 10000);
  w.record(0, v4(1), kT0 + 8, 1, kT0 + 8);
  EXPECT_EQ(w.find(0, v4(1))->times, (std::vector<Seconds>{kT0 + 6, kT0 + 7, kT0 + 8}));
}

TEST(FailureWindows, GrowingInLockstepKeepsEveryTimeAndGivesMemoryBack) {
  // Every window grows through each size class at once: the classes left behind are
  // compacted away, and nothing kept is lost or mixed up while entries move.
  constexpr uint32_t kN = 20000;
  FailureWindows w(kN);
  w.configure_family(0, 20, 5356800);
  for (int r = 0; r < 20; ++r)
    for (uint32_t i = 0; i < kN; ++i)
      w.record(0, v4(i), kT0 + r * 100 + i % 7, 0b1111, kT0 + 2000);
  for (uint32_t i = 0; i < kN; i += 997) {
    auto view = w.find(0, v4(i));
    ASSERT_TRUE(view);
    ASSERT_EQ(view->times.size(), 20u);
    for (int r = 0; r < 20; ++r)
      EXPECT_EQ(view->times[size_t(r)], kT0 + r * 100 + i % 7);
    EXPECT_EQ(view->since[3], 20);
  }
  EXPECT_LT(w.memory_bytes() / kN, 200u);
}

TEST(FailureWindows, MemoryIsAccounted) {
  FailureWindows w(10000);
  w.configure_family(0, 20, 5356800);
  size_t empty = w.memory_bytes();
  for (uint32_t i = 0; i < 5000; ++i)
    w.record(0, v4(i), kT0, 1, kT0);
  EXPECT_GT(w.memory_bytes(), empty);
  EXPECT_LT(w.memory_bytes() / 5000, 200u);
}

} // namespace
} // namespace mcf2b
