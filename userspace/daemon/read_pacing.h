// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "base/fd.h"

namespace mcf2b {

// How often a log that is written to all the time is read. A busy mail gateway's exim
// writes each log line with a write() of its own: woken for each, the daemon would pay a
// wake-up (the scheduler, epoll, the reads, cold caches) per line, several times the CPU
// of the line itself. So a source is read at once when an event comes after a quiet
// moment (an isolated attack line costs no latency), but while events keep coming, its
// events are muted and it is read at most once per `interval` on a timer, which reads
// everything written meanwhile in one go; the first read that finds nothing new hears
// its events again. What this costs: a ban decided by a line of a busy log is made up to
// `interval` later. A zero interval reads on every event.
//
// Reads ride on a token bucket of `kBurst` reads per source, refilled one per interval:
// a few reads in a row (the failures of one attack, written a little apart) are all at
// once; a steady stream is paced.
class ReadPacing {
public:
  using Clock = std::chrono::steady_clock;
  static constexpr double kBurst = 3;

  // `epoll_fd` is the loop's; the sources' descriptors are muted and heard again there.
  ReadPacing(int epoll_fd, std::chrono::milliseconds interval);

  // The timer to poll; when it fires, call due().
  [[nodiscard]] int timer_fd() const { return timer_.get(); }
  [[nodiscard]] bool valid() const { return static_cast<bool>(timer_); }

  // The sources were built again (their old descriptors already left the loop): forgets
  // them all.
  void reset();
  // Source i's descriptor `fd`, registered in the loop under `tag`.
  void track(size_t i, int fd, uint64_t tag);

  // Source i's event: true when it is to be read now (then call read_done()); false
  // when it was muted and will come back from due().
  bool on_event(size_t i, Clock::time_point now);
  // The timer fired: the muted sources whose turn it is, to read now (then read_done()).
  std::vector<size_t> due(Clock::time_point now);
  // Source i was read and brought `bytes`. A muted source that brought something stays
  // muted for another interval; one that brought nothing hears its events again.
  void read_done(size_t i, uint64_t bytes, Clock::time_point now);

  [[nodiscard]] bool muted(size_t i) const { return i < state_.size() && state_[i].muted; }
  // Reads made from the timer (for metrics and tests).
  [[nodiscard]] uint64_t paced_reads() const { return paced_reads_; }

private:
  struct Source {
    int fd = -1;
    uint64_t tag = 0;
    double tokens = kBurst;
    Clock::time_point refilled{};
    bool muted = false;
    Clock::time_point due_at{};
  };
  void refill(Source &s, Clock::time_point now) const;
  void set_muted(Source &s, bool muted);
  void arm();

  int epoll_fd_;
  std::chrono::milliseconds interval_;
  Fd timer_;
  std::vector<Source> state_;
  uint64_t paced_reads_ = 0;
};

} // namespace mcf2b
