// SPDX-License-Identifier: GPL-2.0-only
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <gtest/gtest.h>

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

// Runs the server's loop on a thread until stopped.
class ServerThread {
public:
  ServerThread(ControlServer &server, ControlServer::Handler handler)
      : thread_([&server, handler, this] {
          while (!stop_) {
            pollfd p{server.fd(), POLLIN, 0};
            if (::poll(&p, 1, 20) > 0)
              server.process(handler);
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
