// SPDX-License-Identifier: GPL-2.0-only
#include "fuzz/xdp_verdict_oracle.h"

#include <linux/bpf.h>

#include <cstdio>
#include <map>
#include <sstream>

#include "fuzz/xdp_ban_set.h"
#include "userspace/enforce/bpf_test_run.h"
#include "userspace/enforce/tai_clock.h"

namespace mcf2b::xdp_reference {
namespace {

std::string action_name(uint32_t action) {
  switch (action) {
  case XDP_ABORTED:
    return "XDP_ABORTED";
  case XDP_DROP:
    return "XDP_DROP";
  case XDP_PASS:
    return "XDP_PASS";
  case XDP_TX:
    return "XDP_TX";
  case XDP_REDIRECT:
    return "XDP_REDIRECT";
  default:
    return "action " + std::to_string(action);
  }
}

std::map<std::string, uint64_t> packets_by_jail(const EnforcerCounters &c) {
  std::map<std::string, uint64_t> out;
  for (const auto &j : c.jails)
    out[j.jail] = j.packets;
  return out;
}

} // namespace

BanFilterOracle::BanFilterOracle(XdpEnforcer enforcer, BanSetModel model, EnforcerCounters counters)
    : enforcer_(std::move(enforcer)), model_(std::move(model)),
      last_counters_(std::move(counters)) {}

Result<BanFilterOracle> BanFilterOracle::open(const std::string &pin_root, BanSetModel model) {
  auto enforcer = XdpEnforcer::open({pin_root, 4096, {}});
  if (!enforcer)
    return Error::msg("loading the ban filter (a verifier refusal shows here): " +
                      enforcer.error().message());
  if (auto st = install(model, *enforcer); !st)
    return st.error();
  auto counters = enforcer->counters();
  if (!counters)
    return counters.error();
  return BanFilterOracle(std::move(*enforcer), std::move(model), std::move(*counters));
}

Result<std::string> BanFilterOracle::disagreement(std::span<const uint8_t> frame) {
  if (frame.size() < kMinFrame || frame.size() > kMaxFrame)
    return Error::msg("frame of " + std::to_string(frame.size()) + " bytes is out of range");
  last_reference_ = reference_verdict(model_, frame, unix_now());
  const ReferenceVerdict &expected = last_reference_;
  auto run = bpf_test_run(enforcer_.program_fd(), frame);
  if (!run)
    return run.error();
  auto counters = enforcer_.counters();
  if (!counters)
    return counters.error();
  uint64_t unparsable = counters->unparsable - last_counters_.unparsable;
  auto before = packets_by_jail(last_counters_), after = packets_by_jail(*counters);
  last_counters_ = std::move(*counters);

  std::string counted_jail, expected_jail;
  bool counted_once = true;
  for (const auto &[jail, packets] : after) {
    uint64_t added = packets - before[jail];
    if (added != 0) {
      counted_once = counted_once && added == 1 && counted_jail.empty();
      counted_jail += (counted_jail.empty() ? "" : ",") + jail;
    }
  }
  std::optional<JailSlot> lowest;
  for (const auto &jail : expected.dropping_jails) {
    auto slot = enforcer_.slot_of(jail);
    if (slot && (!lowest || *slot < *lowest)) {
      lowest = slot;
      expected_jail = jail;
    }
  }
  bool expected_unparsable = expected.parsed.frame_class == FrameClass::malformed;
  if (run->verdict == expected.action && (unparsable == 1) == expected_unparsable &&
      unparsable <= 1 && counted_once && counted_jail == expected_jail)
    return std::string();

  std::ostringstream out;
  out << "the ban filter and the reference disagree on a " << frame.size() << "-byte frame\n"
      << "  program:   " << action_name(run->verdict) << ", unparsable +" << unparsable
      << ", dropped in jail [" << counted_jail << "]\n"
      << "  reference: " << action_name(expected.action) << ", "
      << to_string(expected.parsed.frame_class) << " (" << expected.parsed.why << ")";
  if (expected.parsed.frame_class == FrameClass::flow)
    out << ", " << to_string(expected.parsed.flow);
  out << ", dropped in jail [" << expected_jail << "] of [";
  for (size_t i = 0; i < expected.dropping_jails.size(); ++i)
    out << (i ? "," : "") << expected.dropping_jails[i];
  out << "]\n" << hex_dump(frame);
  return out.str();
}

std::string hex_dump(std::span<const uint8_t> frame) {
  std::string out;
  char buf[32];
  for (size_t i = 0; i < frame.size(); ++i) {
    if (i % 16 == 0) {
      std::snprintf(buf, sizeof buf, "  %04zx ", i);
      out += buf;
    }
    std::snprintf(buf, sizeof buf, " %02x", frame[i]);
    out += buf;
    if (i % 16 == 15 || i + 1 == frame.size())
      out += '\n';
  }
  return out;
}

} // namespace mcf2b::xdp_reference
