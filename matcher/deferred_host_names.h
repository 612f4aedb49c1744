// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "matcher/failure.h"
#include "matcher/host_name_resolver.h"
#include "matcher/use_dns.h"

namespace mcf2b::matcher {

// The matches of a scan that named a host name, kept until the scan is over and only
// then resolved: a lookup can wait on the network, and the scan must not. With `usedns`
// no or raw nothing is kept (the names stay counted, unresolved).
class DeferredHostNames {
public:
  using Emit = std::function<void(const Match &)>;
  // Called for each kept match whose name resolved to addresses, before they are
  // emitted (usedns = warn logs it): the match as scanned, host_text the name.
  using OnResolved = std::function<void(const Match &, const std::vector<IpAddress> &)>;

  explicit DeferredHostNames(UseDns mode) : mode_(mode) {}

  [[nodiscard]] UseDns mode() const { return mode_; }
  // Keeps `match` (with a copy of its host text) when it names a host name and the mode
  // resolves names; returns whether it was kept.
  bool defer(const Match &match);
  [[nodiscard]] size_t size() const { return pending_.size(); }

  // Resolves the kept names in the order they were matched and emits, for each address
  // a name has, the match again as a failure of that address (host_kind address,
  // host_text the name), as fail2ban does. A name without addresses emits nothing (the
  // resolver counts it). Then forgets them.
  void resolve(HostNameResolver &resolver, int64_t now, const Emit &emit,
               const OnResolved &on_resolved = {});

private:
  struct Pending {
    Match match;
    size_t name_offset, name_size; // in names_
  };
  UseDns mode_;
  std::vector<Pending> pending_;
  std::string names_;
};

// What usedns = warn says of a resolved name (given to OnResolved): "determined the
// address of NAME by a DNS lookup: A, B".
std::string resolution_warning(const Match &match, const std::vector<IpAddress> &addresses);

} // namespace mcf2b::matcher
