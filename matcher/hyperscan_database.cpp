// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/hyperscan_database.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "base/fd.h"

namespace mcf2b::matcher {
namespace {

constexpr unsigned kBaseFlags = HS_FLAG_MULTILINE;
constexpr char kMagic[] = "mcf2b-hsdb-1\n";

uint64_t fnv1a(std::string_view s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool compiles(const std::string &expr, unsigned flags) {
  hs_database_t *db = nullptr;
  hs_compile_error_t *err = nullptr;
  if (hs_compile(expr.c_str(), flags, HS_MODE_BLOCK, nullptr, &db, &err) == HS_SUCCESS) {
    hs_free_database(db);
    return true;
  }
  hs_free_compile_error(err);
  return false;
}

// The exact inputs of a compilation: what the cache file must match.
std::string signature(const std::vector<HyperscanDatabase::Pattern> &patterns) {
  hs_platform_info_t platform{};
  hs_populate_platform(&platform);
  std::ostringstream sig;
  sig << "hs " << hs_version() << "\nplatform " << platform.tune << " " << platform.cpu_features
      << "\nflags " << kBaseFlags << "\n";
  for (const auto &p : patterns)
    sig << p.id << " " << p.expression.size() << " " << p.expression << "\n";
  return sig.str();
}

Status write_file_atomically(const std::string &path, const std::string &data) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd)
    return Error::sys("cannot create " + tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      int e = errno;
      ::unlink(tmp.c_str());
      return Error::sys("cannot write " + tmp, e);
    }
    done += static_cast<size_t>(n);
  }
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Error::sys("cannot rename " + tmp, e);
  }
  return {};
}

} // namespace

Result<HyperscanDatabase> HyperscanDatabase::build(const std::vector<Pattern> &patterns,
                                                   const std::string &cache_dir) {
  HyperscanDatabase out;
  std::string sig = signature(patterns);
  if (!cache_dir.empty()) {
    char name[32];
    std::snprintf(name, sizeof name, "%016llx.hsdb",
                  static_cast<unsigned long long>(fnv1a(sig)));
    out.cache_file_ = cache_dir + "/" + name;
    std::ifstream in(out.cache_file_, std::ios::binary);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      std::string data = ss.str();
      // magic, signature, one mode byte per pattern, serialized database
      size_t header = sizeof kMagic - 1;
      if (data.size() > header + sig.size() + patterns.size() &&
          data.compare(0, header, kMagic) == 0 && data.compare(header, sig.size(), sig) == 0) {
        size_t pos = header + sig.size();
        std::vector<ScanMode> modes;
        bool ok = true;
        for (size_t i = 0; i < patterns.size(); ++i) {
          auto m = static_cast<unsigned char>(data[pos + i]);
          ok &= m <= 2;
          modes.push_back(static_cast<ScanMode>(m));
        }
        pos += patterns.size();
        hs_database_t *db = nullptr;
        if (ok && pos == data.size()) {
          out.modes_ = std::move(modes);
          out.from_cache_ = true;
          return out; // every pattern was slow: no database
        }
        if (ok && hs_deserialize_database(data.data() + pos, data.size() - pos, &db) ==
                      HS_SUCCESS) {
          out.db_.reset(db);
          out.modes_ = std::move(modes);
          out.from_cache_ = true;
          return out;
        }
      }
      // A stale or damaged cache file is simply rebuilt.
    }
  }

  std::vector<std::string> exprs;
  std::vector<unsigned> flags, ids;
  // Usually every pattern compiles natively: one multi-pattern compile tells. Only when
  // it fails is each pattern tried alone, natively, then in prefilter mode.
  bool all_native = false;
  {
    std::vector<const char *> cexprs;
    std::vector<unsigned> f(patterns.size(), kBaseFlags), i;
    for (const auto &p : patterns) {
      cexprs.push_back(p.expression.c_str());
      i.push_back(p.id);
    }
    hs_database_t *db = nullptr;
    hs_compile_error_t *err = nullptr;
    if (!patterns.empty() &&
        hs_compile_multi(cexprs.data(), f.data(), i.data(), static_cast<unsigned>(cexprs.size()),
                         HS_MODE_BLOCK, nullptr, &db, &err) == HS_SUCCESS) {
      hs_free_database(db);
      all_native = true;
    } else {
      hs_free_compile_error(err);
    }
  }
  for (const auto &p : patterns) {
    ScanMode mode = ScanMode::slow;
    if (all_native || compiles(p.expression, kBaseFlags))
      mode = ScanMode::native;
    else if (compiles(p.expression, kBaseFlags | HS_FLAG_PREFILTER))
      mode = ScanMode::prefilter;
    out.modes_.push_back(mode);
    if (mode == ScanMode::slow)
      continue;
    exprs.push_back(p.expression);
    flags.push_back(kBaseFlags | (mode == ScanMode::prefilter ? HS_FLAG_PREFILTER : 0));
    ids.push_back(p.id);
  }
  std::string serialized;
  if (!exprs.empty()) {
    std::vector<const char *> cexprs;
    for (const auto &e : exprs)
      cexprs.push_back(e.c_str());
    hs_database_t *db = nullptr;
    hs_compile_error_t *err = nullptr;
    if (hs_compile_multi(cexprs.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(cexprs.size()), HS_MODE_BLOCK, nullptr, &db,
                         &err) != HS_SUCCESS) {
      std::string msg = err && err->message ? err->message : "unknown error";
      int which = err ? err->expression : -1;
      hs_free_compile_error(err);
      return Error::msg("Hyperscan could not compile the database" +
                        (which >= 0 ? " (pattern " + std::to_string(which) + ")" : "") + ": " +
                        msg);
    }
    out.db_.reset(db);
    char *bytes = nullptr;
    size_t length = 0;
    if (!out.cache_file_.empty() &&
        hs_serialize_database(db, &bytes, &length) == HS_SUCCESS) {
      serialized.assign(bytes, length);
      std::free(bytes);
    }
  }
  if (!out.cache_file_.empty()) {
    std::string data = kMagic + sig;
    for (ScanMode m : out.modes_)
      data += static_cast<char>(m);
    data += serialized;
    ::mkdir(cache_dir.c_str(), 0755);
    // The cache is an optimisation: failing to write it is not an error.
    (void)write_file_atomically(out.cache_file_, data);
  }
  return out;
}

Result<HyperscanScratch> HyperscanScratch::create(const HyperscanDatabase &db) {
  HyperscanScratch s;
  if (db.empty())
    return s;
  hs_scratch_t *scratch = nullptr;
  if (hs_alloc_scratch(db.get(), &scratch) != HS_SUCCESS)
    return Error::msg("cannot allocate Hyperscan scratch space");
  s.scratch_.reset(scratch);
  return s;
}

} // namespace mcf2b::matcher
