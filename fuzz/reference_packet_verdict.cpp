// SPDX-License-Identifier: GPL-2.0-only
#include "fuzz/reference_packet_verdict.h"

#include <algorithm>
#include <sstream>

namespace mcf2b::xdp_reference {
namespace {

constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88a8;
constexpr size_t kEthernetHeader = 14;
constexpr size_t kVlanTag = 4;
constexpr size_t kIpv4Header = 20;
constexpr size_t kIpv6Header = 40;

constexpr uint8_t kTcp = 6, kUdp = 17, kSctp = 132;
constexpr uint8_t kHopByHop = 0, kRouting = 43, kFragment = 44, kAuthentication = 51,
                  kDestinationOptions = 60;

// The frame as bytes at offsets: every read says whether the frame is long enough.
class FrameBytes {
public:
  explicit FrameBytes(std::span<const uint8_t> frame) : frame_(frame) {}
  [[nodiscard]] bool holds(size_t offset, size_t length) const {
    return offset <= frame_.size() && length <= frame_.size() - offset;
  }
  [[nodiscard]] uint8_t u8(size_t offset) const { return frame_[offset]; }
  [[nodiscard]] uint16_t u16(size_t offset) const {
    return static_cast<uint16_t>(frame_[offset] << 8 | frame_[offset + 1]);
  }
  [[nodiscard]] const uint8_t *at(size_t offset) const { return frame_.data() + offset; }

private:
  std::span<const uint8_t> frame_;
};

ParsedFrame malformed(std::string why) {
  ParsedFrame p;
  p.frame_class = FrameClass::malformed;
  p.why = std::move(why);
  return p;
}

ParsedFrame flow_of(const IpAddress &source, PortState state, uint16_t port, std::string why) {
  ParsedFrame p;
  p.frame_class = FrameClass::flow;
  p.flow = {source, state, port};
  p.why = std::move(why);
  return p;
}

bool has_ports(uint8_t protocol) {
  return protocol == kTcp || protocol == kUdp || protocol == kSctp;
}

// The transport header at `offset` of a packet with `protocol`. `in_fragment`: the packet
// is the first fragment of a fragmented datagram.
ParsedFrame transport(const FrameBytes &b, size_t offset, uint8_t protocol, bool in_fragment,
                      const IpAddress &source) {
  if (!has_ports(protocol)) {
    if (in_fragment)
      return flow_of(source, PortState::fragment, 0, "first fragment of a portless protocol");
    return flow_of(source, PortState::no_port, 0,
                   "protocol " + std::to_string(protocol) + " has no ports");
  }
  if (!b.holds(offset, 4)) {
    if (in_fragment)
      return flow_of(source, PortState::fragment, 0, "first fragment too short for the port");
    return malformed("ports cut off");
  }
  return flow_of(source, PortState::port, b.u16(offset + 2), "ports read");
}

ParsedFrame ipv4(const FrameBytes &b, size_t offset) {
  if (!b.holds(offset, kIpv4Header))
    return malformed("IPv4 header cut off");
  uint8_t version = b.u8(offset) >> 4;
  unsigned header_words = b.u8(offset) & 0x0f;
  if (version != 4)
    return malformed("IP version " + std::to_string(version) + " under the IPv4 ethertype");
  if (header_words < 5)
    return malformed("IHL below 5");
  IpAddress source = IpAddress::v4_bytes(b.at(offset + 12));
  uint16_t fragment_field = b.u16(offset + 6);
  bool more_fragments = (fragment_field & 0x2000) != 0;
  unsigned fragment_offset = fragment_field & 0x1fff;
  if (fragment_offset != 0)
    return flow_of(source, PortState::fragment, 0, "later IPv4 fragment");
  return transport(b, offset + header_words * 4, b.u8(offset + 9), more_fragments, source);
}

ParsedFrame ipv6(const FrameBytes &b, size_t offset) {
  if (!b.holds(offset, kIpv6Header))
    return malformed("IPv6 header cut off");
  uint8_t version = b.u8(offset) >> 4;
  if (version != 6)
    return malformed("IP version " + std::to_string(version) + " under the IPv6 ethertype");
  // v6_bytes turns ::ffff:a.b.c.d into the IPv4 address, as the program does.
  IpAddress source = IpAddress::v6_bytes(b.at(offset + 8));
  uint8_t next = b.u8(offset + 6);
  size_t at = offset + kIpv6Header;
  bool first_fragment = false;
  for (unsigned walked = 0;; ++walked) {
    bool extension = next == kHopByHop || next == kRouting || next == kDestinationOptions ||
                     next == kAuthentication || next == kFragment;
    if (!extension)
      return transport(b, at, next, first_fragment, source);
    if (walked == kIpv6ExtensionHeadersWalked)
      return flow_of(source, PortState::fragment, 0, "more extension headers than walked");
    if (next == kFragment) {
      if (!b.holds(at, 8))
        return malformed("fragment header cut off");
      unsigned fragment_offset = b.u16(at + 2) >> 3;
      if (fragment_offset != 0)
        return flow_of(source, PortState::fragment, 0, "later IPv6 fragment");
      first_fragment = true;
      next = b.u8(at);
      at += 8;
      continue;
    }
    if (!b.holds(at, 2))
      return malformed("extension header " + std::to_string(next) + " cut off");
    uint8_t length = b.u8(at + 1);
    size_t size = next == kAuthentication ? (size_t{length} + 2) * 4 : (size_t{length} + 1) * 8;
    next = b.u8(at);
    at += size;
  }
}

bool ban_is_live(Seconds expires, Seconds now) {
  return expires == 0 || now < expires;
}

bool jail_applies(const BanSetModel::Jail &jail, const ReferenceFlow &flow) {
  switch (flow.port_state) {
  case PortState::fragment:
    return true;
  case PortState::no_port:
    return jail.ports.all;
  case PortState::port:
    return jail.ports.all || std::find(jail.ports.ports.begin(), jail.ports.ports.end(),
                                       flow.destination_port) != jail.ports.ports.end();
  }
  return false;
}

bool whitelisted(const BanSetModel &model, const std::string &jail, const IpAddress &source) {
  return std::any_of(model.whitelist.begin(), model.whitelist.end(), [&](const auto &allow) {
    return (!allow.jail || *allow.jail == jail) && allow.prefix.contains(source);
  });
}

} // namespace

ParsedFrame parse_frame(std::span<const uint8_t> frame) {
  FrameBytes b(frame);
  if (!b.holds(0, kEthernetHeader))
    return malformed("Ethernet header cut off");
  uint16_t ethertype = b.u16(12);
  size_t at = kEthernetHeader;
  for (unsigned tags = 0;
       tags < kVlanTagsWalked && (ethertype == kEtherTypeVlan || ethertype == kEtherTypeQinQ);
       ++tags) {
    if (!b.holds(at, kVlanTag))
      return malformed("VLAN tag cut off");
    ethertype = b.u16(at + 2);
    at += kVlanTag;
  }
  if (ethertype == kEtherTypeIpv4)
    return ipv4(b, at);
  if (ethertype == kEtherTypeIpv6)
    return ipv6(b, at);
  ParsedFrame p;
  p.frame_class = FrameClass::not_ip;
  std::ostringstream why;
  why << "ethertype 0x" << std::hex << ethertype;
  p.why = why.str();
  return p;
}

ReferenceVerdict reference_verdict(const BanSetModel &model, std::span<const uint8_t> frame,
                                   Seconds now) {
  ReferenceVerdict v;
  v.parsed = parse_frame(frame);
  if (v.parsed.frame_class != FrameClass::flow)
    return v;
  const ReferenceFlow &flow = v.parsed.flow;
  for (const auto &jail : model.jails) {
    if (!jail_applies(jail, flow))
      continue;
    bool banned = std::any_of(model.bans.begin(), model.bans.end(), [&](const auto &ban) {
      return ban.jail == jail.name && ban_is_live(ban.expires, now) &&
             ban.prefix.contains(flow.source);
    });
    if (banned && !whitelisted(model, jail.name, flow.source))
      v.dropping_jails.push_back(jail.name);
  }
  v.action = v.dropping_jails.empty() ? 2u : 1u;
  return v;
}

std::string to_string(FrameClass c) {
  switch (c) {
  case FrameClass::flow:
    return "flow";
  case FrameClass::not_ip:
    return "not IP";
  case FrameClass::malformed:
    return "malformed";
  }
  return "?";
}

std::string to_string(const ReferenceFlow &flow) {
  std::string out = "source " + flow.source.to_string();
  switch (flow.port_state) {
  case PortState::port:
    return out + ", destination port " + std::to_string(flow.destination_port);
  case PortState::no_port:
    return out + ", no port";
  case PortState::fragment:
    return out + ", fragment (every jail applies)";
  }
  return out;
}

} // namespace mcf2b::xdp_reference
