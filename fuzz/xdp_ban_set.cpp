// SPDX-License-Identifier: GPL-2.0-only
#include "fuzz/xdp_ban_set.h"

#include <algorithm>
#include <set>

namespace mcf2b::xdp_reference {
namespace {

constexpr Seconds kLongExpired = 1'000'000'000; // 2001
constexpr Seconds kFarFuture = 4'000'000'000;   // 2096

IpPrefix prefix(const char *text) {
  return IpPrefix::parse(text).value();
}

BanSetModel make_fixed_ban_set() {
  BanSetModel m;
  m.jails = {
      {"fz-smtp", JailPorts::from_list({25, 465, 587})},
      {"fz-ssh", JailPorts::from_list({22})},
      {"fz-all", JailPorts::all_ports()},
      {"fz-web", JailPorts::from_list({80, 443, 25})},
  };
  m.bans = {
      // Hosts, one of them in two jails.
      {"fz-smtp", prefix("192.0.2.10"), 0},
      {"fz-ssh", prefix("192.0.2.10"), 0},
      {"fz-ssh", prefix("192.0.2.20"), 0},
      {"fz-all", prefix("192.0.2.30"), 0},
      {"fz-smtp", prefix("2001:db8:1::10"), 0},
      {"fz-ssh", prefix("2001:db8:1::10"), 0},
      {"fz-all", prefix("2001:db8:1::30"), 0},
      // Expiries: an expired host, a live one, and an address whose earliest expiry has
      // passed in one jail but not in the other (the program's per-jail slow path).
      {"fz-smtp", prefix("203.0.113.5"), kLongExpired},
      {"fz-smtp", prefix("203.0.113.6"), kFarFuture},
      {"fz-ssh", prefix("192.0.2.72"), kLongExpired},
      {"fz-web", prefix("192.0.2.72"), kFarFuture},
      {"fz-ssh", prefix("2001:db8:1::72"), kLongExpired},
      {"fz-all", prefix("2001:db8:1::72"), kFarFuture},
      // Prefixes, nested within a jail and across jails.
      {"fz-smtp", prefix("198.51.100.0/24"), 0},
      {"fz-web", prefix("198.51.100.128/25"), 0},
      {"fz-ssh", prefix("10.0.0.0/8"), 0},
      {"fz-ssh", prefix("10.1.0.0/16"), kLongExpired},
      {"fz-all", prefix("172.16.0.0/12"), kLongExpired},
      {"fz-all", prefix("172.16.5.0/24"), kFarFuture},
      {"fz-all", prefix("100.64.0.0/10"), 0},
      {"fz-smtp", prefix("2001:db8:2::/48"), 0},
      {"fz-all", prefix("2001:db8:3::/64"), 0},
      {"fz-web", prefix("2001:db9::/32"), kLongExpired},
      {"fz-web", prefix("2001:db9:4:1::/64"), kFarFuture},
  };
  m.whitelist = {
      {prefix("198.51.100.200/29"), std::nullopt},
      {prefix("10.9.0.0/16"), "fz-ssh"},
      {prefix("2001:db8:2:1::/64"), "fz-smtp"},
      {prefix("2001:db8:3::1"), std::nullopt},
      {prefix("192.0.2.10"), "fz-ssh"},
  };
  return m;
}

// The prefix's last address.
IpAddress last_of(const IpPrefix &p) {
  auto bytes = p.address().bytes();
  unsigned width = p.address().bit_width();
  for (unsigned bit = p.length(); bit < width; ++bit)
    bytes[bit / 8] |= static_cast<uint8_t>(0x80u >> (bit % 8));
  return p.address().is_v4() ? IpAddress::v4_bytes(bytes.data())
                             : IpAddress::v6_bytes(bytes.data());
}

// The address `delta` (+1 or -1) away, wrapping.
IpAddress step(const IpAddress &a, int delta) {
  auto bytes = a.bytes();
  for (int i = static_cast<int>(a.bit_width() / 8) - 1; i >= 0; --i) {
    auto &byte = bytes[static_cast<size_t>(i)];
    byte = static_cast<uint8_t>(byte + delta);
    if ((delta > 0 && byte != 0) || (delta < 0 && byte != 0xff))
      break;
  }
  return a.is_v4() ? IpAddress::v4_bytes(bytes.data()) : IpAddress::v6_bytes(bytes.data());
}

void add_around(std::set<IpAddress> &out, const IpPrefix &p) {
  IpAddress first = p.address(), last = last_of(p);
  out.insert({first, last, step(first, -1), step(last, +1)});
}

} // namespace

const BanSetModel &fixed_ban_set() {
  static const BanSetModel model = make_fixed_ban_set();
  return model;
}

Status install(const BanSetModel &model, XdpEnforcer &enforcer) {
  for (const auto &jail : model.jails)
    if (auto slot = enforcer.set_jail(jail.name, jail.ports); !slot)
      return Error::msg("jail " + jail.name + ": " + slot.error().message());
  for (const auto &ban : model.bans)
    if (auto st = enforcer.ban(ban.jail, ban.prefix, ban.expires); !st)
      return Error::msg("ban " + ban.prefix.to_string() + " in " + ban.jail + ": " +
                        st.error().message());
  for (const auto &allow : model.whitelist) {
    std::optional<std::string_view> jail;
    if (allow.jail)
      jail = *allow.jail;
    if (auto st = enforcer.whitelist_add(allow.prefix, jail); !st)
      return Error::msg("whitelist " + allow.prefix.to_string() + ": " + st.error().message());
  }
  return {};
}

std::vector<IpAddress> interesting_sources(const BanSetModel &model) {
  std::set<IpAddress> out;
  for (const auto &ban : model.bans)
    add_around(out, ban.prefix);
  for (const auto &allow : model.whitelist)
    add_around(out, allow.prefix);
  for (const char *clean : {"192.0.2.99", "8.8.8.8", "2001:db8:9::1", "fe80::1", "::1"})
    out.insert(IpAddress::parse(clean).value());
  return {out.begin(), out.end()};
}

std::vector<uint16_t> interesting_ports(const BanSetModel &model) {
  std::set<uint16_t> out = {0, 53, 8080, 65535};
  for (const auto &jail : model.jails)
    out.insert(jail.ports.ports.begin(), jail.ports.ports.end());
  return {out.begin(), out.end()};
}

} // namespace mcf2b::xdp_reference
