// SPDX-License-Identifier: GPL-2.0-only
// Leveled logging: one line per message, several messages in one write alike.
#include "base/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mcf2b {
namespace {

TEST(Log, SeveralMessagesAreWrittenAsLogWritesEachAndFilteredAlike) {
  set_log_level(LogLevel::info);
  ::testing::internal::CaptureStderr();
  log_info("one\nline");
  log_lines(LogLevel::info, std::vector<std::string>{"ban a", "ban\tb"});
  log_lines(LogLevel::info, std::vector<std::string>{});
  log_lines(LogLevel::debug, std::vector<std::string>{"hidden"});
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "<6>one?line\n<6>ban a\n<6>ban?b\n");
}

} // namespace
} // namespace mcf2b
