// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>

#include "base/fd.h"
#include "base/ip_address.h"
#include "base/result.h"

namespace mcf2b::bench {

// Asks the kernel whether an ipset holds an address (IPSET_CMD_TEST over netlink, as
// `ipset test` does), in the network namespace the probe was opened in. A few
// microseconds per question, so a poll loop sees a set change within that; spawning
// `ipset test` would cost a millisecond or more per look.
class IpsetProbe {
public:
  // Opens a netlink socket in namespace `ns` (empty: the caller's).
  static Result<IpsetProbe> open(const std::string &ns);

  // True when `set` holds `address`; false when it does not or the set does not exist.
  [[nodiscard]] Result<bool> contains(const std::string &set, const IpAddress &address);

private:
  IpsetProbe() = default;
  Fd socket_;
  uint32_t seq_ = 0;
};

} // namespace mcf2b::bench
