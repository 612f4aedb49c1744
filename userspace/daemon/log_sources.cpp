// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/log_sources.h"

#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <optional>
#include <set>
#include <utility>

#include "base/log.h"
#include "matcher/deferred_host_names.h"
#include "matcher/filter_definition.h"
#include "matcher/journal_follower.h"
#include "matcher/log_follower.h"
#include "matcher/log_matcher.h"

namespace mcf2b {
namespace {

bool is_glob(const std::string &pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

// The files a glob names now, sorted (glob(3), as fail2ban's glob.glob).
std::vector<std::string> expand(const std::string &pattern) {
  std::vector<std::string> files;
  glob_t g{};
  if (::glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      struct stat st {};
      if (::stat(g.gl_pathv[i], &st) == 0 && !S_ISDIR(st.st_mode))
        files.emplace_back(g.gl_pathv[i]);
    }
  ::globfree(&g);
  return files;
}

// The filter a journal jail reads with: fail2ban's FilterReader.applyAutoOptions gives
// it logtype = journal (the stock filters' short prefix line) unless the jail set one.
// The filter a jail reads, and the key it is loaded and shared under. The jail's filter
// line; for a journal jail, fail2ban's logtype=journal (FilterReader.applyAutoOptions);
// and the filter options fail2ban takes from the jail section (FilterSpec::
// add_jail_options). Such a filter is the jail's own: its key names the jail.
struct JailFilter {
  std::string key;
  std::optional<matcher::FilterSpec> own; // set when the jail's options change the filter
};
JailFilter jail_filter(const std::string &line, const std::string &jail,
                       const JailLocalOptions &local, bool journal,
                       const matcher::FilterSearchPath &search) {
  auto parsed = matcher::FilterSpec::parse(line);
  if (!parsed)
    return {line, std::nullopt}; // loading it says what is wrong
  std::string key = line;
  if (journal && matcher::takes_journal_logtype(*parsed, search)) {
    parsed->params["logtype"] = "journal";
    key = parsed->to_string();
  }
  if (local.filter_options.empty())
    return {key, std::nullopt};
  std::string taken;
  for (const auto &[option, value] : local.filter_options)
    taken += (taken.empty() ? "" : ", ") + option;
  parsed->add_jail_options(local.filter_options);
  return {key + " with [" + jail + "]'s " + taken, std::move(*parsed)};
}

Result<matcher::FilterDefinition> load_jail_filter(const JailFilter &filter,
                                                   const matcher::FilterSearchPath &search) {
  if (!filter.own)
    return matcher::load_filter(filter.key, search);
  auto def = matcher::load_filter(*filter.own, search);
  if (def)
    def->name = filter.key;
  return def;
}

// Reads of 128 KiB (about a millisecond of the daemon's CPU): a slice ends between two
// reads, so this is how long a control request that arrives mid-slice waits at most.
matcher::LogFollower::Options follower_options() {
  matcher::LogFollower::Options o;
  o.read_size = 1 << 17;
  return o;
}

bool exists(const std::string &path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

} // namespace

// A family that takes the failures of one of a source's filters, and its usedns.
struct Reader {
  JailFamilyId family;
  matcher::UseDns use_dns;
};

struct LogSources::Source {
  std::string path; // a file's path, or a journal source's name
  matcher::LogMatcher matcher;
  std::optional<matcher::LogFollower> file;
  std::optional<matcher::JournalFollower> journal;
  std::vector<std::vector<Reader>> readers; // by filter index in the matcher
  matcher::FilePosition saved;
  std::string saved_cursor;
  bool more = false; // the last process() stopped at its budget
  uint64_t last_read = 0; // what the last process() read: bytes, or journal entries
  bool position_failing = false; // said once when saving starts and stops failing

  [[nodiscard]] int fd() const { return file ? file->fd() : journal->fd(); }
  [[nodiscard]] const matcher::FollowerCounters &follower_counters() const {
    return file ? file->counters() : journal->counters();
  }
  // Whether some reader of filter `f` resolves host names; whether one also logs them.
  [[nodiscard]] bool resolves_names(uint32_t f) const {
    return any_reader(f, [](matcher::UseDns m) { return matcher::resolves_names(m); });
  }
  [[nodiscard]] bool warns(uint32_t f) const {
    return any_reader(f, [](matcher::UseDns m) { return m == matcher::UseDns::warn; });
  }

private:
  template <class Test> bool any_reader(uint32_t f, Test test) const {
    return f < readers.size() && std::any_of(readers[f].begin(), readers[f].end(),
                                             [&](const Reader &r) { return test(r.use_dns); });
  }
};

// Who reads a log: filter spec -> families, and the jails behind them.
struct LogReaders {
  std::map<std::string, std::set<JailFamilyId>> families;
  std::map<std::string, std::vector<std::string>> jails;
  void add(const std::string &spec, JailFamilyId family, const std::string &jail) {
    families[spec].insert(family);
    auto &names = jails[spec];
    if (std::find(names.begin(), names.end(), jail) == names.end())
      names.push_back(jail);
  }
  void merge(const LogReaders &other) {
    for (const auto &[spec, fams] : other.families)
      families[spec].insert(fams.begin(), fams.end());
    for (const auto &[spec, names] : other.jails)
      for (const auto &n : names)
        if (std::find(jails[spec].begin(), jails[spec].end(), n) == jails[spec].end())
          jails[spec].push_back(n);
  }
};

// What pick_up_new_files() needs: the globs and who reads them, the loaded filters and
// how to compile them.
struct LogSources::Discovery {
  std::map<std::string, LogReaders> globs;
  std::map<std::string, matcher::FilterDefinition> definitions; // by spec
  std::map<JailFamilyId, matcher::UseDns> family_dns;
  matcher::MatcherOptions options;
  std::set<std::string> refused; // new files that could not be followed (said once)
};

LogSources::LogSources() = default;
LogSources::~LogSources() = default;
LogSources::LogSources(LogSources &&) noexcept = default;
LogSources &LogSources::operator=(LogSources &&) noexcept = default;

namespace {

// A source's filters and their readers, from the loaded definitions.
struct Compiled {
  std::vector<matcher::FilterDefinition> definitions;
  std::vector<std::vector<Reader>> readers;
};
Compiled filters_of(const LogReaders &readers,
                    const std::map<std::string, matcher::FilterDefinition> &definitions,
                    const std::map<JailFamilyId, matcher::UseDns> &family_dns) {
  Compiled c;
  for (const auto &[spec, fams] : readers.families) {
    auto def = definitions.find(spec);
    if (def == definitions.end())
      continue; // not loaded: reported at build
    c.definitions.push_back(def->second);
    auto &of_filter = c.readers.emplace_back();
    for (JailFamilyId family : fams)
      of_filter.push_back({family, family_dns.at(family)});
  }
  return c;
}

} // namespace

Result<LogSources> LogSources::build(const JailController &controller, StateStore &store,
                                     const LogSourceOptions &options, std::vector<Error> &errors) {
  matcher::FilterSearchPath search;
  search.dirs = options.filter_dirs;
  auto discovery = std::make_unique<Discovery>();
  std::map<std::string, Result<matcher::FilterDefinition>> loaded; // by spec
  // Log file path or journal source name -> who reads it.
  std::map<std::string, LogReaders> plan;
  std::map<std::string, matcher::JournalSelection> journals; // by source name
  std::map<std::string, Seconds> journal_findtime;           // the longest of its jails
  std::map<std::string, std::string> unfound;                // jail -> globs naming nothing
  // Each family's usedns, and the jail it was first read from.
  struct FamilyUseDns {
    matcher::UseDns mode;
    std::string jail;
    bool conflict = false;
  };
  std::map<JailFamilyId, FamilyUseDns> family_dns;
  LogSources out;
  out.store_ = &store;
  out.slice_bytes_ = options.slice_bytes;

  for (const auto &j : controller.jails()) {
    if (!j.enabled || j.filter.empty())
      continue;
    auto local_it = options.jail_local_options.find(j.name);
    const JailLocalOptions local =
        local_it != options.jail_local_options.end() ? local_it->second : JailLocalOptions{};
    std::vector<std::string> patterns = local.logpaths;
    if (patterns.empty() && !j.logpath.empty())
      patterns.push_back(j.logpath);
    if (patterns.empty() && local.backend == JailLocalOptions::Backend::file)
      continue; // nothing to read: the jail only enforces its bans
    auto family = controller.family(jail_family(j.name));
    if (!family) {
      errors.push_back(family.error().context("jail " + j.name));
      continue;
    }
    const JailFilter filter = jail_filter(j.filter, j.name, local, false, search);
    auto [def, first_load] = loaded.try_emplace(filter.key, Error::msg(""));
    if (first_load)
      def->second = load_jail_filter(filter, search);
    if (!def->second) {
      const std::string where = patterns.empty() ? std::string("jail ") + j.name : patterns.front();
      Error why = def->second.error().context("filter " + filter.key + " for " + where);
      errors.push_back(why);
      out.broken_.emplace(j.name, why.message());
      continue;
    }
    auto own = options.jail_use_dns.find(j.name);
    matcher::UseDns mode = own != options.jail_use_dns.end() ? own->second : options.use_dns;
    auto [known, first] = family_dns.try_emplace(*family, FamilyUseDns{mode, j.name});
    if (!first && known->second.mode != mode && !known->second.conflict) {
      known->second.conflict = true;
      errors.push_back(Error::msg(
          "jail " + j.name + ": usedns = " + std::string(matcher::to_string(mode)) + ", but jail " +
          known->second.jail + " of the same family has " +
          std::string(matcher::to_string(known->second.mode)) +
          ": the tiers of a family count failures together and need one usedns; the family "
          "keeps [mcf2bd] usedns = " +
          std::string(matcher::to_string(options.use_dns))));
    }

    // fail2ban's backend choice: auto reads the journal when none of the files exists
    // and there is a journalmatch.
    const std::string journal_match =
        !local.journal_match.empty() ? local.journal_match : def->second->journalmatch;
    bool use_journal = local.backend == JailLocalOptions::Backend::systemd;
    if (local.backend == JailLocalOptions::Backend::auto_detect && !journal_match.empty())
      use_journal = std::none_of(patterns.begin(), patterns.end(), [](const std::string &p) {
        return is_glob(p) ? !expand(p).empty() : exists(p);
      });
    if (use_journal) {
      auto selection = matcher::JournalSelection::from(journal_match, local.journal_options);
      if (!selection) {
        Error why = selection.error().context("jail " + j.name + ": the journal");
        errors.push_back(why);
        out.broken_.emplace(j.name, why.message());
        continue;
      }
      const JailFilter journal_filter = jail_filter(j.filter, j.name, local, true, search);
      const std::string &spec = journal_filter.key;
      auto [journal_def, first_journal_load] = loaded.try_emplace(spec, Error::msg(""));
      if (first_journal_load)
        journal_def->second = load_jail_filter(journal_filter, search);
      if (!journal_def->second) {
        Error why = journal_def->second.error().context("filter " + spec + " for jail " + j.name);
        errors.push_back(why);
        out.broken_.emplace(j.name, why.message());
        continue;
      }
      const std::string name = selection->name();
      journals.emplace(name, *selection);
      journal_findtime[name] = std::max(journal_findtime[name], j.findtime);
      plan[name].add(spec, *family, j.name);
      continue;
    }
    bool reads_something = false;
    std::string globs;
    for (const auto &pattern : patterns) {
      if (!is_glob(pattern)) {
        plan[pattern].add(filter.key, *family, j.name);
        reads_something = true;
        continue;
      }
      discovery->globs[pattern].add(filter.key, *family, j.name);
      for (const auto &file : expand(pattern)) {
        plan[file].add(filter.key, *family, j.name);
        reads_something = true;
      }
      globs += (globs.empty() ? "" : ", ") + pattern;
    }
    if (!reads_something)
      unfound[j.name] = globs;
  }
  for (auto &[family, dns] : family_dns)
    discovery->family_dns[family] = dns.conflict ? options.use_dns : dns.mode;
  for (auto &[spec, def] : loaded)
    if (def)
      discovery->definitions.emplace(spec, *def);
  for (const auto &[jail, globs] : unfound)
    out.broken_.emplace(jail, "no file matches " + globs + " yet (looked for every second)");

  matcher::MatcherOptions &mo = discovery->options;
  mo.cache_dir = options.cache_dir;
  auto zone = matcher::TimeZone::load(options.timezone.empty() ? "local" : options.timezone);
  if (!zone)
    return zone.error().context("log time zone");
  mo.zone = *zone;

  // A jail that reads nothing is broken: said in status and metrics, not only logged.
  auto broken = [&](const LogReaders &readers, const Error &why) {
    for (const auto &[spec, jails] : readers.jails)
      for (const auto &jail : jails)
        out.broken_.emplace(jail, why.message());
  };
  if (std::any_of(family_dns.begin(), family_dns.end(),
                  [](const auto &f) { return matcher::resolves_names(f.second.mode); }))
    out.resolver_ = std::make_unique<matcher::HostNameResolver>(
        options.lookup ? options.lookup : matcher::system_name_lookup());
  const Seconds now = static_cast<Seconds>(::time(nullptr));
  for (const auto &[path, readers] : plan) {
    Compiled c = filters_of(readers, discovery->definitions, discovery->family_dns);
    if (c.definitions.empty())
      continue;
    auto journal = journals.find(path);
    matcher::MatcherOptions source_options = mo;
    source_options.judge.journal_entries = journal != journals.end();
    auto m = matcher::LogMatcher::create(std::move(c.definitions), source_options);
    if (!m) {
      errors.push_back(m.error().context("compile the filters of " + path));
      broken(readers, errors.back());
      continue;
    }
    auto stored = store.get_position(path);
    const LogPosition *pos = stored && *stored ? &**stored : nullptr;
    Source source{path, std::move(*m), std::nullopt, std::nullopt, std::move(c.readers), {},
                  {},   false};
    if (journal != journals.end()) {
      std::optional<std::string> cursor;
      if (pos && !pos->journal_cursor.empty())
        cursor = source.saved_cursor = pos->journal_cursor;
      // fail2ban starts a journal jail at now - findtime, or later where it stopped.
      const Seconds since = now - journal_findtime[path];
      auto follower = matcher::JournalFollower::open(
          journal->second, cursor, since > 0 ? static_cast<uint64_t>(since) * 1000000 : 0);
      if (!follower) {
        errors.push_back(follower.error().context("follow " + path));
        broken(readers, errors.back());
        continue;
      }
      source.journal.emplace(std::move(*follower));
    } else {
      std::optional<matcher::FilePosition> resume;
      if (pos)
        resume = matcher::FilePosition{0, pos->inode, pos->offset, pos->first_line_hash};
      // Saved as the store has it, so the first batch writes a newer position back.
      source.saved = resume.value_or(matcher::FilePosition{});
      if (auto known = options.positions.find(path);
          known != options.positions.end() && known->second.inode != 0)
        resume = known->second;
      auto follower = matcher::LogFollower::create(path, resume, follower_options());
      if (!follower) {
        errors.push_back(follower.error().context("follow " + path));
        broken(readers, errors.back());
        continue;
      }
      source.file.emplace(std::move(*follower));
    }
    out.sources_.push_back(std::make_unique<Source>(std::move(source)));
  }
  out.discovery_ = std::move(discovery);
  return out;
}

std::vector<size_t> LogSources::pick_up_new_files() {
  std::vector<size_t> added;
  if (!discovery_ || discovery_->globs.empty())
    return added;
  std::set<std::string> followed;
  std::set<std::pair<uint64_t, uint64_t>> followed_files; // (device, inode) being read
  for (const auto &s : sources_) {
    followed.insert(s->path);
    if (s->file && s->file->file_open()) {
      auto p = s->file->position();
      followed_files.emplace(p.device, p.inode);
    }
  }
  std::map<std::string, LogReaders> appeared;
  for (const auto &[pattern, readers] : discovery_->globs)
    for (const auto &file : expand(pattern))
      if (!followed.count(file) && !discovery_->refused.count(file))
        appeared[file].merge(readers);
  for (const auto &[path, readers] : appeared) {
    Compiled c = filters_of(readers, discovery_->definitions, discovery_->family_dns);
    auto refuse = [&, &path = path](const Error &why) {
      discovery_->refused.insert(path);
      log_warning(why.message());
    };
    if (c.definitions.empty())
      continue;
    auto m = matcher::LogMatcher::create(std::move(c.definitions), discovery_->options);
    if (!m) {
      refuse(m.error().context("compile the filters of " + path));
      continue;
    }
    std::optional<matcher::FilePosition> resume;
    if (store_)
      if (auto pos = store_->get_position(path); pos && *pos)
        resume = matcher::FilePosition{0, (*pos)->inode, (*pos)->offset, (*pos)->first_line_hash};
    matcher::LogFollower::Options fo = follower_options();
    // A file that is one already read under another name (a rotated copy a glob also
    // names) is taken from its end: its lines were counted.
    struct stat st {};
    fo.start_at_end =
        !resume && ::stat(path.c_str(), &st) == 0 &&
        followed_files.count({static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)});
    auto follower = matcher::LogFollower::create(path, resume, fo);
    if (!follower) {
      refuse(follower.error().context("follow " + path));
      continue;
    }
    Source source{path, std::move(*m), std::nullopt, std::nullopt, std::move(c.readers), {},
                  {},   false};
    source.saved = resume.value_or(matcher::FilePosition{});
    source.file.emplace(std::move(*follower));
    sources_.push_back(std::make_unique<Source>(std::move(source)));
    added.push_back(sources_.size() - 1);
    for (const auto &[spec, jails] : readers.jails)
      for (const auto &jail : jails)
        if (auto b = broken_.find(jail); b != broken_.end() && b->second.starts_with("no file"))
          broken_.erase(b);
  }
  return added;
}

std::map<std::string, matcher::FilePosition> LogSources::file_positions() const {
  std::map<std::string, matcher::FilePosition> out;
  for (const auto &s : sources_)
    if (s->file)
      out[s->path] = s->file->position();
  return out;
}

size_t LogSources::size() const {
  return sources_.size();
}
int LogSources::fd(size_t i) const {
  return sources_[i]->fd();
}
const std::string &LogSources::path(size_t i) const {
  return sources_[i]->path;
}

bool LogSources::more(size_t i) const {
  return sources_[i]->more;
}

uint64_t LogSources::last_read(size_t i) const {
  return sources_[i]->last_read;
}

uint64_t LogSources::bytes_behind(size_t i) const {
  // The journal's backlog has no byte count; its sources are never reported behind.
  return sources_[i]->file ? sources_[i]->file->bytes_behind() : 0;
}

Result<size_t> LogSources::process(size_t i, const OnFailure &on_failure,
                                   const matcher::LogFollower::Enough &enough) {
  Source &s = *sources_[i];
  size_t failures = 0;
  // A failure of an address goes to every reader of its filter; one of an address a
  // host name resolved to, only to the readers that resolve names.
  auto hand_over = [&](const matcher::Match &m, bool of_a_name) {
    if (m.host_kind != matcher::HostKind::address || m.filter >= s.readers.size())
      return;
    for (const Reader &r : s.readers[m.filter]) {
      if (of_a_name && !matcher::resolves_names(r.use_dns))
        continue;
      on_failure(r.family, m.prefix(), m.time);
      if (on_line_)
        on_line_(r.family, m.prefix(), m);
      ++failures;
    }
  };
  matcher::DeferredHostNames names(resolver_ ? matcher::UseDns::yes : matcher::UseDns::no);
  auto scan = [&](std::string_view lines) {
    s.matcher.scan(lines, [&](const matcher::Match &m) {
      if (!(s.resolves_names(m.filter) && names.defer(m)))
        hand_over(m, false);
    });
    // The chunk's host names, resolved now that its scan is over.
    if (names.size())
      names.resolve(
          *resolver_, static_cast<int64_t>(::time(nullptr)),
          [&](const matcher::Match &m) { hand_over(m, true); },
          [&](const matcher::Match &m, const std::vector<IpAddress> &addresses) {
            if (s.warns(m.filter))
              log_warning(s.path + ": " + matcher::resolution_warning(m, addresses));
          });
  };
  if (s.journal) {
    auto read = s.journal->read_available(scan);
    s.last_read = read ? *read : 0;
    if (!read)
      return read.error();
    return failures;
  }
  const bool was_watching = s.file->watching();
  auto read = s.file->read_available(slice_bytes_, scan, enough);
  s.more = read && read->more;
  s.last_read = read ? read->bytes : 0;
  // The position is saved later, by save_positions(), after the failures it covers
  // were handed over and their bans stored: a crash in between re-reads those lines
  // rather than skipping them.
  // Said once per change: a folder that went away is polled by the caller meanwhile.
  if (was_watching && !s.file->watching())
    log_warning(s.path + ": its folder went away; looking for it every second until it is back");
  else if (!was_watching && s.file->watching())
    log_info(s.path + ": its folder is back; following it again");
  if (!read)
    return read.error();
  return failures;
}

namespace {

// Source s's position now, unless it is what was saved last.
template <class Source> std::optional<LogPosition> moved_position(const Source &s) {
  if (s.journal) {
    if (s.journal->cursor() != s.saved_cursor)
      return LogPosition{s.path, 0, 0, 0, s.journal->cursor()};
  } else if (matcher::FilePosition at = s.file->position(); at != s.saved) {
    return LogPosition{s.path, at.inode, at.offset, at.first_line_hash};
  }
  return std::nullopt;
}

} // namespace

std::vector<LogPosition> LogSources::moved_positions() const {
  std::vector<LogPosition> out;
  for (const auto &s : sources_)
    if (auto pos = moved_position(*s))
      out.push_back(std::move(*pos));
  return out;
}

void LogSources::positions_saved(std::span<const LogPosition> saved) {
  for (auto &s : sources_) {
    auto p = std::find_if(saved.begin(), saved.end(),
                          [&](const LogPosition &l) { return l.path == s->path; });
    if (p == saved.end())
      continue;
    if (s->journal) {
      s->saved_cursor = p->journal_cursor;
    } else {
      // Saved as stored (the store keeps no device): the device of the file being read
      // when it is that file, so a position that did not move since is not saved again.
      const matcher::FilePosition at = s->file->position();
      s->saved = {at.inode == p->inode ? at.device : 0, p->inode, p->offset, p->first_line_hash};
    }
    if (std::exchange(s->position_failing, false))
      log_info("save position of " + s->path + ": works again");
  }
}

void LogSources::position_failed(const std::string &path, const Error &why) {
  for (auto &s : sources_)
    if (s->path == path && !std::exchange(s->position_failing, true))
      log_warning("save position of " + path + ": " + why.message() +
                  " (retried with every save; said again when it works)");
}

void LogSources::save_positions() {
  if (!store_)
    return;
  for (auto &s : sources_) {
    auto pos = moved_position(*s);
    if (!pos)
      continue;
    // A failing store is said once, and once when it recovers, never per save.
    if (auto st = store_->set_position(*pos); !st) {
      if (!std::exchange(s->position_failing, true))
        log_warning("save position of " + s->path + ": " + st.error().message() +
                    " (retried with every save; said again when it works)");
      continue;
    }
    positions_saved(std::span<const LogPosition>(&*pos, 1));
  }
}

bool LogSources::positions_moved() const {
  return std::any_of(sources_.begin(), sources_.end(),
                     [](const auto &s) { return moved_position(*s).has_value(); });
}

matcher::MatcherCounters LogSources::counters() const {
  matcher::MatcherCounters sum;
  for (const auto &s : sources_) {
    const auto &c = s->matcher.counters();
    sum.lines += c.lines;
    sum.bytes += c.bytes;
    sum.candidates += c.candidates;
    sum.matched += c.matched;
    sum.ignored += c.ignored;
    sum.host_names += c.host_names;
    sum.invalid_hosts += c.invalid_hosts;
    sum.bad_dates += c.bad_dates;
    sum.undated += c.undated;
    sum.truncated += c.truncated;
    sum.regex_limit_hits += c.regex_limit_hits;
  }
  return sum;
}

matcher::HostNameResolverCounters LogSources::resolver_counters() const {
  return resolver_ ? resolver_->counters() : matcher::HostNameResolverCounters{};
}

std::vector<LogSources::PerFile> LogSources::per_file() const {
  std::vector<PerFile> out;
  for (const auto &s : sources_)
    out.push_back({s->path, s->matcher.counters(), s->follower_counters(),
                   s->file ? s->file->bytes_behind() : 0});
  return out;
}

} // namespace mcf2b
