// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "base/result.h"

namespace mcf2b {

// Runs the ipset mirror's writes (each an `ipset restore` child process, milliseconds to
// seconds long) on a thread of its own, in the order submitted, so they never hold up
// the daemon's loop: the kernel maps enforce at once, the mirror follows. The thread is
// created by the daemon after it entered its network namespace, so the sets it writes
// are that namespace's.
class MirrorWriter {
public:
  using Task = std::function<Status()>;

  MirrorWriter();
  ~MirrorWriter(); // finishes what was submitted, then stops
  MirrorWriter(const MirrorWriter &) = delete;
  MirrorWriter &operator=(const MirrorWriter &) = delete;

  void submit(Task task);
  // Blocks until everything submitted so far is written.
  void drain();
  [[nodiscard]] bool idle() const;
  [[nodiscard]] uint64_t errors() const { return errors_; }

private:
  void run();
  mutable std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::deque<Task> tasks_;
  bool busy_ = false, stopping_ = false;
  std::atomic<uint64_t> errors_{0};
  std::thread thread_;
};

} // namespace mcf2b
