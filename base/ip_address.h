// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace mcf2b {

// An IPv4 or IPv6 address, stored in 16 bytes (IPv4 in the first four). IPv4-mapped
// IPv6 input (::ffff:a.b.c.d) is normalised to the IPv4 address on parse, so the same
// host always has one representation across matcher, controller, store and kernel.
class IpAddress {
public:
  enum class Family : uint8_t { v4 = 4, v6 = 6 };

  IpAddress() = default;
  static IpAddress v4(uint32_t host_order);
  static IpAddress v4_bytes(const uint8_t bytes[4]);
  static IpAddress v6_bytes(const uint8_t bytes[16]); // maps ::ffff:a.b.c.d to IPv4

  // Strict textual parse: dotted quad (no leading zeros beyond one digit, each octet
  // <= 255) or RFC 4291 text, optionally in [brackets]. "999.1.1.1" is an error.
  static Result<IpAddress> parse(std::string_view text);

  [[nodiscard]] Family family() const { return family_; }
  [[nodiscard]] bool is_v4() const { return family_ == Family::v4; }
  [[nodiscard]] bool is_v6() const { return family_ == Family::v6; }
  [[nodiscard]] const std::array<uint8_t, 16> &bytes() const { return bytes_; }
  [[nodiscard]] uint32_t v4_host_order() const;
  [[nodiscard]] unsigned bit_width() const { return is_v4() ? 32 : 128; }

  [[nodiscard]] bool is_loopback() const;

  // The same family with every bit from `length` on cleared.
  [[nodiscard]] IpAddress masked(unsigned length) const;

  // Canonical text: dotted quad, or RFC 5952 for IPv6.
  [[nodiscard]] std::string to_string() const;

  auto operator<=>(const IpAddress &) const = default;
  bool operator==(const IpAddress &) const = default;

private:
  Family family_ = Family::v4;
  std::array<uint8_t, 16> bytes_{};
};

// An address prefix (CIDR). The host bits below the length are cleared on construction.
class IpPrefix {
public:
  IpPrefix() = default;
  IpPrefix(IpAddress address, unsigned length);
  static IpPrefix host(IpAddress address) { return IpPrefix(address, address.bit_width()); }

  // "a.b.c.d", "a.b.c.d/n", "v6", "v6/n". A bare address is a host prefix. Host bits
  // set below the length are an error ("10.0.0.1/8"), to catch typos in ban commands.
  static Result<IpPrefix> parse(std::string_view text);

  [[nodiscard]] const IpAddress &address() const { return address_; }
  [[nodiscard]] unsigned length() const { return length_; }
  [[nodiscard]] bool is_host() const { return length_ == address_.bit_width(); }
  [[nodiscard]] bool contains(const IpAddress &a) const;
  [[nodiscard]] bool contains(const IpPrefix &p) const;

  // "a.b.c.d" for a host prefix, "a.b.c.d/n" otherwise.
  [[nodiscard]] std::string to_string() const;

  auto operator<=>(const IpPrefix &) const = default;
  bool operator==(const IpPrefix &) const = default;

private:
  IpAddress address_;
  unsigned length_ = 32;
};

} // namespace mcf2b

template <> struct std::hash<mcf2b::IpAddress> {
  size_t operator()(const mcf2b::IpAddress &a) const noexcept;
};
template <> struct std::hash<mcf2b::IpPrefix> {
  size_t operator()(const mcf2b::IpPrefix &p) const noexcept;
};
