// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>

namespace mcf2b {

// What a server lets one client hold, so idle, slow or non-reading clients cannot take
// it over: whoever connects next is served, and memory stays bounded.
struct ConnectionLimits {
  size_t max_connections = 64;
  // A connection with no request under way and nothing owed is closed after this.
  std::chrono::milliseconds idle_timeout{30'000};
  // A request whose first byte arrived must be complete within this (slow senders).
  std::chrono::milliseconds request_timeout{5'000};
  // Output owed to a client must make progress within this (clients that never read).
  std::chrono::milliseconds write_timeout{10'000};
  // Once this much output is owed, no further request of that client is read or
  // served until it reads: pipelined requests whose replies are never read cannot
  // grow the server.
  size_t max_output = 4u << 20;
};

// The times a server keeps per connection to apply ConnectionLimits.
class ConnectionTimes {
public:
  using Clock = std::chrono::steady_clock;
  explicit ConnectionTimes(Clock::time_point now) : last_activity_(now), last_write_(now) {}

  // Bytes arrived; `request_open`: a request is now partly received.
  void received(Clock::time_point now, bool request_open) {
    last_activity_ = now;
    if (!request_open)
      request_started_.reset();
    else if (!request_started_)
      request_started_ = now;
  }
  // Output went out (or nothing was owed).
  void wrote(Clock::time_point now) {
    last_activity_ = now;
    last_write_ = now;
  }
  // Output became owed after the client had been fully answered.
  void started_owing(Clock::time_point now) { last_write_ = now; }

  // Why the connection should be closed now, or nullptr when it may stay.
  [[nodiscard]] const char *expired(Clock::time_point now, const ConnectionLimits &limits,
                                    bool owes_output) const {
    if (owes_output)
      return now - last_write_ > limits.write_timeout ? "client does not read its replies"
                                                      : nullptr;
    if (request_started_ && now - *request_started_ > limits.request_timeout)
      return "request not completed in time";
    if (!request_started_ && now - last_activity_ > limits.idle_timeout)
      return "idle";
    return nullptr;
  }
  [[nodiscard]] Clock::time_point last_activity() const { return last_activity_; }

private:
  Clock::time_point last_activity_, last_write_;
  std::optional<Clock::time_point> request_started_;
};

// The connection to close to make room for a new client when the server is full: the
// one that has been quiet the longest. Connections are a map from fd to a struct with a
// `times` member.
template <typename Connections>
std::optional<int> least_recently_active(const Connections &connections) {
  std::optional<int> victim;
  ConnectionTimes::Clock::time_point oldest = ConnectionTimes::Clock::time_point::max();
  for (const auto &[fd, c] : connections)
    if (c.times.last_activity() < oldest) {
      oldest = c.times.last_activity();
      victim = fd;
    }
  return victim;
}

} // namespace mcf2b
