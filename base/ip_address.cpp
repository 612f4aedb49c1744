// SPDX-License-Identifier: GPL-2.0-only
#include "base/ip_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace mcf2b {
namespace {

constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// inet_pton accepts exactly four decimal octets for AF_INET, which is what we want
// ("1.2.3" and "999.1.1.1" fail), but glibc accepts leading zeros; reject octal-looking
// text so "010.0.0.1" never silently means 10.0.0.1.
bool has_leading_zero_octet(std::string_view s) {
  bool at_start = true;
  for (size_t i = 0; i < s.size(); ++i) {
    if (at_start && s[i] == '0' && i + 1 < s.size() && s[i + 1] != '.')
      return true;
    at_start = s[i] == '.';
  }
  return false;
}

} // namespace

IpAddress IpAddress::v4(uint32_t host_order) {
  IpAddress a;
  a.family_ = Family::v4;
  a.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::v4_bytes(const uint8_t bytes[4]) {
  IpAddress a;
  a.family_ = Family::v4;
  std::memcpy(a.bytes_.data(), bytes, 4);
  return a;
}

IpAddress IpAddress::v6_bytes(const uint8_t bytes[16]) {
  if (std::memcmp(bytes, kMappedPrefix, sizeof kMappedPrefix) == 0)
    return v4_bytes(bytes + 12);
  IpAddress a;
  a.family_ = Family::v6;
  std::memcpy(a.bytes_.data(), bytes, 16);
  return a;
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45)
    return Error::msg("invalid IP address '" + std::string(text) + "'");
  std::string s(text);
  uint8_t buf[16];
  if (s.find(':') == std::string::npos) {
    if (!has_leading_zero_octet(s) && ::inet_pton(AF_INET, s.c_str(), buf) == 1)
      return v4_bytes(buf);
  } else if (::inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    return v6_bytes(buf);
  }
  return Error::msg("invalid IP address '" + s + "'");
}

uint32_t IpAddress::v4_host_order() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

bool IpAddress::is_loopback() const {
  if (is_v4())
    return bytes_[0] == 127;
  static constexpr uint8_t kLoop6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return std::memcmp(bytes_.data(), kLoop6, 16) == 0;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  const char *r = ::inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return r ? std::string(r) : std::string();
}

IpAddress IpAddress::masked(unsigned length) const {
  IpAddress a = *this;
  for (unsigned bit = length; bit < bit_width(); ++bit)
    a.bytes_[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  return a;
}

IpPrefix::IpPrefix(IpAddress address, unsigned length)
    : address_(address.masked(length)),
      length_(length > address.bit_width() ? address.bit_width() : length) {}

Result<IpPrefix> IpPrefix::parse(std::string_view text) {
  size_t slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr)
    return addr.error();
  if (slash == std::string_view::npos)
    return host(*addr);
  std::string_view len_text = text.substr(slash + 1);
  unsigned len = 0;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  bool mapped_v6 = addr->is_v4() && text.substr(0, slash).find(':') != std::string_view::npos;
  unsigned width = addr->bit_width();
  if (mapped_v6) {
    // ::ffff:a.b.c.d/n with n >= 96 is the IPv4 prefix of length n - 96.
    if (ec != std::errc() || end != len_text.data() + len_text.size() || len < 96 || len > 128)
      return Error::msg("invalid prefix length in '" + std::string(text) + "'");
    len -= 96;
  } else if (ec != std::errc() || end != len_text.data() + len_text.size() || len > width ||
             len_text.empty()) {
    return Error::msg("invalid prefix length in '" + std::string(text) + "'");
  }
  IpPrefix p(*addr, len);
  if (p.address() != *addr)
    return Error::msg("'" + std::string(text) + "' has host bits set; did you mean " +
                      p.to_string() + "?");
  return p;
}

bool IpPrefix::contains(const IpAddress &a) const {
  if (a.family() != address_.family())
    return false;
  return a.masked(length_) == address_;
}

bool IpPrefix::contains(const IpPrefix &p) const {
  return p.length_ >= length_ && contains(p.address());
}

std::string IpPrefix::to_string() const {
  return is_host() ? address_.to_string() : address_.to_string() + "/" + std::to_string(length_);
}

} // namespace mcf2b

size_t std::hash<mcf2b::IpAddress>::operator()(const mcf2b::IpAddress &a) const noexcept {
  uint64_t lo, hi;
  std::memcpy(&lo, a.bytes().data(), 8);
  std::memcpy(&hi, a.bytes().data() + 8, 8);
  uint64_t h = lo * 0x9E3779B97F4A7C15ull ^ (hi + 0x632BE59BD9B4E019ull + (lo << 6) + (lo >> 2));
  return static_cast<size_t>(h ^ static_cast<uint64_t>(a.family()));
}

size_t std::hash<mcf2b::IpPrefix>::operator()(const mcf2b::IpPrefix &p) const noexcept {
  return std::hash<mcf2b::IpAddress>{}(p.address()) * 31 + p.length();
}
