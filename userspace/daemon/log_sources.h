// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "matcher/failure.h"
#include "matcher/host_name_resolver.h"
#include "matcher/log_follower.h"
#include "matcher/use_dns.h"
#include "userspace/controller/jail_controller.h"
#include "userspace/model/jail_local_options.h"
#include "userspace/store/state_store.h"

namespace mcf2b {

struct LogSourceOptions {
  std::vector<std::string> filter_dirs;
  std::string cache_dir;
  std::string timezone; // empty: local time
  // fail2ban's usedns: with yes or warn, the host names of each scanned chunk are
  // resolved once the chunk's scan is over (warn logs each), through one cache shared by
  // the sources. `use_dns` is for every jail that `jail_use_dns` (jail name -> its own,
  // from its jail file) does not name. The tiers of a family count failures together, so
  // they need one usedns: where they differ, the family keeps `use_dns` and build()
  // reports it.
  matcher::UseDns use_dns = matcher::UseDns::no;
  std::map<std::string, matcher::UseDns> jail_use_dns;
  // Jail name -> where it reads beyond its row's logpath (several files, globs, the
  // journal), from the jail files.
  std::map<std::string, JailLocalOptions> jail_local_options;
  matcher::NameLookup lookup; // empty: the system resolver
  // process() reads at most about this many bytes per call: a backlog is read in slices.
  uint64_t slice_bytes = matcher::LogFollower::kNoBudget;
  // Where the sources being replaced (SIGHUP, a jail change) had read to, by path: it
  // wins over the store's, which lags while the store refuses writes; resuming from the
  // store then would count those lines' failures twice.
  std::map<std::string, matcher::FilePosition> positions;
};

// The logs the enabled jails read: one source per log file, whatever number of jails
// and filters read it (the four tiers of a service scan their file once), and one per
// journal selection (journalmatch and backend parameters) that jails with backend =
// systemd read. A jail reads its row's logpath, or its jail file's logpaths: several
// files and globs, expanded at build and again by pick_up_new_files(). Each source
// follows its file (rotation included) or the journal, scans what is new with its one
// compiled matcher, and turns matches into failures for the families whose jails use
// the matching filter. Positions (a journal's cursor) are resumed from the store and
// written back by save_positions(), which the daemon calls once the bans of the lines
// before them are stored: a restart loses no line, and repeats at most those read since
// the last save (the daemon saves within a second, and at every stop).
class LogSources {
public:
  // What failed: an address (a host prefix), or the prefix a rule captured (<SUBNET>).
  using OnFailure = std::function<void(JailFamilyId, const IpPrefix &, Seconds)>;

  // Builds sources for every enabled jail with a logpath. A jail whose filter cannot be
  // loaded is reported in `errors` (file, line, reason) and left out.
  static Result<LogSources> build(const JailController &controller, StateStore &store,
                                  const LogSourceOptions &options, std::vector<Error> &errors);
  LogSources();
  ~LogSources();
  LogSources(LogSources &&) noexcept;
  LogSources &operator=(LogSources &&) noexcept;

  [[nodiscard]] size_t size() const;
  // Each followed file's position, by path (for LogSourceOptions::positions).
  [[nodiscard]] std::map<std::string, matcher::FilePosition> file_positions() const;
  // The fd to poll for source i (readable when its file may have grown or rotated, or
  // the journal has new entries).
  [[nodiscard]] int fd(size_t i) const;
  // A file's path, or a journal source's name ("journal:MATCH").
  [[nodiscard]] const std::string &path(size_t i) const;
  // Expands the jails' globs again and adds a source for each file that appeared since
  // (read from its start); returns their indices, to poll. Call it now and then (the
  // daemon does each second).
  std::vector<size_t> pick_up_new_files();
  // Reads and scans what is new in source i, at most about options.slice_bytes (a slice
  // of a backlog), and stopping earlier when `enough` says so (asked between reads);
  // calls on_failure per failure. The position is not saved here (see
  // save_positions()). Returns the number of failures.
  Result<size_t> process(size_t i, const OnFailure &on_failure,
                         const matcher::LogFollower::Enough &enough = {});
  // Whether the last process(i) stopped at its budget with more to read.
  [[nodiscard]] bool more(size_t i) const;
  // What the last process(i) read: bytes of a file, entries of the journal.
  [[nodiscard]] uint64_t last_read(size_t i) const;
  // What source i's files hold past its position.
  [[nodiscard]] uint64_t bytes_behind(size_t i) const;
  // Told every matched line that became a failure, with its fields (the text for
  // actions' <matches> and <F-*>); the match's views are valid during the call only.
  using OnMatchedLine = std::function<void(JailFamilyId, const IpPrefix &, const matcher::Match &)>;
  void set_matched_line_observer(OnMatchedLine observer) { on_line_ = std::move(observer); }
  // Persists every source's position that moved since its last save: after the bans
  // of the lines read so far are stored, and at shutdown.
  void save_positions();
  // Whether some source read past its saved position; those positions, to be saved in
  // the store transaction of the decisions their lines led to, and positions_saved()
  // told when that transaction is committed.
  [[nodiscard]] bool positions_moved() const;
  [[nodiscard]] std::vector<LogPosition> moved_positions() const;
  // A saved position that is no longer the source's current one (saved while the source
  // read on) still counts as saved: the next save writes the newer one.
  void positions_saved(std::span<const LogPosition> saved);
  // A position the store refused: said once per source until a save works again.
  void position_failed(const std::string &path, const Error &why);
  // Enabled jails that read nothing since build(): their filter could not be found,
  // loaded or compiled, or their log not followed. Jail name -> why.
  [[nodiscard]] const std::map<std::string, std::string> &broken_jails() const { return broken_; }

  // Counters summed over the sources, for metrics.
  [[nodiscard]] matcher::MatcherCounters counters() const;
  struct PerFile {
    std::string path;
    matcher::MatcherCounters counters;
    matcher::FollowerCounters follower;
    uint64_t bytes_behind = 0;
  };
  [[nodiscard]] std::vector<PerFile> per_file() const;
  // Host name resolution (all zero unless usedns is yes or warn).
  [[nodiscard]] matcher::HostNameResolverCounters resolver_counters() const;

private:
  struct Source;
  struct Discovery;
  std::vector<std::unique_ptr<Source>> sources_;
  std::unique_ptr<Discovery> discovery_; // the globs, and what a new file needs
  std::unique_ptr<matcher::HostNameResolver> resolver_; // when some family resolves names
  OnMatchedLine on_line_;
  StateStore *store_ = nullptr;
  uint64_t slice_bytes_ = matcher::LogFollower::kNoBudget;
  std::map<std::string, std::string> broken_;
};

} // namespace mcf2b
