// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "matcher/log_follower.h"

struct sd_journal;

namespace mcf2b::matcher {

// fail2ban's journalmatch: each line is one addjournalmatch (split as shlex does), whose
// terms "FIELD=value" are ANDed and whose "+" separates alternatives; alternatives and
// lines are ORed. The result: the alternatives, each a list of terms.
Result<std::vector<std::vector<std::string>>> parse_journal_match(std::string_view text);

// Which journal a jail reads and which entries: fail2ban's backend = systemd with its
// parameters systemd[journalpath=..., journalfiles=..., journalflags=..., namespace=...].
struct JournalSelection {
  std::string match;              // fail2ban's journalmatch syntax; empty: every entry
  std::string directory;          // journalpath: the journal files of this folder
  std::vector<std::string> files; // journalfiles: these files (globs expanded)
  std::optional<int> flags;       // journalflags; default: the system journal only
  std::string name_space;         // namespace

  // From the backend's parameters; unknown parameters are refused.
  static Result<JournalSelection> from(std::string match,
                                       const std::map<std::string, std::string> &options);
  // How the source is named in status, metrics and the store: "journal:MATCH", with the
  // parameters that select other files in brackets.
  [[nodiscard]] std::string name() const;
  bool operator==(const JournalSelection &) const = default;
};

// Follows the systemd journal through sd-journal the way fail2ban's systemd backend
// does, without losing or repeating an entry:
// - the entries the selection's match accepts, each formatted as fail2ban formats them
//   (journal_entry.h) and handed out in batches of lines, led by the entry's time;
// - the first start begins at `start_usec` (fail2ban seeks to now - findtime); a resume
//   continues after the cursor saved from cursor() (a cursor older than `start_usec`
//   starts there instead, as fail2ban takes the later of its saved time and now -
//   findtime); an entry removed meanwhile (vacuum) is not needed to find the next one;
// - new entries wake fd() (the journal's own inotify descriptor): poll it, then call
//   read_available(); files added (rotation) and removed (vacuum) are followed by
//   sd-journal itself.
// Single-threaded, like sd-journal.
class JournalFollower {
public:
  struct Options {
    size_t batch_entries = 1024;  // entries per sink call
    size_t batch_bytes = 1 << 18; // ... or bytes, whichever comes first
  };
  using Sink = std::function<void(std::string_view complete_lines)>;

  static Result<JournalFollower> open(const JournalSelection &selection,
                                      std::optional<std::string> resume_cursor, uint64_t start_usec,
                                      Options options);
  static Result<JournalFollower> open(const JournalSelection &selection,
                                      std::optional<std::string> resume_cursor,
                                      uint64_t start_usec) {
    return open(selection, std::move(resume_cursor), start_usec, Options{});
  }
  JournalFollower(JournalFollower &&) noexcept;
  JournalFollower &operator=(JournalFollower &&) noexcept;
  ~JournalFollower();

  [[nodiscard]] int fd() const { return fd_; }
  // Takes the journal's wake-up, then hands out every new entry.
  Result<uint64_t> read_available(const Sink &sink);
  // The cursor of the last entry handed out (the resumed one before any); empty when
  // none was.
  [[nodiscard]] const std::string &cursor() const { return cursor_; }
  // lines and bytes: entries and formatted bytes handed out; rotations: the journal's
  // files changed (added, removed: rotation, vacuum).
  [[nodiscard]] const FollowerCounters &counters() const { return counters_; }

private:
  struct Close {
    void operator()(sd_journal *j) const;
  };
  JournalFollower() = default;
  Status seek_start(std::optional<std::string> resume_cursor, uint64_t start_usec);

  std::unique_ptr<sd_journal, Close> journal_;
  int fd_ = -1; // owned by the journal
  Options options_;
  std::string cursor_;
  bool pending_current_ = false; // the journal stands on an entry not handed out yet
  std::string batch_;
  FollowerCounters counters_;
};

} // namespace mcf2b::matcher
