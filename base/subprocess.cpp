// SPDX-License-Identifier: GPL-2.0-only
#include "base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

#include "base/fd.h"

extern char **environ;

namespace mcf2b {
namespace {

// PATH, then the system folders where ip, ipset and the database tools live even when
// the caller's PATH lacks them (a non-login root shell often does).
std::string resolve(const std::string &name) {
  if (name.find('/') != std::string::npos)
    return name;
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  path += ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos)
      end = path.size();
    std::string dir = path.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0)
        return candidate;
    }
    start = end + 1;
  }
  return {};
}

struct Pipe {
  Fd read, write;
  static Result<Pipe> make() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return Error::sys("pipe2");
    return Pipe{Fd(fds[0]), Fd(fds[1])};
  }
};

} // namespace

bool program_exists(const std::string &name) { return !resolve(name).empty(); }

Result<ProcessOutput> run_program(const std::vector<std::string> &argv, std::string_view input) {
  if (argv.empty())
    return Error::msg("run_program: empty argument vector");
  // A child that exits before reading all its input must not kill us with SIGPIPE.
  static const bool sigpipe_ignored = [] { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)sigpipe_ignored;
  std::string exe = resolve(argv[0]);
  if (exe.empty())
    return Error{"program not found: " + argv[0], ENOENT};

  auto in = Pipe::make();
  auto out = Pipe::make();
  auto err = Pipe::make();
  if (!in)
    return in.error();
  if (!out)
    return out.error();
  if (!err)
    return err.error();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in->read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out->write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err->write.get(), 2);

  std::vector<char *> cargv;
  cargv.reserve(argv.size() + 1);
  for (const auto &a : argv)
    cargv.push_back(const_cast<char *>(a.c_str()));
  cargv.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, exe.c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0)
    return Error::sys("spawn " + exe, rc);

  in->read.reset();
  out->write.reset();
  err->write.reset();
  if (input.empty())
    in->write.reset();
  else
    ::fcntl(in->write.get(), F_SETFL, O_NONBLOCK);

  // Write the input and drain both outputs together so no pipe fills up and stalls.
  ProcessOutput result;
  size_t written = 0;
  char buf[65536];
  for (;;) {
    pollfd fds[3];
    int n = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (out->read) {
      out_i = n;
      fds[n++] = {out->read.get(), POLLIN, 0};
    }
    if (err->read) {
      err_i = n;
      fds[n++] = {err->read.get(), POLLIN, 0};
    }
    if (in->write) {
      in_i = n;
      fds[n++] = {in->write.get(), POLLOUT, 0};
    }
    if (n == 0)
      break;
    if (::poll(fds, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    auto drain = [&](int i, Pipe &p, std::string &sink) {
      if (i < 0 || fds[i].revents == 0)
        return;
      ssize_t got = ::read(p.read.get(), buf, sizeof buf);
      if (got > 0)
        sink.append(buf, static_cast<size_t>(got));
      else if (got == 0 || errno != EINTR)
        p.read.reset();
    };
    drain(out_i, *out, result.out);
    drain(err_i, *err, result.err);
    if (in_i >= 0 && fds[in_i].revents != 0) {
      ssize_t put = ::write(in->write.get(), input.data() + written, input.size() - written);
      if (put > 0)
        written += static_cast<size_t>(put);
      if ((put < 0 && errno != EAGAIN && errno != EINTR) || written == input.size())
        in->write.reset();
    }
  }

  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return Error::sys("waitpid " + exe);
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

Result<ProcessOutput> run_program_checked(const std::vector<std::string> &argv,
                                          std::string_view input) {
  auto r = run_program(argv, input);
  if (!r)
    return r;
  if (r->exit_code != 0) {
    std::string cmd;
    for (const auto &a : argv)
      cmd += (cmd.empty() ? "" : " ") + a;
    std::string detail = r->err.empty() ? r->out : r->err;
    while (!detail.empty() && (detail.back() == '\n' || detail.back() == ' '))
      detail.pop_back();
    return Error::msg(cmd + " exited with " + std::to_string(r->exit_code) +
                      (detail.empty() ? "" : ": " + detail));
  }
  return r;
}

} // namespace mcf2b

namespace mcf2b {

Result<ChildProcess> ChildProcess::spawn(const std::vector<std::string> &argv,
                                         const std::string &log_path) {
  if (argv.empty())
    return Error::msg("ChildProcess::spawn: empty argument vector");
  std::string exe = resolve(argv[0]);
  if (exe.empty())
    return Error{"program not found: " + argv[0], ENOENT};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  if (!log_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }
  std::vector<char *> cargv;
  for (const auto &a : argv)
    cargv.push_back(const_cast<char *>(a.c_str()));
  cargv.push_back(nullptr);
  ChildProcess child;
  int rc = ::posix_spawn(&child.pid_, exe.c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    child.pid_ = -1;
    return Error::sys("spawn " + exe, rc);
  }
  return child;
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    (void)wait(-1);
  }
}

ChildProcess::ChildProcess(ChildProcess &&other) noexcept
    : pid_(std::exchange(other.pid_, -1)), exit_code_(other.exit_code_) {}

ChildProcess &ChildProcess::operator=(ChildProcess &&other) noexcept {
  if (this != &other) {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)wait(-1);
    }
    pid_ = std::exchange(other.pid_, -1);
    exit_code_ = other.exit_code_;
  }
  return *this;
}

bool ChildProcess::exited() {
  if (pid_ <= 0)
    return true;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return true;
  }
  return false;
}

Status ChildProcess::signal(int sig) {
  if (pid_ <= 0)
    return Error::msg("process is not running");
  if (::kill(pid_, sig) != 0)
    return Error::sys("kill " + std::to_string(pid_));
  return {};
}

Result<int> ChildProcess::wait(int timeout_ms) {
  if (pid_ <= 0)
    return exit_code_;
  for (int waited = 0;; waited += 10) {
    if (timeout_ms < 0) {
      int status = 0;
      if (::waitpid(pid_, &status, 0) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid_ = -1;
        return exit_code_;
      }
      if (errno != EINTR)
        return Error::sys("waitpid");
      continue;
    }
    if (exited())
      return exit_code_;
    if (waited >= timeout_ms)
      return Error{"process " + std::to_string(pid_) + " still running after " +
                       std::to_string(timeout_ms) + " ms",
                   ETIMEDOUT};
    ::usleep(10000);
  }
}

int ChildProcess::stop(int grace_ms) {
  if (pid_ <= 0)
    return exit_code_;
  ::kill(pid_, SIGTERM);
  if (auto r = wait(grace_ms); r)
    return *r;
  ::kill(pid_, SIGKILL);
  return wait(-1).value_or(-1);
}

} // namespace mcf2b
