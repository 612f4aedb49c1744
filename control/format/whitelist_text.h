// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <vector>

#include "protocol/commands.h"

namespace mcf2b::control {

// `mcf2b-ctl whitelist list`: IP JAIL NODE; "No whitelist entries.\n" when empty.
std::string format_whitelist_table(const std::vector<WhitelistRow> &rows);

} // namespace mcf2b::control
