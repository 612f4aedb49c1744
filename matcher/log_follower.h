// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <time.h>

#include <array>
#include <deque>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/fd.h"
#include "base/result.h"

namespace mcf2b::matcher {

// Where reading of a log stopped: the file's identity (device and inode, and a hash of
// its first line so a recycled inode is not mistaken for the same file) and the offset
// just past the last complete line handed out. Persisted by the caller (the daemon keeps
// it in its state store, the CLI and tests in a file: FilePositionFile), given back on
// start.
struct FilePosition {
  uint64_t device = 0, inode = 0;
  uint64_t offset = 0;          // bytes of complete lines handed out
  uint64_t first_line_hash = 0; // FNV-1a of the file's first line; 0: none seen yet

  [[nodiscard]] std::string to_string() const; // "dev ino offset hash"
  static Result<FilePosition> parse(std::string_view text);
  bool operator==(const FilePosition &) const = default;
};

// A simple store of one FilePosition in a file (written atomically).
struct FilePositionFile {
  static Status save(const std::string &path, const FilePosition &position);
  static Result<std::optional<FilePosition>> load(const std::string &path);
};

// Totals over the follower's life.
struct FollowerCounters {
  uint64_t bytes = 0;           // bytes of complete lines handed out
  uint64_t lines = 0;           // complete lines handed out
  uint64_t rotations = 0;       // the path now names another file (rename, delete + create)
  uint64_t truncations = 0;     // the file was truncated or rewritten in place (copytruncate)
  uint64_t oversized_lines = 0; // lines longer than the cap, skipped whole
  uint64_t unreadable = 0;      // times the path came to name something it cannot read
};

// Follows one log file the way fail2ban's pyinotify backend does, without losing or
// repeating a line:
// - complete lines only: a partial last line waits for its newline;
// - rename + create rotation: what is still written to the old file (until the writer
//   reopens) is read, then the new file from its start (a partial line left in the old
//   file is handed out with a newline added: nothing will complete it);
// - copytruncate: a file that shrank is read again from its start;
// - deletion and re-creation, and a file that does not exist yet: picked up when it
//   appears;
// - resume: from a saved position if the file is the same; if it was rotated while we
//   were away, the rest of the rotated file (PATH.1, same inode) is read first.
// Thread model: single-threaded and event-driven. fd() is an inotify descriptor
// (watching the folder) to poll; call read_available() when it is readable and, as a
// safety net, now and then (it is cheap when idle). It never blocks on the file. After
// it returns, position() is the value to persist.
class LogFollower {
public:
  struct Options {
    bool start_at_end = false;  // without a position: skip what the file already holds
    size_t read_size = 1 << 18; // bytes per read
  };
  // What one read_available() call did.
  struct Stats {
    uint64_t bytes = 0, lines = 0;
    uint32_t rotations = 0, truncations = 0;
    // Stopped at the byte budget with more to read: call again (after serving whatever
    // else waits) rather than waiting for the next inotify event.
    bool more = false;
  };
  static constexpr uint64_t kNoBudget = UINT64_MAX;
  // Lines longer than this are skipped whole (counted): no unbounded buffering.
  static constexpr size_t kMaxLine = 1 << 20;
  // Rotated generations (PATH.1 .. PATH.5) looked at for files rotated past us unread.
  static constexpr int kGenerations = 5;
  using Sink = std::function<void(std::string_view complete_lines)>;

  static Result<LogFollower> create(std::string path, std::optional<FilePosition> resume,
                                    Options options);
  static Result<LogFollower> create(std::string path, std::optional<FilePosition> resume = {}) {
    return create(std::move(path), resume, Options{});
  }

  [[nodiscard]] int fd() const { return inotify_.get(); }
  [[nodiscard]] const std::string &path() const { return path_; }

  // Drains inotify, reads whatever is new and hands it to `sink` in newline-aligned
  // chunks of complete lines, following rotations. Where the path names something that
  // cannot be read as a log (a folder, a FIFO, a device, no permission), the error is
  // returned once for that object and the follower waits, quietly, until the path names
  // another one: a log that stays broken is reported once, not at every wake-up.
  Result<Stats> read_available(const Sink &sink) { return read_available(kNoBudget, sink); }
  // The same, reading at most about `budget` bytes in this call (a slice of a backlog, so
  // the caller's event loop serves others between slices); the budget is checked between
  // reads, so a call reads at most budget + one read's worth. `enough`, asked between
  // reads the same way, ends the slice early when it says so (its time is up, someone
  // waits): on a loaded host a byte budget alone says little about how long a slice takes.
  using Enough = std::function<bool()>;
  Result<Stats> read_available(uint64_t budget, const Sink &sink, const Enough &enough = {});

  // What the files being read still hold past the position (the current file and the
  // rotated ones queued behind it): how far behind the writer this follower is.
  [[nodiscard]] uint64_t bytes_behind() const;

  // The position after the last complete line handed out.
  [[nodiscard]] FilePosition position() const;
  [[nodiscard]] const FollowerCounters &counters() const { return counters_; }
  [[nodiscard]] bool file_open() const { return current_.has_value(); }
  // Whether the folder is watched, as of the last read_available(). A folder removed
  // (and perhaps made again) sends no further event, so callers also call
  // read_available() now and then: it notices, and watches the folder again once it is
  // back.
  [[nodiscard]] bool watching() const { return watch_ >= 0; }

private:
  struct OpenFile {
    Fd fd;
    uint64_t device = 0, inode = 0;
    uint64_t offset = 0;   // bytes read from the file
    uint64_t line_end = 0; // just past the last newline read
    uint64_t first_line_hash = 0;
  };
  LogFollower() = default;
  Status watch_folder();
  [[nodiscard]] std::string folder() const;
  // Drops the watch when the path's folder is no longer the folder watched.
  void check_folder();
  // Reads the pending inotify events; true when some of them may mean more than lines
  // appended to a file (a creation, a rename, a deletion, an attribute change, a lost
  // event), or when there were none (a call as a safety net, not on an event).
  bool drain_events();
  // Reads file `f` to its end, or until the budget is spent, handing out complete lines.
  Result<size_t> drain(OpenFile &f, const Sink &sink);
  size_t hand_out(std::string_view data, const Sink &sink);
  // Leaves the current file: a partial last line there is complete as far as it will
  // ever be, and goes out with a newline added.
  void finish_partial(const Sink &sink);
  void reset_partial();
  static Result<OpenFile> open_file(const std::string &path);
  static bool modified_since(const OpenFile &f, const timespec &t);
  void remember_finished(const OpenFile &f);
  [[nodiscard]] bool finished(const OpenFile &f) const;

  std::string path_;
  Options options_;
  Fd inotify_;
  int watch_ = -1;
  std::optional<OpenFile> current_;
  std::deque<OpenFile> queue_; // files to read after current_, oldest first
  std::string partial_;        // the incomplete last line of current_
  bool skipping_line_ = false; // inside an oversized line: drop until its newline
  FollowerCounters counters_;
  uint64_t budget_left_ = kNoBudget; // bytes this read_available() may still read
  const Enough *enough_ = nullptr;   // this read_available()'s, if any
  // One read buffer for the follower's life: allocated once, never cleared (a read
  // overwrites what it hands out), rather than a zeroed vector per drain.
  std::unique_ptr<char[]> buffer_;
  // When the folder's identity was last checked (CLOCK_MONOTONIC_COARSE, ns).
  int64_t folder_checked_ns_ = 0;
  // Set by an event that may mean the path names another file now (or by a call on no
  // event), cleared once the path was looked at: a read on appends alone skips the stat.
  bool path_may_have_changed_ = true;
  // Inodes of files read to their end and left behind, so a rotated file is never
  // read twice when PATH.1 is checked for one we skipped.
  std::array<std::pair<uint64_t, uint64_t>, 64> finished_{}; // (inode, first-line hash)
  size_t finished_next_ = 0;
  timespec opened_at_{};
  // What the path named when it last could not be opened, if anything: device, inode,
  // file type and change time (a chmod that makes it readable is a change).
  std::optional<std::array<uint64_t, 5>> refused_;
  std::pair<uint64_t, uint64_t> watched_folder_{}; // (device, inode) of the watched folder
};

// The identity hash of a file's first line (FNV-1a over at most 4 KiB up to the first
// newline); 0 while the file has no complete first line.
uint64_t first_line_hash(int fd);

} // namespace mcf2b::matcher
