// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <vector>

namespace mcf2b::matcher {

// Where mcf2b's own filters (mc-exim-filter, mc-webauth-filter, ...) are: the source
// tree's matcher/filters for a binary run from its build tree, otherwise the install
// prefix's share/mcf2b/filter.d (/usr/share/mcf2b/filter.d for the Debian package).
std::string shipped_filter_dir();

// The folders searched for a filter by name, in order: /etc/mcf2b/filter.d (the admin's
// local overrides), shipped_filter_dir(), then the installed fail2ban's filter.d.
std::vector<std::string> default_filter_dirs();

} // namespace mcf2b::matcher
