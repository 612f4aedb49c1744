// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <type_traits>
#include <utility>

#include "base/result.h"

namespace mcf2b::bench {

// Thrown to main, so that what the run set up (namespaces, pins, rules) is torn down.
struct Fatal {
  std::string what;
};

[[noreturn]] inline void die(const std::string &what) {
  throw Fatal{what};
}

// The value of `r`, or a Fatal saying what failed.
template <class R> auto need(R r, const char *what) {
  if (!r)
    die(std::string(what) + ": " + r.error().message());
  if constexpr (!std::is_same_v<R, Status>)
    return std::move(*r);
}

} // namespace mcf2b::bench
