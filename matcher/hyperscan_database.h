// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <hs/hs.h>

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace mcf2b::matcher {

// How Hyperscan took a pattern.
enum class ScanMode : uint8_t {
  native,    // exact (for the line pre-selection it serves)
  prefilter, // Hyperscan's prefilter mode: a superset
  slow,      // Hyperscan refused it: the rule runs through PCRE2 on every line
};

// One compiled Hyperscan database (multi-line mode, one id per pattern), built from
// patterns or loaded from the on-disk cache. The cache file is keyed by the library
// version, the platform and the exact patterns, so a restart does not recompile and a
// change of any of them does.
class HyperscanDatabase {
public:
  struct Pattern {
    std::string expression;
    unsigned id = 0;
  };
  // `cache_dir` empty: no cache.
  static Result<HyperscanDatabase> build(const std::vector<Pattern> &patterns,
                                         const std::string &cache_dir);

  [[nodiscard]] const hs_database_t *get() const { return db_.get(); }
  [[nodiscard]] bool empty() const { return !db_; }
  // Per input pattern (same order): how it was compiled.
  [[nodiscard]] const std::vector<ScanMode> &modes() const { return modes_; }
  [[nodiscard]] bool from_cache() const { return from_cache_; }
  [[nodiscard]] const std::string &cache_file() const { return cache_file_; }

private:
  struct Free {
    void operator()(hs_database_t *db) const { hs_free_database(db); }
  };
  std::unique_ptr<hs_database_t, Free> db_;
  std::vector<ScanMode> modes_;
  bool from_cache_ = false;
  std::string cache_file_;
};

// Hyperscan scratch space: one per thread and database.
class HyperscanScratch {
public:
  static Result<HyperscanScratch> create(const HyperscanDatabase &db);
  [[nodiscard]] hs_scratch_t *get() const { return scratch_.get(); }

private:
  struct Free {
    void operator()(hs_scratch_t *s) const { hs_free_scratch(s); }
  };
  std::unique_ptr<hs_scratch_t, Free> scratch_;
};

} // namespace mcf2b::matcher
