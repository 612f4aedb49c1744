// SPDX-License-Identifier: GPL-2.0-only
#pragma once

// What the XDP ban filter (bpf/ban_filter.bpf.c) is meant to answer for a frame, written
// from its documented semantics in plain C++ and independent of its parser, so that the
// xdp_parser fuzzer and tests/xdp can hold the program against it frame by frame.
//
// The semantics: an Ethernet frame with up to two VLAN tags (802.1Q or 802.1ad) carries
// IPv4 (options skipped by IHL) or IPv6 (hop-by-hop, routing, destination options, AH
// and fragment headers walked, at most kIpv6ExtensionHeadersWalked of them). The flow is
// its source address (IPv4-mapped IPv6 sources count as IPv4) and its destination port
// (TCP, UDP, SCTP), or no port (other protocols), or "fragment" (a later fragment, a
// first fragment too short to show the port, a fragment of a portless protocol, or a
// chain of more extension headers than walked), for which every jail applies.
// Truncated or malformed headers and non-IP frames pass. A flow drops when its source
// has a live ban (host or prefix) in a jail that applies to it (a port jail holding the
// port, an all-ports jail, any jail for a fragment), unless the source is whitelisted
// for that jail (globally or for the jail).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/ip_address.h"
#include "base/seconds.h"
#include "userspace/enforce/xdp_enforcer.h"

namespace mcf2b::xdp_reference {

inline constexpr unsigned kIpv6ExtensionHeadersWalked = 6;
inline constexpr unsigned kVlanTagsWalked = 2;

enum class FrameClass : uint8_t {
  flow,      // an IP packet whose flow was read
  not_ip,    // ARP, LLDP, a third VLAN tag, ...: passes, not counted as unparsable
  malformed, // truncated or malformed headers: passes, counted as unparsable
};

enum class PortState : uint8_t { port, no_port, fragment };

struct ReferenceFlow {
  IpAddress source;
  PortState port_state = PortState::no_port;
  uint16_t destination_port = 0; // with PortState::port
};

struct ParsedFrame {
  FrameClass frame_class = FrameClass::malformed;
  ReferenceFlow flow; // with FrameClass::flow
  std::string why;    // how the parse ended, for a mismatch report
};

ParsedFrame parse_frame(std::span<const uint8_t> frame);

// The bans, jails and whitelist the program's maps were given.
struct BanSetModel {
  struct Jail {
    std::string name;
    JailPorts ports;
  };
  struct Ban {
    std::string jail;
    IpPrefix prefix;
    Seconds expires = 0; // 0: permanent
  };
  struct Allow {
    IpPrefix prefix;
    std::optional<std::string> jail; // none: every jail
  };
  std::vector<Jail> jails;
  std::vector<Ban> bans;
  std::vector<Allow> whitelist;
};

struct ReferenceVerdict {
  uint32_t action = 2; // XDP_PASS (2) or XDP_DROP (1)
  ParsedFrame parsed;
  std::vector<std::string> dropping_jails; // jails whose live ban applies, whitelist applied
};

// `now`: Unix seconds; a ban is live while now < expires (or it is permanent).
ReferenceVerdict reference_verdict(const BanSetModel &bans, std::span<const uint8_t> frame,
                                   Seconds now);

std::string to_string(FrameClass c);
std::string to_string(const ReferenceFlow &flow);

} // namespace mcf2b::xdp_reference
