// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/pcre2_regex.h"

#include <algorithm>

namespace mcf2b::matcher {

Result<Pcre2Regex> Pcre2Regex::compile(std::string_view pattern, Limits limits,
                                       uint32_t options) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code *code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_DUPNAMES | options, &error_code, &error_offset, nullptr);
  if (!code) {
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(error_code, buffer, sizeof buffer);
    return Error::msg("regex error at offset " + std::to_string(error_offset) + ": " +
                      reinterpret_cast<const char *>(buffer));
  }
  Pcre2Regex regex;
  regex.code_.reset(code);
  // JIT is an optimisation: a pattern the JIT cannot take still runs interpreted.
  // The JIT's own entry point skips pcre2_match's checks, which hold for our calls (no
  // UTF, no options at match time).
  regex.jit_ = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  regex.match_data_.reset(pcre2_match_data_create_from_pattern(code, nullptr));
  regex.context_.reset(pcre2_match_context_create(nullptr));
  if (!regex.match_data_ || !regex.context_)
    return Error::msg("out of memory compiling regex");
  regex.ovector_ = pcre2_get_ovector_pointer(regex.match_data_.get());
  pcre2_set_match_limit(regex.context_.get(), limits.match);
  pcre2_set_depth_limit(regex.context_.get(), limits.depth);
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &regex.group_count_);

  uint32_t name_count = 0, entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &name_count);
  pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
  for (uint32_t i = 0; i < name_count; ++i) {
    PCRE2_SPTR entry = table + i * entry_size;
    uint32_t number = (uint32_t{entry[0]} << 8) | entry[1];
    regex.names_.emplace_back(reinterpret_cast<const char *>(entry + 2), number);
  }
  std::sort(regex.names_.begin(), regex.names_.end(),
            [](const auto &a, const auto &b) { return a.second < b.second; });
  regex.pattern_ = std::string(pattern);
  return regex;
}

Pcre2Regex::Outcome Pcre2Regex::search(std::string_view subject) {
  subject_ = subject;
  auto *text = reinterpret_cast<PCRE2_SPTR>(subject.data());
  int rc = jit_ ? pcre2_jit_match(code_.get(), text, subject.size(), 0, 0, match_data_.get(),
                                  context_.get())
                : pcre2_match(code_.get(), text, subject.size(), 0, 0, match_data_.get(),
                              context_.get());
  if (rc >= 0)
    return Outcome::matched;
  if (rc == PCRE2_ERROR_NOMATCH)
    return Outcome::no_match;
  // Match limit, depth limit, JIT stack limit, or a bad UTF sequence (UTF mode is
  // off, so the latter cannot happen): treated as "could not decide".
  return Outcome::limit_hit;
}

} // namespace mcf2b::matcher
