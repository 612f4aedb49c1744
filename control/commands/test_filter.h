// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "matcher/host_name_resolver.h"
#include "matcher/log_matcher.h"
#include "matcher/use_dns.h"

namespace mcf2b::control {

// `mcf2b-ctl test-filter [--json] [--tz ZONE] [--now EPOCH] [--use-dns MODE] LOGFILE FILTER`: runs one
// filter over a log file (or - for stdin) and reports what it matched, like
// fail2ban-regex.
void register_test_filter(CLI::App &app, int &exit_code);

struct TestFilterOptions {
  std::string log_file; // "-" for stdin
  std::string filter;   // name or path, optionally with [key=value, ...]
  bool json = false;
  std::string zone = "local";
  std::optional<int64_t> now;
  std::string filter_dir; // searched before the defaults when set
  std::string cache_dir;
  bool all_rules = false; // fail2ban-regex's default: every failregex is tried
  // fail2ban's usedns: with yes or warn, host names are resolved after the scan.
  matcher::UseDns use_dns = matcher::UseDns::no;
  matcher::NameLookup lookup; // empty: the system resolver (tests inject their own)
};

// The command itself, separated from CLI parsing so tests can call it. Writes the report
// to `out`, errors to `err`; returns the exit status.
int run_test_filter(const TestFilterOptions &options, std::ostream &out, std::ostream &err);

} // namespace mcf2b::control
