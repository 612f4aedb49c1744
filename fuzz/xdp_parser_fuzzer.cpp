// SPDX-License-Identifier: GPL-2.0-only
// The XDP ban filter's packet parser: random frames through BPF_PROG_TEST_RUN against a
// C++ reference written from the program's documented semantics (reference_packet_verdict),
// with a fixed set of bans (xdp_ban_set). The invariant: the same action, the same frames
// counted unparsable, the drop counted in the same jail. Loading the program once also
// checks the verifier takes it. Needs root; the maps are unpinned as soon as they are
// filled, so nothing of the run is left on the host, even when it crashes.
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "fuzz/fuzz_support.h"
#include "fuzz/xdp_ban_set.h"
#include "fuzz/xdp_frame_recipe.h"
#include "fuzz/xdp_verdict_oracle.h"

using namespace mcf2b;
using namespace mcf2b::xdp_reference;

namespace {

constexpr long kBpfFsMagic = 0xcafe4a11;

[[noreturn]] void cannot_start(const std::string &why) {
  std::fprintf(stderr, "xdp_parser: cannot start: %s\n", why.c_str());
  std::exit(1);
}

struct Harness {
  BanFilterOracle oracle;
  RecipePools pools;
};

Harness *harness = nullptr;

Harness *start() {
  if (::geteuid() != 0)
    cannot_start("loading an XDP program and running BPF_PROG_TEST_RUN needs root");
  struct statfs st {};
  if (::statfs("/sys/fs/bpf", &st) != 0 || st.f_type != kBpfFsMagic)
    cannot_start("/sys/fs/bpf is not a bpffs mount (mount -t bpf bpf /sys/fs/bpf)");
  const auto &model = fixed_ban_set();
  std::string pin_root = "/sys/fs/bpf/mcf2b-fuzz-XXXXXX";
  if (!::mkdtemp(pin_root.data()))
    cannot_start("cannot make a pin folder under /sys/fs/bpf");
  auto oracle = BanFilterOracle::open(pin_root, model);
  // The program holds its maps by fd from here on: no pin needs to outlive this line.
  std::error_code ec;
  std::filesystem::remove_all(pin_root, ec);
  if (!oracle)
    cannot_start(oracle.error().message());
  return new Harness{std::move(*oracle), {interesting_sources(model), interesting_ports(model)}};
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  harness = start();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::vector<uint8_t> frame = frame_from_input({data, size}, harness->pools);
  if (frame.size() < BanFilterOracle::kMinFrame)
    return -1; // a runt frame never reaches XDP: not worth keeping
  if (frame.size() > BanFilterOracle::kMaxFrame)
    frame.resize(BanFilterOracle::kMaxFrame);
  auto report = harness->oracle.disagreement(frame);
  if (!report)
    fuzz::violated("BPF_PROG_TEST_RUN failed: " + report.error().message());
  if (!report->empty())
    fuzz::violated(*report);
  return 0;
}
