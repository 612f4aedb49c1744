// SPDX-License-Identifier: GPL-2.0-only
#pragma once

// The fixed bans the xdp_parser fuzzer and its tests/xdp twin give the ban filter: IPv4
// and IPv6 hosts and prefixes, nested prefixes, an address banned in two jails, expired
// and live expiries, in port jails and an all-ports jail, with global and per-jail
// whitelist entries. Expiries are far in the past or future, so no verdict depends on
// when a frame runs.

#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "fuzz/reference_packet_verdict.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b::xdp_reference {

const BanSetModel &fixed_ban_set();

// Gives the enforcer the jails, bans and whitelist of `model`.
Status install(const BanSetModel &model, XdpEnforcer &enforcer);

// Sources worth putting in a frame: each ban's and whitelist entry's first and last
// address and their neighbours just outside, plus a few the set does not cover.
std::vector<IpAddress> interesting_sources(const BanSetModel &model);

// Destination ports worth putting in a frame: each jail's, and a few no jail holds.
std::vector<uint16_t> interesting_ports(const BanSetModel &model);

} // namespace mcf2b::xdp_reference
