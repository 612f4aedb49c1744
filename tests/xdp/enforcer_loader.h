// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <string>

#include "tests/fixtures/netns_pair.h"

namespace mcf2b::testing {

// In a child process in b's namespace: opens an enforcer on `pin_root`, gives jail
// mc-exim-1d ports 25, 465 and 587, bans `banned` and 198.51.100.0/24 in it, attaches to
// b's veth and exits: what a daemon does before it dies. Returns the child's exit code
// (0: all done; 10 to 14: the step that failed).
int load_attach_and_exit(const NetnsPair &pair, const std::string &pin_root,
                         const std::string &banned);

} // namespace mcf2b::testing
