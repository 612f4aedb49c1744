// SPDX-License-Identifier: GPL-2.0-only
#pragma once

// Fuzz input to an Ethernet frame for the xdp_parser harness. The first byte picks how:
// even, the rest is the frame as it is (the mutator works on raw bytes); odd, the next
// bytes are a recipe for a well-formed template frame (address family, a source from a
// pool, protocol, port, VLAN tags and their ethertypes, IPv4 header length and
// fragments, an IPv6 extension-header chain, a cut) and what follows is its payload, so
// that short mutations still reach deep into the headers with sources that are banned.

#include <cstdint>
#include <span>
#include <vector>

#include "base/ip_address.h"

namespace mcf2b::xdp_reference {

struct RecipePools {
  std::vector<IpAddress> sources;
  std::vector<uint16_t> ports;
};

inline constexpr uint8_t kRawFrame = 0x00;
inline constexpr uint8_t kRecipeFrame = 0x01;

std::vector<uint8_t> frame_from_input(std::span<const uint8_t> input, const RecipePools &pools);

} // namespace mcf2b::xdp_reference
