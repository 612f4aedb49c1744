// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "base/connection_limits.h"
#include "base/fd.h"
#include "base/listening_socket.h"
#include "protocol/protocol.h"

namespace mcf2b::control {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
};

// The daemon's side of the control socket. It owns an epoll set of the listening
// socket and its connections, so the daemon's loop polls one fd (fd()) and calls
// process() when it is readable. Requests are handled one at a time on the caller's
// thread; responses are buffered and written without blocking. ConnectionLimits keep
// idle, slow and non-reading clients from holding it: the loop calls expire_stale()
// every second, and a full server closes its quietest client for a newcomer.
class ControlServer {
public:
  using Handler = std::function<Response(const Request &, const PeerCredentials &)>;

  // Creates the socket (mode 0600, parent folder 0700 if it has to be made). Refuses
  // to take over a socket another process still listens on; removes a stale one.
  // Only peers with uid `allowed_uid` are served (root by default), checked through
  // SO_PEERCRED on every connection.
  static Result<ControlServer> listen(const std::string &path, uid_t allowed_uid = 0,
                                      ConnectionLimits limits = {});
  ~ControlServer();
  ControlServer(ControlServer &&other) noexcept
      : socket_(std::move(other.socket_)), path_(std::move(other.path_)),
        allowed_uid_(other.allowed_uid_), limits_(other.limits_),
        connections_(std::move(other.connections_)) {
    other.path_.clear(); // the moved-from server must not unlink the socket
  }
  ControlServer &operator=(ControlServer &&) noexcept = delete;

  [[nodiscard]] int fd() const { return socket_.fd(); }
  [[nodiscard]] const std::string &path() const { return path_; }

  // Accepts, reads, answers and writes whatever is ready, without blocking.
  void process(const Handler &handler);
  // Closes the connections that broke a limit (idle, slow request, unread replies).
  void expire_stale();
  [[nodiscard]] size_t connections() const { return connections_.size(); }
  // What the server holds for its clients: requests not yet answered, replies not yet
  // written.
  [[nodiscard]] size_t bytes_buffered() const;

private:
  struct Connection {
    Fd fd;
    PeerCredentials peer;
    std::string in, out;
    bool closing = false;
    ConnectionTimes times{ConnectionTimes::Clock::now()};
  };
  ControlServer(ListeningSocket socket, std::string path, uid_t allowed_uid,
                ConnectionLimits limits);
  void accept(Fd &fd);
  // Reads, answers and writes what it can now; false when the connection is done.
  bool pump(int fd, Connection &c, const Handler &handler);
  // Answers the complete requests buffered (while less than max_output is owed).
  size_t serve(Connection &c, const Handler &handler);
  void drop(int fd);

  ListeningSocket socket_;
  std::string path_;
  uid_t allowed_uid_ = 0;
  ConnectionLimits limits_;
  std::map<int, Connection> connections_;
};

} // namespace mcf2b::control
