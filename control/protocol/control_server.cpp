// SPDX-License-Identifier: GPL-2.0-only
#include "control/protocol/control_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace mcf2b::control {
namespace {

constexpr size_t kMaxConnections = 64;

bool someone_listens(const std::string &path) {
  Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return probe && ::connect(probe.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
}

} // namespace

Result<ControlServer> ControlServer::listen(const std::string &path, uid_t allowed_uid) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return Error::msg("invalid control socket path '" + path + "'");
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent)) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
      return Error{"create " + parent.string() + ": " + ec.message(), ec.value()};
    ::chmod(parent.c_str(), 0700);
  }
  if (someone_listens(path))
    return Error::msg("another daemon already listens on " + path);
  ::unlink(path.c_str());

  ControlServer server;
  server.path_ = path;
  server.allowed_uid_ = allowed_uid;
  server.listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!server.listener_)
    return Error::sys("socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  // Create the socket with no permissions for others from the first instant.
  mode_t old_mask = ::umask(0177);
  int rc = ::bind(server.listener_.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr);
  ::umask(old_mask);
  if (rc != 0)
    return Error::sys("bind " + path);
  if (::listen(server.listener_.get(), 64) != 0)
    return Error::sys("listen " + path);
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

ControlServer::~ControlServer() {
  if (listener_ && !path_.empty())
    ::unlink(path_.c_str());
}

void ControlServer::process(const Handler &handler) {
  epoll_event events[32];
  int n = ::epoll_wait(epoll_.get(), events, 32, 0);
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == listener_.get()) {
      accept_all();
      continue;
    }
    auto it = connections_.find(fd);
    if (it == connections_.end())
      continue;
    Connection &c = it->second;
    if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
      char buf[65536];
      for (;;) {
        ssize_t got = ::recv(fd, buf, sizeof buf, 0);
        if (got > 0) {
          c.in.append(buf, static_cast<size_t>(got));
          if (c.in.size() > kMaxMessageBytes + 1)
            break;
          continue;
        }
        if (got == 0 || (errno != EAGAIN && errno != EINTR))
          c.closing = true;
        if (got < 0 && errno == EINTR)
          continue;
        break;
      }
      serve(c, handler);
    }
    if (!flush(c) || (c.closing && c.out.empty()))
      drop(fd);
  }
}

void ControlServer::accept_all() {
  for (;;) {
    Fd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd)
      return;
    if (connections_.size() >= kMaxConnections)
      continue; // closed by Fd: a client flood must not exhaust the daemon's fds
    Connection c;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
      continue;
    c.peer = {cred.pid, cred.uid, cred.gid};
    int raw = fd.get();
    if (cred.uid != allowed_uid_) {
      c.out = encode(Response::failure(ErrorKind::permission,
                                       "permission denied: the control socket serves root only"));
      c.closing = true;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
    ev.data.fd = raw;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, raw, &ev) != 0)
      continue;
    c.fd = std::move(fd);
    auto [it, inserted] = connections_.emplace(raw, std::move(c));
    if (!flush(it->second) || (it->second.closing && it->second.out.empty()))
      drop(raw);
  }
}

void ControlServer::serve(Connection &c, const Handler &handler) {
  if (c.closing && c.peer.uid != allowed_uid_)
    return;
  size_t nl;
  while ((nl = c.in.find('\n')) != std::string::npos) {
    std::string line = c.in.substr(0, nl);
    c.in.erase(0, nl + 1);
    Response failure;
    auto request = decode_request(line, &failure);
    if (!request) {
      c.out += encode(failure);
      continue;
    }
    Response response;
    try {
      response = handler(*request, c.peer);
    } catch (const std::exception &e) {
      // A handler bug must not take the daemon down; the client learns what happened.
      response = Response::failure(ErrorKind::internal, e.what());
    }
    c.out += encode(response);
  }
  if (c.in.size() > kMaxMessageBytes) {
    c.out += encode(Response::failure(ErrorKind::usage, "request too large"));
    c.in.clear();
    c.closing = true;
  }
}

bool ControlServer::flush(Connection &c) {
  while (!c.out.empty()) {
    ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR)
      continue;
    return n < 0 && errno == EAGAIN; // wait for EPOLLOUT; anything else is a dead peer
  }
  return true;
}

void ControlServer::drop(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  connections_.erase(fd);
}

} // namespace mcf2b::control
