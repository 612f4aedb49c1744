// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>

namespace mcf2b::matcher {

// Number of '\n' bytes in [data, data + size): vectorised, the matcher's line counter.
size_t count_newlines(const char *data, size_t size);

} // namespace mcf2b::matcher
