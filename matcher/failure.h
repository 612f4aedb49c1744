// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "base/ip_address.h"
#include "matcher/fields.h"

namespace mcf2b::matcher {

// What kind of host a matched line named. Only addresses become failures the controller
// counts; host names are counted (never resolved in the hot path), and text that looks
// like an address but is not one (999.1.1.1, 192.030.0.6) is reported as invalid.
enum class HostKind : uint8_t { address, name, invalid_address, none };

// One matched line: the event the matcher emits. The controller fans it out to the
// jails that use `filter` (the four tiers of a service share one filter and one file).
struct Match {
  uint32_t filter = 0;        // index of the filter in the LogMatcher
  uint32_t rule = 0;          // failregex index within the filter (0-based)
  uint64_t line = 0;          // 1-based line number in the scanned stream
  HostKind host_kind = HostKind::none;
  IpAddress address;          // when host_kind == address: normalised (v4-mapped -> v4)
  // When the rule also captured a prefix length (<CIDR>, <SUBNET>): the length in
  // `address`'s family (an IPv4-mapped IPv6 prefix becomes an IPv4 one), and the host
  // bits of `address` are cleared.
  std::optional<uint8_t> prefix_length;
  std::string_view host_text; // as written in the log; valid during the callback only
  // The matched line and its fields (<F-USER> and the others, by group name), for
  // actions and mails (fail2ban's <matches> and <F-*>): log text, never to reach a
  // shell. Valid during the callback only.
  std::string_view line_text;
  const Fields *fields = nullptr;
  const FieldSchema *field_names = nullptr;
  int64_t time = 0;           // seconds since the epoch (UTC)
  bool dated = true;          // false: no timestamp on the line, `time` is a fallback

  // What the failure names: the captured prefix, or the address as a host prefix.
  [[nodiscard]] IpPrefix prefix() const {
    return prefix_length ? IpPrefix(address, *prefix_length) : IpPrefix::host(address);
  }
};

// What fail2ban-regex counts differently from the failures (LogMatcher::on_counted_line):
// - taken: a line a multi-line match took out of the buffer before the line that
//   completed it (maxlines > 1): counted as matched;
// - pending: judging every rule, a session line that names no address yet (<F-MLFID>):
//   fail2ban-regex reports a failure without an id for it, a matched line;
// - ignored: a line an ignoreregex vetoed or a rule found as nofail: fail2ban-regex
//   counts it as ignored, even when another rule found a failure on it.
enum class CountedLine : uint8_t { taken, pending, ignored };

// Counters the daemon exports as metrics. Monotonic over a matcher's life.
struct MatcherCounters {
  uint64_t lines = 0;       // complete lines scanned
  uint64_t bytes = 0;       // bytes scanned, newlines included
  uint64_t candidates = 0;  // lines Hyperscan (or the slow path) proposed for confirmation
  uint64_t matched = 0;     // lines that produced a failure (any host kind)
  uint64_t ignored = 0;     // lines a failregex matched but an ignoreregex vetoed
  uint64_t host_names = 0;  // failures naming a host name (not resolved)
  uint64_t invalid_hosts = 0;   // failures whose address text is not an address, or
                                // whose prefix length is impossible (/33, /129)
  uint64_t bad_dates = 0;       // matched lines with an impossible timestamp (dropped)
  uint64_t undated = 0;         // candidate lines without any timestamp (time = fallback,
                                // or dropped when the filter has require_date)
  uint64_t truncated = 0;       // lines longer than the examined maximum (not matched)
  uint64_t regex_limit_hits = 0; // PCRE2 match limit reached (treated as no match)

  // Lines that could not be used as written: what `test-filter` reports as unparsable.
  [[nodiscard]] uint64_t unparsable() const {
    return invalid_hosts + bad_dates + truncated + regex_limit_hits;
  }
};

} // namespace mcf2b::matcher
