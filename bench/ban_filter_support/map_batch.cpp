// SPDX-License-Identifier: GPL-2.0-only
#include "bench/ban_filter_support/map_batch.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cerrno>
#include <string>

namespace mcf2b::bench {

Status update_many(const BpfMapRef &map, const uint8_t *keys, const uint8_t *values, size_t count,
                   size_t &done, uint64_t flags) {
  done = 0;
  constexpr size_t kChunk = 8192;
  bool batch = true;
  while (done < count) {
    const uint8_t *key = keys + done * map.key_size();
    const uint8_t *value = values + done * map.value_size();
    if (batch) {
      uint32_t n = static_cast<uint32_t>(std::min(kChunk, count - done));
      LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = flags);
      if (bpf_map_update_batch(map.fd(), key, value, &n, &opts) == 0) {
        done += n;
        continue;
      }
      int err = errno;
      done += n; // n now says how many went in before the failure
      if (batch_unsupported(err)) {
        batch = false; // retry the rest one by one (also pinpoints a bad entry)
        continue;
      }
      return Error::sys(std::string("batch update ") + map.name(), err);
    }
    if (auto st = map.update(key, value, flags); !st)
      return st;
    ++done;
  }
  return {};
}

} // namespace mcf2b::bench
