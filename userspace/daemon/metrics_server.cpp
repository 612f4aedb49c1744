// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include "base/ip_address.h"

namespace mcf2b {
namespace {
constexpr size_t kMaxRequest = 8192;
} // namespace

Result<MetricsServer> MetricsServer::listen(const std::string &address, uint16_t port,
                                            ConnectionLimits limits) {
  auto ip = IpAddress::parse(address);
  if (!ip)
    return ip.error();
  if (!ip->is_loopback())
    return Error::msg("metrics are served on a loopback address only, not " + address);
  MetricsServer server;
  server.limits_ = limits;
  Fd listener;
  int family = ip->is_v4() ? AF_INET : AF_INET6;
  listener.reset(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener)
    return Error::sys("socket");
  int one = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len;
  if (ip->is_v4()) {
    auto *sin = reinterpret_cast<sockaddr_in *>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, ip->bytes().data(), 4);
    len = sizeof *sin;
  } else {
    auto *sin6 = reinterpret_cast<sockaddr_in6 *>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    std::memcpy(&sin6->sin6_addr, ip->bytes().data(), 16);
    len = sizeof *sin6;
  }
  if (::bind(listener.get(), reinterpret_cast<sockaddr *>(&ss), len) != 0)
    return Error::sys("bind metrics on " + address + ":" + std::to_string(port));
  if (::listen(listener.get(), 16) != 0)
    return Error::sys("listen metrics");
  if (::getsockname(listener.get(), reinterpret_cast<sockaddr *>(&ss), &len) == 0)
    server.port_ = ntohs(ip->is_v4() ? reinterpret_cast<sockaddr_in *>(&ss)->sin_port
                                     : reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port);
  auto socket = ListeningSocket::watch(std::move(listener));
  if (!socket)
    return socket.error();
  server.socket_.emplace(std::move(*socket));
  return server;
}

void MetricsServer::process(const Render &render) {
  socket_->dispatch(
      connections_.size(), limits_.max_connections,
      [this] {
        auto victim = least_recently_active(connections_);
        if (victim) {
          socket_->remove(*victim);
          connections_.erase(*victim);
        }
        return victim.has_value();
      },
      [this](Fd &conn) {
        int raw = conn.get();
        if (socket_->add(raw))
          connections_[raw].fd = std::move(conn);
      },
      [&](int fd, uint32_t) {
        auto it = connections_.find(fd);
        if (it == connections_.end())
          return;
        Connection &c = it->second;
        auto now = ConnectionTimes::Clock::now();
        size_t before = c.in.size();
        bool peer_closed = receive_available(fd, c.in, kMaxRequest);
        if (c.in.size() != before)
          c.times.received(now, !c.answered);
        if (!c.answered &&
            (c.in.find("\r\n\r\n") != std::string::npos || c.in.size() > kMaxRequest)) {
          answer(c, render);
          c.answered = true;
          c.times.started_owing(now);
        }
        size_t owed = c.out.size();
        bool send_failed = !send_pending(fd, c.out);
        if (c.out.size() < owed)
          c.times.wrote(now);
        // HTTP/1.0: one response per connection, closed once it is written.
        bool dead = send_failed || (c.answered && c.out.empty()) || (peer_closed && !c.answered);
        if (dead) {
          socket_->remove(fd);
          connections_.erase(it);
        }
      });
}

void MetricsServer::expire_stale() {
  auto now = ConnectionTimes::Clock::now();
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->second.times.expired(now, limits_, !it->second.out.empty())) {
      socket_->remove(it->first);
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void MetricsServer::answer(Connection &c, const Render &render) {
  std::string status = "200 OK", body, type = "text/plain; version=0.0.4; charset=utf-8";
  if (c.in.size() > kMaxRequest) {
    status = "431 Request Header Fields Too Large";
  } else if (c.in.rfind("GET /metrics ", 0) == 0 || c.in.rfind("GET /metrics?", 0) == 0) {
    body = render();
  } else {
    status = "404 Not Found";
    body = "mcf2bd serves /metrics only\n";
    type = "text/plain; charset=utf-8";
  }
  c.out = "HTTP/1.0 " + status + "\r\nContent-Type: " + type +
          "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
          body;
  c.in.clear();
}

} // namespace mcf2b
