// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <span>
#include <string>

#include "base/result.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b {

// Enforcement where XDP cannot attach: iptables and ip6tables rules that drop members of
// each jail's ipset (IpsetMirror's names) on the jail's ports (TCP, UDP, SCTP), every
// packet for an all-ports jail, and non-first fragments of members of any jail, as the
// XDP program does. The rules live in one chain, MCF2B, of the raw table's PREROUTING:
// before connection tracking, the cheapest place netfilter offers. install() replaces the
// chain's content atomically (one iptables-restore per family, no shell); remove() takes
// it out. Whitelists are not mirrored here: the controller leaves whitelisted addresses
// out of the sets.
class IptablesFallback {
public:
  static constexpr const char *kChain = "MCF2B";

  struct Jail {
    std::string name;
    JailPorts ports;
  };
  Status install(std::span<const Jail> jails) const;
  Status remove() const;

  // The iptables-restore input install() feeds for one family (4 or 6); for tests.
  static std::string rules(std::span<const Jail> jails, int family);
};

} // namespace mcf2b
