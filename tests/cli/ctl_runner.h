// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/subprocess.h"

namespace mcf2b::testing {

// The built mcf2b-ctl (MCF2B_CTL_PATH), run without a shell; stdout, stderr and the
// exit code are captured.
struct CtlRun {
  int code = -1;
  std::string out, err;
};

inline CtlRun run_ctl(std::vector<std::string> args) {
  args.insert(args.begin(), MCF2B_CTL_PATH);
  auto r = run_program(args);
  if (!r)
    return {-1, "", "cannot run mcf2b-ctl: " + r.error().message()};
  return {r->exit_code, r->out, r->err};
}

// Expects a run's exit code, showing what it printed when it differs.
#define EXPECT_CTL(run, expected_code)                                                             \
  EXPECT_EQ((run).code, expected_code) << "stdout: " << (run).out << "\nstderr: " << (run).err

// Whether `text` is exactly one line (one '\n', at the end).
inline bool one_line(const std::string &text) {
  return !text.empty() && text.find('\n') == text.size() - 1;
}

} // namespace mcf2b::testing
