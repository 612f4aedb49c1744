// SPDX-License-Identifier: GPL-2.0-only
#include "bench/ban_filter_support/bench_object.h"

#include <bpf/libbpf.h>

#include "ban_filter_bench.skel.h"
#include "bench/ban_filter_support/bench_failure.h"
#include "userspace/enforce/pinned_layout.h"

namespace mcf2b::bench {

ban_filter_bench *load_bench_object(const std::string &pin_root) {
  std::string layout_dir = pinned_layout_dir(pin_root);
  LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = layout_dir.c_str());
  ban_filter_bench *skel = ban_filter_bench__open_opts(&opts);
  if (!skel)
    die("open the bench BPF object");
  adopt_pinned_map_sizes(skel->obj, layout_dir);
  if (int err = ban_filter_bench__load(skel); err != 0) {
    ban_filter_bench__destroy(skel);
    die("load the bench BPF object: " + Error::sys("", -err).message());
  }
  return skel;
}

} // namespace mcf2b::bench
