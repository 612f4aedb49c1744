// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace mcf2b {

// The time since `start` as a log says it ("0.123 s"): the phases of a start-up, a
// reconcile.
inline std::string seconds_since(std::chrono::steady_clock::time_point start) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f s",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return text;
}

} // namespace mcf2b
