// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace mcf2b::matcher {

// The groups of one match as offsets into its subject, readable after the regex that
// made it has matched something else (see Pcre2Regex::save_match).
class MatchGroups {
public:
  MatchGroups() = default;
  MatchGroups(std::string_view subject, const PCRE2_SIZE *ovector, uint32_t group_count)
      : subject_(subject), ovector_(ovector), group_count_(group_count) {}
  [[nodiscard]] bool group_set(uint32_t index) const {
    return index <= group_count_ && ovector_[2 * index] != PCRE2_UNSET;
  }
  // The text of group `index`, or a view without data when it did not take part.
  [[nodiscard]] std::string_view group(uint32_t index) const {
    if (!group_set(index))
      return {};
    return subject_.substr(ovector_[2 * index], ovector_[2 * index + 1] - ovector_[2 * index]);
  }

private:
  std::string_view subject_;
  const PCRE2_SIZE *ovector_ = nullptr;
  uint32_t group_count_ = 0;
};

// One compiled PCRE2 pattern with JIT, plus the per-thread match data it needs. Match
// and depth limits are always set, so no line can make a match run away (catastrophic
// backtracking is cut off and reported as an error, never waited for).
class Pcre2Regex {
public:
  struct Limits {
    uint32_t match = 200'000; // backtracking steps per match attempt
    uint32_t depth = 10'000;
  };

  // Compiles `pattern` (Python/Perl syntax as fail2ban writes it). Duplicate group
  // names are allowed, as Python resolves them to the last group that matched.
  // `options`: PCRE2 compile options added to PCRE2_DUPNAMES (PCRE2_MULTILINE for a
  // failregex of a multi-line filter, as fail2ban's re.MULTILINE).
  static Result<Pcre2Regex> compile(std::string_view pattern, Limits limits, uint32_t options = 0);
  static Result<Pcre2Regex> compile(std::string_view pattern) { return compile(pattern, Limits{}); }

  Pcre2Regex() = default;
  Pcre2Regex(Pcre2Regex &&) noexcept = default;
  Pcre2Regex &operator=(Pcre2Regex &&) noexcept = default;

  enum class Outcome { matched, no_match, limit_hit };

  // Searches `subject` (not anchored unless the pattern is). On a match the group
  // offsets can be read with group(). Not thread-safe: each thread owns its Pcre2Regex.
  Outcome search(std::string_view subject);

  // The text of group `index` of the last match, or nullopt-like (data() == nullptr)
  // when the group did not take part in the match.
  [[nodiscard]] std::string_view group(uint32_t index) const {
    if (!group_set(index))
      return {};
    return subject_.substr(ovector_[2 * index], ovector_[2 * index + 1] - ovector_[2 * index]);
  }
  [[nodiscard]] bool group_set(uint32_t index) const {
    return index <= group_count_ && ovector_[2 * index] != PCRE2_UNSET;
  }
  // The last match's groups, valid until the next search().
  [[nodiscard]] MatchGroups groups() const { return {subject_, ovector_, group_count_}; }
  // Appends the last match's offsets to `out` (2 * (group_count() + 1) values), to be
  // read later as MatchGroups(subject, &out[at], group_count()).
  void save_match(std::vector<PCRE2_SIZE> &out) const {
    out.insert(out.end(), ovector_, ovector_ + 2 * (group_count_ + 1));
  }
  // The groups' names and numbers ((name, number) pairs in number order).
  [[nodiscard]] const std::vector<std::pair<std::string, uint32_t>> &names() const {
    return names_;
  }
  [[nodiscard]] uint32_t group_count() const { return group_count_; }
  [[nodiscard]] const std::string &pattern() const { return pattern_; }

private:
  struct CodeFree {
    void operator()(pcre2_code *c) const { pcre2_code_free(c); }
  };
  struct MatchDataFree {
    void operator()(pcre2_match_data *m) const { pcre2_match_data_free(m); }
  };
  struct ContextFree {
    void operator()(pcre2_match_context *c) const { pcre2_match_context_free(c); }
  };
  std::unique_ptr<pcre2_code, CodeFree> code_;
  std::unique_ptr<pcre2_match_data, MatchDataFree> match_data_;
  std::unique_ptr<pcre2_match_context, ContextFree> context_;
  std::vector<std::pair<std::string, uint32_t>> names_;
  std::string pattern_;
  const PCRE2_SIZE *ovector_ = nullptr; // match_data_'s, which never moves
  std::string_view subject_;
  uint32_t group_count_ = 0;
  bool jit_ = false; // compiled by the JIT: matched through pcre2_jit_match
};

} // namespace mcf2b::matcher
