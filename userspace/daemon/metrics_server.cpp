// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cstring>

#include "base/ip_address.h"

namespace mcf2b {
namespace {
constexpr size_t kMaxRequest = 8192;
constexpr size_t kMaxConnections = 16;
} // namespace

Result<MetricsServer> MetricsServer::listen(const std::string &address, uint16_t port) {
  auto ip = IpAddress::parse(address);
  if (!ip)
    return ip.error();
  if (!ip->is_loopback())
    return Error::msg("metrics are served on a loopback address only, not " + address);
  MetricsServer server;
  int family = ip->is_v4() ? AF_INET : AF_INET6;
  server.listener_.reset(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!server.listener_)
    return Error::sys("socket");
  int one = 1;
  ::setsockopt(server.listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
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
  if (::bind(server.listener_.get(), reinterpret_cast<sockaddr *>(&ss), len) != 0)
    return Error::sys("bind metrics on " + address + ":" + std::to_string(port));
  if (::listen(server.listener_.get(), 16) != 0)
    return Error::sys("listen metrics");
  if (::getsockname(server.listener_.get(), reinterpret_cast<sockaddr *>(&ss), &len) == 0)
    server.port_ = ntohs(ip->is_v4() ? reinterpret_cast<sockaddr_in *>(&ss)->sin_port
                                     : reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port);
  server.epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!server.epoll_)
    return Error::sys("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = server.listener_.get();
  if (::epoll_ctl(server.epoll_.get(), EPOLL_CTL_ADD, server.listener_.get(), &ev) != 0)
    return Error::sys("epoll_ctl");
  return server;
}

void MetricsServer::process(const Render &render) {
  epoll_event events[16];
  int n = ::epoll_wait(epoll_.get(), events, 16, 0);
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == listener_.get()) {
      for (;;) {
        Fd conn(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
        if (!conn)
          break;
        if (connections_.size() >= kMaxConnections)
          continue;
        epoll_event cev{};
        cev.events = EPOLLIN | EPOLLOUT | EPOLLET;
        cev.data.fd = conn.get();
        if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, conn.get(), &cev) != 0)
          continue;
        int raw = conn.get();
        connections_[raw].fd = std::move(conn);
      }
      continue;
    }
    auto it = connections_.find(fd);
    if (it == connections_.end())
      continue;
    Connection &c = it->second;
    bool peer_closed = false;
    char buf[4096];
    for (;;) {
      ssize_t got = ::recv(fd, buf, sizeof buf, 0);
      if (got > 0) {
        c.in.append(buf, static_cast<size_t>(got));
        continue;
      }
      if (got < 0 && errno == EINTR)
        continue;
      peer_closed = got == 0 || errno != EAGAIN;
      break;
    }
    if (!c.answered &&
        (c.in.find("\r\n\r\n") != std::string::npos || c.in.size() > kMaxRequest)) {
      answer(c, render);
      c.answered = true;
    }
    bool send_failed = false;
    while (!c.out.empty()) {
      ssize_t put = ::send(fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (put > 0) {
        c.out.erase(0, static_cast<size_t>(put));
        continue;
      }
      if (put < 0 && errno == EINTR)
        continue;
      send_failed = put < 0 && errno != EAGAIN;
      break;
    }
    // HTTP/1.0: one response per connection, closed once it is written.
    bool dead = send_failed || (c.answered && c.out.empty()) || (peer_closed && !c.answered);
    if (dead) {
      ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
      connections_.erase(it);
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
