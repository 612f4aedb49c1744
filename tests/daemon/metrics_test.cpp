// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include "base/fd.h"
#include "tests/fixtures/requirements.h"
#include "userspace/daemon/metrics_server.h"
#include "userspace/daemon/prometheus_text.h"

using namespace mcf2b;
using mcf2b::testing::ok;

namespace {

TEST(PrometheusText, GroupsSamplesUnderOneHeaderAndEscapesLabels) {
  PrometheusText t;
  t.counter("mcf2b_bans_total", "Bans made", 3, {{"jail", "mc-exim-1d"}});
  t.gauge("mcf2b_active_bans", "Active bans", 2);
  t.counter("mcf2b_bans_total", "Bans made", 1, {{"jail", "we\"ird\\"}});
  EXPECT_EQ(t.str(), "# HELP mcf2b_bans_total Bans made\n"
                     "# TYPE mcf2b_bans_total counter\n"
                     "mcf2b_bans_total{jail=\"mc-exim-1d\"} 3\n"
                     "mcf2b_bans_total{jail=\"we\\\"ird\\\\\"} 1\n"
                     "# HELP mcf2b_active_bans Active bans\n"
                     "# TYPE mcf2b_active_bans gauge\n"
                     "mcf2b_active_bans 2\n");
}

std::string http_get(uint16_t port, const std::string &request) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr *>(&sin), sizeof sin) != 0)
    return "connect failed";
  (void)!::write(fd.get(), request.data(), request.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd.get(), buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST(MetricsServer, ServesMetricsOnLoopbackOnly) {
  EXPECT_FALSE(MetricsServer::listen("0.0.0.0", 0).ok());
  EXPECT_FALSE(MetricsServer::listen("192.0.2.1", 0).ok());
  auto server = MetricsServer::listen("127.0.0.1", 0);
  ASSERT_TRUE(ok(server));
  ASSERT_NE(server->port(), 0);
  std::atomic<bool> stop{false};
  std::thread loop([&] {
    while (!stop) {
      pollfd p{server->fd(), POLLIN, 0};
      if (::poll(&p, 1, 20) > 0)
        server->process([] { return std::string("mcf2b_up 1\n"); });
    }
  });
  std::string ok_reply = http_get(server->port(), "GET /metrics HTTP/1.0\r\n\r\n");
  std::string missing = http_get(server->port(), "GET /other HTTP/1.0\r\n\r\n");
  std::string junk = http_get(server->port(), std::string(10000, 'A'));
  stop = true;
  loop.join();
  EXPECT_EQ(ok_reply.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << ok_reply;
  EXPECT_NE(ok_reply.find("\r\n\r\nmcf2b_up 1\n"), std::string::npos);
  EXPECT_EQ(missing.rfind("HTTP/1.0 404", 0), 0u) << missing;
  EXPECT_EQ(junk.rfind("HTTP/1.0 431", 0), 0u) << junk;
}

Fd connect_loopback(uint16_t port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr *>(&sin), sizeof sin) != 0)
    return Fd();
  timeval limit{20, 0}; // a safety net only: the server closes long before
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  return fd;
}

TEST(MetricsServer, IdleAndSlowClientsNeverKeepAScraperOut) {
  ConnectionLimits limits = MetricsServer::default_limits();
  limits.idle_timeout = std::chrono::milliseconds(300);
  limits.request_timeout = std::chrono::milliseconds(300);
  auto server = MetricsServer::listen("127.0.0.1", 0, limits);
  ASSERT_TRUE(ok(server));
  std::atomic<bool> stop{false};
  std::thread loop([&] {
    while (!stop) {
      pollfd p{server->fd(), POLLIN, 0};
      if (::poll(&p, 1, 20) > 0)
        server->process([] { return std::string("mcf2b_up 1\n"); });
      server->expire_stale(); // the daemon's tick does this every second
    }
  });
  // Any local user can hold the server's every connection, each sending a byte now
  // and then: the scraper that comes next is still answered.
  std::vector<Fd> held;
  for (size_t i = 0; i < limits.max_connections; ++i) {
    held.push_back(connect_loopback(server->port()));
    ASSERT_TRUE(held.back());
    ASSERT_EQ(::send(held.back().get(), "G", 1, MSG_NOSIGNAL), 1);
  }
  std::string reply = http_get(server->port(), "GET /metrics HTTP/1.0\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << reply;
  // A request that never ends is closed after the request timeout, however regularly
  // its bytes come; silence after the idle timeout.
  Fd trickle = connect_loopback(server->port());
  ASSERT_TRUE(trickle);
  bool closed = false;
  for (int i = 0; i < 40 && !closed; ++i) {
    closed = ::send(trickle.get(), "G", 1, MSG_NOSIGNAL) != 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  char buf[16];
  EXPECT_TRUE(closed || ::read(trickle.get(), buf, sizeof buf) <= 0);
  Fd silent = connect_loopback(server->port());
  ASSERT_TRUE(silent);
  EXPECT_EQ(::read(silent.get(), buf, sizeof buf), 0);
  stop = true;
  loop.join();
}

} // namespace
