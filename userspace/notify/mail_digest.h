// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace mcf2b {

// When each jail may mail next: a digest, not a flood. A jail's first mail goes at once;
// after a mail was sent, the next waits `interval`, gathering every ban meanwhile into
// one mail. A failed send waits a back-off that doubles from `retry_initial` up to
// `retry_max`, and a success resets it. Pure bookkeeping over a given clock: no I/O.
class MailDigest {
public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    Clock::duration interval = std::chrono::minutes(5);
    Clock::duration retry_initial = std::chrono::seconds(10);
    Clock::duration retry_max = std::chrono::minutes(10);
  };
  explicit MailDigest(Options options) : options_(options) {}

  // When `jail`'s waiting notices may be mailed (now or earlier: at once).
  [[nodiscard]] Clock::time_point due(const std::string &jail) const;
  void sent(const std::string &jail, Clock::time_point now);
  void failed(const std::string &jail, Clock::time_point now);

private:
  struct JailState {
    std::optional<Clock::time_point> last_sent;
    std::optional<Clock::time_point> retry_at;
    Clock::duration backoff{};
  };
  Options options_;
  std::map<std::string, JailState> jails_;
};

} // namespace mcf2b
