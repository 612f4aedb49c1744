// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>

namespace mcf2b {

// The ban filter compares expiries with bpf_ktime_get_tai_ns(): CLOCK_TAI, the wall
// clock without leap seconds. The controller speaks Unix seconds; these convert between
// the two with the kernel's current TAI - UTC offset (0 unless NTP has set it).
int64_t tai_offset_seconds();
int64_t unix_now();

// 0 (permanent) maps to 0 both ways.
uint64_t unix_to_tai_ns(int64_t unix_seconds, int64_t tai_offset);
int64_t tai_ns_to_unix(uint64_t tai_ns, int64_t tai_offset);

} // namespace mcf2b
