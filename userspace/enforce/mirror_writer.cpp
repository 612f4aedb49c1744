// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/enforce/mirror_writer.h"

#include <signal.h>

#include "base/log.h"

namespace mcf2b {

MirrorWriter::MirrorWriter() {
  // The daemon takes SIGTERM and friends through a signalfd: this thread must not.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  thread_ = std::thread([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

MirrorWriter::~MirrorWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void MirrorWriter::submit(Task task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void MirrorWriter::drain() {
  std::unique_lock lock(mutex_);
  done_.wait(lock, [this] { return tasks_.empty() && !busy_; });
}

bool MirrorWriter::idle() const {
  std::lock_guard lock(mutex_);
  return tasks_.empty() && !busy_;
}

void MirrorWriter::run() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) {
        done_.notify_all();
        return; // stopping, and everything was written
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
      busy_ = true;
    }
    Status st = task();
    if (!st) {
      ++errors_;
      log_error("ipset mirror: " + st.error().message());
    }
    {
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
    done_.notify_all();
  }
}

} // namespace mcf2b
