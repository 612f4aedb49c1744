// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/ip_address.h"

namespace mcf2b::matcher {

// Looks a host name up: its addresses (possibly none), or nullopt when the lookup
// failed (no such name, resolver error, timeout). Injectable, so that tests need no
// network.
using NameLookup = std::function<std::optional<std::vector<IpAddress>>(const std::string &name)>;

// The system resolver (getaddrinfo, IPv4 and IPv6), waiting at most `timeout` for an
// answer: a lookup still running then is abandoned (it finishes on its own thread) and
// counts as failed. At most `max_abandoned` abandoned lookups run at once; beyond that,
// lookups fail at once instead of piling up threads behind a dead resolver.
NameLookup system_name_lookup(std::chrono::milliseconds timeout = std::chrono::seconds(2),
                              size_t max_abandoned = 4);

struct HostNameResolverOptions {
  size_t capacity = 4096;     // names cached at most; the oldest entry goes first
  int64_t positive_ttl = 300; // seconds a name's addresses are reused
  int64_t negative_ttl = 60;  // seconds a failed name is not asked again
};

struct HostNameResolverCounters {
  uint64_t lookups = 0;    // names asked of the lookup (cache misses)
  uint64_t cache_hits = 0; // names answered from the cache
  uint64_t resolved = 0;   // names (looked up or cached) that gave at least one address
  uint64_t failures = 0;   // names (looked up or cached) that gave none
};

// Host names to addresses through a bounded cache with positive and negative entries,
// each with a time to live. Not thread-safe: one per thread.
class HostNameResolver {
public:
  explicit HostNameResolver(NameLookup lookup, HostNameResolverOptions options = {});

  // The addresses of `name` (normalised: IPv4-mapped to IPv4; without duplicates),
  // empty when it has none or the lookup failed. `now` is in seconds, for the TTLs.
  // The reference is valid until the next call.
  const std::vector<IpAddress> &resolve(const std::string &name, int64_t now);

  [[nodiscard]] const HostNameResolverCounters &counters() const { return counters_; }
  [[nodiscard]] size_t cached() const { return cache_.size(); }

private:
  struct Entry {
    std::vector<IpAddress> addresses;
    int64_t expires = 0;
    std::list<std::string>::iterator age; // position in oldest_first_
  };
  NameLookup lookup_;
  HostNameResolverOptions options_;
  std::unordered_map<std::string, Entry> cache_;
  std::list<std::string> oldest_first_;
  HostNameResolverCounters counters_;
};

} // namespace mcf2b::matcher
