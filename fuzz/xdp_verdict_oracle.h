// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"
#include "fuzz/reference_packet_verdict.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b::xdp_reference {

// The ban filter, loaded and given a ban set, held against the reference frame by frame:
// the same action (XDP_DROP or XDP_PASS, nothing else), the same frames counted as
// unparsable, and a drop counted in the jail the program documents (the lowest kernel
// slot among the jails that drop the flow).
class BanFilterOracle {
public:
  // BPF_PROG_TEST_RUN refuses frames shorter than Ethernet; the upper bound keeps frames
  // within one page, as a 1500-byte MTU does.
  static constexpr size_t kMinFrame = 14;
  static constexpr size_t kMaxFrame = 1518;

  // Loads the program over maps pinned under `pin_root` (a folder on bpffs) and installs
  // `model`. Needs root.
  static Result<BanFilterOracle> open(const std::string &pin_root, BanSetModel model);

  // Runs the frame (kMinFrame..kMaxFrame bytes) through the program and the reference:
  // an empty string when they agree, else both sides and the frame.
  Result<std::string> disagreement(std::span<const uint8_t> frame);

  [[nodiscard]] const BanSetModel &model() const { return model_; }
  // The reference's verdict on the last frame compared.
  [[nodiscard]] const ReferenceVerdict &last_reference() const { return last_reference_; }

private:
  BanFilterOracle(XdpEnforcer enforcer, BanSetModel model, EnforcerCounters counters);
  XdpEnforcer enforcer_;
  BanSetModel model_;
  EnforcerCounters last_counters_;
  ReferenceVerdict last_reference_;
};

// The frame as hex, 16 bytes a line, for reports.
std::string hex_dump(std::span<const uint8_t> frame);

} // namespace mcf2b::xdp_reference
