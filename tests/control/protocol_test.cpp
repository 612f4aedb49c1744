// SPDX-License-Identifier: GPL-2.0-only
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "protocol/control_client.h"
#include "protocol/control_server.h"
#include "tests/fixtures/requirements.h"
#include "tests/fixtures/temp_dir.h"

using namespace mcf2b;
using namespace mcf2b::control;
using mcf2b::testing::ok;
using mcf2b::testing::TempDir;

namespace {

TEST(ControlProtocol, RoundTripsRequestsAndResponses) {
  Request req{"ban", {{"jail", "mc-exim-1d"}, {"ip", "192.0.2.7"}}};
  std::string line = encode(req);
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  auto decoded = decode_request(line, nullptr);
  ASSERT_TRUE(ok(decoded));
  EXPECT_EQ(decoded->command, "ban");
  EXPECT_EQ(decoded->args["ip"], "192.0.2.7");

  std::string resp = encode(Response::failure(ErrorKind::already, "192.0.2.7 is already banned"));
  resp.pop_back();
  auto r = decode_response(resp);
  ASSERT_TRUE(ok(r));
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->error.kind, ErrorKind::already);
  EXPECT_EQ(exit_code(r->error.kind), 3);
}

TEST(ControlProtocol, RejectsMalformedRequestsWithAUsageError) {
  for (std::string bad : std::vector<std::string>{
           "", "{", "[]", "null", "{\"cmd\":\"status\"}", "{\"v\":1}", "{\"v\":1,\"cmd\":\"\"}",
           "{\"v\":99,\"cmd\":\"status\"}", "{\"v\":1,\"cmd\":\"x\",\"args\":[]}",
           std::string("\xff\xfe\x00garbage", 10)}) {
    Response failure;
    auto r = decode_request(bad, &failure);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_FALSE(failure.ok);
    EXPECT_EQ(failure.error.kind, ErrorKind::usage) << bad;
  }
}

// Runs the server's loop on a thread until stopped, expiring stale clients as the
// daemon's one-second tick does (here at every turn).
class ServerThread {
public:
  ServerThread(ControlServer &server, ControlServer::Handler handler)
      : thread_([&server, handler, this] {
          while (!stop_) {
            pollfd p{server.fd(), POLLIN, 0};
            if (::poll(&p, 1, 20) > 0)
              server.process(handler);
            server.expire_stale();
          }
        }) {}
  ~ServerThread() {
    stop_ = true;
    thread_.join();
  }

private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(ControlServer, AnswersRequestsInOrderAndSurvivesGarbage) {
  auto dir = TempDir::create("ctl");
  ASSERT_TRUE(ok(dir));
  auto server = ControlServer::listen(dir->file("s/ctl.sock"), ::geteuid());
  ASSERT_TRUE(ok(server));
  ServerThread loop(*server, [](const Request &req, const PeerCredentials &peer) {
    if (req.command == "echo")
      return Response::success({{"args", req.args}, {"uid", peer.uid}});
    if (req.command == "throw")
      throw std::runtime_error("handler bug");
    return Response::failure(ErrorKind::usage, "unknown command " + req.command);
  });

  // Garbage on one connection gets an error and does not disturb the next client.
  {
    Fd raw(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, server->path().c_str());
    ASSERT_EQ(::connect(raw.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
    std::string junk = "\x01\x02 not json\n";
    ASSERT_EQ(::write(raw.get(), junk.data(), junk.size()), static_cast<ssize_t>(junk.size()));
    char buf[512] = {};
    ASSERT_GT(::read(raw.get(), buf, sizeof buf - 1), 0);
    EXPECT_NE(std::string(buf).find("\"usage\""), std::string::npos) << buf;
  }

  auto client = ControlClient::connect(server->path(), 5000);
  ASSERT_TRUE(ok(client));
  for (int i = 0; i < 3; ++i) {
    auto r = client->call({"echo", {{"n", i}}});
    ASSERT_TRUE(ok(r));
    ASSERT_TRUE(r->ok);
    EXPECT_EQ(r->result["args"]["n"], i);
    EXPECT_EQ(r->result["uid"], ::geteuid());
  }
  auto thrown = client->call({"throw", {}});
  ASSERT_TRUE(ok(thrown));
  EXPECT_FALSE(thrown->ok);
  EXPECT_EQ(thrown->error.kind, ErrorKind::internal);
  auto unknown = client->call({"frobnicate", {}});
  ASSERT_TRUE(ok(unknown));
  EXPECT_EQ(unknown->error.kind, ErrorKind::usage);
}

TEST(ControlServer, RefusesPeersWithTheWrongUid) {
  auto dir = TempDir::create("ctl");
  ASSERT_TRUE(ok(dir));
  auto server = ControlServer::listen(dir->file("ctl.sock"), ::geteuid() + 1);
  ASSERT_TRUE(ok(server));
  ServerThread loop(*server, [](const Request &, const PeerCredentials &) {
    return Response::success("should never run");
  });
  auto client = ControlClient::connect(server->path(), 5000);
  ASSERT_TRUE(ok(client));
  auto r = client->call({"status", {}});
  ASSERT_TRUE(ok(r));
  EXPECT_FALSE(r->ok);
  EXPECT_EQ(r->error.kind, ErrorKind::permission);
}

Fd connect_raw(const std::string &path) {
  Fd raw(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, path.c_str());
  if (::connect(raw.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
    return Fd();
  timeval limit{20, 0}; // a safety net only: the server closes long before
  ::setsockopt(raw.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  return raw;
}

// True when the server closed the connection (end of file before any reply).
bool closed_by_server(const Fd &raw) {
  char buf[256];
  return ::read(raw.get(), buf, sizeof buf) == 0;
}

ConnectionLimits short_limits() {
  ConnectionLimits limits;
  limits.max_connections = 4;
  limits.idle_timeout = std::chrono::milliseconds(300);
  limits.request_timeout = std::chrono::milliseconds(300);
  limits.write_timeout = std::chrono::milliseconds(300);
  limits.max_output = 64 * 1024;
  return limits;
}

TEST(ControlServer, IdleAndSlowClientsAreClosedAndNeverLockANewClientOut) {
  auto dir = TempDir::create("ctl");
  ASSERT_TRUE(ok(dir));
  auto server = ControlServer::listen(dir->file("ctl.sock"), ::geteuid(), short_limits());
  ASSERT_TRUE(ok(server));
  ServerThread loop(
      *server, [](const Request &, const PeerCredentials &) { return Response::success("pong"); });
  // As many silent connections as the server takes, then one more that sends half a
  // request a byte at a time: the client that comes next is still answered.
  std::vector<Fd> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(connect_raw(server->path()));
    ASSERT_TRUE(idle.back());
  }
  Fd slow = connect_raw(server->path());
  ASSERT_TRUE(slow);
  auto client = ControlClient::connect(server->path(), 5000);
  ASSERT_TRUE(ok(client));
  auto r = client->call({"ping", {}});
  ASSERT_TRUE(ok(r));
  EXPECT_TRUE(r->ok);

  // Silence is closed after the idle timeout; a request trickling in after the request
  // timeout, however regularly its bytes come.
  EXPECT_TRUE(closed_by_server(idle.back()));
  Fd trickle = connect_raw(server->path());
  ASSERT_TRUE(trickle);
  bool closed = false;
  for (char ch : std::string("{\"v\":1,\"cmd\":\"status\",\"args\":{}}")) {
    if (::send(trickle.get(), &ch, 1, MSG_NOSIGNAL) != 1) {
      closed = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(closed || closed_by_server(trickle));
}

TEST(ControlServer, RepliesNeverReadDoNotGrowTheServer) {
  auto dir = TempDir::create("ctl");
  ASSERT_TRUE(ok(dir));
  ConnectionLimits limits = short_limits();
  limits.write_timeout = std::chrono::hours(1); // this test is about memory, not time
  auto server = ControlServer::listen(dir->file("ctl.sock"), ::geteuid(), limits);
  ASSERT_TRUE(ok(server));
  const std::string reply(4096, 'x');
  ControlServer::Handler handler = [&](const Request &, const PeerCredentials &) {
    return Response::success(reply);
  };
  // A client pipelines 20,000 requests (about 80 MB of replies) and never reads.
  Fd greedy = connect_raw(server->path());
  ASSERT_TRUE(greedy);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    std::string request = encode(Request{"list", {}});
    for (int i = 0; i < 20000 && !done; ++i)
      if (::send(greedy.get(), request.data(), request.size(), MSG_NOSIGNAL) < 0)
        break;
  });
  size_t most = 0;
  for (int turn = 0; turn < 200; ++turn) {
    pollfd p{server->fd(), POLLIN, 0};
    if (::poll(&p, 1, 5) > 0)
      server->process(handler);
    most = std::max(most, server->bytes_buffered());
  }
  // Owed output stops at the limit (plus the reply that crossed it); requests wait in
  // the kernel's buffer, which stops the writer.
  EXPECT_GT(most, limits.max_output);
  EXPECT_LE(most, limits.max_output + reply.size() + 64 + 2 * kMaxMessageBytes);
  // Another client is still answered meanwhile.
  auto client = ControlClient::connect(server->path(), 5000);
  ASSERT_TRUE(ok(client));
  std::thread serve([&] {
    for (int turn = 0; turn < 400; ++turn) {
      pollfd p{server->fd(), POLLIN, 0};
      if (::poll(&p, 1, 5) > 0)
        server->process(handler);
    }
  });
  auto r = client->call({"ping", {}});
  serve.join();
  ASSERT_TRUE(ok(r));
  EXPECT_TRUE(r->ok);
  done = true;
  ::shutdown(greedy.get(), SHUT_RDWR); // unblocks the writer's send
  writer.join();
}

TEST(ControlServer, RefusesToStealALiveSocketAndReportsAMissingDaemon) {
  auto dir = TempDir::create("ctl");
  ASSERT_TRUE(ok(dir));
  auto first = ControlServer::listen(dir->file("ctl.sock"), ::geteuid());
  ASSERT_TRUE(ok(first));
  auto second = ControlServer::listen(dir->file("ctl.sock"), ::geteuid());
  EXPECT_FALSE(second.ok());
  auto missing = ControlClient::connect(dir->file("nobody.sock"), 1000);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("not running"), std::string::npos);
}

} // namespace
