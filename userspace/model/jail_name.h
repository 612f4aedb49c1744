// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <cstddef>
#include <string_view>

#include "base/result.h"

namespace mcf2b {

// A jail's name is also the name of its ipsets ("NAME", "NAME-v6": ipset names are at
// most 31 characters), of its kernel slot, and part of its family's "-bl" jail name, and
// it is typed on command lines and written into jail file sections. The one rule, for
// every way a jail comes in (commands, jail files, the store, the kernel):
// 1 to kMaxJailName characters of letters, digits, '-', '_' and '.', starting with a
// letter or a digit (so never an option, ".", or ".."), and a family whose "-bl" jail
// name fits the same limit.
inline constexpr size_t kMaxJailName = 28;

Status check_jail_name(std::string_view name);

struct JailConfig;
// Everything a jail row must be before anything is made of it (kernel slot, ipsets,
// store row), checked where jails come in (jail files, commands, the store, the
// cluster): its name by the rule above, maxretry, findtime and bantime in range, and
// text that fits MailCleaner's columns (port, filter and banaction 50, logpath 250).
Status check_jail_config(const JailConfig &config);

} // namespace mcf2b
