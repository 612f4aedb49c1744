// SPDX-License-Identifier: GPL-2.0-only
#pragma once

#include <CLI/CLI.hpp>

#include "control/ctl_session.h"

namespace mcf2b::control {

// `mcf2b-ctl status [JAIL] | --all`: fail2ban-client's status layouts.
void register_status(CLI::App &app, CtlSession &session);

} // namespace mcf2b::control
