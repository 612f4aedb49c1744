// SPDX-License-Identifier: GPL-2.0-only
#include "protocol/control_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

namespace mcf2b::control {

Result<ControlClient> ControlClient::connect(const std::string &socket_path, int timeout_ms) {
  sockaddr_un addr{};
  if (socket_path.size() >= sizeof addr.sun_path)
    return Error::msg("socket path too long: " + socket_path);
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd)
    return Error::sys("socket");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
    int err = errno;
    if (err == ENOENT || err == ECONNREFUSED)
      return Error{"the daemon is not running (no listener on " + socket_path + ")", err};
    if (err == EACCES || err == EPERM)
      return Error{"permission denied on " + socket_path + " (the control socket is root only)",
                   err};
    return Error::sys("connect to " + socket_path, err);
  }
  return ControlClient(std::move(fd), timeout_ms);
}

Result<Response> ControlClient::call(const Request &request) {
  std::string out = encode(request);
  size_t sent = 0;
  while (sent < out.size()) {
    ssize_t n = ::send(fd_.get(), out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      // A server that refuses the peer (not root) answers and closes at once: its
      // answer is already here to be read, and says more than "broken pipe".
      if ((errno == EPIPE || errno == ECONNRESET) && buffer_.empty()) {
        int err = errno;
        char buf[4096];
        ssize_t got = ::recv(fd_.get(), buf, sizeof buf, MSG_DONTWAIT);
        if (got > 0) {
          buffer_.append(buf, static_cast<size_t>(got));
          break;
        }
        return Error::sys("send to the daemon", err);
      }
      return Error::sys("send to the daemon");
    }
    sent += static_cast<size_t>(n);
  }
  for (;;) {
    if (size_t nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return decode_response(line);
    }
    if (buffer_.size() > kMaxMessageBytes * 64)
      return Error::msg("response from the daemon is too large");
    pollfd p{fd_.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, timeout_ms_);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0)
      return Error{"the daemon did not answer within " + std::to_string(timeout_ms_) + " ms",
                   ETIMEDOUT};
    char buf[65536];
    ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return Error::sys("read from the daemon");
    if (n == 0)
      return Error::msg("the daemon closed the connection without answering");
    buffer_.append(buf, static_cast<size_t>(n));
  }
}

} // namespace mcf2b::control
