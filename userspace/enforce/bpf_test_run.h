// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"

namespace mcf2b {

struct TestRunOutput {
  uint32_t verdict = 0;     // the program's return value (XDP_PASS, XDP_DROP, ...)
  uint32_t duration_ns = 0; // the kernel's average time per repetition
  std::vector<uint8_t> packet_out;
};

// Runs a loaded BPF program on one packet through BPF_PROG_TEST_RUN, `repeat` times.
Result<TestRunOutput> bpf_test_run(int prog_fd, std::span<const uint8_t> packet,
                                   uint32_t repeat = 1);

} // namespace mcf2b
