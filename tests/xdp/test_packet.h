// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace mcf2b::testing {

// Builds an Ethernet frame for BPF_PROG_TEST_RUN: optional VLAN tags, IPv4 (with
// options) or IPv6 (with extension headers), fragments, TCP/UDP/SCTP/ICMP, and a cut.
struct TestPacket {
  std::string src = "192.0.2.1";
  std::string dst = "198.51.100.1";
  uint8_t proto = 6; // IPPROTO_TCP
  uint16_t dport = 25;
  std::vector<uint16_t> vlans;       // outermost first; 0x8100 tags
  unsigned ipv4_option_words = 0;    // extra 32-bit words of IPv4 options
  std::vector<uint8_t> ipv6_ext;     // extension header types before the L4 header
  bool fragment = false;             // a fragment (IPv4 offset/MF, IPv6 fragment header)
  uint16_t fragment_offset = 0;      // in 8-byte units
  bool more_fragments = false;
  size_t truncate_to = 0;            // cut the frame to this many bytes (0: whole)

  [[nodiscard]] std::vector<uint8_t> build() const;
};

// A frame that is not IP (ARP request).
std::vector<uint8_t> arp_frame();

} // namespace mcf2b::testing
