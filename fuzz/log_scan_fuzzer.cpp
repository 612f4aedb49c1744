// SPDX-License-Identifier: GPL-2.0-only
// Log text through single-line filters (MailCleaner's exim and web UI filters, postfix,
// dovecot): Hyperscan prescan, PCRE2 confirmation, host and date extraction. The
// invariant: every host a failure names is text of the very line it was reported for
// (never taken from another line or made up). sshd is left out: its sessions (fail2ban's
// <F-MLFID>) rightly report a host an earlier line of the same session named.
#include <vector>

#include "fuzz/fuzz_support.h"
#include "matcher/filter_definition.h"
#include "matcher/log_matcher.h"

using namespace mcf2b;

namespace {

std::vector<matcher::LogMatcher> &matchers() {
  static std::vector<matcher::LogMatcher> all = [] {
    matcher::FilterSearchPath search{{MCF2B_FILTER_DIR, "/etc/fail2ban/filter.d"}};
    std::vector<matcher::LogMatcher> out;
    for (const char *name : {"mc-exim-filter", "mc-webauth-filter", "postfix", "dovecot"}) {
      auto def = matcher::load_filter(std::string_view(name), search);
      if (!def)
        fuzz::violated(std::string("cannot load ") + name + ": " + def.error().message());
      matcher::MatcherOptions options;
      options.fixed_now = 1'765'000'000;
      std::vector<matcher::FilterDefinition> defs;
      defs.push_back(std::move(*def));
      auto m = matcher::LogMatcher::create(std::move(defs), options);
      if (!m)
        fuzz::violated(std::string("cannot compile ") + name + ": " + m.error().message());
      out.push_back(std::move(*m));
    }
    return out;
  }();
  return all;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view input = fuzz::text(data, size);
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= input.size();) {
    size_t nl = input.find('\n', start);
    size_t end = nl == std::string_view::npos ? input.size() : nl;
    lines.push_back(input.substr(start, end - start));
    if (nl == std::string_view::npos)
      break;
    start = nl + 1;
  }
  for (auto &m : matchers()) {
    uint64_t first = m.next_line_number();
    m.scan_all(input, [&](const matcher::Match &match) {
      if (match.host_kind == matcher::HostKind::none)
        return;
      uint64_t index = match.line - first;
      if (match.line < first || index >= lines.size())
        fuzz::violated("a failure on a line that was not scanned");
      if (match.host_text.empty() || lines[index].find(match.host_text) == std::string::npos)
        fuzz::violated("host '" + std::string(match.host_text) + "' is not text of line " +
                       std::to_string(match.line));
    });
  }
  return 0;
}
