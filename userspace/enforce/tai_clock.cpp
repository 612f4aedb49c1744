// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/tai_clock.h"

#include <time.h>

namespace mcf2b {

int64_t tai_offset_seconds() {
  timespec tai{}, utc{};
  ::clock_gettime(CLOCK_TAI, &tai);
  ::clock_gettime(CLOCK_REALTIME, &utc);
  // The offset is a whole number of seconds; round away the time between the two reads.
  int64_t ns = (tai.tv_sec - utc.tv_sec) * 1'000'000'000LL + (tai.tv_nsec - utc.tv_nsec);
  return (ns + (ns >= 0 ? 500'000'000LL : -500'000'000LL)) / 1'000'000'000LL;
}

int64_t unix_now() {
  timespec utc{};
  ::clock_gettime(CLOCK_REALTIME, &utc);
  return utc.tv_sec;
}

uint64_t unix_to_tai_ns(int64_t unix_seconds, int64_t tai_offset) {
  if (unix_seconds == 0)
    return 0;
  int64_t tai = unix_seconds + tai_offset;
  // A time before the clock's origin has long passed: the smallest non-zero expiry.
  return tai <= 0 ? 1 : static_cast<uint64_t>(tai) * 1'000'000'000ULL;
}

int64_t tai_ns_to_unix(uint64_t tai_ns, int64_t tai_offset) {
  if (tai_ns == 0)
    return 0;
  return static_cast<int64_t>(tai_ns / 1'000'000'000ULL) - tai_offset;
}

} // namespace mcf2b
