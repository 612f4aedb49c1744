// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mcf2b::matcher {

// fail2ban's `usedns`: what becomes of a <HOST> that is a host name, not an address.
// - no:   never resolved; the name is counted (the default).
// - raw:  the captured text is used as it is when it is an address; names are not
//         resolved (for us the same as `no`).
// - yes:  the name is resolved (both families), after the scan, and each address it has
//         is a failure.
// - warn: as `yes`, and each name that was resolved is logged as a warning.
enum class UseDns : uint8_t { no, raw, yes, warn };

[[nodiscard]] std::optional<UseDns> parse_use_dns(std::string_view text);
[[nodiscard]] std::string_view to_string(UseDns mode);
[[nodiscard]] inline bool resolves_names(UseDns mode) {
  return mode == UseDns::yes || mode == UseDns::warn;
}

} // namespace mcf2b::matcher
