// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/store_writer.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "base/fd.h"
#include "base/log.h"
#include "userspace/store/mutation_checks.h"
#include "userspace/store/mutation_codec.h"

namespace mcf2b {
namespace {

// Batches in the spill file are separated by a line holding only this (the codec
// escapes newlines inside fields, so it cannot occur in a batch).
constexpr std::string_view kBatchEnd = "--\n";

} // namespace

StoreWriter::StoreWriter(StateStore &store, Options options)
    : store_(store), options_(std::move(options)) {}

Status StoreWriter::recover() {
  if (options_.spill_path.empty() || !std::filesystem::exists(options_.spill_path))
    return {};
  std::ifstream in(options_.spill_path, std::ios::binary);
  std::vector<std::vector<Mutation>> batches;
  std::string line, batch_text;
  while (std::getline(in, line)) {
    if (line + "\n" != kBatchEnd) {
      batch_text += line + "\n";
      continue;
    }
    auto batch = decode_batch(batch_text);
    if (!batch) {
      std::string aside = options_.spill_path + ".unreadable";
      std::filesystem::rename(options_.spill_path, aside);
      return batch.error().context("store writes left by the last daemon (kept as " + aside + ")");
    }
    batches.push_back(std::move(*batch));
    batch_text.clear();
  }
  // A batch without its end line was being written when the daemon stopped: the
  // rename that publishes the file makes that impossible, except by hand.
  for (auto &b : batches) {
    pending_ += b.size();
    waiting_.push_back(std::move(b));
  }
  size_t count = pending_;
  if (!flush(0))
    return Error::msg("the store refused " + std::to_string(count) +
                      " changes the last daemon could not store; they are retried");
  log_info("stored " + std::to_string(count) + " changes the last daemon could not store");
  return {};
}

Result<StoreWriter::Outcome> StoreWriter::write(std::vector<Mutation> batch, Seconds now,
                                                std::span<const LogPosition> positions) {
  for (const auto &m : batch)
    if (auto st = check_mutation(m); !st)
      return st.error();
  if (batch.empty())
    return waiting_.empty() ? Outcome::stored : Outcome::queued;
  if (waiting_.empty()) {
    // One commit for the batch and the positions. A refused batch waits without them
    // (flush() stores it alone): a refused position cannot hold it back.
    auto st =
        positions.empty() ? store_.apply(batch) : store_.apply_with_positions(batch, positions);
    if (st)
      return Outcome::stored;
    pending_ += batch.size();
    waiting_.push_back(std::move(batch));
    failed(st.error(), now);
    return Outcome::queued;
  }
  pending_ += batch.size();
  waiting_.push_back(std::move(batch));
  while (pending_ > options_.max_pending && waiting_.size() > 1) {
    pending_ -= waiting_.front().size();
    dropped_ += waiting_.front().size();
    waiting_.pop_front();
  }
  spill();
  return Outcome::queued;
}

void StoreWriter::retry(Seconds now) {
  if (!waiting_.empty() && now >= next_retry_)
    flush(now);
}

bool StoreWriter::flush(Seconds now) {
  size_t stored = 0;
  while (!waiting_.empty()) {
    auto st = store_.apply(waiting_.front());
    if (!st) {
      failed(st.error(), now);
      return false;
    }
    stored += waiting_.front().size();
    pending_ -= waiting_.front().size();
    waiting_.pop_front();
  }
  if (backoff_ > 0)
    log_info("store: writes succeed again; " + std::to_string(stored) + " waiting changes stored");
  backoff_ = 0;
  if (!options_.spill_path.empty())
    ::unlink(options_.spill_path.c_str());
  return true;
}

void StoreWriter::failed(const Error &error, Seconds now) {
  ++failures_;
  bool first = backoff_ == 0;
  backoff_ = first ? options_.first_retry : std::min(backoff_ * 2, options_.max_retry);
  next_retry_ = now + backoff_;
  if (first)
    log_error("store: " + error.message() + "; what is enforced waits (" +
              std::to_string(pending_) + " changes) and is retried until the store takes it");
  spill();
}

void StoreWriter::spill() {
  if (options_.spill_path.empty())
    return;
  // Rewritten whole (tmp, then rename): the queue is small next to a disk, and a torn
  // append must not leave a batch half-written.
  std::string text;
  for (const auto &b : waiting_) {
    text += encode_batch(b);
    if (text.empty() || text.back() != '\n')
      text += '\n';
    text += kBatchEnd;
  }
  std::string tmp = options_.spill_path + ".tmp";
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd)
    return;
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + off, text.size() - off);
    if (n <= 0) {
      ::unlink(tmp.c_str());
      return;
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) == 0)
    ::rename(tmp.c_str(), options_.spill_path.c_str());
}

Status recover_before_reading(StoreWriter &writer, const std::function<Seconds()> &now) {
  auto recovered = writer.recover();
  if (recovered)
    return {};
  log_error(recovered.error().message());
  if (!writer.counters().failing)
    return {}; // an unreadable spill, kept aside: nothing waits
  log_info("the store is read once it has taken the changes the last daemon could not store");
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  while (writer.counters().failing) {
    timespec second{1, 0};
    int sig = ::sigtimedwait(&stop, nullptr, &second);
    if (sig == SIGTERM || sig == SIGINT)
      return Error::msg("stopped on signal " + std::to_string(sig) +
                        " while the store refused the changes the last daemon could not store"
                        " (kept for the next start)");
    writer.retry(now());
  }
  log_info("stored the changes the last daemon could not store");
  return {};
}

StoreWriter::Counters StoreWriter::counters() const {
  return {failures_, dropped_, pending_, !waiting_.empty()};
}

} // namespace mcf2b
