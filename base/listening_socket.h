// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "base/fd.h"
#include "base/result.h"

namespace mcf2b {

// A non-blocking listening socket and one epoll set of it and its accepted connections,
// so a daemon's loop polls one fd (fd()) and calls dispatch() when it is readable. The
// servers on top (the control socket, the metrics endpoint) keep their own state per
// connection, keyed by the connection's fd; this part only accepts and reports.
class ListeningSocket {
public:
  // Takes a bound, listening, non-blocking socket.
  static Result<ListeningSocket> watch(Fd listener);

  [[nodiscard]] int fd() const { return epoll_.get(); }

  // Called for each accepted connection (non-blocking, close-on-exec) while fewer than
  // `max_connections` are open; it takes the Fd to keep it, or leaves it to be closed.
  using Accept = std::function<void(Fd &connection)>;
  // Called for each connection with events (EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR bits).
  using Ready = std::function<void(int fd, uint32_t events)>;
  // Called when a connection arrives while `max_connections` are open: closes one
  // (the server's choice) and returns true, or returns false to turn the newcomer away.
  using MakeRoom = std::function<bool()>;
  // Accepts and reports whatever is ready, without blocking.
  void dispatch(size_t open_connections, size_t max_connections, const MakeRoom &make_room,
                const Accept &accept, const Ready &ready);

  // Watches a connection accept() took, edge-triggered for reading and writing; false
  // when epoll refused it (the caller drops it).
  bool add(int connection);
  // Stops watching a connection before its owner closes it.
  void remove(int connection);

private:
  ListeningSocket() = default;
  Fd listener_, epoll_;
};

// Reads what a non-blocking connection holds into `in`, stopping early once `in` is
// longer than `limit`. True when the peer closed or the connection failed.
bool receive_available(int fd, std::string &in, size_t limit);

// Writes as much of `out` as the connection takes, erasing what went. False when the
// peer is gone (anything but a full socket buffer).
bool send_pending(int fd, std::string &out);

} // namespace mcf2b
