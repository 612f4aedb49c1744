// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/fd.h"
#include "base/ip_address.h"
#include "base/result.h"

namespace mcf2b::bench {

// Sends UDP datagrams from any source address (raw sockets with the IP header written
// here), from inside a network namespace: an attacker with many addresses without
// adding each to an interface. The receiving side needs a route back only for
// reverse-path filtering, which the benchmarks add.
class SpoofedUdpSender {
public:
  static Result<SpoofedUdpSender> open(const std::string &ns);
  // One datagram src -> dst:port whose 8-byte payload is `tag`. Both addresses of one
  // family. The kernel routes it by destination; returns false when it refused.
  bool send(const IpAddress &src, const IpAddress &dst, uint16_t port, uint64_t tag);

private:
  SpoofedUdpSender() = default;
  Fd v4_, v6_;
};

// A datagram as the receiver saw it.
struct Datagram {
  IpAddress source;
  uint64_t tag = 0;
};

// A UDP socket bound to [::]:port (IPv4 arrives v4-mapped) in a network namespace: what
// got through every filter in front of it.
class UdpReceiver {
public:
  static Result<UdpReceiver> open(const std::string &ns, uint16_t port);
  // The next datagram, waiting at most timeout_ms (0: only what is queued already).
  std::optional<Datagram> receive(int timeout_ms);
  [[nodiscard]] int fd() const { return socket_.get(); }

private:
  UdpReceiver() = default;
  Fd socket_;
};

} // namespace mcf2b::bench
