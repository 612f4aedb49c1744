// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <array>
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "base/ip_address.h"

namespace mcf2b::bench {

// What a MailCleaner gateway's exim stage-1 logs hold, generated: a share of failure
// lines of the six kinds mc-exim-filter counts, each from one of `attackers` addresses
// (some IPv6), and for the rest what exim logs besides (greylisting, rate limits, EHLO
// refusals, dumped headers, arrivals, deliveries, TLS errors). Deterministic: the same
// options give the same bytes.
struct ReplayLogOptions {
  uint64_t lines = 1'000'000;
  double failure_share = 0.10;
  uint64_t attackers = 10'000;
  double ipv6_share = 0.10;
  uint64_t seed = 1;
  // Attacker numbers start here: each round bans addresses no earlier round banned.
  uint64_t first_attacker = 0;
  // Stamps run from first_stamp over span_seconds (local time, exim's format).
  std::time_t first_stamp = 0;
  int64_t span_seconds = 300;
};

struct ReplayLog {
  std::string text;
  uint64_t lines = 0;
  uint64_t failure_lines = 0;
  std::vector<uint32_t> failures_of; // per attacker (index from first_attacker)
  uint64_t first_attacker = 0;
  double ipv6_share = 0;
  [[nodiscard]] IpAddress attacker(uint64_t index) const;
  // Bans that tiers with these thresholds make, each counting on its own and starting
  // over at its threshold (already banned then: no second ban), all lines inside every
  // findtime: one per attacker per threshold reached.
  [[nodiscard]] uint64_t expected_bans(const std::vector<int> &maxretry) const;
  // The attackers the lowest threshold bans.
  [[nodiscard]] std::vector<IpAddress> banned(int maxretry) const;
};

// Attacker `number`: 100.64.0.0/10 (IPv4) or 2001:db8:a7::/48 (IPv6), by a hash of the
// number against the IPv6 share.
IpAddress replay_attacker(uint64_t number, double ipv6_share);

ReplayLog generate_replay_log(const ReplayLogOptions &options);

} // namespace mcf2b::bench
