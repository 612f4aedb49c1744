// SPDX-License-Identifier: GPL-2.0-only
#include "tests/notify/smtp_sink.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/fd.h"

namespace mcf2b::testing {

Result<uint16_t> free_loopback_port() {
  Fd s(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!s)
    return Error::sys("socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(s.get(), reinterpret_cast<sockaddr *>(&a), sizeof a) != 0)
    return Error::sys("bind");
  socklen_t len = sizeof a;
  if (::getsockname(s.get(), reinterpret_cast<sockaddr *>(&a), &len) != 0)
    return Error::sys("getsockname");
  return ntohs(a.sin_port);
}

Result<SmtpSink> SmtpSink::start(uint16_t port, const std::string &folder) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0)
    return Error::sys("pipe");
  Fd read_end(out[0]), write_end(out[1]);
  std::string port_text = std::to_string(port);
  pid_t pid = ::fork();
  if (pid < 0)
    return Error::sys("fork");
  if (pid == 0) {
    // A daemon started in this process blocks SIGTERM in it; the sink must not inherit that.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(write_end.get(), STDOUT_FILENO);
    // Debian's python3 (its shebang), which has python3-aiosmtpd, whatever PATH says.
    ::execl(MCF2B_SMTP_SINK, MCF2B_SMTP_SINK, "127.0.0.1", port_text.c_str(), folder.c_str(),
            static_cast<char *>(nullptr));
    ::_exit(127);
  }
  write_end = Fd();
  SmtpSink sink(pid, folder);
  std::string got;
  char c;
  while (::read(read_end.get(), &c, 1) == 1 && c != '\n')
    got += c;
  if (got != "ready")
    return Error::msg("the SMTP sink (smtp_sink.py: /usr/bin/python3 with python3-aiosmtpd) did not "
                      "start on port " + port_text);
  return sink;
}

SmtpSink::~SmtpSink() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

std::vector<nlohmann::json> SmtpSink::messages() const {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto &e : std::filesystem::directory_iterator(folder_, ec))
    if (e.path().extension() == ".json")
      names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  std::vector<nlohmann::json> out;
  for (const auto &n : names) {
    std::ifstream in(n);
    std::stringstream text;
    text << in.rdbuf();
    out.push_back(nlohmann::json::parse(text.str()));
  }
  return out;
}

std::vector<nlohmann::json> SmtpSink::wait_for(size_t count, std::chrono::seconds limit) const {
  auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto got = messages();
    if (got.size() >= count || std::chrono::steady_clock::now() > until)
      return got;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::vector<std::string> header_values(const nlohmann::json &message, const std::string &name) {
  std::vector<std::string> out;
  for (const auto &h : message.at("headers"))
    if (::strcasecmp(h.at(0).get<std::string>().c_str(), name.c_str()) == 0)
      out.push_back(h.at(1).get<std::string>());
  return out;
}

} // namespace mcf2b::testing
