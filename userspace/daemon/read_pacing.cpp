// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/read_pacing.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>

#include <algorithm>

#include "userspace/daemon/loop_timers.h"

namespace mcf2b {

ReadPacing::ReadPacing(int epoll_fd, std::chrono::milliseconds interval)
    : epoll_fd_(epoll_fd), interval_(interval), timer_(make_timer(0)) {}

void ReadPacing::reset() {
  state_.clear();
  disarm(timer_.get());
}

void ReadPacing::track(size_t i, int fd, uint64_t tag) {
  if (state_.size() <= i)
    state_.resize(i + 1);
  state_[i] = Source{};
  state_[i].fd = fd;
  state_[i].tag = tag;
}

void ReadPacing::refill(Source &s, Clock::time_point now) const {
  if (s.refilled == Clock::time_point{}) {
    s.refilled = now;
    return;
  }
  const double intervals =
      std::chrono::duration<double>(now - s.refilled) / std::chrono::duration<double>(interval_);
  s.tokens = std::min(kBurst, s.tokens + intervals);
  s.refilled = now;
}

void ReadPacing::set_muted(Source &s, bool muted) {
  if (s.muted == muted)
    return;
  epoll_event ev{};
  ev.events = muted ? 0u : uint32_t{EPOLLIN};
  ev.data.u64 = s.tag;
  // A descriptor registered with no events is not reported (bar hang-ups, which a
  // follower's inotify or journal descriptor does not have) until it is asked for again.
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, s.fd, &ev) == 0)
    s.muted = muted;
}

bool ReadPacing::on_event(size_t i, Clock::time_point now) {
  if (interval_.count() <= 0 || i >= state_.size())
    return true;
  Source &s = state_[i];
  if (s.muted) // an event queued before it was muted: its read is due anyway
    return false;
  refill(s, now);
  if (s.tokens >= 1) {
    s.tokens -= 1;
    return true;
  }
  set_muted(s, true);
  if (!s.muted) // could not mute: read as before rather than spin on the event
    return true;
  const auto wait = std::chrono::duration<double>(interval_) * (1 - s.tokens);
  s.due_at = now + std::chrono::duration_cast<Clock::duration>(wait);
  arm();
  return false;
}

std::vector<size_t> ReadPacing::due(Clock::time_point now) {
  drain(timer_.get());
  std::vector<size_t> out;
  for (size_t i = 0; i < state_.size(); ++i) {
    Source &s = state_[i];
    if (s.muted && s.due_at <= now) {
      refill(s, now);
      s.tokens = std::max(0.0, s.tokens - 1);
      ++paced_reads_;
      s.due_at = now + interval_; // until read_done() says what the read brought
      out.push_back(i);
    }
  }
  arm();
  return out;
}

void ReadPacing::read_done(size_t i, uint64_t bytes, Clock::time_point now) {
  if (i >= state_.size() || !state_[i].muted)
    return;
  Source &s = state_[i];
  if (bytes > 0) {
    s.due_at = now + interval_;
    arm();
  } else {
    set_muted(s, false);
  }
}

void ReadPacing::arm() {
  Clock::time_point next = Clock::time_point::max();
  for (const Source &s : state_)
    if (s.muted)
      next = std::min(next, s.due_at);
  if (next == Clock::time_point::max()) {
    disarm(timer_.get());
    return;
  }
  const auto now = Clock::now();
  const auto wait = next > now ? next - now : Clock::duration{0};
  itimerspec spec{};
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count() + 1;
  spec.it_value.tv_sec = ns / 1'000'000'000;
  spec.it_value.tv_nsec = ns % 1'000'000'000;
  ::timerfd_settime(timer_.get(), 0, &spec, nullptr);
}

} // namespace mcf2b
