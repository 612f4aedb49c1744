// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/actions/command_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/fd.h"

extern char **environ;

namespace mcf2b::actions {
namespace {

int64_t now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Reads what is there; false at end of file.
bool read_some(int fd, std::string &into, size_t limit, bool &truncated) {
  char buf[4096];
  ssize_t n = ::read(fd, buf, sizeof buf);
  if (n < 0)
    return errno == EINTR || errno == EAGAIN;
  if (n == 0)
    return false;
  size_t keep = into.size() < limit ? std::min(limit - into.size(), static_cast<size_t>(n)) : 0;
  into.append(buf, keep);
  if (keep < static_cast<size_t>(n))
    truncated = true;
  return true;
}

} // namespace

std::string ShellOutcome::describe() const {
  switch (kind) {
  case Kind::exited:
    return "exit " + std::to_string(exit_code);
  case Kind::signalled:
    return "killed by signal " + std::to_string(exit_code);
  case Kind::timed_out:
    return "timed out, process group killed";
  case Kind::not_started:
    return "not started: " + start_error;
  }
  return {};
}

ShellOutcome run_shell_job(const ShellJob &job) {
  ShellOutcome outcome;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
    outcome.start_error = std::strerror(errno);
    return outcome;
  }
  Fd out_read(out_pipe[0]), out_write(out_pipe[1]);
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    outcome.start_error = std::strerror(errno);
    return outcome;
  }
  Fd err_read(err_pipe[0]), err_write(err_pipe[1]);

  // Everything the child needs is built before fork: after it only async-signal-safe
  // calls are made (the daemon has threads).
  std::vector<std::string> env_strings;
  for (char **e = environ; e && *e; ++e) {
    std::string_view entry(*e);
    bool replaced = false;
    for (const auto &[name, value] : job.environment)
      if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
          entry[name.size()] == '=')
        replaced = true;
    if (!replaced)
      env_strings.emplace_back(entry);
  }
  for (const auto &[name, value] : job.environment)
    env_strings.push_back(name + "=" + value);
  std::vector<char *> envp;
  for (auto &s : env_strings)
    envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", script = job.script;
  char *argv[] = {sh.data(), dash_c.data(), script.data(), nullptr};

  pid_t pid = ::fork();
  if (pid < 0) {
    outcome.start_error = std::string("fork: ") + std::strerror(errno);
    return outcome;
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig)
      ::signal(sig, SIG_DFL);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull < 0 || ::dup2(devnull, 0) < 0 || ::dup2(out_pipe[1], 1) < 0 ||
        ::dup2(err_pipe[1], 2) < 0)
      ::_exit(127);
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid); // also here: the child may not have run yet
  out_write.reset();
  err_write.reset();

  const int64_t deadline = now_ms() + job.timeout * 1000;
  bool out_open = true, err_open = true, timed_out = false;
  int status = 0;
  bool reaped = false;
  while (!reaped) {
    int64_t left = deadline - now_ms();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    if (out_open || err_open) {
      pollfd fds[2] = {{out_open ? out_read.get() : -1, POLLIN, 0},
                       {err_open ? err_read.get() : -1, POLLIN, 0}};
      int n = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left, 1000)));
      if (n < 0 && errno != EINTR)
        break;
      if (fds[0].revents)
        out_open = read_some(out_read.get(), outcome.out, job.output_limit, outcome.truncated);
      if (fds[1].revents)
        err_open = read_some(err_read.get(), outcome.err, job.output_limit, outcome.truncated);
      if (out_open || err_open)
        continue;
    }
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid)
      reaped = true;
    else if (!out_open && !err_open) {
      timespec pause{0, 10 * 1000 * 1000};
      ::nanosleep(&pause, nullptr);
    }
  }
  if (!reaped) {
    ::kill(-pid, SIGTERM);
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 100 && !reaped; ++i) {
      if (::waitpid(pid, &status, WNOHANG) == pid)
        reaped = true;
      else {
        timespec pause{0, 10 * 1000 * 1000};
        ::nanosleep(&pause, nullptr);
      }
    }
    ::kill(-pid, SIGKILL);
    if (!reaped)
      ::waitpid(pid, &status, 0);
    outcome.kind = ShellOutcome::Kind::timed_out;
    return outcome;
  }
  (void)timed_out;
  if (WIFEXITED(status)) {
    outcome.kind = ShellOutcome::Kind::exited;
    outcome.exit_code = WEXITSTATUS(status);
  } else {
    outcome.kind = ShellOutcome::Kind::signalled;
    outcome.exit_code = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
  }
  return outcome;
}

WorkerPool::WorkerPool(size_t workers, size_t capacity) : capacity_(capacity) {
  for (size_t i = 0; i < std::max<size_t>(workers, 1); ++i)
    threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto &t : threads_)
    t.join();
}

bool WorkerPool::submit(std::string key, std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= capacity_) {
      ++dropped_;
      return false;
    }
    queue_.push_back({std::move(key), std::move(job)});
  }
  wake_.notify_all();
  return true;
}

void WorkerPool::drain() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void WorkerPool::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    // The first job whose key is not running: one key's jobs stay in order.
    auto next = queue_.end();
    for (auto it = queue_.begin(); it != queue_.end(); ++it)
      if (!running_keys_.count(it->key)) {
        next = it;
        break;
      }
    if (next == queue_.end()) {
      if (stopping_ && queue_.empty())
        return;
      wake_.wait(lock);
      continue;
    }
    Entry entry = std::move(*next);
    queue_.erase(next);
    running_keys_.insert(entry.key);
    ++running_;
    lock.unlock();
    entry.job();
    lock.lock();
    running_keys_.erase(entry.key);
    --running_;
    if (queue_.empty() && running_ == 0)
      idle_.notify_all();
    wake_.notify_all();
  }
}

} // namespace mcf2b::actions
