// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mcf2b::fuzz {

// The input as text.
inline std::string_view text(const uint8_t *data, size_t size) {
  return {reinterpret_cast<const char *>(data), size};
}

// A folder of this process's own (made once, removed at exit), for parsers that read
// files: `write_file` replaces `name` in it with `content` and returns its path.
const std::string &scratch_dir();
std::string write_file(const std::string &name, std::string_view content);

// Stops the run with a message when an invariant does not hold (libFuzzer keeps the
// input that did it).
[[noreturn]] void violated(const std::string &what);

} // namespace mcf2b::fuzz
