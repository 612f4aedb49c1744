// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/store/overlapped_ban_scan.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace mcf2b {
namespace {

constexpr size_t kBatchRows = 2048;
// Batches read ahead at most: the reader waits beyond this (bounded memory).
constexpr size_t kBatchesAhead = 8;

// Rows read, in order. Its records are reused batch after batch (their strings keep
// their storage): `used` of them hold rows.
struct Batch {
  std::vector<BanRecord> rows;
  size_t used = 0;

  void add(const BanRecord &r) {
    if (used == rows.size())
      rows.push_back(r);
    else
      rows[used] = r;
    ++used;
  }
};

// Batches going from the reading thread to the taking one, and emptied ones coming back.
class BatchPipe {
public:
  // Reader: an emptied batch to fill (a new one while fewer than the bound exist).
  Batch take_empty() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !empty_.empty() || batches_ < kBatchesAhead + 1; });
    if (empty_.empty()) {
      ++batches_;
      Batch b;
      b.rows.reserve(kBatchRows);
      return b;
    }
    Batch b = std::move(empty_.back());
    empty_.pop_back();
    return b;
  }
  void put_full(Batch b) {
    std::lock_guard lock(mutex_);
    full_.push_back(std::move(b));
    changed_.notify_all();
  }
  void finish(Status status) {
    std::lock_guard lock(mutex_);
    status_ = std::move(status);
    finished_ = true;
    changed_.notify_all();
  }

  // Taker: the next full batch, or nothing once the reader finished and all were taken.
  std::optional<Batch> take_full() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !full_.empty() || finished_; });
    if (full_.empty())
      return std::nullopt;
    Batch b = std::move(full_.front());
    full_.pop_front();
    return b;
  }
  void put_empty(Batch b) {
    std::lock_guard lock(mutex_);
    b.used = 0;
    empty_.push_back(std::move(b));
    changed_.notify_all();
  }
  Status status() {
    std::lock_guard lock(mutex_);
    return status_;
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> full_;
  std::vector<Batch> empty_;
  size_t batches_ = 0;
  bool finished_ = false;
  Status status_;
};

} // namespace

Status scan_bans_overlapped(StateStore &store, const BanQuery &query,
                            const StateStore::BanSink &sink) {
  BatchPipe pipe;
  std::thread reader([&] {
    Batch batch = pipe.take_empty();
    Status st = store.scan_bans(query, [&](const BanRecord &r) {
      batch.add(r);
      if (batch.used == kBatchRows) {
        pipe.put_full(std::move(batch));
        batch = pipe.take_empty();
      }
    });
    if (batch.used > 0)
      pipe.put_full(std::move(batch));
    pipe.finish(std::move(st));
  });
  while (auto batch = pipe.take_full()) {
    for (size_t i = 0; i < batch->used; ++i)
      sink(batch->rows[i]);
    pipe.put_empty(std::move(*batch));
  }
  reader.join();
  return pipe.status();
}

} // namespace mcf2b
