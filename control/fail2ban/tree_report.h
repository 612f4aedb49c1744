// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "userspace/daemon/fail2ban_jail.h"

namespace mcf2b::control {

// What a fail2ban tree becomes in mcf2b, jail by jail: filter and failregex count, files
// or journal match, ports, maxretry, findtime, bantime, bantime.increment (or why it is
// not applied), the actions mcf2b's enforcement carries out and those it does not run,
// then the tree's warnings (what is not supported and why) and the jails refused.
std::string fail2ban_tree_text(const Fail2banImport &tree, const std::string &dir);
nlohmann::json fail2ban_tree_json(const Fail2banImport &tree, const std::string &dir);

} // namespace mcf2b::control
