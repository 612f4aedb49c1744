// SPDX-License-Identifier: GPL-2.0-only
#include "fuzz/xdp_frame_recipe.h"

#include <algorithm>
#include <array>

namespace mcf2b::xdp_reference {
namespace {

// Bytes taken one by one; 0 once the input is used up.
class RecipeBytes {
public:
  explicit RecipeBytes(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  uint8_t next() { return at_ < bytes_.size() ? bytes_[at_++] : 0; }
  [[nodiscard]] std::span<const uint8_t> rest() const {
    return at_ < bytes_.size() ? bytes_.subspan(at_) : std::span<const uint8_t>{};
  }

private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
};

void put16(std::vector<uint8_t> &p, unsigned v) {
  p.push_back(static_cast<uint8_t>(v >> 8));
  p.push_back(static_cast<uint8_t>(v));
}

constexpr uint8_t kFragmentHeader = 44;

uint8_t protocol_of(uint8_t choice, bool v6, uint8_t raw) {
  switch (choice % 6) {
  case 0:
    return 6; // TCP
  case 1:
    return 17; // UDP
  case 2:
    return 132; // SCTP
  case 3:
    return v6 ? 58 : 1; // ICMP
  case 4:
    return 59; // no next header
  default:
    return raw;
  }
}

std::vector<uint8_t> transport_header(uint8_t protocol, uint16_t port) {
  std::vector<uint8_t> h;
  put16(h, 40000);
  put16(h, port);
  if (protocol == 6)
    h.insert(h.end(), {0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0});
  else
    h.insert(h.end(), {0, 16, 0, 0});
  return h;
}

struct Extension {
  uint8_t type;
  std::vector<uint8_t> body; // everything after the next-header byte
};

// One IPv6 extension header from two recipe bytes.
Extension extension_of(uint8_t choice, uint8_t shape, uint8_t raw_type) {
  static constexpr uint8_t kTypes[] = {0, 43, 60, 51, kFragmentHeader};
  uint8_t type = choice % 6 < 5 ? kTypes[choice % 6] : raw_type;
  Extension e{type, {}};
  if (type == kFragmentHeader) {
    e.body = {0};
    // Mostly offset 0 (a first fragment), sometimes a later one; M flag from bit 0.
    unsigned offset = (shape & 0x80) ? (shape & 0x7e) : 0;
    put16(e.body, offset << 3 | (shape & 1));
    e.body.insert(e.body.end(), {0, 0, 0, 9});
    return e;
  }
  uint8_t length = shape % 4;
  size_t size = type == 51 ? (size_t{length} + 2) * 4 : (size_t{length} + 1) * 8;
  e.body.push_back(length);
  e.body.resize(size - 1, 0x01);
  return e;
}

std::vector<uint8_t> recipe_frame(RecipeBytes &in, const RecipePools &pools) {
  uint8_t shape = in.next();
  unsigned vlan_tags = (shape >> 2) & 0x03;
  bool fragment = shape & 0x10;
  bool more_fragments = shape & 0x20;
  bool later_fragment = shape & 0x40;
  bool bad_version = (shape & 0x80) && (in.next() & 0x0f) == 0x0f;

  IpAddress source = pools.sources.empty() ? IpAddress::parse("192.0.2.1").value()
                                           : pools.sources[in.next() % pools.sources.size()];
  // An IPv6 frame for an IPv6 source, and for an IPv4 one on request (as ::ffff:a.b.c.d);
  // an IPv6 source asked to be mapped keeps only its low four bytes.
  bool v6 = source.is_v6() || (shape & 0x01);
  bool mapped_source = source.is_v6() && (shape & 0x02);
  uint8_t choice = in.next();
  uint8_t protocol = protocol_of(choice, v6, in.next());
  uint8_t port_choice = in.next();
  // Even: a port from the pool (the jails' and a few others); odd: any port.
  uint16_t port = (port_choice & 1) == 0 && !pools.ports.empty()
                      ? pools.ports[(port_choice >> 1) % pools.ports.size()]
                      : static_cast<uint16_t>(port_choice << 8 | in.next());

  std::vector<uint8_t> p = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
  // Mostly the tags the program walks; now and then a third one or an unknown tag type,
  // which leave the frame not IP.
  unsigned tags = vlan_tags == 3 ? 2 + (in.next() & 1) : vlan_tags;
  static constexpr uint16_t kTagTypes[] = {0x8100, 0x88a8, 0x8100, 0x88a8,
                                           0x8100, 0x88a8, 0x8100, 0x9100};
  for (unsigned i = 0; i < tags; ++i) {
    put16(p, kTagTypes[in.next() % 8]);
    put16(p, 100 + i);
  }
  put16(p, v6 ? 0x86dd : 0x0800);

  std::vector<uint8_t> transport = transport_header(protocol, port);
  if (!v6) {
    uint8_t ihl_choice = in.next();
    unsigned ihl = ihl_choice & 0x0f;
    if (ihl == 0)
      ihl = 5;
    unsigned header = ihl < 5 ? 20 : ihl * 4;
    p.push_back(static_cast<uint8_t>((bad_version ? 0x60 : 0x40) | ihl));
    p.push_back(0);
    put16(p, header + transport.size());
    put16(p, 1);
    unsigned fragment_field = 0;
    if (fragment)
      fragment_field = (more_fragments ? 0x2000 : 0) | (later_fragment ? 185 : 0);
    put16(p, fragment_field);
    p.push_back(64);
    p.push_back(protocol);
    put16(p, 0);
    p.insert(p.end(), source.bytes().begin(), source.bytes().begin() + 4);
    p.insert(p.end(), {198, 51, 100, 1});
    p.resize(p.size() + header - 20, 0x01); // NOP options
  } else {
    unsigned extensions = in.next() % 9;
    std::vector<Extension> chain;
    for (unsigned i = 0; i < extensions; ++i) {
      uint8_t type_choice = in.next();
      uint8_t ext_shape = in.next();
      chain.push_back(extension_of(type_choice, ext_shape, in.next()));
    }
    if (fragment) {
      Extension f = extension_of(4, 0, 0);
      unsigned field = (later_fragment ? 185u << 3 : 0u) | (more_fragments ? 1u : 0u);
      f.body[1] = static_cast<uint8_t>(field >> 8);
      f.body[2] = static_cast<uint8_t>(field);
      chain.push_back(f);
    }
    std::vector<uint8_t> ext;
    for (size_t i = 0; i < chain.size(); ++i) {
      ext.push_back(i + 1 < chain.size() ? chain[i + 1].type : protocol);
      ext.insert(ext.end(), chain[i].body.begin(), chain[i].body.end());
    }
    p.insert(p.end(), {static_cast<uint8_t>(bad_version ? 0x40 : 0x60), 0, 0, 0});
    put16(p, ext.size() + transport.size());
    p.push_back(chain.empty() ? protocol : chain.front().type);
    p.push_back(64);
    std::array<uint8_t, 16> a{};
    if (source.is_v4()) {
      a[10] = a[11] = 0xff;
      std::copy(source.bytes().begin(), source.bytes().begin() + 4, a.begin() + 12);
    } else {
      a = source.bytes();
      if (mapped_source) {
        std::fill(a.begin(), a.begin() + 10, 0);
        a[10] = a[11] = 0xff;
      }
    }
    p.insert(p.end(), a.begin(), a.end());
    p.insert(p.end(), {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    p.insert(p.end(), ext.begin(), ext.end());
  }
  if (fragment && later_fragment)
    p.insert(p.end(), 16, 0xcd);
  else
    p.insert(p.end(), transport.begin(), transport.end());
  uint8_t cut = in.next();
  auto payload = in.rest();
  p.insert(p.end(), payload.begin(), payload.end());
  if (cut != 0 && size_t{cut} + 13 < p.size())
    p.resize(size_t{cut} + 13);
  return p;
}

} // namespace

std::vector<uint8_t> frame_from_input(std::span<const uint8_t> input, const RecipePools &pools) {
  if (input.empty())
    return {};
  if ((input[0] & 1) == 0)
    return {input.begin() + 1, input.end()};
  RecipeBytes in(input.subspan(1));
  return recipe_frame(in, pools);
}

} // namespace mcf2b::xdp_reference
