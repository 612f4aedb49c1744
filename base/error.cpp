// SPDX-License-Identifier: GPL-2.0-only
#include "base/error.h"

#include <cstring>

namespace mcf2b {

std::string Error::message() const {
  if (code == 0)
    return what;
  return what + ": " + std::strerror(code);
}

} // namespace mcf2b
