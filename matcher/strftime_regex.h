// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>
#include <string_view>

namespace mcf2b::matcher {

// A datepattern's strftime-style directives (%Y %m %d %H %M %S %b %a %z %f %s ..., and
// fail2ban's exact %Ex* forms) as a regex whose groups are named by their letter
// ((?P<Y>...)). `ok` is false at an unknown directive.
std::string strftime_to_regex(std::string_view p, bool &ok);

} // namespace mcf2b::matcher
