// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/bpf_test_run.h"

#include <bpf/bpf.h>

namespace mcf2b {

Result<TestRunOutput> bpf_test_run(int prog_fd, std::span<const uint8_t> packet,
                                   uint32_t repeat) {
  TestRunOutput out;
  // XDP may grow the packet (headroom adjustments); leave room for that.
  out.packet_out.resize(packet.size() + 256);
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  opts.data_in = packet.data();
  opts.data_size_in = static_cast<uint32_t>(packet.size());
  opts.data_out = out.packet_out.data();
  opts.data_size_out = static_cast<uint32_t>(out.packet_out.size());
  opts.repeat = repeat;
  if (bpf_prog_test_run_opts(prog_fd, &opts) != 0)
    return Error::sys("BPF_PROG_TEST_RUN");
  out.verdict = opts.retval;
  out.duration_ns = opts.duration;
  out.packet_out.resize(opts.data_size_out);
  return out;
}

} // namespace mcf2b
