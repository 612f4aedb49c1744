// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "userspace/enforce/mirror_writer.h"

using namespace mcf2b;

namespace {

TEST(MirrorWriter, RunsTasksInOrderOffTheCallersThreadAndCountsFailures) {
  std::mutex m;
  std::vector<int> order;
  std::thread::id caller = std::this_thread::get_id(), worker;
  {
    MirrorWriter writer;
    for (int i = 0; i < 100; ++i)
      writer.submit([&, i]() -> Status {
        std::lock_guard lock(m);
        order.push_back(i);
        worker = std::this_thread::get_id();
        return i % 10 == 0 ? Status(Error::msg("ipset said no")) : Status();
      });
    writer.drain();
    EXPECT_TRUE(writer.idle());
    EXPECT_EQ(writer.errors(), 10u);
    writer.submit([&]() -> Status {
      std::lock_guard lock(m);
      order.push_back(100);
      return {};
    });
  } // the destructor finishes what was submitted
  ASSERT_EQ(order.size(), 101u);
  for (int i = 0; i <= 100; ++i)
    EXPECT_EQ(order[static_cast<size_t>(i)], i);
  EXPECT_NE(worker, caller);
}

} // namespace
