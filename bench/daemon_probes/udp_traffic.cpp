// SPDX-License-Identifier: GPL-2.0-only
#include "bench/daemon_probes/udp_traffic.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>

#include "tests/fixtures/netns_pair.h"

namespace mcf2b::bench {
namespace {

Result<std::optional<testing::NetnsScope>> enter(const std::string &ns) {
  std::optional<testing::NetnsScope> scope;
  if (ns.empty())
    return scope;
  auto entered = testing::NetnsScope::enter(ns);
  if (!entered)
    return entered.error();
  scope.emplace(std::move(*entered));
  return scope;
}

} // namespace

Result<SpoofedUdpSender> SpoofedUdpSender::open(const std::string &ns) {
  auto scope = enter(ns);
  if (!scope)
    return scope.error();
  SpoofedUdpSender s;
  s.v4_.reset(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
  s.v6_.reset(::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW));
  if (!s.v4_ || !s.v6_)
    return Error::sys("raw sockets in " + ns);
  // IPPROTO_RAW implies the header is ours (IP_HDRINCL / IPV6_HDRINCL).
  return s;
}

bool SpoofedUdpSender::send(const IpAddress &src, const IpAddress &dst, uint16_t port,
                            uint64_t tag) {
  udphdr udp{};
  udp.source = htons(40000);
  udp.dest = htons(port);
  udp.len = htons(sizeof(udphdr) + sizeof tag);
  uint8_t packet[sizeof(ip6_hdr) + sizeof(udphdr) + sizeof tag];
  size_t size;
  sockaddr_storage to{};
  socklen_t to_len;
  if (src.is_v4()) {
    ip h{};
    h.ip_v = 4;
    h.ip_hl = 5;
    h.ip_ttl = 64;
    h.ip_p = IPPROTO_UDP;
    size = sizeof h + sizeof udp + sizeof tag;
    h.ip_len = htons(static_cast<uint16_t>(size)); // the kernel fills id and checksum
    std::memcpy(&h.ip_src, src.bytes().data(), 4);
    std::memcpy(&h.ip_dst, dst.bytes().data(), 4);
    std::memcpy(packet, &h, sizeof h);
    std::memcpy(packet + sizeof h, &udp, sizeof udp); // checksum 0: none (IPv4)
    std::memcpy(packet + sizeof h + sizeof udp, &tag, sizeof tag);
    auto *sin = reinterpret_cast<sockaddr_in *>(&to);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, dst.bytes().data(), 4);
    to_len = sizeof(sockaddr_in);
  } else {
    ip6_hdr h{};
    h.ip6_vfc = 6 << 4;
    h.ip6_plen = udp.len;
    h.ip6_nxt = IPPROTO_UDP;
    h.ip6_hlim = 64;
    std::memcpy(&h.ip6_src, src.bytes().data(), 16);
    std::memcpy(&h.ip6_dst, dst.bytes().data(), 16);
    // IPv6 requires the UDP checksum: pseudo-header + header + payload.
    uint32_t sum = 0;
    auto add16 = [&](const uint8_t *p, size_t n) {
      for (size_t i = 0; i + 1 < n; i += 2)
        sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
    };
    add16(src.bytes().data(), 16);
    add16(dst.bytes().data(), 16);
    sum += sizeof(udphdr) + sizeof tag;
    sum += IPPROTO_UDP;
    uint8_t body[sizeof udp + sizeof tag];
    std::memcpy(body, &udp, sizeof udp);
    std::memcpy(body + sizeof udp, &tag, sizeof tag);
    add16(body, sizeof body);
    while (sum >> 16)
      sum = (sum & 0xffff) + (sum >> 16);
    udp.check = htons(static_cast<uint16_t>(~sum & 0xffff));
    if (udp.check == 0)
      udp.check = 0xffff;
    size = sizeof h + sizeof udp + sizeof tag;
    std::memcpy(packet, &h, sizeof h);
    std::memcpy(packet + sizeof h, &udp, sizeof udp);
    std::memcpy(packet + sizeof h + sizeof udp, &tag, sizeof tag);
    auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&to);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, dst.bytes().data(), 16);
    to_len = sizeof(sockaddr_in6);
  }
  int fd = src.is_v4() ? v4_.get() : v6_.get();
  return ::sendto(fd, packet, size, 0, reinterpret_cast<sockaddr *>(&to), to_len) ==
         static_cast<ssize_t>(size);
}

Result<UdpReceiver> UdpReceiver::open(const std::string &ns, uint16_t port) {
  auto scope = enter(ns);
  if (!scope)
    return scope.error();
  UdpReceiver r;
  r.socket_.reset(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!r.socket_)
    return Error::sys("UDP socket in " + ns);
  int off = 0, buffer = 8 << 20;
  ::setsockopt(r.socket_.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  ::setsockopt(r.socket_.get(), SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  any.sin6_port = htons(port);
  if (::bind(r.socket_.get(), reinterpret_cast<sockaddr *>(&any), sizeof any) != 0)
    return Error::sys("bind UDP port " + std::to_string(port) + " in " + ns);
  return r;
}

std::optional<Datagram> UdpReceiver::receive(int timeout_ms) {
  for (;;) {
    uint64_t tag = 0;
    sockaddr_in6 from{};
    socklen_t from_len = sizeof from;
    ssize_t n = ::recvfrom(socket_.get(), &tag, sizeof tag, 0, reinterpret_cast<sockaddr *>(&from),
                           &from_len);
    if (n == static_cast<ssize_t>(sizeof tag))
      return Datagram{IpAddress::v6_bytes(from.sin6_addr.s6_addr), tag};
    if (n >= 0)
      continue; // not one of ours
    if (errno != EAGAIN || timeout_ms <= 0)
      return std::nullopt;
    pollfd p{socket_.get(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0)
      return std::nullopt;
    timeout_ms = 0; // one wait; afterwards only what is there
  }
}

} // namespace mcf2b::bench
