// SPDX-License-Identifier: GPL-2.0-only
#include "fuzz/fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace mcf2b::fuzz {

namespace {
// The folder's path for the exit handler, which runs after the static string below is
// destroyed (it was registered first).
char removed_at_exit[4096];
} // namespace

const std::string &scratch_dir() {
  static const std::string dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "mcf2b-fuzz-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      violated("cannot make a scratch folder");
    std::snprintf(removed_at_exit, sizeof removed_at_exit, "%s", pattern.c_str());
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(removed_at_exit, ec);
    });
    return pattern;
  }();
  return dir;
}

std::string write_file(const std::string &name, std::string_view content) {
  std::string path = scratch_dir() + "/" + name;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(content.data(), static_cast<std::streamsize>(content.size()));
  return path;
}

void violated(const std::string &what) {
  std::fprintf(stderr, "invariant violated: %s\n", what.c_str());
  std::abort();
}

} // namespace mcf2b::fuzz
