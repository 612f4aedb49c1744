// SPDX-License-Identifier: GPL-2.0-only
// Each vectorised newline counter this CPU runs against a byte-by-byte count, on every
// length up to a few vectors and at every alignment, with newlines at the edges.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "matcher/newline_count.h"

namespace mcf2b::matcher {
namespace {

TEST(NewlineCount, AgreesWithCountingByteByByte) {
  for (const NewlineCounter &counter : newline_counters()) {
    SCOPED_TRACE(counter.name);
    std::mt19937 rng(11);
    std::string text(4096 + 64, 'x');
    for (char &c : text)
      c = rng() % 7 == 0 ? '\n' : static_cast<char>('a' + rng() % 26);
    for (size_t offset = 0; offset < 33; ++offset)
      for (size_t size = 0; size + offset <= text.size(); size += size < 300 ? 1 : 97) {
        const char *data = text.data() + offset;
        size_t count = 0;
        for (size_t i = 0; i < size; ++i)
          count += data[i] == '\n';
        ASSERT_EQ(counter.count(data, size), count) << offset << " " << size;
      }
  }
}

TEST(NewlineCount, NewlinesOnlyAndNone) {
  std::string all(200, '\n'), none(200, 'a');
  std::string many(100'003, '\n');
  for (const NewlineCounter &counter : newline_counters()) {
    SCOPED_TRACE(counter.name);
    for (size_t size = 0; size <= 200; ++size) {
      EXPECT_EQ(counter.count(all.data(), size), size);
      EXPECT_EQ(counter.count(none.data(), size), 0u);
    }
    // Past the 255 blocks an 8-bit lane holds before it is summed.
    EXPECT_EQ(counter.count(many.data(), many.size()), many.size());
  }
}

} // namespace
} // namespace mcf2b::matcher
