// SPDX-License-Identifier: GPL-2.0-only
#include "userspace/daemon/log_sources.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <set>

#include "base/log.h"
#include "matcher/deferred_host_names.h"
#include "matcher/filter_definition.h"
#include "matcher/log_follower.h"
#include "matcher/log_matcher.h"

namespace mcf2b {

// A family that takes the failures of one of a source's filters, and its usedns.
struct Reader {
  JailFamilyId family;
  matcher::UseDns use_dns;
};

struct LogSources::Source {
  std::string path;
  matcher::LogMatcher matcher;
  matcher::LogFollower follower;
  std::vector<std::vector<Reader>> readers; // by filter index in the matcher
  matcher::FilePosition saved;
  bool more = false; // the last process() stopped at its budget

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

LogSources::LogSources() = default;
LogSources::~LogSources() = default;
LogSources::LogSources(LogSources &&) noexcept = default;
LogSources &LogSources::operator=(LogSources &&) noexcept = default;

Result<LogSources> LogSources::build(const JailController &controller, StateStore &store,
                                     const LogSourceOptions &options, std::vector<Error> &errors) {
  // logpath -> filter spec -> families reading it, and the jails behind them
  std::map<std::string, std::map<std::string, std::set<JailFamilyId>>> plan;
  std::map<std::string, std::map<std::string, std::vector<std::string>>> jails_of;
  // Each family's usedns, and the jail it was first read from.
  struct FamilyUseDns {
    matcher::UseDns mode;
    std::string jail;
    bool conflict = false;
  };
  std::map<JailFamilyId, FamilyUseDns> family_dns;
  for (const auto &j : controller.jails()) {
    if (!j.enabled || j.logpath.empty() || j.filter.empty())
      continue;
    auto family = controller.family(jail_family(j.name));
    if (!family) {
      errors.push_back(family.error().context("jail " + j.name));
      continue;
    }
    plan[j.logpath][j.filter].insert(*family);
    jails_of[j.logpath][j.filter].push_back(j.name);
    auto own = options.jail_use_dns.find(j.name);
    matcher::UseDns mode = own != options.jail_use_dns.end() ? own->second : options.use_dns;
    auto [known, first] = family_dns.try_emplace(*family, FamilyUseDns{mode, j.name});
    if (!first && known->second.mode != mode && !known->second.conflict) {
      known->second.conflict = true;
      errors.push_back(Error::msg(
          "jail " + j.name + ": usedns = " + std::string(matcher::to_string(mode)) +
          ", but jail " + known->second.jail + " of the same family has " +
          std::string(matcher::to_string(known->second.mode)) +
          ": the tiers of a family count failures together and need one usedns; the family "
          "keeps [mcf2bd] usedns = " + std::string(matcher::to_string(options.use_dns))));
    }
  }
  for (auto &[family, dns] : family_dns)
    if (dns.conflict)
      dns.mode = options.use_dns;

  matcher::MatcherOptions mo;
  mo.cache_dir = options.cache_dir;
  auto zone = matcher::TimeZone::load(options.timezone.empty() ? "local" : options.timezone);
  if (!zone)
    return zone.error().context("log time zone");
  mo.zone = *zone;
  matcher::FilterSearchPath search;
  search.dirs = options.filter_dirs;

  LogSources out;
  out.store_ = &store;
  out.slice_bytes_ = options.slice_bytes;
  // A jail that reads nothing is broken: said in status and metrics, not only logged.
  auto broken = [&](const std::string &path, const std::string *spec, const Error &why) {
    for (const auto &[s, jails] : jails_of[path])
      if (!spec || s == *spec)
        for (const auto &jail : jails)
          out.broken_.emplace(jail, why.message());
  };
  if (std::any_of(family_dns.begin(), family_dns.end(),
                  [](const auto &f) { return matcher::resolves_names(f.second.mode); }))
    out.resolver_ = std::make_unique<matcher::HostNameResolver>(
        options.lookup ? options.lookup : matcher::system_name_lookup());
  for (const auto &[path, filters] : plan) {
    std::vector<matcher::FilterDefinition> definitions;
    std::vector<std::vector<Reader>> readers;
    for (const auto &[spec, fams] : filters) {
      auto def = matcher::load_filter(spec, search);
      if (!def) {
        errors.push_back(def.error().context("filter " + spec + " for " + path));
        broken(path, &spec, errors.back());
        continue;
      }
      definitions.push_back(std::move(*def));
      auto &of_filter = readers.emplace_back();
      for (JailFamilyId family : fams)
        of_filter.push_back({family, family_dns.at(family).mode});
    }
    if (definitions.empty())
      continue;
    auto m = matcher::LogMatcher::create(std::move(definitions), mo);
    if (!m) {
      errors.push_back(m.error().context("compile the filters of " + path));
      broken(path, nullptr, errors.back());
      continue;
    }
    std::optional<matcher::FilePosition> resume;
    if (auto pos = store.get_position(path); pos && *pos)
      resume = matcher::FilePosition{0, (*pos)->inode, (*pos)->offset, (*pos)->first_line_hash};
    auto follower = matcher::LogFollower::create(path, resume);
    if (!follower) {
      errors.push_back(follower.error().context("follow " + path));
      broken(path, nullptr, errors.back());
      continue;
    }
    auto source = std::make_unique<Source>(Source{path, std::move(*m), std::move(*follower),
                                                  std::move(readers), resume.value_or(
                                                      matcher::FilePosition{})});
    out.sources_.push_back(std::move(source));
  }
  return out;
}

size_t LogSources::size() const { return sources_.size(); }
int LogSources::fd(size_t i) const { return sources_[i]->follower.fd(); }
const std::string &LogSources::path(size_t i) const { return sources_[i]->path; }

bool LogSources::more(size_t i) const {
  return sources_[i]->more;
}
uint64_t LogSources::bytes_behind(size_t i) const {
  return sources_[i]->follower.bytes_behind();
}

Result<size_t> LogSources::process(size_t i, const OnFailure &on_failure) {
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
      ++failures;
    }
  };
  matcher::DeferredHostNames names(resolver_ ? matcher::UseDns::yes : matcher::UseDns::no);
  const bool was_watching = s.follower.watching();
  auto read = s.follower.read_available(slice_bytes_, [&](std::string_view lines) {
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
  });
  s.more = read && read->more;
  // The position is saved after the failures it covers were handed over, so a crash
  // in between re-reads those lines rather than skipping them.
  matcher::FilePosition pos = s.follower.position();
  if (pos != s.saved && store_) {
    if (auto st = store_->set_position({s.path, pos.inode, pos.offset, pos.first_line_hash}); st)
      s.saved = pos;
    else
      log_warning("save position of " + s.path + ": " + st.error().message());
  }
  // Said once per change: a folder that went away is polled by the caller meanwhile.
  if (was_watching && !s.follower.watching())
    log_warning(s.path + ": its folder went away; looking for it every second until it is back");
  else if (!was_watching && s.follower.watching())
    log_info(s.path + ": its folder is back; following it again");
  if (!read)
    return read.error();
  return failures;
}


void LogSources::save_positions() {
  for (auto &s : sources_) {
    matcher::FilePosition pos = s->follower.position();
    if (pos != s->saved && store_ &&
        store_->set_position({s->path, pos.inode, pos.offset, pos.first_line_hash}))
      s->saved = pos;
  }
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
    out.push_back(
        {s->path, s->matcher.counters(), s->follower.counters(), s->follower.bytes_behind()});
  return out;
}

} // namespace mcf2b
