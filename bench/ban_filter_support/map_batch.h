// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/result.h"
#include "userspace/enforce/bpf_map_ops.h"

namespace mcf2b::bench {

// Writes many entries (keys and values packed at the map's sizes) with
// BPF_MAP_UPDATE_BATCH, in chunks; where batches are not supported, one by one. On a
// failure, `done` says how many entries were written (the first `done` ones) and the
// error is for entry `done`.
Status update_many(const BpfMapRef &map, const uint8_t *keys, const uint8_t *values, size_t count,
                   size_t &done, uint64_t flags = 0);

} // namespace mcf2b::bench
