// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "userspace/notify/ban_notice.h"

namespace mcf2b {

// The durable queue of ban notices waiting for their mail: one file per notice in a
// spool folder, written atomically (a temporary file, fsync, rename, fsync of the
// folder), so what add() accepted survives a kill -9 or a power cut, and a half-written
// file is never read. A notice leaves the spool (its file removed) only once the relay
// accepted the mail that lists it: nothing promised is lost, nothing is sent again after
// a successful send (a crash between the relay's answer and the removal sends it again:
// at least once, never zero times).
//
// Bounded: beyond `max_notices` the oldest notice is dropped (its file removed) and
// counted. Files are named by a sequence number, so the order survives a restart.
// Not thread-safe: the mailer's worker owns it.
class NoticeSpool {
public:
  // Creates the folder (0700) when missing, removes leftover temporary files, and loads
  // every notice in it. A file that does not parse is moved aside (NAME.bad) and counted.
  static Result<NoticeSpool> open(const std::string &dir, size_t max_notices);

  // Stores `notices` durably, in order (one folder fsync for the lot). Returns how many
  // older notices were dropped to stay within the bound.
  Result<size_t> add(const std::vector<BanNotice> &notices);
  // Removes the notices `ids` names (after their mail was accepted).
  Status remove(const std::vector<uint64_t> &ids);
  // Drops them for good (counted as dropped: a mail that can never be sent).
  void drop(const std::vector<uint64_t> &ids);

  // The notices waiting, by id (the order they came in).
  [[nodiscard]] const std::map<uint64_t, BanNotice> &pending() const { return pending_; }
  [[nodiscard]] size_t size() const { return pending_.size(); }
  [[nodiscard]] uint64_t dropped() const { return dropped_; }
  [[nodiscard]] uint64_t unreadable() const { return unreadable_; }
  [[nodiscard]] const std::string &dir() const { return dir_; }

private:
  NoticeSpool(std::string dir, size_t max) : dir_(std::move(dir)), max_(max) {}
  [[nodiscard]] std::string path_of(uint64_t id) const;
  Status write_one(uint64_t id, const BanNotice &notice);

  std::string dir_;
  size_t max_;
  uint64_t next_id_ = 1;
  uint64_t dropped_ = 0, unreadable_ = 0;
  std::map<uint64_t, BanNotice> pending_;
};

} // namespace mcf2b
