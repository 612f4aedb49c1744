// SPDX-License-Identifier: GPL-2.0-only
#include <signal.h>
#include <gtest/gtest.h>

#include "base/subprocess.h"

using mcf2b::ChildProcess;
using mcf2b::run_program;

namespace {

TEST(RunProgram, ArgumentsAreNeverInterpretedByAShell) {
  const std::string hostile = "$(touch /tmp/mcf2b-pwned); `id`; rm -rf / #";
  auto r = run_program({"printf", "%s", hostile});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, hostile);
}

TEST(RunProgram, FeedsLargeInputAndCapturesOutput) {
  std::string input(1 << 20, 'x');
  auto r = run_program({"wc", "-c"}, input);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(std::stoul(r->out), input.size());
}

TEST(RunProgram, ReportsExitCodeAndMissingProgram) {
  auto r = run_program({"false"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1);
  auto missing = run_program({"mcf2b-no-such-program"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("program not found"), std::string::npos);
  auto checked = mcf2b::run_program_checked({"sh", "-c", "echo boom >&2; exit 3"});
  ASSERT_FALSE(checked.ok());
  EXPECT_NE(checked.error().message().find("boom"), std::string::npos);
}

TEST(ChildProcess, StopsAndReaps) {
  auto child = ChildProcess::spawn({"sleep", "30"});
  ASSERT_TRUE(child.ok());
  EXPECT_FALSE(child->exited());
  int code = child->stop(2000);
  EXPECT_EQ(code, 128 + SIGTERM);
  EXPECT_FALSE(child->running());
}

} // namespace
