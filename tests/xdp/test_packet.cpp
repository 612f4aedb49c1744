// SPDX-License-Identifier: GPL-2.0-only
#include "tests/xdp/test_packet.h"

#include <arpa/inet.h>

#include <stdexcept>

namespace mcf2b::testing {
namespace {

void put16(std::vector<uint8_t> &p, uint16_t v) {
  p.push_back(static_cast<uint8_t>(v >> 8));
  p.push_back(static_cast<uint8_t>(v));
}

bool is_v6(const std::string &s) { return s.find(':') != std::string::npos; }

void put_addr(std::vector<uint8_t> &p, const std::string &text, bool v6) {
  uint8_t b[16];
  if (inet_pton(v6 ? AF_INET6 : AF_INET, text.c_str(), b) != 1)
    throw std::invalid_argument("bad test address " + text);
  p.insert(p.end(), b, b + (v6 ? 16 : 4));
}

std::vector<uint8_t> l4_header(uint8_t proto, uint16_t dport) {
  std::vector<uint8_t> h;
  switch (proto) {
  case 6: // TCP, SYN
    put16(h, 40000);
    put16(h, dport);
    h.insert(h.end(), {0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0});
    break;
  case 17: // UDP
    put16(h, 40000);
    put16(h, dport);
    put16(h, 16);
    put16(h, 0);
    h.insert(h.end(), 8, 0xab);
    break;
  case 132: // SCTP common header
    put16(h, 40000);
    put16(h, dport);
    h.insert(h.end(), 8, 0);
    break;
  default: // ICMP echo or anything else: 8 bytes
    h.insert(h.end(), {8, 0, 0, 0, 0, 1, 0, 1});
  }
  return h;
}

} // namespace

std::vector<uint8_t> TestPacket::build() const {
  bool v6 = is_v6(src);
  std::vector<uint8_t> p = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
  for (uint16_t vid : vlans) {
    put16(p, 0x8100);
    put16(p, vid);
  }
  put16(p, v6 ? 0x86dd : 0x0800);
  std::vector<uint8_t> l4 = l4_header(proto, dport);

  if (!v6) {
    unsigned ihl = 5 + ipv4_option_words;
    uint16_t total = static_cast<uint16_t>(ihl * 4 + l4.size());
    p.push_back(static_cast<uint8_t>(0x40 | ihl));
    p.push_back(0);
    put16(p, total);
    put16(p, 1);
    uint16_t frag = fragment ? static_cast<uint16_t>(fragment_offset & 0x1fff) : 0;
    if (fragment && more_fragments)
      frag |= 0x2000;
    put16(p, frag);
    p.push_back(64);
    p.push_back(proto);
    put16(p, 0);
    put_addr(p, src, false);
    put_addr(p, dst, false);
    for (unsigned i = 0; i < ipv4_option_words; ++i)
      p.insert(p.end(), {1, 1, 1, 1}); // NOP options
  } else {
    std::vector<uint8_t> ext;
    std::vector<uint8_t> chain = ipv6_ext;
    if (fragment)
      chain.push_back(44);
    for (size_t i = 0; i < chain.size(); ++i) {
      uint8_t next = i + 1 < chain.size() ? chain[i + 1] : proto;
      if (chain[i] == 44) {
        ext.push_back(next);
        ext.push_back(0);
        uint16_t off = static_cast<uint16_t>((fragment_offset << 3) | (more_fragments ? 1 : 0));
        put16(ext, off);
        ext.insert(ext.end(), {0, 0, 0, 7});
      } else if (chain[i] == 51) { // AH: length in 4-byte units minus 2 -> 16 bytes
        ext.push_back(next);
        ext.push_back(2);
        ext.insert(ext.end(), 14, 0);
      } else { // hop-by-hop, routing, destination options: 16 bytes
        ext.push_back(next);
        ext.push_back(1);
        ext.insert(ext.end(), 14, 0);
      }
    }
    p.insert(p.end(), {0x60, 0, 0, 0});
    put16(p, static_cast<uint16_t>(ext.size() + l4.size()));
    p.push_back(chain.empty() ? proto : chain.front());
    p.push_back(64);
    put_addr(p, src, true);
    put_addr(p, dst, true);
    p.insert(p.end(), ext.begin(), ext.end());
  }
  // A non-first fragment carries payload, not the L4 header.
  if (fragment && fragment_offset != 0)
    p.insert(p.end(), 16, 0xcd);
  else
    p.insert(p.end(), l4.begin(), l4.end());
  if (p.size() < 60 && truncate_to == 0)
    p.resize(60, 0);
  if (truncate_to != 0 && truncate_to < p.size())
    p.resize(truncate_to);
  return p;
}

std::vector<uint8_t> arp_frame() {
  std::vector<uint8_t> p = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06,
                            0, 1, 0x08, 0, 6, 4, 0, 1, 0x02, 0, 0, 0, 0, 1, 192, 0, 2, 1,
                            0, 0, 0, 0, 0, 0, 198, 51, 100, 1};
  p.resize(60, 0);
  return p;
}

} // namespace mcf2b::testing
