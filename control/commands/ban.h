// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>

#include "control/ctl_session.h"

namespace mcf2b::control {

// `mcf2b-ctl ban -j JAIL -i IP|CIDR [--yes] [--bantime TIME]` and
// `mcf2b-ctl unban -i IP [-j JAIL] [--f2b-call]`.
void register_ban(CLI::App &app, CtlSession &session);
void register_unban(CLI::App &app, CtlSession &session);

} // namespace mcf2b::control
