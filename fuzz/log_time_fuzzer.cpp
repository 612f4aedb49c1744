// SPDX-License-Identifier: GPL-2.0-only
// Timestamps in log lines: fail2ban's default templates, and a datepattern taken from
// the input's first line (the rest is the log line), as a filter file can set one.
#include "fuzz/fuzz_support.h"
#include "matcher/log_time.h"

using namespace mcf2b;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const matcher::TimeZone utc = matcher::TimeZone::utc();
  static auto defaults = matcher::LogTimeParser::create("", &utc);
  if (!defaults)
    fuzz::violated("the default date templates do not compile");
  std::string_view input = fuzz::text(data, size);
  const int64_t now = 1'765'000'000;
  (void)defaults->find(input, now);
  size_t nl = input.find('\n');
  if (nl == std::string_view::npos)
    return 0;
  auto custom = matcher::LogTimeParser::create(input.substr(0, nl), &utc);
  if (custom)
    (void)custom->find(input.substr(nl + 1), now);
  return 0;
}
