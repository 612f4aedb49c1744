// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "userspace/controller/decisions.h"
#include "userspace/daemon/store_writer.h"

namespace mcf2b {

// The store's commits of decisions already enforced, on a thread of their own, so the
// event loop never waits for a transaction or its fsync (a slice of a backlog would
// otherwise hold every control request for its commit).
//
// What the loop hands over is committed in the order it was handed over, each batch's
// rows in the same transaction as the log positions past the lines that led to it (the
// StoreWriter's rule): a restart neither loses a stored ban nor re-reads a stored line.
// The maps were written before the hand-over, so a ban is enforced at once; one killed
// before its commit is still in the pinned maps, which the next daemon adopts, and its
// lines are read again (their positions were not stored either).
//
// Batches handed over within `delay` of the first waiting one are merged into one
// transaction, up to `max_mutations` rows: one fsync for many small appends, or for the
// slices of a backlog.
// through take_done(), looked at once per pass (done() says whether to), not through a
// wake-up of its own: mails go out only after their ban is stored, so a restart never
// mails a ban twice, and a little later costs nothing.
//
// Only this thread touches the StoreWriter and, through it, the store, between the
// hand-over and the end of the commit: whoever else uses the store calls settle() first
// (AfterCommitsStore does), from the loop's thread.
class StoreCommits {
public:
  struct Options {
    std::chrono::milliseconds delay{100};
    // ... or until this many rows wait: a transaction stays short (a catch-up decides
    // thousands of bans a second), so whoever settle()s waits for little.
    size_t max_mutations = 2048;
  };
  // What one commit did, for the loop's thread.
  struct Done {
    std::vector<Decisions> batches;                     // as handed over, in order
    std::vector<LogPosition> saved;                     // positions now in the store
    std::vector<std::pair<std::string, Error>> unsaved; // position path -> why not
    std::vector<Error> errors;                          // batches the store never takes
  };

  StoreCommits(StoreWriter &writer, StateStore &store, std::function<Seconds()> now,
               Options options);
  ~StoreCommits(); // commits what was handed over, then stops the thread
  StoreCommits(const StoreCommits &) = delete;
  StoreCommits &operator=(const StoreCommits &) = delete;

  // Whether take_done() has something.
  [[nodiscard]] bool done() const { return done_waiting_.load(std::memory_order_acquire); }
  // Hands over decisions (`batch`, kept for the loop; `mutations`, their rows) and the
  // log positions past their lines. Either may be empty.
  void commit(Decisions batch, std::vector<Mutation> mutations, std::vector<LogPosition> positions);
  // Asks for the writer's retry of what the store refused (the daemon's tick).
  void retry();
  // Commits what waits now, without the delay, and returns once the thread is idle.
  void settle();
  std::vector<Done> take_done();
  [[nodiscard]] StoreWriter::Counters counters() const;

private:
  struct Job {
    std::vector<Decisions> batches;
    std::vector<Mutation> mutations;
    std::vector<LogPosition> positions;
  };
  void run();
  Done commit_now(Job job, bool retry);

  StoreWriter &writer_;
  StateStore &store_;
  std::function<Seconds()> now_;
  Options options_;
  std::atomic<bool> done_waiting_{false};
  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  Job waiting_;
  bool has_job_ = false, retry_ = false, urgent_ = false, busy_ = false, stopping_ = false;
  std::deque<Done> done_;
  StoreWriter::Counters counters_;
  std::thread thread_;
};

} // namespace mcf2b
