// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <vector>

#include "base/ip_address.h"
#include "base/result.h"

namespace mcf2b {

// Every address configured on this host's interfaces (in the caller's network
// namespace), loopback included: the daemon never bans its own addresses.
Result<std::vector<IpAddress>> local_addresses();

} // namespace mcf2b
