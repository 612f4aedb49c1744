// SPDX-License-Identifier: GPL-2.0-only
#pragma once

namespace mcf2b {
inline constexpr const char *kVersion = "0.1.0";
} // namespace mcf2b
