// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>

struct ban_filter_bench;

namespace mcf2b::bench {

// The benchmark BPF object (bpf/ban_filter_bench.bpf.c), loaded over the maps an
// XdpEnforcer pinned under `pin_root`: its maps take the pinned ones' sizes so libbpf
// reuses them, and the harness then reads the enforcer's bans. A Fatal when it fails.
// The caller destroys it (ban_filter_bench__destroy).
ban_filter_bench *load_bench_object(const std::string &pin_root);

} // namespace mcf2b::bench
