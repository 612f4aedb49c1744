// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/fd.h"
#include "base/result.h"

namespace mcf2b::matcher {

// Where reading of a log stopped: persisted by the caller (the daemon keeps it in its
// state store, the CLI and tests in a file, see FilePositionFile), given back on start.
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

// Follows one log file by path, with inotify on its folder, through every rotation:
// rename + create (the rest of the old file is read first), copytruncate (a smaller
// size or a different first line restarts at 0), delete + re-create, and a file that
// does not exist yet. Only complete lines are handed out; a partial last line waits
// for its newline (a partial line left in a file that was rotated away is handed out
// with a newline added, as nothing will complete it). Each batch is newline-aligned.
//
// Thread model: single-threaded and event-driven. Put fd() in the caller's poll/epoll
// set; when it is readable (or on a timer, or at start), call read_available(). It never
// blocks on the file. After it returns, position() is the value to persist.
class LogFollower {
public:
  struct Options {
    bool start_at_end = false;  // without a position: skip what the file already holds
    size_t read_size = 1 << 20; // bytes per read()
  };
  struct Stats {
    uint64_t bytes = 0, lines = 0;
    uint32_t rotations = 0, truncations = 0;
  };
  using Sink = std::function<void(std::string_view lines)>;

  static Result<LogFollower> create(std::string path, std::optional<FilePosition> resume,
                                    Options options);
  static Result<LogFollower> create(std::string path, std::optional<FilePosition> resume) {
    return create(std::move(path), resume, Options{});
  }
  LogFollower(LogFollower &&) noexcept = default;
  LogFollower &operator=(LogFollower &&) noexcept = default;

  // Readable when the folder of the log changed.
  [[nodiscard]] int fd() const { return inotify_.get(); }
  // Drains inotify, reads all complete lines available now, follows rotations.
  Result<Stats> read_available(const Sink &sink);
  [[nodiscard]] FilePosition position() const;
  [[nodiscard]] const std::string &path() const { return path_; }
  [[nodiscard]] bool file_open() const { return file_.valid(); }

private:
  LogFollower() = default;
  Status open_current(bool from_start);
  Status read_to_end(const Sink &sink, Stats &stats);
  void flush_partial(const Sink &sink, Stats &stats);
  uint64_t hash_first_line(int fd) const;

  std::string path_;
  Options options_;
  Fd inotify_;
  Fd file_;
  uint64_t device_ = 0, inode_ = 0;
  uint64_t offset_ = 0;    // complete lines handed out
  uint64_t read_pos_ = 0;  // bytes read (offset_ + partial_.size())
  uint64_t first_hash_ = 0;
  std::string partial_;
  std::string buffer_;
  std::optional<FilePosition> pending_resume_;
};

} // namespace mcf2b::matcher
