// SPDX-License-Identifier: GPL-2.0-only
#include "matcher/shipped_filters.h"

#include <cstdlib>
#include <memory>

// Set by matcher/CMakeLists.txt for this file only.
#ifndef MCF2B_BUILD_DIR
#error "MCF2B_BUILD_DIR must be defined"
#endif
#ifndef MCF2B_SOURCE_FILTER_DIR
#error "MCF2B_SOURCE_FILTER_DIR must be defined"
#endif
#ifndef MCF2B_INSTALLED_FILTER_DIR
#error "MCF2B_INSTALLED_FILTER_DIR must be defined"
#endif

namespace mcf2b::matcher {
namespace {

std::string real_path(const char *path) {
  std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path, nullptr), &std::free);
  return resolved ? std::string(resolved.get()) : std::string();
}

// A binary inside the build tree is a developer's or a test's: it uses the filters it was
// built with, so an edit under matcher/filters needs no install. Anything else (the
// package's /usr/sbin/mcf2bd, a copy elsewhere) uses the installed ones.
bool running_from_build_tree() {
  std::string exe = real_path("/proc/self/exe");
  std::string build = real_path(MCF2B_BUILD_DIR);
  return !exe.empty() && !build.empty() && exe.size() > build.size() &&
         exe.compare(0, build.size(), build) == 0 && exe[build.size()] == '/';
}

} // namespace

std::string shipped_filter_dir() {
  static const std::string dir =
      running_from_build_tree() ? MCF2B_SOURCE_FILTER_DIR : MCF2B_INSTALLED_FILTER_DIR;
  return dir;
}

std::vector<std::string> default_filter_dirs() {
  return {"/etc/mcf2b/filter.d", shipped_filter_dir(), "/etc/fail2ban/filter.d"};
}

} // namespace mcf2b::matcher
