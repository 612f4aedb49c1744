// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

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

} // namespace
