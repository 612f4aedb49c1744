// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include "base/fd.h"

namespace mcf2b {

// The daemon loop's timers (timerfds, polled by its epoll).

// A monotonic timer firing every `interval_ms`, or one not armed yet when 0.
Fd make_timer(int interval_ms);
// Arms `fd` to fire once, `delay_ms` from now (0: as soon as possible).
void arm_once(int fd, int delay_ms);
// Stops `fd` from firing until armed again.
void disarm(int fd);
// Reads what `fd` counted (a timerfd's expirations, an eventfd's count), so it is not
// readable again until it fires again.
void drain(int fd);

} // namespace mcf2b
