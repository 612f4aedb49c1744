// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>

#include "control/ctl_session.h"

namespace mcf2b::control {

// `mcf2b-ctl blacklist enable [-v N]|disable -j JAIL`, `blacklist add|remove -j JAIL -i IP`,
// `blacklist list [-j JAIL]`: the permanent -bl jails.
void register_blacklist(CLI::App &app, CtlSession &session);

} // namespace mcf2b::control
