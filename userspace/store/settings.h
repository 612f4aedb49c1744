// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string_view>

namespace mcf2b::settings {

// Keys of the global settings table (mcf2b_settings). Values are text.

// "1" when blacklisting is on for all jails (`general enable-bl`), "0" when off.
inline constexpr std::string_view kBlacklistEnabled = "blacklist.enabled";
// Bans before the permanent blacklist (`general enable-bl -v N`; MailCleaner's default 3).
inline constexpr std::string_view kBlacklistMaxCount = "blacklist.max_count";
// The global ignore list: addresses and prefixes separated by spaces, as fail2ban's ignoreip.
inline constexpr std::string_view kIgnoreIp = "ignoreip";

} // namespace mcf2b::settings
