// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>

#include "control/ctl_session.h"

namespace mcf2b::control {

// `mcf2b-ctl whitelist add|remove -j JAIL -i IP|CIDR`, `whitelist list [-j JAIL]`.
void register_whitelist(CLI::App &app, CtlSession &session);

} // namespace mcf2b::control
