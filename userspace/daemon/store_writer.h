// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/seconds.h"
#include "userspace/store/state_store.h"

namespace mcf2b {

// The daemon's rule between enforcement and the store: what is enforced is stored, or
// waits here, in order, until the store takes it.
//
// The daemon enforces first (the kernel must not wait for a disk) and writes after.
// When the store refuses a write (disk full, an unwritable WAL, a vanished file, an
// unreachable master), the batch is kept, every later batch queues behind it (an unban
// must never overtake the ban it lifts), and the queue is retried with back-off until the
// store takes it. The queue is also written to a spill file, normally on the run folder
// (a tmpfs: it does not share the store's full disk and outlives a daemon restart), and
// a daemon that finds one stores it before reading the store. Bans the spill could not
// keep are still in the pinned kernel maps, which the daemon adopts at start.
//
// One log line per change of state (failing, recovered), never one per write.
class StoreWriter {
public:
  struct Options {
    std::string spill_path;       // empty: the queue is kept in memory only
    size_t max_pending = 1 << 20; // mutations kept at most; beyond, the oldest are dropped
    Seconds first_retry = 1;
    Seconds max_retry = 60;
  };
  StoreWriter(StateStore &store, Options options);

  // Stores what a previous daemon left in the spill file; the file is removed once the
  // store has it. A spill that cannot be read is kept aside (renamed) and reported.
  Status recover();

  enum class Outcome { stored, queued };
  // Stores `batch` after whatever still waits; when the store refuses, it waits too. A
  // batch the store could never take (a value out of its columns' range) is an error
  // and is not kept: retrying it would block everything behind it. `positions` (the log
  // positions past the lines the batch came from) are saved in its transaction when it
  // is stored at once (Outcome::stored), and not at all when it waits.
  Result<Outcome> write(std::vector<Mutation> batch, Seconds now,
                        std::span<const LogPosition> positions = {});
  // Retries the waiting batches when their time has come (the daemon's tick).
  void retry(Seconds now);

  struct Counters {
    uint64_t failures = 0; // store writes that failed
    uint64_t dropped = 0;  // mutations dropped because the queue was full
    size_t pending = 0;    // mutations waiting for the store
    bool failing = false;
  };
  [[nodiscard]] Counters counters() const;

private:
  bool flush(Seconds now);
  void failed(const Error &error, Seconds now);
  void spill();

  StateStore &store_;
  Options options_;
  std::deque<std::vector<Mutation>> waiting_;
  size_t pending_ = 0;
  uint64_t failures_ = 0, dropped_ = 0;
  Seconds next_retry_ = 0, backoff_ = 0;
};

// StoreWriter::recover(), and when the store refuses what the last daemon left, its
// retries (with the writer's back-off) until the store takes it, or until SIGTERM or
// SIGINT, which the caller has blocked. Read without those changes, the store would undo
// them: an unban or a whitelist entry waiting there would be enforced back from the
// older row, and stay so once the store takes it. The pinned program enforces meanwhile.
Status recover_before_reading(StoreWriter &writer, const std::function<Seconds()> &now);

} // namespace mcf2b
