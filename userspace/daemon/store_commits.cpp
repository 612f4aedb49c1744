// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/store_commits.h"

#include <algorithm>

namespace mcf2b {

StoreCommits::StoreCommits(StoreWriter &writer, StateStore &store, std::function<Seconds()> now,
                           Options options)
    : writer_(writer), store_(store), now_(std::move(now)), options_(options),
      counters_(writer.counters()) {
  thread_ = std::thread([this] { run(); });
}

StoreCommits::~StoreCommits() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void StoreCommits::commit(Decisions batch, std::vector<Mutation> mutations,
                          std::vector<LogPosition> positions) {
  bool idle, full;
  {
    std::lock_guard lock(mutex_);
    idle = !has_job_; // else the thread is already on its way (or in the delay)
    if (!batch.empty())
      waiting_.batches.push_back(std::move(batch));
    std::move(mutations.begin(), mutations.end(), std::back_inserter(waiting_.mutations));
    // A later position of a file replaces the earlier one: it is past it.
    for (auto &p : positions) {
      auto same = std::find_if(waiting_.positions.begin(), waiting_.positions.end(),
                               [&](const LogPosition &w) { return w.path == p.path; });
      if (same != waiting_.positions.end())
        *same = std::move(p);
      else
        waiting_.positions.push_back(std::move(p));
    }
    has_job_ = true;
    full = waiting_.mutations.size() >= options_.max_mutations;
  }
  if (idle || full)
    wake_.notify_one();
}

void StoreCommits::retry() {
  {
    std::lock_guard lock(mutex_);
    retry_ = true;
  }
  wake_.notify_one();
}

void StoreCommits::settle() {
  std::unique_lock lock(mutex_);
  urgent_ = true;
  wake_.notify_one();
  idle_.wait(lock, [&] { return !has_job_ && !retry_ && !busy_; });
  urgent_ = false;
}

std::vector<StoreCommits::Done> StoreCommits::take_done() {
  std::lock_guard lock(mutex_);
  done_waiting_.store(false, std::memory_order_release);
  std::vector<Done> out(std::make_move_iterator(done_.begin()),
                        std::make_move_iterator(done_.end()));
  done_.clear();
  return out;
}

StoreWriter::Counters StoreCommits::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void StoreCommits::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return has_job_ || retry_ || stopping_; });
    if (!has_job_ && !retry_)
      return; // stopping, nothing left
    // What comes within the delay goes into the same transaction, unless someone waits
    // or it is full.
    if (has_job_ && !urgent_ && !stopping_)
      wake_.wait_for(lock, options_.delay, [&] {
        return urgent_ || stopping_ || waiting_.mutations.size() >= options_.max_mutations;
      });
    Job job = std::exchange(waiting_, Job{});
    const bool retry = std::exchange(retry_, false);
    has_job_ = false;
    busy_ = true;
    lock.unlock();
    Done done = commit_now(std::move(job), retry);
    lock.lock();
    busy_ = false;
    counters_ = writer_.counters();
    const bool tell = !done.batches.empty() || !done.saved.empty() || !done.unsaved.empty() ||
                      !done.errors.empty();
    if (tell) {
      done_.push_back(std::move(done));
      done_waiting_.store(true, std::memory_order_release);
    }
    idle_.notify_all();
  }
}

StoreCommits::Done StoreCommits::commit_now(Job job, bool retry) {
  Done done;
  done.batches = std::move(job.batches);
  const Seconds now = now_();
  if (retry)
    writer_.retry(now);
  bool positions_stored = false;
  if (!job.mutations.empty()) {
    auto written = writer_.write(std::move(job.mutations), now, job.positions);
    if (!written)
      done.errors.push_back(written.error());
    else if (*written == StoreWriter::Outcome::stored)
      positions_stored = true;
  }
  if (positions_stored) {
    done.saved = std::move(job.positions);
    return done;
  }
  // Stored alone once the batch is stored or queued (the writer's spill keeps it): a
  // refused position cannot hold the batch back.
  for (auto &p : job.positions) {
    if (auto st = store_.set_position(p); !st)
      done.unsaved.emplace_back(p.path, st.error());
    else
      done.saved.push_back(std::move(p));
  }
  return done;
}

} // namespace mcf2b
