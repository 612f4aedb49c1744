// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/loop_timers.h"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdint>

namespace mcf2b {

Fd make_timer(int interval_ms) {
  Fd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (fd && interval_ms > 0) {
    itimerspec spec{};
    spec.it_interval.tv_sec = interval_ms / 1000;
    spec.it_interval.tv_nsec = (interval_ms % 1000) * 1000000L;
    spec.it_value = spec.it_interval;
    ::timerfd_settime(fd.get(), 0, &spec, nullptr);
  }
  return fd;
}

void arm_once(int fd, int delay_ms) {
  itimerspec spec{};
  spec.it_value.tv_sec = delay_ms / 1000;
  spec.it_value.tv_nsec = (delay_ms % 1000) * 1000000L + 1;
  ::timerfd_settime(fd, 0, &spec, nullptr);
}

void disarm(int fd) {
  itimerspec off{};
  ::timerfd_settime(fd, 0, &off, nullptr);
}

void drain(int fd) {
  uint64_t n;
  while (::read(fd, &n, sizeof n) > 0) {
  }
}

} // namespace mcf2b
