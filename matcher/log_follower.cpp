// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/log_follower.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace mcf2b::matcher {
namespace {

constexpr uint64_t kFnvOffset = 1469598103934665603ull;
uint64_t fnv1a(const char *p, size_t n, uint64_t h = kFnvOffset) {
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 1099511628211ull;
  }
  return h;
}

std::string dir_of(const std::string &path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

std::string FilePosition::to_string() const {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %016" PRIx64, device, inode,
                offset, first_line_hash);
  return buf;
}

Result<FilePosition> FilePosition::parse(std::string_view text) {
  FilePosition p;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNx64, &p.device, &p.inode,
                  &p.offset, &p.first_line_hash) != 4)
    return Error::msg("not a file position: '" + s + "'");
  return p;
}

Status FilePositionFile::save(const std::string &path, const FilePosition &position) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << position.to_string() << "\n";
    if (!out.flush())
      return Error::sys("cannot write " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return Error::sys("cannot rename " + tmp + " to " + path);
  return {};
}

Result<std::optional<FilePosition>> FilePositionFile::load(const std::string &path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT)
      return std::optional<FilePosition>{};
    return Error::sys("cannot read " + path);
  }
  std::string line;
  std::getline(in, line);
  auto p = FilePosition::parse(line);
  if (!p)
    return p.error().context(path);
  return std::optional<FilePosition>{*p};
}

Result<LogFollower> LogFollower::create(std::string path, std::optional<FilePosition> resume,
                                        Options options) {
  LogFollower f;
  f.path_ = std::move(path);
  f.options_ = options;
  f.inotify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!f.inotify_)
    return Error::sys("inotify_init1");
  std::string dir = dir_of(f.path_);
  if (::inotify_add_watch(f.inotify_.get(), dir.c_str(),
                          IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                              IN_CLOSE_WRITE | IN_ATTRIB) < 0)
    return Error::sys("cannot watch " + dir);
  f.pending_resume_ = resume;
  // A missing file is not an error: it is picked up when it appears.
  if (auto s = f.open_current(!options.start_at_end); !s)
    return s.error();
  return f;
}

uint64_t LogFollower::hash_first_line(int fd) const {
  char buf[4096];
  uint64_t h = kFnvOffset;
  off_t pos = 0;
  for (int rounds = 0; rounds < 16; ++rounds) { // first lines longer than 64 KiB: prefix
    ssize_t n = ::pread(fd, buf, sizeof buf, pos);
    if (n <= 0)
      return 0; // no complete first line yet
    const void *nl = std::memchr(buf, '\n', static_cast<size_t>(n));
    if (nl) {
      size_t len = static_cast<size_t>(static_cast<const char *>(nl) - buf) + 1;
      return fnv1a(buf, len, h);
    }
    h = fnv1a(buf, static_cast<size_t>(n), h);
    pos += n;
  }
  return h;
}

Status LogFollower::open_current(bool from_start) {
  Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    if (errno == ENOENT)
      return {};
    return Error::sys("cannot open " + path_);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return Error::sys("cannot stat " + path_);
  file_ = std::move(fd);
  device_ = static_cast<uint64_t>(st.st_dev);
  inode_ = static_cast<uint64_t>(st.st_ino);
  partial_.clear();
  first_hash_ = hash_first_line(file_.get());
  offset_ = from_start ? 0 : static_cast<uint64_t>(st.st_size);
  if (pending_resume_) {
    const FilePosition &p = *pending_resume_;
    // Same file, not shorter, same first line: continue where we stopped.
    if (p.device == device_ && p.inode == inode_ && p.offset <= static_cast<uint64_t>(st.st_size) &&
        (p.first_line_hash == 0 || p.first_line_hash == first_hash_))
      offset_ = p.offset;
    else
      offset_ = 0; // rotated or rewritten while we were away: the file is new to us
    pending_resume_.reset();
  }
  read_pos_ = offset_;
  return {};
}

void LogFollower::flush_partial(const Sink &sink, Stats &stats) {
  if (partial_.empty())
    return;
  partial_ += '\n';
  sink(partial_);
  stats.lines += 1;
  stats.bytes += partial_.size();
  partial_.clear();
}

Status LogFollower::read_to_end(const Sink &sink, Stats &stats) {
  if (!file_)
    return {};
  for (;;) {
    // New data is appended after the partial line, so one batch is always whole lines.
    buffer_.assign(partial_);
    size_t keep = buffer_.size();
    buffer_.resize(keep + options_.read_size);
    ssize_t n = ::pread(file_.get(), buffer_.data() + keep, options_.read_size,
                        static_cast<off_t>(read_pos_));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("cannot read " + path_);
    }
    if (n == 0)
      return {};
    read_pos_ += static_cast<uint64_t>(n);
    buffer_.resize(keep + static_cast<size_t>(n));
    const void *last = memrchr(buffer_.data(), '\n', buffer_.size());
    if (!last) {
      partial_ = buffer_;
      continue;
    }
    size_t complete = static_cast<size_t>(static_cast<const char *>(last) - buffer_.data()) + 1;
    std::string_view lines(buffer_.data(), complete);
    if (offset_ == 0 && first_hash_ == 0)
      first_hash_ = hash_first_line(file_.get());
    sink(lines);
    stats.bytes += complete;
    for (char c : lines)
      stats.lines += c == '\n';
    offset_ += complete;
    partial_.assign(buffer_.data() + complete, buffer_.size() - complete);
  }
}

Result<LogFollower::Stats> LogFollower::read_available(const Sink &sink) {
  Stats stats;
  // Drain the events: they only say "look again".
  alignas(struct inotify_event) char events[8192];
  while (::read(inotify_.get(), events, sizeof events) > 0) {
  }
  for (int guard = 0; guard < 8; ++guard) {
    if (file_) {
      // Truncated in place (copytruncate) or rewritten: checked before reading, as the
      // file may have grown past our offset again since.
      struct stat open_st {};
      if (::fstat(file_.get(), &open_st) != 0)
        return Error::sys("cannot stat " + path_);
      uint64_t hash_now = hash_first_line(file_.get());
      if (static_cast<uint64_t>(open_st.st_size) < read_pos_ ||
          (first_hash_ != 0 && hash_now != first_hash_)) {
        partial_.clear();
        offset_ = read_pos_ = 0;
        ++stats.truncations;
      }
      first_hash_ = hash_now;
    }
    if (auto s = read_to_end(sink, stats); !s)
      return s.error();
    struct stat st {};
    bool exists = ::stat(path_.c_str(), &st) == 0;
    if (!file_) {
      if (!exists)
        return stats;
      // The file appeared: everything in it is new.
      if (auto s = open_current(true); !s)
        return s.error();
      continue;
    }
    if (exists && (static_cast<uint64_t>(st.st_ino) != inode_ ||
                   static_cast<uint64_t>(st.st_dev) != device_)) {
      // Rotated (renamed or deleted, then re-created): the old file is finished.
      flush_partial(sink, stats);
      ++stats.rotations;
      if (auto s = open_current(true); !s)
        return s.error();
      continue;
    }
    return stats;
  }
  return stats;
}

FilePosition LogFollower::position() const {
  FilePosition p;
  p.device = device_;
  p.inode = inode_;
  p.offset = offset_;
  p.first_line_hash = first_hash_;
  return p;
}

} // namespace mcf2b::matcher
