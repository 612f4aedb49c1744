// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/seconds.h"

namespace mcf2b::actions {

// One command of an action, ready to run: /bin/sh -c `script` (our text: the action
// file's, the admin's parameters, checked values) with `environment` added to the
// daemon's (the values that came from logs, referenced by the script).
struct ShellJob {
  std::string script;
  std::vector<std::pair<std::string, std::string>> environment;
  Seconds timeout = 60;
  size_t output_limit = 16 * 1024; // bytes kept of stdout and of stderr each
};

struct ShellOutcome {
  enum class Kind { exited, signalled, timed_out, not_started } kind = Kind::not_started;
  int exit_code = -1; // the status when exited, the signal when signalled
  std::string out, err;
  bool truncated = false;  // some output was read and dropped beyond output_limit
  std::string start_error; // when not_started
  [[nodiscard]] bool ok() const { return kind == Kind::exited && exit_code == 0; }
  [[nodiscard]] std::string describe() const; // "exit 3", "timed out after 60 s"...
};

// Runs one job and waits for it: its own process group, stdin from /dev/null, stdout
// and stderr captured up to the limit (the rest read and dropped, so the command never
// blocks on a full pipe), every other descriptor closed, signals reset. At the timeout
// the whole group is killed (SIGTERM, then SIGKILL a second later), as fail2ban kills
// the tree of a command that runs too long.
ShellOutcome run_shell_job(const ShellJob &job);

// A bounded pool of worker threads for work that must stay off the ban path. Jobs with
// the same key run one after the other in submission order (one action's start, bans
// and stop); jobs with different keys run in parallel. The queue holds at most
// `capacity` jobs: a job beyond is dropped and counted.
class WorkerPool {
public:
  WorkerPool(size_t workers, size_t capacity);
  ~WorkerPool(); // drains what is queued, then joins
  WorkerPool(const WorkerPool &) = delete;
  WorkerPool &operator=(const WorkerPool &) = delete;

  // False (and counted) when the queue is full.
  bool submit(std::string key, std::function<void()> job);
  // Waits until every job submitted so far has run.
  void drain();

  [[nodiscard]] uint64_t dropped() const { return dropped_.load(); }
  [[nodiscard]] size_t queued() const;

private:
  void work();

  struct Entry {
    std::string key;
    std::function<void()> job;
  };
  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<Entry> queue_;
  std::set<std::string> running_keys_;
  size_t running_ = 0;
  size_t capacity_;
  bool stopping_ = false;
  std::atomic<uint64_t> dropped_{0};
  std::vector<std::thread> threads_;
};

} // namespace mcf2b::actions
