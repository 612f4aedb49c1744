// SPDX-License-Identifier: GPL-2.0-only
#include "control/commands/test_filter.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <set>
#include <ostream>

#include "base/fd.h"
#include "matcher/deferred_host_names.h"

namespace mcf2b::control {
namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default:
      if (c < 0x20 || c >= 0x7f) {
        // Log text is not trusted to be UTF-8: anything outside ASCII is escaped.
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
  }
  return out + "\"";
}

const char *mode_name(matcher::ScanMode m) {
  switch (m) {
  case matcher::ScanMode::native: return "hyperscan";
  case matcher::ScanMode::prefilter: return "hyperscan-prefilter";
  case matcher::ScanMode::slow: return "pcre2-only (slow)";
  }
  return "?";
}

struct Row {
  uint64_t line;
  uint32_t rule;
  std::string host; // the address (or prefix) as shown; the text for names and bad ones
  int64_t time;
  matcher::HostKind kind;
  std::string dns; // the host name an address was resolved from, if it was
};

} // namespace

int run_test_filter(const TestFilterOptions &o, std::ostream &out, std::ostream &err) {
  matcher::FilterSearchPath search = matcher::FilterSearchPath::defaults();
  if (!o.filter_dir.empty())
    search.dirs.insert(search.dirs.begin(), o.filter_dir);
  auto definition = matcher::load_filter(o.filter, search);
  if (!definition) {
    err << "mcf2b-ctl test-filter: " << definition.error().message() << "\n";
    return 1;
  }
  auto zone = matcher::TimeZone::load(o.zone);
  if (!zone) {
    err << "mcf2b-ctl test-filter: " << zone.error().message() << "\n";
    return 1;
  }
  matcher::MatcherOptions options;
  options.zone = *zone;
  options.fixed_now = o.now;
  options.cache_dir = o.cache_dir;
  options.judge.check_all_rules = o.all_rules;
  options.judge.skip_comment_lines = true; // as fail2ban-regex reads a log
  std::string filter_path = definition->path;
  std::vector<std::string> rule_text;
  for (const auto &r : definition->failregex)
    rule_text.push_back(r.text);
  auto matcher = matcher::LogMatcher::create({std::move(*definition)}, options);
  if (!matcher) {
    err << "mcf2b-ctl test-filter: " << matcher.error().message() << "\n";
    return 1;
  }

  Fd file;
  int fd = 0;
  if (o.log_file != "-") {
    file.reset(::open(o.log_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file) {
      err << "mcf2b-ctl test-filter: " << Error::sys("cannot open " + o.log_file).message()
          << "\n";
      return 1;
    }
    fd = file.get();
  }
  std::vector<Row> rows;
  // Lines fail2ban-regex counts as matched without a failure of their own: a multi-line
  // filter's earlier lines that its matches took, and (with --all-rules, as
  // fail2ban-regex judges) session lines still waiting for an address.
  std::set<uint64_t> taken, pending, ignored;
  matcher->on_counted_line([&](uint32_t, uint64_t line, matcher::CountedLine why) {
    (why == matcher::CountedLine::taken     ? taken
     : why == matcher::CountedLine::pending ? pending
                                            : ignored)
        .insert(line);
  });
  matcher::DeferredHostNames names(o.use_dns);
  auto status = matcher->replay(fd, [&](const matcher::Match &m) {
    if (names.defer(m))
      return; // resolved once the scan is over
    std::string host = m.host_kind == matcher::HostKind::address && m.prefix_length
                           ? m.prefix().to_string()
                           : std::string(m.host_text);
    rows.push_back({m.line, m.rule, std::move(host), m.time, m.host_kind, {}});
  });
  if (!status) {
    err << "mcf2b-ctl test-filter: " << status.error().context(o.log_file).message() << "\n";
    return 1;
  }
  matcher::HostNameResolver resolver(o.lookup ? o.lookup : matcher::system_name_lookup());
  if (names.size()) {
    names.resolve(
        resolver, static_cast<int64_t>(::time(nullptr)),
        [&](const matcher::Match &m) {
          rows.push_back({m.line, m.rule, m.address.to_string(), m.time, m.host_kind,
                          std::string(m.host_text)});
        },
        [&](const matcher::Match &m, const std::vector<IpAddress> &addresses) {
          if (o.use_dns == matcher::UseDns::warn)
            err << "mcf2b-ctl test-filter: warning: " << matcher::resolution_warning(m, addresses)
                << "\n";
        });
    std::stable_sort(rows.begin(), rows.end(),
                     [](const Row &a, const Row &b) { return a.line < b.line; });
  }
  const matcher::MatcherCounters &c = matcher->counters();

  if (o.json) {
    out << "{\"lines\": " << c.lines << ", \"matched\": " << c.matched
        << ", \"ignored\": " << c.ignored << ", \"unparsable\": " << c.unparsable()
        << ", \"matches\": [";
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row &r = rows[i];
      out << (i ? ", " : "") << "{\"line\": " << r.line << ", \"host\": " << json_string(r.host)
          << ", \"time\": " << r.time << ", \"rule\": " << r.rule;
      if (!r.dns.empty())
        out << ", \"dns\": " << json_string(r.dns);
      out << "}";
    }
    out << "], \"taken_lines\": [";
    for (auto it = taken.begin(); it != taken.end(); ++it)
      out << (it == taken.begin() ? "" : ", ") << *it;
    out << "], \"pending_lines\": [";
    for (auto it = pending.begin(); it != pending.end(); ++it)
      out << (it == pending.begin() ? "" : ", ") << *it;
    out << "], \"ignored_lines\": [";
    for (auto it = ignored.begin(); it != ignored.end(); ++it)
      out << (it == ignored.begin() ? "" : ", ") << *it;
    out << "]}\n";
    return 0;
  }

  std::vector<uint64_t> per_rule(rule_text.size(), 0);
  std::map<std::string, uint64_t> hosts;
  for (const Row &r : rows) {
    ++per_rule[r.rule];
    ++hosts[r.host];
  }
  auto rules = matcher->rules();
  out << "Filter: " << o.filter << " (" << filter_path << ")\n";
  out << "Lines: " << c.lines << " lines, " << c.matched << " matched, " << c.ignored
      << " ignored, " << c.unparsable() << " unparsable\n";
  out << "Failregex: " << rows.size() << " total\n";
  for (size_t i = 0; i < rule_text.size(); ++i)
    out << "|  " << i << ") [" << per_rule[i] << "] " << mode_name(rules[i].mode) << ": "
        << rule_text[i] << "\n";
  if (!taken.empty())
    out << "Multi-line: " << taken.size()
        << " earlier lines taken out of the buffer by matches (fail2ban-regex counts them "
           "as matched)\n";
  if (!pending.empty())
    out << "Pending: " << pending.size()
        << " session lines without an address yet (fail2ban-regex counts them as matched)\n";
  out << "Hosts: " << hosts.size() << " distinct\n";
  for (const auto &[host, count] : hosts)
    out << "|  " << host << "  " << count << "\n";
  if (c.host_names || c.invalid_hosts || c.bad_dates || c.truncated || c.undated ||
      c.regex_limit_hits)
    out << "Notes: " << c.host_names << " host names ("
        << (matcher::resolves_names(o.use_dns)
                ? std::to_string(resolver.counters().resolved) + " resolved, " +
                      std::to_string(resolver.counters().failures) + " without an address"
                : std::string("not resolved"))
        << "), " << c.invalid_hosts
        << " invalid addresses, " << c.bad_dates << " impossible dates, " << c.undated
        << " lines without a date, " << c.truncated << " over-long lines, "
        << c.regex_limit_hits << " regex limit hits\n";
  return 0;
}

void register_test_filter(CLI::App &app, int &exit_code) {
  auto options = std::make_shared<TestFilterOptions>();
  CLI::App *cmd = app.add_subcommand(
      "test-filter", "Run a filter over a log file and show what it matches (like fail2ban-regex)");
  cmd->add_option("LOGFILE", options->log_file, "log file to read, - for standard input")
      ->required();
  cmd->add_option("FILTER", options->filter,
                  "filter name (ours first, then /etc/fail2ban/filter.d) or path, "
                  "optionally with [mode=...]")
      ->required();
  cmd->add_flag("--json", options->json, "print one JSON object");
  cmd->add_option("--tz", options->zone, "time zone of the log (default: local)");
  cmd->add_option("--now", options->now, "epoch seconds taken as now (year inference)");
  cmd->add_option("--filter-dir", options->filter_dir, "folder searched first for filters");
  cmd->add_option("--cache-dir", options->cache_dir, "Hyperscan database cache folder");
  cmd->add_flag("--all-rules", options->all_rules,
                "try every failregex on a line, not only up to the first match");
  cmd->add_option_function<std::string>(
         "--use-dns",
         [options](const std::string &value) {
           options->use_dns = matcher::parse_use_dns(value).value_or(matcher::UseDns::no);
         },
         "host names: no (default: counted, not resolved), raw (the same), yes (resolved "
         "after the scan), warn (yes, and each resolution is reported)")
      ->check(CLI::IsMember({"yes", "warn", "no", "raw"}));
  cmd->callback([options, &exit_code] {
    exit_code = run_test_filter(*options, std::cout, std::cerr);
  });
}

} // namespace mcf2b::control
