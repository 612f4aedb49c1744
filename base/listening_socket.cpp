// SPDX-License-Identifier: GPL-2.0-only
#include "base/listening_socket.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>

namespace mcf2b {

Result<ListeningSocket> ListeningSocket::watch(Fd listener) {
  ListeningSocket socket;
  socket.listener_ = std::move(listener);
  socket.epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!socket.epoll_)
    return Error::sys("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = socket.listener_.get();
  if (::epoll_ctl(socket.epoll_.get(), EPOLL_CTL_ADD, socket.listener_.get(), &ev) != 0)
    return Error::sys("epoll_ctl");
  return socket;
}

void ListeningSocket::dispatch(size_t open_connections, size_t max_connections,
                               const MakeRoom &make_room, const Accept &accept,
                               const Ready &ready) {
  epoll_event events[32];
  int n = ::epoll_wait(epoll_.get(), events, 32, 0);
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd != listener_.get()) {
      ready(fd, events[i].events);
      continue;
    }
    for (;;) {
      Fd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
      if (!connection)
        break;
      // A full server closes its quietest client for the newcomer, so clients that
      // hold connections open cannot lock everyone else out; when it will not, the
      // newcomer is closed by Fd (a flood must not exhaust the daemon's fds).
      if (open_connections >= max_connections) {
        if (!make_room())
          continue;
        --open_connections;
      }
      accept(connection);
      if (!connection) // taken
        ++open_connections;
    }
  }
}

bool ListeningSocket::add(int connection) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
  ev.data.fd = connection;
  return ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, connection, &ev) == 0;
}

void ListeningSocket::remove(int connection) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, connection, nullptr);
}

bool receive_available(int fd, std::string &in, size_t limit) {
  char buf[65536];
  for (;;) {
    ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got > 0) {
      in.append(buf, static_cast<size_t>(got));
      if (in.size() > limit)
        return false;
      continue;
    }
    if (got < 0 && errno == EINTR)
      continue;
    return got == 0 || errno != EAGAIN;
  }
}

bool send_pending(int fd, std::string &out) {
  while (!out.empty()) {
    ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return n < 0 && errno == EAGAIN; // wait for EPOLLOUT; anything else is a dead peer
  }
  return true;
}

} // namespace mcf2b
