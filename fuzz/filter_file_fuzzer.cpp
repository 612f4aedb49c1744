// SPDX-License-Identifier: GPL-2.0-only
// A filter file as fail2ban's filter.d holds them: INI, [INCLUDES], %(interpolation)s,
// <tags>, then the regexes translated for Hyperscan and PCRE2. Any input: an error or
// a definition, in bounded time and memory. The input is the filter file; an include
// of "common.conf" finds the stock one beside it.
#include <filesystem>

#include "fuzz/fuzz_support.h"
#include "matcher/filter_definition.h"
#include "matcher/regex_translation.h"

using namespace mcf2b;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const bool ready = [] {
    std::error_code ec;
    std::filesystem::copy_file(MCF2B_FILTER_DIR "/mc-exim-filter.conf",
                               fuzz::scratch_dir() + "/mc-exim-filter.conf",
                               std::filesystem::copy_options::overwrite_existing, ec);
    if (std::filesystem::exists("/etc/fail2ban/filter.d/common.conf"))
      std::filesystem::copy_file("/etc/fail2ban/filter.d/common.conf",
                                 fuzz::scratch_dir() + "/common.conf",
                                 std::filesystem::copy_options::overwrite_existing, ec);
    return true;
  }();
  (void)ready;
  fuzz::write_file("fuzzed.conf", fuzz::text(data, size));
  matcher::FilterSearchPath search{{fuzz::scratch_dir()}};
  auto def = matcher::load_filter(std::string_view("fuzzed"), search);
  if (!def)
    return 0;
  for (const auto &r : def->failregex) {
    std::string expanded = matcher::expand_fail2ban_tags(r.text);
    (void)matcher::hyperscan_superset(expanded);
    (void)matcher::hyperscan_prescan_pattern(expanded);
  }
  return 0;
}
