// SPDX-License-Identifier: GPL-2.0-only
#include "bench/daemon_probes/process_usage.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "base/fd.h"

namespace mcf2b::bench {

int peer_pid(const std::string &socket_path) {
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
    return -1;
  ucred cred{};
  socklen_t len = sizeof cred;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return -1;
  return cred.pid;
}

double cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t name_end = text.rfind(')'); // the command name may hold spaces
  if (name_end == std::string::npos)
    return 0;
  unsigned long long v[4] = {};
  // After the name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt,
  // then utime stime cutime cstime.
  if (std::sscanf(text.c_str() + name_end + 2,
                  "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &v[0], &v[1],
                  &v[2], &v[3]) != 4)
    return 0;
  return double(v[0] + v[1] + v[2] + v[3]) / double(::sysconf(_SC_CLK_TCK));
}

uint64_t rss_bytes(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024; // kB
  return 0;
}

} // namespace mcf2b::bench
