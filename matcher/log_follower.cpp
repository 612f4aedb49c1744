// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/log_follower.h"

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "matcher/newline_count.h"

namespace mcf2b::matcher {
namespace {

int64_t monotonic_ns(clockid_t clock) {
  timespec t{};
  ::clock_gettime(clock, &t);
  return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// Events that only say a file in the folder was written to.
constexpr uint32_t kAppendEvents = IN_MODIFY | IN_CLOSE_WRITE;
// The folder's identity is checked at least this often even while only appends come.
constexpr int64_t kFolderCheckNs = 1'000'000'000;

std::optional<struct stat> stat_path(const std::string &path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0)
    return std::nullopt;
  return st;
}

} // namespace

namespace {
bool modified_since_impl(int fd, const timespec &t) {
  struct stat st{};
  if (::fstat(fd, &st) != 0)
    return false;
  return st.st_mtim.tv_sec > t.tv_sec ||
         (st.st_mtim.tv_sec == t.tv_sec && st.st_mtim.tv_nsec >= t.tv_nsec);
}
} // namespace

bool LogFollower::modified_since(const OpenFile &f, const timespec &t) {
  return modified_since_impl(f.fd.get(), t);
}

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

uint64_t first_line_hash(int fd) {
  char buf[4096];
  ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  if (n <= 0)
    return 0;
  uint64_t h = 1469598103934665603ull;
  for (ssize_t i = 0; i < n; ++i) {
    if (buf[i] == '\n')
      return h == 0 ? 1 : h;
    h = (h ^ static_cast<unsigned char>(buf[i])) * 1099511628211ull;
  }
  // A first line longer than 4 KiB is identified by its first 4 KiB.
  return n == static_cast<ssize_t>(sizeof buf) ? (h == 0 ? 1 : h) : 0;
}

Result<LogFollower::OpenFile> LogFollower::open_file(const std::string &path) {
  OpenFile f;
  f.fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!f.fd)
    return Error::sys("open " + path);
  struct stat st{};
  if (::fstat(f.fd.get(), &st) != 0)
    return Error::sys("stat " + path);
  if (!S_ISREG(st.st_mode))
    return Error::msg(path + " is not a regular file");
  f.device = st.st_dev;
  f.inode = st.st_ino;
  f.first_line_hash = first_line_hash(f.fd.get());
  return f;
}

Result<LogFollower> LogFollower::create(std::string path, std::optional<FilePosition> resume,
                                        Options options) {
  LogFollower lf;
  lf.path_ = std::move(path);
  lf.options_ = options;
  if (lf.options_.read_size < 4096)
    lf.options_.read_size = 4096;
  // The coarse clock is the one file timestamps are taken from.
  ::clock_gettime(CLOCK_REALTIME_COARSE, &lf.opened_at_);
  lf.inotify_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!lf.inotify_)
    return Error::sys("inotify_init1");
  (void)lf.watch_folder(); // a missing folder is retried on each read

  auto file = open_file(lf.path_);
  if (!file) {
    if (file.error().code != ENOENT)
      return file.error();
    return lf; // not there yet: picked up when it appears
  }
  if (resume && resume->inode == file->inode &&
      (resume->first_line_hash == 0 || file->first_line_hash == 0 ||
       resume->first_line_hash == file->first_line_hash)) {
    struct stat st{};
    ::fstat(file->fd.get(), &st);
    // Shrunk below the saved offset while we were away: truncated, start over.
    file->offset = static_cast<uint64_t>(st.st_size) >= resume->offset ? resume->offset : 0;
    file->line_end = file->offset;
  } else if (resume && resume->inode != 0) {
    // Rotated while we were away: the rest of the old file first, if it is still there.
    auto rotated = open_file(lf.path_ + ".1");
    if (rotated && rotated->inode == resume->inode) {
      rotated->offset = resume->offset;
      rotated->line_end = resume->offset;
      lf.current_ = std::move(*rotated);
      lf.queue_.push_back(std::move(*file));
      return lf;
    }
  }
  if (!resume && options.start_at_end) {
    struct stat st{};
    if (::fstat(file->fd.get(), &st) == 0) {
      // Skip what the file already holds, to the end of its last complete line.
      file->offset = static_cast<uint64_t>(st.st_size);
      char c = '\n';
      while (file->offset > 0 &&
             ::pread(file->fd.get(), &c, 1, static_cast<off_t>(file->offset - 1)) == 1 && c != '\n')
        --file->offset;
      file->line_end = file->offset;
    }
  }
  lf.current_ = std::move(*file);
  return lf;
}

std::string LogFollower::folder() const {
  std::string dir = std::filesystem::path(path_).parent_path().string();
  return dir.empty() ? "." : dir;
}

void LogFollower::check_folder() {
  if (watch_ < 0)
    return;
  auto st = stat_path(folder());
  if (st && std::pair<uint64_t, uint64_t>{st->st_dev, st->st_ino} == watched_folder_)
    return;
  ::inotify_rm_watch(inotify_.get(), watch_);
  watch_ = -1;
}

Status LogFollower::watch_folder() {
  if (watch_ >= 0)
    return {};
  const std::string dir = folder();
  auto st = stat_path(dir);
  if (!st)
    return Error::sys("stat " + dir);
  watched_folder_ = {st->st_dev, st->st_ino};
  watch_ = ::inotify_add_watch(inotify_.get(), dir.c_str(),
                               IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                   IN_CLOSE_WRITE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF);
  if (watch_ < 0)
    return Error::sys("watch " + dir);
  return {};
}

bool LogFollower::drain_events() {
  alignas(inotify_event) char buf[16384];
  bool any = false, unusual = false;
  for (;;) {
    ssize_t n = ::read(inotify_.get(), buf, sizeof buf);
    if (n <= 0)
      break;
    any = true;
    for (char *p = buf; p < buf + n;) {
      auto *ev = reinterpret_cast<inotify_event *>(p);
      if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
        watch_ = -1; // the folder itself went away: watch it again once it is back
      if (ev->mask & ~kAppendEvents)
        unusual = true; // IN_Q_OVERFLOW included: events were lost
      p += sizeof(inotify_event) + ev->len;
    }
  }
  return unusual || !any;
}

void LogFollower::reset_partial() {
  partial_.clear();
  skipping_line_ = false;
}

size_t LogFollower::hand_out(std::string_view data, const Sink &sink) {
  // Everything up to the last newline goes out; the rest waits.
  size_t last_nl = data.rfind('\n');
  if (last_nl == std::string_view::npos) {
    if (skipping_line_)
      return 0;
    partial_.append(data);
    if (partial_.size() > kMaxLine) {
      ++counters_.oversized_lines;
      partial_.clear();
      skipping_line_ = true;
    }
    return 0;
  }
  std::string_view complete = data.substr(0, last_nl + 1);
  std::string_view rest = data.substr(last_nl + 1);
  size_t handed = 0;
  if (skipping_line_) {
    size_t nl = complete.find('\n');
    complete.remove_prefix(nl + 1);
    skipping_line_ = false;
  } else if (!partial_.empty()) {
    size_t nl = complete.find('\n');
    if (partial_.size() + nl + 1 > kMaxLine) {
      ++counters_.oversized_lines;
    } else {
      partial_.append(complete.substr(0, nl + 1));
      sink(partial_);
      handed += partial_.size();
      ++counters_.lines;
    }
    partial_.clear();
    complete.remove_prefix(nl + 1);
  }
  if (!complete.empty()) {
    sink(complete);
    handed += complete.size();
    counters_.lines += count_newlines(complete.data(), complete.size());
  }
  if (!rest.empty()) {
    partial_.assign(rest);
    if (partial_.size() > kMaxLine) {
      ++counters_.oversized_lines;
      partial_.clear();
      skipping_line_ = true;
    }
  }
  counters_.bytes += handed;
  return handed;
}

void LogFollower::finish_partial(const Sink &sink) {
  if (!partial_.empty() && !skipping_line_) {
    partial_ += '\n';
    sink(partial_);
    counters_.bytes += partial_.size();
    ++counters_.lines;
  }
  reset_partial();
}

Result<size_t> LogFollower::drain(OpenFile &f, const Sink &sink) {
  // copytruncate: the writer starts over in the same file. The file is smaller than
  // what we read, or, when it already grew past that again, its first line changed.
  struct stat st{};
  bool shrank = ::fstat(f.fd.get(), &st) == 0 && static_cast<uint64_t>(st.st_size) < f.offset;
  uint64_t hash = f.offset > 0 ? first_line_hash(f.fd.get()) : 0;
  bool replaced = f.first_line_hash != 0 && hash != 0 && hash != f.first_line_hash;
  if (shrank || replaced) {
    ++counters_.truncations;
    f.offset = 0;
    f.line_end = 0;
    f.first_line_hash = 0;
    reset_partial();
  }
  if (f.first_line_hash == 0)
    f.first_line_hash = first_line_hash(f.fd.get());
  if (!buffer_)
    buffer_ = std::make_unique_for_overwrite<char[]>(options_.read_size);
  char *buf = buffer_.get();
  size_t handed = 0;
  while (budget_left_ > 0) {
    ssize_t n = ::pread(f.fd.get(), buf, options_.read_size, static_cast<off_t>(f.offset));
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return Error::sys("read " + path_);
    }
    if (n == 0)
      break;
    budget_left_ -= std::min(budget_left_, static_cast<uint64_t>(n));
    f.offset += static_cast<uint64_t>(n);
    std::string_view chunk(buf, static_cast<size_t>(n));
    handed += hand_out(chunk, sink);
    // The resume point is just past the last newline seen (a skipped oversized line
    // included), never inside a line: a line is never cut into pieces on resume.
    if (size_t nl = chunk.rfind('\n'); nl != std::string_view::npos)
      f.line_end = f.offset - (chunk.size() - nl - 1);
    if (enough_ && *enough_ && (*enough_)())
      budget_left_ = 0; // the slice ends here: the caller calls again
    else if (static_cast<size_t>(n) < options_.read_size)
      break; // the end of the file as of now: what is written next sends an event
  }
  return handed;
}

Result<LogFollower::Stats> LogFollower::read_available(uint64_t budget, const Sink &sink,
                                                       const Enough &enough) {
  const FollowerCounters before = counters_;
  budget_left_ = budget == 0 ? 1 : budget;
  enough_ = &enough;
  auto stats = [&]() {
    Stats st;
    st.bytes = counters_.bytes - before.bytes;
    st.lines = counters_.lines - before.lines;
    st.rotations = static_cast<uint32_t>(counters_.rotations - before.rotations);
    st.truncations = static_cast<uint32_t>(counters_.truncations - before.truncations);
    st.more = budget_left_ == 0;
    return st;
  };
  // Lines appended (the common wake-up) change neither the folder nor what the path
  // names: the folder is then checked at most once a second, and the path not at all.
  if (drain_events())
    path_may_have_changed_ = true;
  if (const int64_t now = monotonic_ns(CLOCK_MONOTONIC_COARSE);
      path_may_have_changed_ || now - folder_checked_ns_ >= kFolderCheckNs) {
    folder_checked_ns_ = now;
    check_folder();
  }
  if (watch_ < 0)
    (void)watch_folder();
  for (;;) {
    if (current_) {
      auto n = drain(*current_, sink);
      if (!n)
        return n.error();
      // The budget ran out before the end of the file: nothing past it (a rotated file
      // queued, the path naming a new one) may be looked at yet.
      if (budget_left_ == 0)
        return stats();
    }
    if (!queue_.empty()) {
      // Finished a rotated file; on to the next one.
      remember_finished(*current_);
      finish_partial(sink);
      current_ = std::move(queue_.front());
      queue_.pop_front();
      continue;
    }
    if (current_ && !path_may_have_changed_)
      return stats(); // only appends since the path was last looked at
    path_may_have_changed_ = false;
    auto st = stat_path(path_);
    if (!st)
      return stats(); // gone (deleted or renamed away): keep reading the old one if any
    if (current_ && st->st_ino == current_->inode)
      return stats();
    // The path names another file: rotation, or the file appeared. The old file was read
    // to its end above; a partial last line there is complete as far as it will ever be.
    std::array<uint64_t, 5> named{st->st_dev, st->st_ino, uint64_t(st->st_mode & S_IFMT),
                                  uint64_t(st->st_ctim.tv_sec), uint64_t(st->st_ctim.tv_nsec)};
    if (refused_ == named)
      return stats(); // already reported: wait for the path to name something else
    auto next = open_file(path_);
    if (!next) {
      if (next.error().code == ENOENT)
        return stats();
      refused_ = named;
      ++counters_.unreadable;
      return next.error();
    }
    refused_.reset();
    // Rotated more than once since we last looked (or since the file first appeared
    // while we waited for it): PATH.N ... PATH.1 may hold files we never opened. Read
    // them whole, oldest first, before the new one. Only files newer than the one we
    // were reading can hold such lines: the generations from where that file now lies
    // on are older (earlier rotations, copytruncate copies) and never ours to read, even
    // for a follower that took over a position and so finished none of them itself.
    // Where that file is not among them, or there was none, a file not written since
    // the follower opened predates it.
    const bool had_file = current_.has_value();
    int older_from = kGenerations + 1; // generations from here on are older than ours
    if (had_file) {
      ++counters_.rotations;
      remember_finished(*current_);
      for (int g = 1; g <= kGenerations; ++g)
        if (auto st_g = stat_path(path_ + "." + std::to_string(g));
            st_g && st_g->st_ino == current_->inode) {
          older_from = g;
          break;
        }
    }
    for (int g = kGenerations; g >= 1; --g) {
      if (g >= older_from)
        continue;
      auto between = open_file(path_ + "." + std::to_string(g));
      if (!between || between->inode == next->inode || finished(*between))
        continue;
      if (older_from > kGenerations && !modified_since(*between, opened_at_))
        continue;
      remember_finished(*between);
      queue_.push_back(std::move(*between));
    }
    finish_partial(sink);
    if (!queue_.empty()) {
      queue_.push_back(std::move(*next));
      current_ = std::move(queue_.front());
      queue_.pop_front();
      continue;
    }
    current_ = std::move(*next);
  }
}

void LogFollower::remember_finished(const OpenFile &f) {
  finished_[finished_next_++ % finished_.size()] = {f.inode, first_line_hash(f.fd.get())};
}

bool LogFollower::finished(const OpenFile &f) const {
  // Inode numbers are recycled: the first line tells a new file from the old one.
  std::pair<uint64_t, uint64_t> id{f.inode, first_line_hash(f.fd.get())};
  return std::find(finished_.begin(), finished_.end(), id) != finished_.end();
}

uint64_t LogFollower::bytes_behind() const {
  auto left = [](const OpenFile &f) -> uint64_t {
    struct stat st{};
    if (::fstat(f.fd.get(), &st) != 0 || static_cast<uint64_t>(st.st_size) <= f.offset)
      return 0;
    return static_cast<uint64_t>(st.st_size) - f.offset;
  };
  uint64_t behind = current_ ? left(*current_) : 0;
  for (const auto &f : queue_)
    behind += left(f);
  return behind;
}

FilePosition LogFollower::position() const {
  if (!current_)
    return {};
  return {current_->device, current_->inode, current_->line_end, current_->first_line_hash};
}

} // namespace mcf2b::matcher
