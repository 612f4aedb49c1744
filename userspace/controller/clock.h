// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <ctime>

#include "userspace/model/jail.h"

namespace mcf2b {

// Where the controller gets "now" from. Injected so that every time-dependent rule
// (windows, ban ends, expiry) is tested by moving a manual clock, never by sleeping.
class Clock {
public:
  virtual ~Clock() = default;
  // Seconds since the Unix epoch.
  [[nodiscard]] virtual Seconds now() const = 0;
};

// The wall clock: bans end at wall-clock times that are shared across a cluster.
class SystemClock final : public Clock {
public:
  [[nodiscard]] Seconds now() const override { return static_cast<Seconds>(std::time(nullptr)); }
};

// A clock that only moves when told to.
class ManualClock final : public Clock {
public:
  explicit ManualClock(Seconds start) : now_(start) {}
  [[nodiscard]] Seconds now() const override { return now_; }
  void set(Seconds t) { now_ = t; }
  void advance(Seconds by) { now_ += by; }

private:
  Seconds now_;
};

} // namespace mcf2b
