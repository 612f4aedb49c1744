// SPDX-License-Identifier: GPL-2.0-only
#include "protocol/control_server.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <vector>

namespace mcf2b::control {
namespace {

bool someone_listens(const std::string &path) {
  Fd probe(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return probe && ::connect(probe.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
}

} // namespace

Result<ControlServer> ControlServer::listen(const std::string &path, uid_t allowed_uid,
                                            ConnectionLimits limits) {
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

  Fd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!listener)
    return Error::sys("socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  // Create the socket with no permissions for others from the first instant.
  mode_t old_mask = ::umask(0177);
  int rc = ::bind(listener.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr);
  ::umask(old_mask);
  if (rc != 0)
    return Error::sys("bind " + path);
  if (::listen(listener.get(), 64) != 0)
    return Error::sys("listen " + path);
  auto socket = ListeningSocket::watch(std::move(listener));
  if (!socket)
    return socket.error();
  return ControlServer(std::move(*socket), path, allowed_uid, limits);
}

ControlServer::ControlServer(ListeningSocket socket, std::string path, uid_t allowed_uid,
                             ConnectionLimits limits)
    : socket_(std::move(socket)), path_(std::move(path)), allowed_uid_(allowed_uid),
      limits_(limits) {}

ControlServer::~ControlServer() {
  if (!path_.empty())
    ::unlink(path_.c_str());
}

void ControlServer::process(const Handler &handler) {
  socket_.dispatch(
      connections_.size(), limits_.max_connections,
      [this] {
        auto victim = least_recently_active(connections_);
        if (victim)
          drop(*victim);
        return victim.has_value();
      },
      [this](Fd &fd) { accept(fd); },
      [&](int fd, uint32_t) {
        auto it = connections_.find(fd);
        if (it != connections_.end() && !pump(fd, it->second, handler))
          drop(fd);
      });
}

bool ControlServer::pump(int fd, Connection &c, const Handler &handler) {
  // Edge-triggered: read and answer until the socket is empty, except while the client
  // is owed max_output or more; then its requests wait in the kernel's buffer (which
  // stops the sender) and the write edge that follows its next read resumes here.
  for (;;) {
    auto now = ConnectionTimes::Clock::now();
    size_t owed = c.out.size();
    if (!send_pending(fd, c.out))
      return false;
    if (c.out.size() < owed)
      c.times.wrote(now);
    if (c.closing)
      return !c.out.empty();
    if (c.out.size() >= limits_.max_output)
      return true;
    size_t before = c.in.size();
    bool peer_done = receive_available(fd, c.in, kMaxMessageBytes + 1);
    bool got = c.in.size() != before;
    bool owing = !c.out.empty();
    size_t served = serve(c, handler);
    if (got || served > 0)
      c.times.received(now, !c.in.empty());
    if (!owing && !c.out.empty())
      c.times.started_owing(now);
    if (peer_done)
      c.closing = true;
    if (!got && served == 0 && !peer_done)
      return true; // nothing more now; what is owed went out above or waits for the edge
  }
}

void ControlServer::expire_stale() {
  auto now = ConnectionTimes::Clock::now();
  std::vector<int> stale;
  for (const auto &[fd, c] : connections_)
    if (c.times.expired(now, limits_, !c.out.empty()))
      stale.push_back(fd);
  for (int fd : stale)
    drop(fd);
}

size_t ControlServer::bytes_buffered() const {
  size_t total = 0;
  for (const auto &[fd, c] : connections_)
    total += c.in.size() + c.out.size();
  return total;
}

void ControlServer::accept(Fd &fd) {
  Connection c;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return;
  c.peer = {cred.pid, cred.uid, cred.gid};
  int raw = fd.get();
  if (cred.uid != allowed_uid_) {
    c.out = encode(Response::failure(ErrorKind::permission,
                                     "permission denied: the control socket serves root only"));
    c.closing = true;
  }
  if (!socket_.add(raw))
    return;
  c.fd = std::move(fd);
  auto [it, inserted] = connections_.emplace(raw, std::move(c));
  if (!send_pending(raw, it->second.out) || (it->second.closing && it->second.out.empty()))
    drop(raw);
}

size_t ControlServer::serve(Connection &c, const Handler &handler) {
  if (c.closing && c.peer.uid != allowed_uid_)
    return 0;
  size_t served = 0, nl;
  while (c.out.size() < limits_.max_output && (nl = c.in.find('\n')) != std::string::npos) {
    std::string line = c.in.substr(0, nl);
    c.in.erase(0, nl + 1);
    ++served;
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
  if (c.in.size() > kMaxMessageBytes && c.in.find('\n') == std::string::npos) {
    c.out += encode(Response::failure(ErrorKind::usage, "request too large"));
    c.in.clear();
    c.closing = true;
  }
  return served;
}

void ControlServer::drop(int fd) {
  socket_.remove(fd);
  connections_.erase(fd);
}

} // namespace mcf2b::control
