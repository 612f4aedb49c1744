// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <vector>

namespace mcf2b::matcher {

// Number of '\n' bytes in [data, data + size): vectorised, the matcher's line counter.
size_t count_newlines(const char *data, size_t size);

// The implementations this CPU can run, narrowest first: count_newlines() uses the last.
// Listed so that tests check each one.
struct NewlineCounter {
  const char *name;
  size_t (*count)(const char *data, size_t size);
};
std::vector<NewlineCounter> newline_counters();

} // namespace mcf2b::matcher
