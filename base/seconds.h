// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>

namespace mcf2b {

// The one time type of every layer: seconds since the Unix epoch, or a duration in
// seconds. As a ban's end, 0 means never (a permanent ban).
using Seconds = int64_t;

// The longest findtime or bantime: MailCleaner's fail2ban_jail stores them in int
// columns. Checked once where a value comes in, so every later sum stays in range.
inline constexpr Seconds kMaxDuration = 2147483647;

} // namespace mcf2b
